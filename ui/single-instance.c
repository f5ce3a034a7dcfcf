/* single-instance.c — one dialog per DS9 (single-instance.h).
 *
 * A lock file, held with flock() for the claimant's lifetime, decides who
 * is first (the kernel releases it when the process dies, however it
 * dies); beside it, a Unix socket on which the claimant listens for
 * "present" requests. */
#include "config.h"

#include "single-instance.h"
#include "tessera.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <unistd.h>

struct _TessSingleInstance
{
  int lock_fd;
  char *lock_path, *socket_path;
  GSocketService *service;
  TessPresentFunc present;
  gpointer user_data;
};

static gboolean
on_incoming (GSocketService *service, GSocketConnection *conn, GObject *source,
             gpointer data)
{
  TessSingleInstance *si = data;
  char buf[16] = "";
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));

  if (g_input_stream_read (in, buf, sizeof buf - 1, NULL, NULL) > 0
      && g_str_has_prefix (buf, "present") && si->present)
    si->present (si->user_data);
  return TRUE;
}

/* Asks the claimant to present itself; it may still be starting up. */
static void
ask_present (const char *socket_path)
{
  for (int attempt = 0; attempt < 20; attempt++)
    {
      GSocketClient *client = g_socket_client_new ();
      GSocketAddress *addr = g_unix_socket_address_new (socket_path);
      GSocketConnection *conn = g_socket_client_connect (
          client, G_SOCKET_CONNECTABLE (addr), NULL, NULL);
      g_object_unref (addr);
      g_object_unref (client);
      if (conn)
        {
          GOutputStream *out
              = g_io_stream_get_output_stream (G_IO_STREAM (conn));
          g_output_stream_write_all (out, "present\n", 8, NULL, NULL, NULL);
          g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
          g_object_unref (conn);
          return;
        }
      g_usleep (50000);
    }
}

TessSingleInstance *
tess_single_instance_claim (const char *key, TessPresentFunc present,
                            gpointer user_data, gboolean *other,
                            GError **error)
{
  TessSingleInstance *si = g_new0 (TessSingleInstance, 1);
  g_autofree char *hash
      = g_compute_checksum_for_string (G_CHECKSUM_SHA1, key, -1);
  g_autofree char *base = NULL;
  GSocketAddress *addr;
  GError *local = NULL;

  *other = FALSE;
  hash[16] = '\0';
  base = g_strdup_printf ("tessera-ds9-%s", hash);
  si->lock_path
      = g_strdup_printf ("%s/%s.lock", g_get_user_runtime_dir (), base);
  si->socket_path
      = g_strdup_printf ("%s/%s.sock", g_get_user_runtime_dir (), base);
  si->present = present;
  si->user_data = user_data;
  si->lock_fd = g_open (si->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (si->lock_fd < 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: %s", si->lock_path,
                   g_strerror (errno));
      goto fail;
    }
  if (flock (si->lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      if (errno == EWOULDBLOCK)
        {
          *other = TRUE;
          ask_present (si->socket_path);
        }
      else
        g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: %s", si->lock_path,
                     g_strerror (errno));
      goto fail;
    }
  /* Ours: a socket left by a claimant that died is stale. */
  g_unlink (si->socket_path);
  si->service = g_socket_service_new ();
  addr = g_unix_socket_address_new (si->socket_path);
  if (!g_socket_listener_add_address (
          G_SOCKET_LISTENER (si->service), addr, G_SOCKET_TYPE_STREAM,
          G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &local))
    {
      /* Still one instance (the lock holds); only presenting is lost. */
      g_clear_error (&local);
    }
  g_object_unref (addr);
  g_signal_connect (si->service, "incoming", G_CALLBACK (on_incoming), si);
  g_socket_service_start (si->service);
  return si;

fail:
  tess_single_instance_release (si);
  return NULL;
}

void
tess_single_instance_release (TessSingleInstance *si)
{
  if (si == NULL)
    return;
  if (si->service)
    {
      g_socket_service_stop (si->service);
      g_socket_listener_close (G_SOCKET_LISTENER (si->service));
      g_object_unref (si->service);
      g_unlink (si->socket_path);
    }
  if (si->lock_fd >= 0)
    close (si->lock_fd);
  g_free (si->lock_path);
  g_free (si->socket_path);
  g_free (si);
}
