/* ds9.c — DS9 over XPA (see ds9.h).
 *
 * Each call goes to exactly one access point: the address DS9 gave in
 * $xpa_method.  libxpa handles are not shared between threads: a TessDs9
 * is used from the thread that made it.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ds9.h"
#include "tessera.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xpa.h>

struct _TessDs9
{
  XPA xpa;
  char *address;
};

/* Turns an XPA error message ("XPA$ERROR text (class:name ip:port)") into
 * plain words. */
static char *
plain_message (const char *msg)
{
  const char *p = msg;
  char *s;

  if (g_str_has_prefix (p, "XPA$ERROR"))
    p += strlen ("XPA$ERROR");
  s = g_strstrip (g_strdup (p));
  /* Drop the trailing "(ds9:... addr)" that names the access point. */
  {
    char *paren = strrchr (s, '(');
    if (paren && paren != s && strchr (paren, ')') != NULL)
      {
        *paren = '\0';
        g_strstrip (s);
      }
  }
  return s;
}

/* The error of a request @what that DS9 answered with @err, or (NULL)
 * did not answer. */
static void
set_xpa_error (const TessDs9 *ds9, const char *what, const char *err,
               GError **error)
{
  char *msg = err ? plain_message (err) : NULL;

  g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
               _ ("DS9 at %s: '%s' failed: %s"), ds9->address, what,
               msg ? msg : _ ("DS9 does not answer (has it been closed?)"));
  g_free (msg);
}

TessDs9 *
tess_ds9_connect (const char *address, GError **error)
{
  TessDs9 *ds9 = g_new0 (TessDs9, 1);
  char *version;

  ds9->address = g_strdup (address);
  ds9->xpa = XPAOpen (NULL);
  if (ds9->xpa == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   _ ("cannot open an XPA connection"));
      tess_ds9_free (ds9);
      return NULL;
    }
  version = tess_ds9_get (ds9, "version", NULL, error);
  if (version == NULL)
    {
      tess_ds9_free (ds9);
      return NULL;
    }
  g_free (version);
  return ds9;
}

void
tess_ds9_free (TessDs9 *ds9)
{
  if (ds9 == NULL)
    return;
  if (ds9->xpa)
    XPAClose (ds9->xpa);
  g_free (ds9->address);
  g_free (ds9);
}

char *
tess_ds9_get (TessDs9 *ds9, const char *what, gsize *length, GError **error)
{
  char *buf = NULL, *name = NULL, *err = NULL, *result = NULL;
  size_t len = 0;
  int n;

  n = XPAGet (ds9->xpa, ds9->address, (char *)what, NULL, &buf, &len, &name,
              &err, 1);
  if (n < 1 || err != NULL)
    set_xpa_error (ds9, what, err, error);
  else
    {
      result = g_malloc (len + 1);
      if (len)
        memcpy (result, buf, len);
      result[len] = '\0';
      if (length)
        *length = len;
      else
        g_strchomp (result);
    }
  free (buf);
  free (name);
  free (err);
  return result;
}

gboolean
tess_ds9_set (TessDs9 *ds9, const char *what, gconstpointer data, gsize length,
              GError **error)
{
  char *name = NULL, *err = NULL;
  int n;

  n = XPASet (ds9->xpa, ds9->address, (char *)what, NULL, (char *)data,
              data ? length : 0, &name, &err, 1);
  if (n < 1 || err != NULL)
    set_xpa_error (ds9, what, err, error);
  free (name);
  free (err);
  return n >= 1 && err == NULL;
}

static gboolean
parse_int (const char *text, int *value)
{
  char *end;
  long v;

  while (g_ascii_isspace (*text))
    text++;
  v = strtol (text, &end, 10);
  if (end == text)
    return FALSE;
  *value = (int)v;
  return TRUE;
}

gboolean
tess_ds9_current_frame (TessDs9 *ds9, int *frame, GError **error)
{
  g_autofree char *s = tess_ds9_get (ds9, "frame", NULL, error);

  if (s == NULL)
    return FALSE;
  if (!parse_int (s, frame))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   _ ("DS9 at %s: no current frame ('%s')"), ds9->address, s);
      return FALSE;
    }
  return TRUE;
}

int *
tess_ds9_frames (TessDs9 *ds9, int *n, GError **error)
{
  g_autofree char *s = tess_ds9_get (ds9, "frame all", NULL, error);
  g_auto (GStrv) words = NULL;
  GArray *ids;

  if (s == NULL)
    return NULL;
  words = g_strsplit_set (s, " \t\n", -1);
  ids = g_array_new (FALSE, FALSE, sizeof (int));
  for (int i = 0; words[i]; i++)
    {
      int v;
      if (*words[i] && parse_int (words[i], &v))
        g_array_append_val (ids, v);
    }
  *n = (int)ids->len;
  return (int *)g_array_free (ids, FALSE);
}

gboolean
tess_ds9_show_frame (TessDs9 *ds9, int frame, GError **error)
{
  g_autofree int *ids = NULL;
  g_autofree char *cmd = NULL;
  int n = 0;
  gboolean found = FALSE;

  ids = tess_ds9_frames (ds9, &n, error);
  if (ids == NULL)
    return FALSE;
  for (int i = 0; i < n; i++)
    found |= ids[i] == frame;
  if (!found)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   _ ("DS9 at %s: there is no frame %d"), ds9->address, frame);
      return FALSE;
    }
  cmd = g_strdup_printf ("frame %d", frame);
  return tess_ds9_set (ds9, cmd, NULL, 0, error);
}

/* Runs @fn on @frame made current, then makes the frame that was current
 * current again. */
static gboolean
with_frame (TessDs9 *ds9, int frame,
            gboolean (*fn) (TessDs9 *, gpointer, GError **), gpointer data,
            GError **error)
{
  int current;
  gboolean ok;

  if (!tess_ds9_current_frame (ds9, &current, error))
    return FALSE;
  if (frame != current && !tess_ds9_show_frame (ds9, frame, error))
    return FALSE;
  ok = fn (ds9, data, error);
  if (frame != current)
    {
      g_autofree char *cmd = g_strdup_printf ("frame %d", current);
      if (!tess_ds9_set (ds9, cmd, NULL, 0, ok ? error : NULL))
        ok = FALSE;
    }
  return ok;
}

typedef struct
{
  const char *path;
  char *header;
  gboolean celestial;
} FrameData;

static gboolean
save_current (TessDs9 *ds9, gpointer data, GError **error)
{
  FrameData *fd = data;
  char *name = NULL, *err = NULL, head[9] = "";
  int fds[1], n;
  GStatBuf st;
  gboolean ok;

  /* Straight into the file: a frame can be large. */
  fds[0] = g_open (fd->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fds[0] < 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: %s", fd->path,
                   g_strerror (errno));
      return FALSE;
    }
  /* On a connection of its own: after a transfer to a file descriptor
   * the persistent one no longer works. */
  n = XPAGetFd (NULL, ds9->address, (char *)"fits", NULL, fds, &name, &err, 1);
  ok = n >= 1 && err == NULL;
  if (!ok)
    set_xpa_error (ds9, "fits", err, error);
  free (name);
  free (err);
  if (close (fds[0]) != 0 && ok)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: %s", fd->path,
                   g_strerror (errno));
      return FALSE;
    }
  if (!ok)
    return FALSE;
  {
    FILE *f = g_fopen (fd->path, "rb");
    if (f)
      {
        if (fread (head, 1, sizeof head, f) != sizeof head)
          head[0] = '\0';
        fclose (f);
      }
  }
  if (g_stat (fd->path, &st) != 0 || st.st_size < 2880
      || strncmp (head, "SIMPLE  =", 9) != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   _ ("DS9 at %s: the frame holds no FITS image"),
                   ds9->address);
      return FALSE;
    }
  return TRUE;
}

gboolean
tess_ds9_save_frame (TessDs9 *ds9, int frame, const char *path, GError **error)
{
  FrameData fd = { path, NULL, FALSE };

  return with_frame (ds9, frame, save_current, &fd, error);
}

static gboolean
header_current (TessDs9 *ds9, gpointer data, GError **error)
{
  FrameData *fd = data;
  g_autofree char *wcs = NULL;

  fd->header = tess_ds9_get (ds9, "fits header", NULL, error);
  if (fd->header == NULL)
    return FALSE;
  wcs = tess_ds9_get (ds9, "frame has wcs celestial", NULL, error);
  if (wcs == NULL)
    return FALSE;
  fd->celestial = strcmp (wcs, "yes") == 0;
  return TRUE;
}

char *
tess_ds9_frame_header (TessDs9 *ds9, int frame, gboolean *celestial,
                       GError **error)
{
  FrameData fd = { NULL, NULL, FALSE };

  if (!with_frame (ds9, frame, header_current, &fd, error))
    {
      g_free (fd.header);
      return NULL;
    }
  if (celestial)
    *celestial = fd.celestial;
  return fd.header;
}

gboolean
tess_ds9_load_new_frame (TessDs9 *ds9, const char *path, int *frame,
                         GError **error)
{
  char *name = NULL, *err = NULL;
  int before = -1, fd, n;

  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
  tess_ds9_current_frame (ds9, &before, NULL);
  /* The bytes themselves, read from the file as they are sent: DS9 reads
   * them before answering, and a path would be resolved against DS9's
   * working folder. */
  /* On a connection of its own, as in save_current(). */
  n = XPASetFd (NULL, ds9->address, (char *)"fits new", NULL, fd, &name, &err,
                1);
  close (fd);
  if (n < 1 || err != NULL)
    {
      int now = -1;
      set_xpa_error (ds9, "fits new", err, error);
      free (name);
      free (err);
      /* A failed load leaves an empty new frame: delete it. */
      if (tess_ds9_current_frame (ds9, &now, NULL) && now != before)
        tess_ds9_set (ds9, "frame delete", NULL, 0, NULL);
      return FALSE;
    }
  free (name);
  free (err);
  return frame == NULL || tess_ds9_current_frame (ds9, frame, error);
}

TessWcs *
tess_ds9_frame_wcs (TessDs9 *ds9, int frame, GError **error)
{
  gboolean celestial = FALSE;
  g_autofree char *h = tess_ds9_frame_header (ds9, frame, &celestial, error);
  g_autofree char *name = NULL;
  g_auto (GStrv) lines = NULL;
  GString *cards;
  TessWcs *wcs;
  int n = 0;

  if (h == NULL)
    return NULL;
  /* DS9 sends 80-character cards, each followed by a newline. */
  lines = g_strsplit (h, "\n", -1);
  name = g_strdup_printf ("DS9 frame %d", frame);
  cards = g_string_new (NULL);
  for (int i = 0; lines[i]; i++)
    if (lines[i][0])
      {
        g_string_append_printf (cards, "%-80.80s", lines[i]);
        n++;
      }
  /* A frame DS9 finds no celestial WCS in may have another kind (linear
   * axes), which Tessera reprojects too. */
  wcs = tess_wcs_new_from_header (cards->str, n, name,
                                  celestial ? error : NULL);
  g_string_free (cards, TRUE);
  if (!celestial && (wcs == NULL || tess_wcs_is_celestial (wcs)))
    {
      if (wcs)
        tess_wcs_unref (wcs);
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   _ ("DS9 frame %d has no celestial WCS"), frame);
      return NULL;
    }
  return wcs;
}
