/* transform.c — the output-pixel → input-pixel map of a reprojection.
 *
 * Exact transforms (output pixel → world → frame conversion → input pixel,
 * and back for the round-trip check) cost ~0.2 µs a pixel.  The map is
 * smooth almost everywhere, so it is computed exactly on a grid of nodes
 * every `grid_step` output pixels and interpolated bilinearly in between.
 * Each grid cell is verified: the map is also computed exactly at the
 * cell's centre and at the middle of its four edges, and if the
 * interpolation misses any of them by more than `transform_tolerance`
 * input pixels, or any node or test point has no valid mapping, every
 * pixel of the cell is computed exactly.  A cell all of whose nine points
 * have no valid mapping is taken as empty.
 *
 * The grid is anchored at output pixel (0, 0) and ends at the last column
 * and row, so the map of a pixel does not depend on which region of the
 * output is being computed: any split into blocks gives the same result.
 */
#include "config.h"

#include "tess-transform.h"

#include <math.h>
#include <string.h>

#define CHUNK 512

struct _TessTransform
{
  struct wcsprm *out, *in;
  gboolean convert;
  TessFrame out_frame, in_frame;
  gboolean roundtrip;
  /* scratch for CHUNK points */
  double pix[2 * CHUNK], img[2 * CHUNK], world[2 * CHUNK];
  double phi[CHUNK], theta[CHUNK];
  double lon[CHUNK], lat[CHUNK];
  double bx[CHUNK], by[CHUNK];
  int stat[CHUNK];
  gboolean bad[CHUNK];
};

TessTransform *
tess__transform_new (const TessWcs *out, const TessWcs *in,
                     gboolean roundtrip, GError **error)
{
  TessTransform *t = g_new0 (TessTransform, 1);

  t->out = tess__wcs_copy_cel (out, error);
  if (t->out)
    t->in = tess__wcs_copy_cel (in, error);
  if (t->in == NULL)
    {
      tess__transform_free (t);
      return NULL;
    }
  t->convert = !tess__wcs_same_frame (out, in);
  t->out_frame = out->frame;
  t->in_frame = in->frame;
  t->roundtrip = roundtrip;
  return t;
}

void
tess__transform_free (TessTransform *t)
{
  if (t == NULL)
    return;
  tess__wcsprm_free (t->out);
  tess__wcsprm_free (t->in);
  g_free (t);
}

/* pixel (0-based) of @a → pixel of @b, for n ≤ CHUNK points. */
static void
pix_to_pix (TessTransform *t, struct wcsprm *a, TessFrame fa,
            struct wcsprm *b, TessFrame fb, gsize n, const double *x,
            const double *y, double *bx, double *by)
{
  int status;

  for (gsize k = 0; k < n; k++)
    {
      t->pix[2 * k] = x[k] + 1.0;
      t->pix[2 * k + 1] = y[k] + 1.0;
    }
  status = wcsp2s (a, (int)n, 2, t->pix, t->img, t->phi, t->theta, t->world,
                   t->stat);
  if (status != 0 && status != WCSERR_BAD_PIX)
    {
      for (gsize k = 0; k < n; k++)
        bx[k] = by[k] = NAN;
      return;
    }
  for (gsize k = 0; k < n; k++)
    {
      if (t->stat[k] || !isfinite (x[k]) || !isfinite (y[k]))
        {
          t->lon[k] = t->lat[k] = NAN;
          continue;
        }
      t->lon[k] = t->world[2 * k + a->lng];
      t->lat[k] = t->world[2 * k + a->lat];
    }
  if (t->convert)
    tess_frame_convert (fa, fb, n, t->lon, t->lat);
  for (gsize k = 0; k < n; k++)
    {
      /* wcss2p needs finite input: park invalid points somewhere valid
       * and flag them afterwards. */
      gboolean ok = isfinite (t->lon[k]) && isfinite (t->lat[k]);
      t->world[2 * k + b->lng] = ok ? t->lon[k] : b->crval[b->lng];
      t->world[2 * k + b->lat] = ok ? t->lat[k] : b->crval[b->lat];
      t->bad[k] = !ok;
    }
  {
    status = wcss2p (b, (int)n, 2, t->world, t->phi, t->theta, t->img,
                     t->pix, t->stat);
    if (status != 0 && status != WCSERR_BAD_WORLD)
      {
        for (gsize k = 0; k < n; k++)
          bx[k] = by[k] = NAN;
        return;
      }
    for (gsize k = 0; k < n; k++)
      {
        if (t->stat[k] || t->bad[k])
          bx[k] = by[k] = NAN;
        else
          {
            bx[k] = t->pix[2 * k] - 1.0;
            by[k] = t->pix[2 * k + 1] - 1.0;
          }
      }
  }
}

void
tess__transform_exact (TessTransform *t, gsize n, const double *ox,
                       const double *oy, double *ix, double *iy)
{
  for (gsize off = 0; off < n; off += CHUNK)
    {
      gsize m = MIN (CHUNK, n - off);

      pix_to_pix (t, t->out, t->out_frame, t->in, t->in_frame, m, ox + off,
                  oy + off, ix + off, iy + off);
      if (!t->roundtrip)
        continue;
      pix_to_pix (t, t->in, t->in_frame, t->out, t->out_frame, m, ix + off,
                  iy + off, t->bx, t->by);
      for (gsize k = 0; k < m; k++)
        if (!(fabs (t->bx[k] - ox[off + k]) <= 1.0
              && fabs (t->by[k] - oy[off + k]) <= 1.0))
          ix[off + k] = iy[off + k] = NAN;
    }
}

gboolean
tess__transform_inverse (TessTransform *t, gsize n, const double *ix,
                         const double *iy, double *ox, double *oy)
{
  for (gsize off = 0; off < n; off += CHUNK)
    {
      gsize m = MIN (CHUNK, n - off);
      pix_to_pix (t, t->in, t->in_frame, t->out, t->out_frame, m, ix + off,
                  iy + off, ox + off, oy + off);
    }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* The grid                                                                */

static inline gint64
node_pos (gint64 i, gint64 step, gint64 size)
{
  return MIN (i * step, size - 1);
}

void
tess__transform_region (TessTransform *t, const TessGrid *g,
                        const TessRect *r, double *ix, double *iy)
{
  gint64 S = g->step;
  gint64 W = g->width, H = g->height;
  gint64 x1 = r->x0 + r->width - 1, y1 = r->y0 + r->height - 1;
  gsize w = (gsize)r->width;

  if (g->exact)
    {
      double *ox = g_new (double, w), *oy = g_new (double, w);
      for (gint64 y = r->y0; y <= y1; y++)
        {
          for (gsize k = 0; k < w; k++)
            {
              ox[k] = (double)r->x0 + (double)k;
              oy[k] = (double)y;
            }
          tess__transform_exact (t, w, ox, oy, ix + (gsize)(y - r->y0) * w,
                                 iy + (gsize)(y - r->y0) * w);
        }
      g_free (ox);
      g_free (oy);
      return;
    }

  /* Node indices covering the region. */
  gint64 last_nx = (W - 1 + S - 1) / S, last_ny = (H - 1 + S - 1) / S;
  /* A pixel on a node belongs to the cell on its right (below it), except
   * on the last node. */
  gint64 i0 = MIN (r->x0 / S, MAX (last_nx - 1, 0));
  gint64 j0 = MIN (r->y0 / S, MAX (last_ny - 1, 0));
  gint64 i1 = MIN (x1 / S + 1, last_nx), j1 = MIN (y1 / S + 1, last_ny);
  gsize nx = (gsize)(i1 - i0 + 1), ny = (gsize)(j1 - j0 + 1);
  gsize ncells_x = nx > 1 ? nx - 1 : 1, ncells_y = ny > 1 ? ny - 1 : 1;

  /* Exact points: nodes, then for each cell its centre, then the middle of
   * horizontal edges (nx-1 per node row), then of vertical edges. */
  gsize nnodes = nx * ny;
  gsize ncent = ncells_x * ncells_y;
  gsize nhe = ncells_x * ny, nve = nx * ncells_y;
  gsize ntot = nnodes + ncent + nhe + nve;
  double *px = g_new (double, ntot), *py = g_new (double, ntot);
  double *qx = g_new (double, ntot), *qy = g_new (double, ntot);
  gsize k = 0;

#define NX(i) ((double)node_pos (i0 + (gint64)(i), S, W))
#define NY(j) ((double)node_pos (j0 + (gint64)(j), S, H))
  for (gsize j = 0; j < ny; j++)
    for (gsize i = 0; i < nx; i++, k++)
      {
        px[k] = NX (i);
        py[k] = NY (j);
      }
  for (gsize j = 0; j < ncells_y; j++)
    for (gsize i = 0; i < ncells_x; i++, k++)
      {
        px[k] = 0.5 * (NX (i) + NX (MIN (i + 1, nx - 1)));
        py[k] = 0.5 * (NY (j) + NY (MIN (j + 1, ny - 1)));
      }
  for (gsize j = 0; j < ny; j++)
    for (gsize i = 0; i < ncells_x; i++, k++)
      {
        px[k] = 0.5 * (NX (i) + NX (MIN (i + 1, nx - 1)));
        py[k] = NY (j);
      }
  for (gsize j = 0; j < ncells_y; j++)
    for (gsize i = 0; i < nx; i++, k++)
      {
        px[k] = NX (i);
        py[k] = 0.5 * (NY (j) + NY (MIN (j + 1, ny - 1)));
      }
  g_assert (k == ntot);
  tess__transform_exact (t, ntot, px, py, qx, qy);

  double *cx = qx, *cy = qy;                         /* nodes */
  double *mx = qx + nnodes, *my = qy + nnodes;       /* centres */
  double *hx = mx + ncent, *hy = my + ncent;         /* horizontal edges */
  double *vx = hx + nhe, *vy = hy + nhe;             /* vertical edges */
  double *ex = NULL, *ey = NULL, *eox = NULL, *eoy = NULL;

  for (gsize cj = 0; cj < ncells_y; cj++)
    for (gsize ci = 0; ci < ncells_x; ci++)
      {
        gsize ci1 = MIN (ci + 1, nx - 1), cj1 = MIN (cj + 1, ny - 1);
        double xa = NX (ci), xb = NX (ci1), ya = NY (cj), yb = NY (cj1);
        /* Pixels of this cell: [xa, xb) × [ya, yb), the last cell of the
         * image including its far edge; clipped to the region. */
        gint64 pxa = (gint64)xa, pya = (gint64)ya;
        gint64 pxb = (gint64)ci1 + i0 == last_nx ? (gint64)xb : (gint64)xb - 1;
        gint64 pyb = (gint64)cj1 + j0 == last_ny ? (gint64)yb : (gint64)yb - 1;
        if (nx == 1)
          pxb = pxa;
        if (ny == 1)
          pyb = pya;
        gint64 rx0 = MAX (pxa, r->x0), rx1 = MIN (pxb, x1);
        gint64 ry0 = MAX (pya, r->y0), ry1 = MIN (pyb, y1);
        if (rx0 > rx1 || ry0 > ry1)
          continue;

        double c00x = cx[cj * nx + ci], c10x = cx[cj * nx + ci1];
        double c01x = cx[cj1 * nx + ci], c11x = cx[cj1 * nx + ci1];
        double c00y = cy[cj * nx + ci], c10y = cy[cj * nx + ci1];
        double c01y = cy[cj1 * nx + ci], c11y = cy[cj1 * nx + ci1];
        double tx[5] = { mx[cj * ncells_x + ci], hx[cj * ncells_x + ci],
                         hx[cj1 * ncells_x + ci], vx[cj * nx + ci],
                         vx[cj * nx + ci1] };
        double ty[5] = { my[cj * ncells_x + ci], hy[cj * ncells_x + ci],
                         hy[cj1 * ncells_x + ci], vy[cj * nx + ci],
                         vy[cj * nx + ci1] };
        /* (u, v) of the test points within the cell. */
        static const double tu[5] = { 0.5, 0.5, 0.5, 0.0, 1.0 };
        static const double tv[5] = { 0.5, 0.0, 1.0, 0.5, 0.5 };
        gboolean all_bad = TRUE, any_bad = FALSE, smooth = TRUE;
        double corners[8] = { c00x, c10x, c01x, c11x, c00y, c10y, c01y, c11y };

        for (int m = 0; m < 4; m++)
          {
            if (isnan (corners[m]) || isnan (corners[4 + m]))
              any_bad = TRUE;
            else
              all_bad = FALSE;
          }
        for (int m = 0; m < 5; m++)
          {
            if (isnan (tx[m]) || isnan (ty[m]))
              any_bad = TRUE;
            else
              all_bad = FALSE;
          }
        if (all_bad)
          {
            for (gint64 y = ry0; y <= ry1; y++)
              for (gint64 x = rx0; x <= rx1; x++)
                {
                  gsize o = (gsize)(y - r->y0) * w + (gsize)(x - r->x0);
                  ix[o] = iy[o] = NAN;
                }
            continue;
          }
        if (!any_bad)
          for (int m = 0; m < 5 && smooth; m++)
            {
              double u = tu[m], v = tv[m];
              double ax = (1 - u) * (1 - v) * c00x + u * (1 - v) * c10x
                          + (1 - u) * v * c01x + u * v * c11x;
              double ay = (1 - u) * (1 - v) * c00y + u * (1 - v) * c10y
                          + (1 - u) * v * c01y + u * v * c11y;
              if (!(fabs (ax - tx[m]) <= g->tolerance
                    && fabs (ay - ty[m]) <= g->tolerance))
                smooth = FALSE;
            }
        if (any_bad || !smooth)
          {
            /* Exact, pixel by pixel. */
            gsize n = (gsize)((rx1 - rx0 + 1) * (ry1 - ry0 + 1));
            gsize e = 0;
            ex = g_renew (double, ex, n);
            ey = g_renew (double, ey, n);
            eox = g_renew (double, eox, n);
            eoy = g_renew (double, eoy, n);
            for (gint64 y = ry0; y <= ry1; y++)
              for (gint64 x = rx0; x <= rx1; x++, e++)
                {
                  eox[e] = (double)x;
                  eoy[e] = (double)y;
                }
            tess__transform_exact (t, n, eox, eoy, ex, ey);
            e = 0;
            for (gint64 y = ry0; y <= ry1; y++)
              for (gint64 x = rx0; x <= rx1; x++, e++)
                {
                  gsize o = (gsize)(y - r->y0) * w + (gsize)(x - r->x0);
                  ix[o] = ex[e];
                  iy[o] = ey[e];
                }
            continue;
          }
        /* Interpolate: along each row, the map is linear in x. */
        double dxw = xb > xa ? 1.0 / (xb - xa) : 0.0;
        double dyh = yb > ya ? 1.0 / (yb - ya) : 0.0;
        for (gint64 y = ry0; y <= ry1; y++)
          {
            double v = ((double)y - ya) * dyh;
            double lx = (1 - v) * c00x + v * c01x, rxv = (1 - v) * c10x + v * c11x;
            double ly = (1 - v) * c00y + v * c01y, ryv = (1 - v) * c10y + v * c11y;
            double *ox_row = ix + (gsize)(y - r->y0) * w;
            double *oy_row = iy + (gsize)(y - r->y0) * w;
            for (gint64 x = rx0; x <= rx1; x++)
              {
                double u = ((double)x - xa) * dxw;
                ox_row[x - r->x0] = (1 - u) * lx + u * rxv;
                oy_row[x - r->x0] = (1 - u) * ly + u * ryv;
              }
          }
      }
#undef NX
#undef NY
  g_free (ex);
  g_free (ey);
  g_free (eox);
  g_free (eoy);
  g_free (px);
  g_free (py);
  g_free (qx);
  g_free (qy);
}
