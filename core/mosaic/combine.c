/* combine.c — a mosaic's band from its inputs' parts: the values
 * combined pixel by pixel (mean and sum weighted by the footprints, the
 * inputs' weights and weight images; median; first, last, min, max), NaN
 * values left out, the coverage (the weights summed) as the footprint.
 */
#include "config.h"

#include "mosaic/tess-combine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

void
tess__mosaic_combine (TessCombine combine, double blank,
                      const TessMosaicPiece *pieces, int n, gint64 W,
                      gint64 y0, gint64 rows, gint64 P, double *acc,
                      double *wsum, double *pwsum, double *sorted,
                      gpointer out_band, gsize elem, float *fp_band)
{
  gint64 npx = W * rows;

  /* Combined pixel by pixel, inputs in the order given. */
  for (gsize k = 0; k < (gsize)npx * P; k++)
    acc[k] = combine == TESS_COMBINE_MIN   ? INFINITY
             : combine == TESS_COMBINE_MAX ? -INFINITY
                                           : 0.0;
  memset (wsum, 0, (gsize)npx * sizeof *wsum);
  memset (pwsum, 0, (gsize)npx * (gsize)P * sizeof *pwsum);
  if (combine != TESS_COMBINE_MEDIAN)
    for (int i = 0; i < n; i++)
      {
        const TessMosaicPiece *pc = &pieces[i];
        gsize plane = (gsize)(pc->r.width * pc->r.height);
        for (gint64 yy = 0; yy < pc->r.height; yy++)
          for (gint64 xx = 0; xx < pc->r.width; xx++)
            {
              gsize src = (gsize)(yy * pc->r.width + xx);
              gsize dst = (gsize)((pc->r.y0 - y0 + yy) * W + pc->r.x0 + xx);
              double wt = pc->fp[src] * pc->weight
                          * (pc->weights ? pc->weights[src] : 1.0);
              gboolean any = FALSE;
              if (!(wt > 0.0))
                continue;
              for (gint64 p = 0; p < P; p++)
                {
                  gsize s = (gsize)p * plane + src;
                  gsize d = (gsize)p * (gsize)npx + dst;
                  double v = (pc->dbl ? ((const double *)pc->data)[s]
                                      : ((const float *)pc->data)[s])
                             - pc->offset;
                  if (!isfinite (v))
                    continue;
                  any = TRUE;
                  pwsum[d] += wt;
                  switch (combine)
                    {
                    case TESS_COMBINE_MEAN:
                    case TESS_COMBINE_SUM:
                      acc[d] += wt * v;
                      break;
                    case TESS_COMBINE_FIRST:
                      if (pwsum[d] == wt)
                        acc[d] = v;
                      break;
                    case TESS_COMBINE_LAST:
                      acc[d] = v;
                      break;
                    case TESS_COMBINE_MIN:
                      acc[d] = MIN (acc[d], v);
                      break;
                    case TESS_COMBINE_MAX:
                      acc[d] = MAX (acc[d], v);
                      break;
                    default:
                      break;
                    }
                }
              if (any)
                wsum[dst] += wt;
            }
      }
  else
    /* The median: every input's value at the pixel. */
    for (gint64 yy = 0; yy < rows; yy++)
      for (gint64 x = 0; x < W; x++)
        {
          gsize dst = (gsize)(yy * W + x);
          /* The coverage: the inputs with a value in some plane. */
          for (int i = 0; i < n; i++)
            {
              const TessMosaicPiece *pc = &pieces[i];
              gint64 lx = x - pc->r.x0, ly = y0 + yy - pc->r.y0;
              gsize src, plane = (gsize)(pc->r.width * pc->r.height);
              double wt;
              if (lx < 0 || lx >= pc->r.width || ly < 0 || ly >= pc->r.height)
                continue;
              src = (gsize)(ly * pc->r.width + lx);
              wt = pc->fp[src] * pc->weight
                   * (pc->weights ? pc->weights[src] : 1.0);
              if (!(wt > 0.0))
                continue;
              for (gint64 p = 0; p < P; p++)
                {
                  gsize s = (gsize)p * plane + src;
                  if (isfinite ((pc->dbl ? ((const double *)pc->data)[s]
                                         : ((const float *)pc->data)[s])
                                - pc->offset))
                    {
                      wsum[dst] += wt;
                      break;
                    }
                }
            }
          for (gint64 p = 0; p < P; p++)
            {
              int c = 0;
              double wt_sum = 0.0;
              for (int i = 0; i < n; i++)
                {
                  const TessMosaicPiece *pc = &pieces[i];
                  gint64 lx = x - pc->r.x0, ly = y0 + yy - pc->r.y0;
                  gsize src;
                  double wt, v;
                  if (lx < 0 || lx >= pc->r.width || ly < 0
                      || ly >= pc->r.height)
                    continue;
                  src = (gsize)(ly * pc->r.width + lx);
                  wt = pc->fp[src] * pc->weight
                       * (pc->weights ? pc->weights[src] : 1.0);
                  if (!(wt > 0.0))
                    continue;
                  src += (gsize)p * (gsize)(pc->r.width * pc->r.height);
                  v = (pc->dbl ? ((const double *)pc->data)[src]
                               : ((const float *)pc->data)[src])
                      - pc->offset;
                  if (!isfinite (v))
                    continue;
                  sorted[c++] = v;
                  wt_sum += wt;
                }
              if (c > 0)
                {
                  qsort (sorted, (size_t)c, sizeof *sorted, compare_double);
                  acc[(gsize)p * (gsize)npx + dst]
                      = c % 2 ? sorted[c / 2]
                              : 0.5 * (sorted[c / 2 - 1] + sorted[c / 2]);
                }
              pwsum[(gsize)p * (gsize)npx + dst] = wt_sum;
            }
        }

  /* The band's values and coverage. */
  for (gsize k = 0; k < (gsize)npx; k++)
    {
      if (fp_band)
        fp_band[k] = (float)wsum[k];
      for (gint64 p = 0; p < P; p++)
        {
          gsize d = (gsize)p * (gsize)npx + k;
          double v;
          /* Blank where no input has a value in this plane. */
          if (pwsum[d] == 0.0)
            v = blank;
          else if (combine == TESS_COMBINE_MEAN)
            v = acc[d] / pwsum[d];
          else
            v = acc[d];
          if (elem == 8)
            ((double *)out_band)[d] = v;
          else
            ((float *)out_band)[d] = (float)v;
        }
    }
}
