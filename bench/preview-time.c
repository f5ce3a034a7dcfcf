/* preview-time.c — times the Reproject dialog's preview (ui/preview.c) of
 * a FITS image onto target headers, as the dialog computes it: the image
 * opened (memory-mapped) once, then for each target and method a binned
 * plan and its pixels, median of N runs.  Prints a table and the bar
 * (under 1 s for a 4096² source).
 * Usage: tessera-bench-preview INPUT.fits TARGET.hdr... [-n N] */
#include "config.h"

#include "preview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int
main (int argc, char **argv)
{
  static const TessMethod methods[]
      = { TESS_METHOD_NEAREST, TESS_METHOD_BILINEAR, TESS_METHOD_BICUBIC,
          TESS_METHOD_EXACT };
  GError *error = NULL;
  TessImage *image;
  int n = 5, ntargets = 0;
  const char *targets[16];
  double worst = 0.0;
  gint64 t0;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "-n") == 0 && i + 1 < argc)
        {
          n = atoi (argv[++i]);
          n = MAX (n, 1);
        }
      else if (i > 1 && ntargets < 16)
        targets[ntargets++] = argv[i];
    }
  if (argc < 3 || ntargets == 0)
    {
      fprintf (stderr, "usage: %s INPUT.fits TARGET.hdr... [-n N]\n", argv[0]);
      return 2;
    }
  t0 = g_get_monotonic_time ();
  image = tess_image_open (argv[1], NULL, &error);
  if (image == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  printf ("input %s: %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
          ", opened in %.3f s\n",
          argv[1], tess_image_get_width (image), tess_image_get_height (image),
          (double)(g_get_monotonic_time () - t0) / 1e6);
  printf ("%-28s %-9s %9s %10s %8s\n", "target", "method", "preview",
          "median s", "max s");
  for (int t = 0; t < ntargets; t++)
    {
      TessWcs *wcs = tess_wcs_load (targets[t], &error);
      if (wcs == NULL)
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      for (unsigned m = 0; m < G_N_ELEMENTS (methods); m++)
        {
          TessOptions o;
          TessPreviewInfo info;
          double *s = g_new (double, n);
          int w = 0, h = 0;
          tess_options_init (&o);
          o.method = methods[m];
          for (int r = 0; r < n; r++)
            {
              gint64 a = g_get_monotonic_time ();
              GdkPixbuf *pb
                  = tess_preview_render (image, wcs, &o, 256, &info, &error);
              if (pb == NULL)
                {
                  fprintf (stderr, "%s\n", error->message);
                  return 1;
                }
              s[r] = (double)(g_get_monotonic_time () - a) / 1e6;
              w = gdk_pixbuf_get_width (pb);
              h = gdk_pixbuf_get_height (pb);
              g_object_unref (pb);
            }
          qsort (s, (size_t)n, sizeof *s, compare_double);
          {
            char *base = g_path_get_basename (targets[t]);
            char size[32];
            g_snprintf (size, sizeof size, "%dx%d", w, h);
            printf ("%-28s %-9s %9s %10.3f %8.3f\n", base,
                    tess_method_name (methods[m]), size, s[n / 2], s[n - 1]);
            g_free (base);
          }
          worst = MAX (worst, s[n - 1]);
          g_free (s);
        }
      tess_wcs_unref (wcs);
    }
  printf ("bar: every preview under 1 s: %s (slowest %.3f s)\n",
          worst < 1.0 ? "PASS" : "MISS", worst);
  tess_image_unref (image);
  return 0;
}
