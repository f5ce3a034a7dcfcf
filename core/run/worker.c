/* worker.c — the worker side of pool.c: computes, in a process of its
 * own, the blocks of the output a parent hands out, writing results
 * straight into files the parent shares: the output (fd 3: a FITS file
 * being written, or shared memory) and the spline coefficients (fd 4),
 * whose bands the workers make together as their blocks need them (see
 * interp.c).  See pool.c for the protocol.
 */
#include "config.h"

#include "io/tess-stream.h"
#include "run/tess-plan.h"
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
#define COEFFS_FD 4
#define INPUT_DATA_FD 5

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

static char *
value (char *line, const char *key)
{
  gsize n = strlen (key);

  if (strncmp (line, key, n) != 0 || line[n] != ' ')
    return NULL;
  return g_strchomp (line + n + 1);
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
  char *line, *v;
  char *input_path = NULL, *target_path = NULL;
  TessOptions opt;
  TessWcs *target = NULL;
  TessPlan *plan = NULL;
  TessImage *input = NULL;
  TessRect out = { 0, 0, 0, 0 };
  TessRunOptions run;
  TessStreamLayout layout = { 0 };
  TessBlockSource *source = NULL;
  TessBlockSink sink = { 0 };
  TessBlockRunner *runner = NULL;
  gboolean use_coeffs = FALSE, input_data = FALSE, ok = FALSE;
  GError *local = NULL;

  tess_options_init (&opt);
  /* Workers share the input through the page cache: map it, whatever its
   * size, rather than each reading a copy. */
  g_setenv ("TESSERA_MAP_MIN_BYTES", "0", FALSE);
  line = read_line (&rd);
  if (line == NULL || strcmp (line, "tessera-worker 6") != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "unknown worker protocol");
      return FALSE;
    }
  tess_run_options_init (&run);
  layout.fd = OUTPUT_FD;
  while ((line = read_line (&rd)) != NULL && strcmp (line, "go") != 0)
    {
      char *space = strchr (line, ' ');
      gboolean known = FALSE;

      if (space)
        {
          *space = '\0';
          if (!tess__options_from_text (&opt, line, g_strchomp (space + 1),
                                        &known, &local))
            goto out;
          *space = ' ';
        }
      if (known)
        continue;
      if ((v = value (line, "input")))
        input_path = g_strdup (v);
      else if ((v = value (line, "target")))
        target_path = g_strdup (v);
      else if ((v = value (line, "coeffs")))
        use_coeffs = atoi (v) != 0;
      else if ((v = value (line, "input-data")))
        input_data = atoi (v) != 0;
      else if ((v = value (line, "output")))
        {
          if (sscanf (v,
                      "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                      " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                      &out.x0, &out.y0, &out.width, &out.height)
              != 4)
            break;
        }
      else if ((v = value (line, "blocks")))
        {
          gint64 bw, bh;
          if (sscanf (v, "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT, &bw, &bh)
              != 2)
            break;
          run.block_width = bw;
          run.block_height = bh;
        }
      else if ((v = value (line, "layout")))
        {
          int be = 0;
          if (sscanf (v, "%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " %d",
                      &layout.data_offset, &layout.footprint_offset, &be)
              != 3)
            break;
          layout.big_endian = be != 0;
        }
    }
  if (line == NULL || input_path == NULL || target_path == NULL
      || out.width <= 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "incomplete job for the worker");
      goto out;
    }

  target = tess_wcs_load (target_path, &local);
  if (target == NULL)
    goto out;
  input = input_data ? tess__image_open_on (input_path, INPUT_DATA_FD, &local)
                     : tess_image_load (input_path, &local);
  if (input == NULL)
    goto out;
  if (!tess__method_is_spline (opt.method))
    tess__image_populate (input);
  plan = tess_plan_new (input, target, &opt, &local);
  if (plan == NULL)
    goto out;
  if (use_coeffs)
    {
      /* Each block reads the rows it needs from the file (into memory of
       * this process's own, reused): cheaper than faulting in pages of a
       * shared mapping. */
      if (!tess__plan_use_coefficient_file (plan, COEFFS_FD, &local))
        goto out;
    }
  /* The parent's blocks, cut again from their size. */
  source = tess__plan_source_new (plan, &out, &run, &local);
  if (source == NULL)
    goto out;
  layout.width = out.width;
  layout.height = out.height;
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
      say (fd, "error %s\n", local->message);
      g_propagate_error (error, local);
    }
  tess__runner_free (runner);
  tess__block_source_free (source);
  if (plan)
    tess_plan_unref (plan);
  if (input)
    tess_image_unref (input);
  if (target)
    tess_wcs_unref (target);
  g_free (input_path);
  g_free (target_path);
  return ok;
}
