/* preview.c — the dialog's preview (preview.h). */
#include "config.h"

#include "preview.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int
compare_float (const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* The 0.5 and 99.5 percentiles of the finite values (at most 20000 of
 * them sampled evenly). */
static gboolean
stretch (const float *v, gsize n, double *low, double *high)
{
  gsize step = MAX (n / 20000, 1), m = 0;
  float *s = g_new (float, n / step + 1);

  for (gsize i = 0; i < n; i += step)
    if (isfinite (v[i]))
      s[m++] = v[i];
  if (m == 0)
    {
      g_free (s);
      return FALSE;
    }
  qsort (s, m, sizeof *s, compare_float);
  *low = s[(gsize)(0.005 * (double)(m - 1))];
  *high = s[(gsize)(0.995 * (double)(m - 1))];
  if (!(*high > *low))
    {
      /* A flat image: show it mid-grey. */
      *low = s[0] - 1.0;
      *high = s[m - 1] + 1.0;
    }
  g_free (s);
  return TRUE;
}

GdkPixbuf *
tess_preview_render (TessImage *image, TessWcs *target,
                     const TessOptions *options, int max_side,
                     TessPreviewInfo *info, GError **error)
{
  gint64 tw = tess_wcs_get_width (target), th = tess_wcs_get_height (target);
  double f = MAX (1.0, (double)MAX (tw, th) / (double)MAX (max_side, 1));
  gint64 w, h, nplanes;
  TessOptions o = *options;
  TessWcs *small = NULL;
  TessPlan *plan = NULL;
  TessRect all;
  GdkPixbuf *pb = NULL;
  gpointer data = NULL;
  float *plane = NULL;
  double low = 0.0, high = 1.0;
  gint64 covered = 0;
  gint64 t0 = g_get_monotonic_time ();

  if (o.method == TESS_METHOD_ADAPTIVE || o.method == TESS_METHOD_EXACT)
    o.method = TESS_METHOD_BILINEAR;
  small = f > 1.0 ? tess_wcs_binned (target, f, error) : tess_wcs_ref (target);
  if (small == NULL)
    goto out;
  w = tess_wcs_get_width (small);
  h = tess_wcs_get_height (small);
  plan = tess_plan_new (image, small, &o, error);
  if (plan == NULL)
    goto out;
  all = (TessRect){ 0, 0, w, h };
  nplanes = tess_plan_get_nplanes (plan);
  /* All planes are computed: the preview shows the first. */
  if (tess_plan_get_pixel_type (plan) == TESS_TYPE_DOUBLE)
    data = g_malloc ((gsize)w * (gsize)h * (gsize)nplanes * sizeof (double));
  else
    data = g_malloc ((gsize)w * (gsize)h * (gsize)nplanes * sizeof (float));
  if (!tess_plan_compute_region (plan, &all, data, NULL, error))
    goto out;
  plane = g_new (float, (gsize)w *(gsize)h);
  for (gsize i = 0; i < (gsize)w * (gsize)h; i++)
    plane[i] = tess_plan_get_pixel_type (plan) == TESS_TYPE_DOUBLE
                   ? (float)((double *)data)[i]
                   : ((float *)data)[i];
  stretch (plane, (gsize)w * (gsize)h, &low, &high);

  pb = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, (int)w, (int)h);
  {
    guchar *px = gdk_pixbuf_get_pixels (pb);
    int stride = gdk_pixbuf_get_rowstride (pb);
    for (gint64 y = 0; y < h; y++)
      {
        /* FITS rows go up; screen rows go down. */
        guchar *row = px + (gsize)stride * (gsize)(h - 1 - y);
        for (gint64 x = 0; x < w; x++)
          {
            float v = plane[y * w + x];
            guchar *p = row + 3 * x;
            if (!isfinite (v))
              {
                p[0] = 24;
                p[1] = 32;
                p[2] = 64;
                continue;
              }
            covered++;
            {
              double t = (v - low) / (high - low);
              int g = (int)lround (255.0 * CLAMP (t, 0.0, 1.0));
              p[0] = p[1] = p[2] = (guchar)g;
            }
          }
      }
  }
  if (info)
    {
      info->factor = f;
      info->method = o.method;
      info->low = low;
      info->high = high;
      info->covered = (double)covered / (double)(w * h);
      info->seconds = (double)(g_get_monotonic_time () - t0) / 1e6;
    }

out:
  g_free (plane);
  g_free (data);
  if (plan)
    tess_plan_unref (plan);
  if (small)
    tess_wcs_unref (small);
  return pb;
}
