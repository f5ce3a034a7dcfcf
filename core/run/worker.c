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

typedef struct
{
  TessPlan *plan;
  TessImage *input;
  TessRect out;
  TessStreamLayout layout;
  gpointer block;
  float *block_fp;
  gsize block_cap;
} Worker;

static gboolean
do_block (Worker *w, const TessRect *r, GError **error)
{
  gsize rw = (gsize)r->width, rh = (gsize)r->height;
  gsize elem = w->layout.elem;
  TessRect local
      = { r->x0 - w->out.x0, r->y0 - w->out.y0, r->width, r->height };
  float *fp;

  if (rw * rh > w->block_cap)
    {
      w->block_cap = rw * rh;
      g_free (w->block);
      g_free (w->block_fp);
      /* Huge pages where possible: fewer page faults. */
      w->block
          = tess__alloc_large (w->block_cap * (gsize)w->layout.nplanes * elem);
      w->block_fp = tess__alloc_large (w->block_cap * sizeof (float));
      if (w->block == NULL || w->block_fp == NULL)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       "not enough memory for a block");
          w->block_cap = 0;
          return FALSE;
        }
    }
  /* The footprint is computed only when it is written. */
  fp = w->layout.footprint_offset < 0 ? NULL : w->block_fp;
  if (!tess_plan_compute_region (w->plan, r, w->block, fp, error))
    return FALSE;
  if (!tess__stream_write_block (&w->layout, &local, w->block, fp,
                                 "the output", error))
    return FALSE;
  /* Keep the resident set small on large inputs: what the next block needs
   * comes back from the page cache. */
  tess__image_drop_pages (w->input);
  return TRUE;
}

gboolean
tess_worker_serve (int fd, GError **error)
{
  LineReader rd = { fd, { 0 }, 0 };
  char *line, *v;
  char *input_path = NULL, *target_path = NULL;
  TessOptions opt;
  TessWcs *target = NULL;
  Worker w = { 0 };
  gboolean use_coeffs = FALSE, input_data = FALSE, ok = FALSE;
  GError *local = NULL;

  tess_options_init (&opt);
  /* Workers share the input through the page cache: map it, whatever its
   * size, rather than each reading a copy. */
  g_setenv ("TESSERA_MAP_MIN_BYTES", "0", FALSE);
  line = read_line (&rd);
  if (line == NULL || strcmp (line, "tessera-worker 5") != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "unknown worker protocol");
      return FALSE;
    }
  w.layout.fd = OUTPUT_FD;
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
                      &w.out.x0, &w.out.y0, &w.out.width, &w.out.height)
              != 4)
            break;
        }
      else if ((v = value (line, "layout")))
        {
          int be = 0;
          if (sscanf (v, "%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT " %d",
                      &w.layout.data_offset, &w.layout.footprint_offset, &be)
              != 3)
            break;
          w.layout.big_endian = be != 0;
        }
    }
  if (line == NULL || input_path == NULL || target_path == NULL
      || w.out.width <= 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "incomplete job for the worker");
      goto out;
    }

  target = tess_wcs_load (target_path, &local);
  if (target == NULL)
    goto out;
  w.input = input_data
                ? tess__image_open_on (input_path, INPUT_DATA_FD, &local)
                : tess_image_load (input_path, &local);
  if (w.input == NULL)
    goto out;
  if (!tess__method_is_spline (opt.method))
    tess__image_populate (w.input);
  w.plan = tess_plan_new (w.input, target, &opt, &local);
  if (w.plan == NULL)
    goto out;
  w.layout.width = w.out.width;
  w.layout.height = w.out.height;
  w.layout.nplanes = tess_plan_get_nplanes (w.plan);
  w.layout.elem
      = tess_plan_get_pixel_type (w.plan) == TESS_TYPE_DOUBLE ? 8 : 4;
  if (use_coeffs)
    {
      /* Each block reads the rows it needs from the file (into memory of
       * this process's own, reused): cheaper than faulting in pages of a
       * shared mapping. */
      if (!tess__plan_use_coefficient_file (w.plan, COEFFS_FD, &local))
        goto out;
    }
  say (fd, "ready\n");

  while ((line = read_line (&rd)) != NULL && strcmp (line, "quit") != 0)
    {
      char kind[8];
      gint64 id, a, b, c = 0, d = 0;
      int n = sscanf (line,
                      "%7s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                      " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                      " %" G_GINT64_FORMAT,
                      kind, &id, &a, &b, &c, &d);
      if (n < 3)
        {
          g_set_error (&local, TESS_ERROR, TESS_ERROR_INVALID, "bad task '%s'",
                       line);
          goto out;
        }
      tess__worker_maybe_die (kind);
      if (strcmp (kind, "block") == 0 && n == 6)
        {
          TessRect r = { a, b, c, d };
          if (!do_block (&w, &r, &local))
            goto out;
        }
      else
        {
          g_set_error (&local, TESS_ERROR, TESS_ERROR_INVALID, "bad task '%s'",
                       line);
          goto out;
        }
      say (fd, "done %" G_GINT64_FORMAT "\n", id);
    }
  ok = TRUE;

out:
  if (local)
    {
      say (fd, "error %s\n", local->message);
      g_propagate_error (error, local);
    }
  g_free (w.block);
  g_free (w.block_fp);
  if (w.plan)
    tess_plan_unref (w.plan);
  if (w.input)
    tess_image_unref (w.input);
  if (target)
    tess_wcs_unref (target);
  g_free (input_path);
  g_free (target_path);
  return ok;
}
