/* worker.c — the worker side of pool.c: rebuilds, in a process of its
 * own, the source of blocks the parent describes, and computes the
 * blocks it hands out, writing them straight into the output the parent
 * shares (fd 3: a FITS file being written, or shared memory); the files
 * the description shares come as fds 4, 5, ...  See pool.c for the
 * protocol.
 */
#include "config.h"

#include "io/tess-stream.h"
#include "run/tess-pool.h"
#include "run/tess-run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define OUTPUT_FD 3
#define SHARED_FDS 4 /* the first of the files the description shares */
/* The longest description accepted (a sanity bound). */
#define MAX_DESCRIPTION ((gsize)1 << 30)

typedef struct
{
  int fd;
  char buf[8192];
  gsize len;
} LineReader;

/* The next line (without its newline), or NULL at the end. */
static char *
read_line (LineReader *r)
{
  static char line[8192];

  for (;;)
    {
      char *nl = memchr (r->buf, '\n', r->len);
      ssize_t n;

      if (nl)
        {
          gsize k = (gsize)(nl - r->buf);
          memcpy (line, r->buf, k);
          line[k] = '\0';
          memmove (r->buf, nl + 1, r->len - k - 1);
          r->len -= k + 1;
          return line;
        }
      if (r->len == sizeof r->buf)
        return NULL;
      n = read (r->fd, r->buf + r->len, sizeof r->buf - r->len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return NULL;
      r->len += (gsize)n;
    }
}

/* The next @len bytes (newly allocated), or NULL at the end. */
static char *
read_bytes (LineReader *r, gsize len)
{
  char *out = g_malloc (len + 1);
  gsize have = MIN (len, r->len);

  memcpy (out, r->buf, have);
  memmove (r->buf, r->buf + have, r->len - have);
  r->len -= have;
  while (have < len)
    {
      ssize_t n = read (r->fd, out + have, len - have);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_free (out);
          return NULL;
        }
      have += (gsize)n;
    }
  out[len] = '\0';
  return out;
}

static gboolean say (int fd, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static gboolean
say (int fd, const char *fmt, ...)
{
  va_list ap;
  char *text;
  gsize len, done = 0;

  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  len = strlen (text);
  while (done < len)
    {
      ssize_t n = send (fd, text + done, len - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize)n;
    }
  g_free (text);
  return done == len;
}

/* For the tests: when TESSERA_WORKER_DIE names a file that does not exist
 * yet, the first worker to create it dies on receiving its first task of
 * the kind TESSERA_WORKER_DIE_ON names ("block" when unset); when it is
 * "always", every worker does. */
void
tess__worker_maybe_die (const char *kind)
{
  const char *path = g_getenv ("TESSERA_WORKER_DIE");
  const char *on = g_getenv ("TESSERA_WORKER_DIE_ON");
  int fd;

  if (path == NULL || *path == '\0'
      || strcmp (kind, on && *on ? on : "block") != 0)
    return;
  if (strcmp (path, "always") == 0)
    _exit (99);
  fd = open (path, O_CREAT | O_EXCL | O_WRONLY, 0600);
  if (fd >= 0)
    _exit (99);
}

gboolean
tess__worker_serve (int fd, GError **error)
{
  LineReader rd = { fd, { 0 }, 0 };
  char *line, *text = NULL;
  TessStreamLayout layout = { 0 };
  TessDescription *d = NULL;
  TessBlockSource *source = NULL;
  TessBlockSink sink = { 0 };
  TessBlockRunner *runner = NULL;
  guint64 text_len = 0;
  int be = 0, nfds = -1, *fds = NULL;
  gboolean ok = FALSE;
  GError *local = NULL;

  /* Workers share the inputs through the page cache: map them, whatever
   * their size, rather than each reading a copy. */
  g_setenv ("TESSERA_MAP_MIN_BYTES", "0", FALSE);
  line = read_line (&rd);
  if (line == NULL || strcmp (line, "tessera-worker 7") != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "unknown worker protocol");
      return FALSE;
    }
  layout.fd = OUTPUT_FD;
  line = read_line (&rd);
  if (line == NULL
      || sscanf (line, "layout %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " %d",
                 &layout.data_offset, &layout.footprint_offset, &be)
             != 3
      || (line = read_line (&rd)) == NULL
      || sscanf (line, "fds %d", &nfds) != 1 || nfds < 0 || nfds > 65536
      || (line = read_line (&rd)) == NULL
      || sscanf (line, "job %" G_GUINT64_FORMAT, &text_len) != 1
      || text_len > MAX_DESCRIPTION
      || (text = read_bytes (&rd, (gsize)text_len)) == NULL)
    {
      g_set_error (&local, TESS_ERROR, TESS_ERROR_INVALID,
                   "incomplete job for the worker");
      goto out;
    }
  layout.big_endian = be != 0;
  fds = g_new (int, MAX (nfds, 1));
  for (int i = 0; i < nfds; i++)
    fds[i] = SHARED_FDS + i;
  d = tess__description_from_text (text, (gsize)text_len, fds, nfds, &local);
  if (d == NULL)
    goto out;
  source = tess__block_source_rebuild (d, &local);
  /* What the source keeps of the shared files it has made its own. */
  g_clear_pointer (&d, tess__description_free);
  if (source == NULL)
    goto out;
  layout.width = source->width;
  layout.height = source->height;
  layout.nplanes = source->nplanes;
  layout.elem = source->elem;
  sink.layout = &layout;
  sink.what = "the output";
  runner = tess__runner_new (source, &sink);
  say (fd, "ready\n");

  while ((line = read_line (&rd)) != NULL && strcmp (line, "quit") != 0)
    {
      char kind[8];
      gint64 id;
      int n = sscanf (line, "%7s %" G_GINT64_FORMAT, kind, &id);

      if (n == 2)
        tess__worker_maybe_die (kind);
      if (n != 2 || strcmp (kind, "block") != 0
          || id >= source->funcs->n_blocks (source) || id < 0)
        {
          g_set_error (&local, TESS_ERROR, TESS_ERROR_INVALID, "bad task '%s'",
                       line);
          goto out;
        }
      if (!tess__runner_do (runner, id, &local))
        goto out;
      say (fd, "done %" G_GINT64_FORMAT "\n", id);
    }
  ok = TRUE;

out:
  if (local)
    {
      /* Its code too, when it is one of the library's (the parent
       * reports it as it is: out of memory, cancelled, ...). */
      char *msg = g_strdelimit (g_strdup (local->message), "\n", ' ');
      say (fd, "error %d %s\n",
           local->domain == TESS_ERROR ? local->code : TESS_ERROR_IO, msg);
      g_free (msg);
      g_propagate_error (error, local);
    }
  tess__runner_free (runner);
  tess__block_source_free (source);
  tess__description_free (d);
  g_free (fds);
  g_free (text);
  return ok;
}
