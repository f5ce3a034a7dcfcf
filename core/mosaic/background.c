/* background.c — matching the backgrounds of a mosaic's inputs: every
 * input reprojected onto a coarse copy of the target, the median of the
 * differences measured on each overlap, and the offsets fitted to them
 * (background-fit.c).
 */
#include "config.h"

#include "mosaic/tess-background.h"
#include "mosaic/tess-mosaic.h"

#include <math.h>
#include <stdlib.h>

/* Side of the coarse grid on which backgrounds are compared. */
#define BACKGROUND_SIDE 1024

static int
compare_float (const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* Median of @v[0..n-1] (reordered). */
static double
median_f (float *v, gsize n)
{
  qsort (v, n, sizeof *v, compare_float);
  return n % 2 ? v[n / 2] : 0.5 * ((double)v[n / 2 - 1] + v[n / 2]);
}

gboolean
tess_mosaic_match_backgrounds (TessMosaic *m, GCancellable *cancellable,
                               GError **error)
{
  int n = m->n;
  double f = MAX (1.0, (double)MAX (m->width, m->height) / BACKGROUND_SIDE);
  TessWcs *coarse = NULL;
  float **img = g_new0 (float *, n);
  double *N = g_new0 (double, (gsize)n *n), *D = g_new0 (double, (gsize)n *n);
  gint64 cw = 0, ch = 0;
  gboolean ok = FALSE;
  TessOptions o = m->options;

  /* Every input on a coarse copy of the target (bilinear: backgrounds are
   * smooth), the first plane. */
  coarse = f > 1.0 ? tess_wcs_binned (m->target, f, error)
                   : tess_wcs_ref (m->target);
  if (coarse == NULL)
    goto out;
  cw = tess_wcs_get_width (coarse);
  ch = tess_wcs_get_height (coarse);
  if (o.method == TESS_METHOD_ADAPTIVE || o.method == TESS_METHOD_EXACT)
    o.method = TESS_METHOD_BILINEAR;
  for (int i = 0; i < n; i++)
    {
      TessPlan *p;
      gpointer data;
      GError *local = NULL;
      TessRect all = { 0, 0, cw, ch };

      if (m->plans[i] == NULL)
        continue;
      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_CANCELLED, "cancelled");
          goto out;
        }
      p = tess_plan_new (m->inputs[i], coarse, &o, &local);
      if (p == NULL)
        {
          g_error_free (local);
          continue;
        }
      data = g_malloc (
          (gsize)cw * ch * m->nplanes
          * (tess_plan_get_pixel_type (p) == TESS_TYPE_DOUBLE ? 8 : 4));
      if (!tess_plan_compute_region (p, &all, data, NULL, error))
        {
          g_free (data);
          tess_plan_unref (p);
          goto out;
        }
      img[i] = g_new (float, (gsize)cw *ch);
      for (gsize k = 0; k < (gsize)cw * ch; k++)
        img[i][k] = tess_plan_get_pixel_type (p) == TESS_TYPE_DOUBLE
                        ? (float)((double *)data)[k]
                        : ((float *)data)[k];
      g_free (data);
      tess_plan_unref (p);
    }
  /* Pairwise: the median difference on the overlap. */
  {
    float *diff = g_new (float, (gsize)cw *ch);
    for (int i = 0; i < n; i++)
      for (int j = i + 1; j < n; j++)
        {
          gsize c = 0;
          if (img[i] == NULL || img[j] == NULL)
            continue;
          for (gsize k = 0; k < (gsize)cw * ch; k++)
            if (isfinite (img[i][k]) && isfinite (img[j][k]))
              diff[c++] = img[i][k] - img[j][k];
          if (c < 10)
            continue;
          N[i * n + j] = N[j * n + i] = (double)c;
          D[i * n + j] = median_f (diff, c);
          D[j * n + i] = -D[i * n + j];
        }
    g_free (diff);
  }
  {
    int isolated = -1;
    gboolean *present = g_new (gboolean, n);
    for (int i = 0; i < n; i++)
      present[i] = img[i] != NULL;
    ok = tess__background_fit (n, present, N, D, m->mo.background_reference,
                               m->offsets, &isolated, error);
    g_free (present);
    if (!ok && isolated >= 0)
      g_prefix_error (error,
                      "%s: ", tess_image_get_source (m->inputs[isolated]));
    if (!ok)
      goto out;
  }
  ok = TRUE;
  m->matched = TRUE;

out:
  for (int i = 0; i < n; i++)
    g_free (img[i]);
  g_free (img);
  g_free (N);
  g_free (D);
  if (coarse)
    tess_wcs_unref (coarse);
  return ok;
}
