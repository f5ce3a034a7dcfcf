/* worker.c — tessera-worker: computes blocks of a reprojection for a
 * parent process (libtessera's pool.c), writing them into the shared
 * output on file descriptor 3.  Not meant to be run by hand.
 *
 * It reads the job from standard input (see pool.c for the protocol),
 * answers "ready", then computes each "block ID X Y W H" and answers
 * "done ID", until "quit" or the end of its input.
 */
#include "config.h"

#include "tessera.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* For the tests: when TESSERA_WORKER_DIE names a file that does not exist
 * yet, the first worker to create it dies on receiving its first block;
 * when it is "always", every worker does. */
static void
maybe_die (void)
{
  const char *path = g_getenv ("TESSERA_WORKER_DIE");
  int fd;

  if (path == NULL || *path == '\0')
    return;
  if (strcmp (path, "always") == 0)
    _exit (99);
  fd = open (path, O_CREAT | O_EXCL | O_WRONLY, 0600);
  if (fd >= 0)
    _exit (99);
}

static void
fail (const char *what, const char *message)
{
  printf ("error %s%s%s\n", what, *what ? ": " : "", message);
  fflush (stdout);
  exit (1);
}

static char *
value (char *line, const char *key)
{
  gsize n = strlen (key);

  if (strncmp (line, key, n) != 0 || line[n] != ' ')
    return NULL;
  return g_strchomp (line + n + 1);
}

int
main (void)
{
  char line[8192];
  char *input_path = NULL, *target_path = NULL, *v;
  TessOptions opt;
  TessRect out = { 0 };
  GError *error = NULL;
  TessImage *input;
  TessWcs *target;
  TessPlan *plan;
  gsize elem, data_bytes, map_len;
  gint64 nplanes;
  char *map;
  gpointer block = NULL;
  float *block_fp = NULL;
  gsize block_cap = 0;

  tess_options_init (&opt);
  /* Workers share the input through the page cache: map it, whatever its
   * size, rather than each reading a copy. */
  g_setenv ("TESSERA_MAP_MIN_BYTES", "0", FALSE);
  if (fgets (line, sizeof line, stdin) == NULL
      || strcmp (g_strchomp (line), "tessera-worker 1") != 0)
    fail ("", "unknown protocol");
  while (fgets (line, sizeof line, stdin) != NULL)
    {
      g_strchomp (line);
      if (strcmp (line, "go") == 0)
        break;
      if ((v = value (line, "input")))
        input_path = g_strdup (v);
      else if ((v = value (line, "target")))
        target_path = g_strdup (v);
      else if ((v = value (line, "method")))
        {
          if (!tess_method_from_name (v, &opt.method, &error))
            fail ("", error->message);
        }
      else if ((v = value (line, "roundtrip")))
        opt.roundtrip = atoi (v) != 0;
      else if ((v = value (line, "exact")))
        opt.exact_transform = atoi (v) != 0;
      else if ((v = value (line, "tolerance")))
        opt.transform_tolerance = g_ascii_strtod (v, NULL);
      else if ((v = value (line, "step")))
        opt.grid_step = atoi (v);
      else if ((v = value (line, "output")))
        {
          if (sscanf (v,
                      "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                      " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                      &out.x0, &out.y0, &out.width, &out.height)
              != 4)
            fail ("", "bad output line");
        }
    }
  if (input_path == NULL || target_path == NULL || out.width <= 0)
    fail ("", "incomplete job");

  target = tess_wcs_load (target_path, &error);
  if (target == NULL)
    fail ("", error->message);
  input = tess_image_load (input_path, &error);
  if (input == NULL)
    fail ("", error->message);
  plan = tess_plan_new (input, target, &opt, &error);
  if (plan == NULL)
    fail ("", error->message);

  elem = tess_plan_get_pixel_type (plan) == TESS_TYPE_DOUBLE ? 8 : 4;
  nplanes = tess_image_get_nplanes (input);
  data_bytes = (gsize)out.width * (gsize)out.height * (gsize)nplanes * elem;
  map_len = data_bytes + (gsize)out.width * (gsize)out.height * sizeof (float);
  map = mmap (NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);
  if (map == MAP_FAILED)
    fail ("", g_strerror (errno));
  printf ("ready\n");
  fflush (stdout);

  while (fgets (line, sizeof line, stdin) != NULL)
    {
      gint64 id;
      TessRect r;
      gsize rw, rh, ow = (gsize)out.width, oh = (gsize)out.height;
      char ids[32];

      g_strchomp (line);
      if (strcmp (line, "quit") == 0)
        break;
      if ((v = value (line, "block")) == NULL
          || sscanf (v,
                     "%" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                     " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                     " %" G_GINT64_FORMAT,
                     &id, &r.x0, &r.y0, &r.width, &r.height)
                 != 5)
        fail ("", "bad block line");
      maybe_die ();
      g_snprintf (ids, sizeof ids, "%" G_GINT64_FORMAT, id);
      rw = (gsize)r.width;
      rh = (gsize)r.height;
      if (rw * rh > block_cap)
        {
          block_cap = rw * rh;
          g_free (block);
          g_free (block_fp);
          block = g_malloc (block_cap * (gsize)nplanes * elem);
          block_fp = g_new (float, block_cap);
        }
      if (!tess_plan_compute_region (plan, &r, block, block_fp, &error))
        fail (ids, error->message);
      /* Into the shared output: planes of out, then its footprint. */
      for (gsize y = 0; y < rh; y++)
        {
          gsize row = (gsize)(r.y0 - out.y0) + y;
          gsize col = (gsize)(r.x0 - out.x0);
          for (gint64 p = 0; p < nplanes; p++)
            memcpy (map + (((gsize)p * oh + row) * ow + col) * elem,
                    (char *)block + (((gsize)p * rh + y) * rw) * elem,
                    rw * elem);
          memcpy (map + data_bytes + (row * ow + col) * sizeof (float),
                  block_fp + y * rw, rw * sizeof (float));
        }
      printf ("done %s\n", ids);
      fflush (stdout);
    }
  munmap (map, map_len);
  g_free (block);
  g_free (block_fp);
  tess_plan_unref (plan);
  tess_image_unref (input);
  tess_wcs_unref (target);
  g_free (input_path);
  g_free (target_path);
  return 0;
}
