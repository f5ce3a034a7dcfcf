/* exact.c — flux-conserving overlap, the exact method.
 *
 * An output pixel is the quadrilateral, with great-circle edges, of the
 * sky positions of its four corners; so is an input pixel.  Its value is
 * Σ v·f / Σ f over the input pixels it overlaps, f being the solid angle
 * they share divided by its own; its footprint is Σ f.  NaN input pixels
 * are left out (TESS_NAN_SKIP: their area counts in neither sum) or make
 * the output NaN (TESS_NAN_PROPAGATE, the footprint then 0).  For a cube
 * the footprint is the largest of the planes'.
 *
 * For a non-celestial (linear) WCS the pixels are planar quadrilaterals,
 * clipped in the input pixel plane with uniform areas.
 *
 * The overlaps are found in a gnomonic plane, where great circles are
 * straight lines, by clipping one quadrilateral with the other:
 * - when the input's projection is TAN without distortion, its own pixel
 *   plane is such a plane (a linear map of it): the output pixel's corners
 *   are mapped there and clipped by the input pixels, which are unit
 *   squares — a few comparisons each;
 * - otherwise, for each output pixel, the plane tangent to the sky at its
 *   centre, into which its corners and those of the input pixels around it
 *   are projected.
 * The solid angle of each piece is then taken with planar geometry — its
 * area and moments, with the projection's area density (1 + ρ²)^(−3/2)
 * expanded about the output pixel's centre to the lowest order (0, 1 or 2)
 * whose remainder is bounded by PLANAR_TOLERANCE, relative
 * (tess__density_order) — which holds for pixels up to about a tenth of a
 * degree (up to 1.5′ 50° from the tangent point, where the density varies
 * faster); else with spherical geometry, the exact solid angle of each
 * piece.  Solid angles are additive: in a row of input pixels, the piece
 * of a column is what lies left of its right edge less what lies left of
 * its left edge, a clip a column edge.
 */
#include "config.h"

#include "methods/tess-methods.h"
#include "methods/tess-overlap.h"

#include <math.h>
#include <string.h>

/* floor (v) clamped to [lo, hi] (v may be huge, not NaN). */
static inline gint64
floor_in (double v, gint64 lo, gint64 hi)
{
  gint64 i;

  if (v <= (double)lo)
    return lo;
  if (v >= (double)hi)
    return hi;
  i = (gint64)v;
  return i - (v < (double)i);
}

/* Largest relative error allowed of the planar solid angles. */
#define PLANAR_TOLERANCE 1e-10
/* Output rows whose corners are mapped at a time. */
#define STRIP 32
/* Pieces smaller than this fraction of the output pixel are slivers of
 * pixels that only touch, made by rounding and by corner positions good
 * to HOMOGRAPHY_TOLERANCE: left out. */
#define SLIVER 1e-8

/* Per-plane sums of an output pixel. */
typedef struct
{
  gint64 nplanes;
  double *vs, *ss; /* Σ v·Ω, Σ Ω of the pieces, per plane */
} Sums;

static void
sums_reset (Sums *s)
{
  for (gint64 p = 0; p < s->nplanes; p++)
    s->vs[p] = s->ss[p] = 0.0;
}

/* Adds a piece of solid angle @omega of input pixel @idx. */
static inline void
sums_add (Sums *s, const TessImage *in, const TessOptions *o, gsize idx,
          double omega)
{
  gsize plane = (gsize)in->width * (gsize)in->height;

  for (gint64 p = 0; p < s->nplanes; p++)
    {
      double v = tess__load_sample (in->type, in->swapped, in->data,
                                    (gsize)p * plane + idx);
      if (isnan (v) && o->nan_mode == TESS_NAN_SKIP)
        continue;
      s->vs[p] += v * omega;
      s->ss[p] += omega;
    }
}

/* Writes an output pixel from its sums and its own solid angle @total. */
static void
sums_write (const Sums *s, double total, TessPixelType out_type, gpointer data,
            gsize plane_out, gsize o_idx, float *footprint)
{
  double fp = 0.0;

  for (gint64 p = 0; p < s->nplanes; p++)
    {
      double v = s->ss[p] > 0.0 ? s->vs[p] / s->ss[p] : NAN;
      if (out_type == TESS_TYPE_DOUBLE)
        ((double *)data)[(gsize)p * plane_out + o_idx] = v;
      else
        ((float *)data)[(gsize)p * plane_out + o_idx] = (float)v;
      /* No footprint where there is no value (a NaN spread). */
      if (!isnan (v))
        fp = MAX (fp, s->ss[p] / total);
    }
  if (footprint)
    footprint[o_idx] = (float)MIN (fp, 1.0);
}

static void
write_nan (gint64 nplanes, TessPixelType out_type, gpointer data,
           gsize plane_out, gsize o_idx, float *footprint)
{
  for (gint64 p = 0; p < nplanes; p++)
    {
      if (out_type == TESS_TYPE_DOUBLE)
        ((double *)data)[(gsize)p * plane_out + o_idx] = NAN;
      else
        ((float *)data)[(gsize)p * plane_out + o_idx] = NAN;
    }
  if (footprint)
    footprint[o_idx] = 0.0f;
}

/* The solid angle of @poly (signed as its area): planar geometry with the
 * density expanded to @order about the output pixel's centre, or (order
 * −1) spherical. */
static inline double
solid_angle (const TessDensity *d, const TessPoly *poly, int order)
{
  double m[6];

  if (order < 0)
    return tess__density_solid_angle_exact (d, poly);
  tess__poly_moments (poly, d->cx, d->cy, order, m);
  return tess__density_solid_angle (d, m, order);
}

/* Is the input's projection TAN without distortion?  Then its pixel plane
 * is gnomonic: ξ = K·(p − p0) in radians. */
static gboolean
input_is_gnomonic (const struct wcsprm *w, double k[4], double p0[2])
{
  const struct prjprm *prj = &w->cel.prj;
  double r0;

  if (strncmp (prj->code, "TAN", 3) != 0 || prj->x0 != 0.0 || prj->y0 != 0.0
      || w->lin.dispre != NULL || w->lin.disseq != NULL)
    return FALSE;
  r0 = prj->r0 > 0.0 ? prj->r0 : 180.0 / G_PI;
  /* Intermediate coordinates (degrees) = CDELT·PC · (p + 1 − crpix), the
   * longitude axis's first; the gnomonic plane's, in radians, divide by
   * r0. */
  for (int i = 0; i < 2; i++)
    {
      int row = i == 0 ? w->lng : w->lat;
      for (int j = 0; j < 2; j++)
        k[i * 2 + j] = w->cdelt[row] * w->pc[row * 2 + j] / r0;
    }
  p0[0] = w->crpix[0] - 1.0;
  p0[1] = w->crpix[1] - 1.0;
  return TRUE;
}

/* Between two gnomonic planes the map is projective (a homography): great
 * circles are straight lines in both.  So when input and target are both
 * TAN without distortion and their frames differ by a rotation, output
 * pixel → input pixel is (X, Y) = ((h0 x + h1 y + h2), (h3 x + h4 y + h5))
 * / (h6 x + h7 y + 1) — ten operations instead of a trip through wcslib.
 * The homography is fitted to exact transforms of nine points of the
 * region (coordinates centred and scaled) and kept only if it reproduces
 * sixteen others within HOMOGRAPHY_TOLERANCE pixels. */
#define HOMOGRAPHY_TOLERANCE 1e-9

typedef struct
{
  double h[8];
  double ox, oy, os; /* output pixel = (ox, oy) + os·(u, v) */
  double ix, iy, is; /* input pixel = (ix, iy) + is·(U, V) */
} Homography;

static inline void
homography_apply (const Homography *hm, double x, double y, double *X,
                  double *Y)
{
  const double *h = hm->h;
  double u = (x - hm->ox) / hm->os, v = (y - hm->oy) / hm->os;
  double w = h[6] * u + h[7] * v + 1.0;

  *X = hm->ix + hm->is * (h[0] * u + h[1] * v + h[2]) / w;
  *Y = hm->iy + hm->is * (h[3] * u + h[4] * v + h[5]) / w;
}

/* Solves the n × n system a·x = b (a row major, destroyed) by Gaussian
 * elimination with partial pivoting; FALSE when singular. */
static gboolean
solve (int n, double *a, double *b)
{
  for (int c = 0; c < n; c++)
    {
      int piv = c;
      for (int r = c + 1; r < n; r++)
        if (fabs (a[r * n + c]) > fabs (a[piv * n + c]))
          piv = r;
      if (!(fabs (a[piv * n + c]) > 1e-300))
        return FALSE;
      if (piv != c)
        {
          for (int k = 0; k < n; k++)
            {
              double t = a[c * n + k];
              a[c * n + k] = a[piv * n + k];
              a[piv * n + k] = t;
            }
          double t = b[c];
          b[c] = b[piv];
          b[piv] = t;
        }
      for (int r = c + 1; r < n; r++)
        {
          double f = a[r * n + c] / a[c * n + c];
          for (int k = c; k < n; k++)
            a[r * n + k] -= f * a[c * n + k];
          b[r] -= f * b[c];
        }
    }
  for (int c = n - 1; c >= 0; c--)
    {
      for (int k = c + 1; k < n; k++)
        b[c] -= a[c * n + k] * b[k];
      b[c] /= a[c * n + c];
    }
  return TRUE;
}

static gboolean
fit_homography (TessTransform *t, const TessRect *rect, Homography *hm)
{
  double x[25], y[25], X[25], Y[25], ata[64] = { 0 }, atb[8] = { 0 };
  double w = (double)rect->width, h = (double)rect->height;
  double span = 0.0;
  int n = 0;

  /* Nine points to fit (a 3 × 3 grid over the corners), sixteen to check
   * (a 4 × 4 grid between them). */
  for (int j = 0; j < 3; j++)
    for (int i = 0; i < 3; i++, n++)
      {
        x[n] = (double)rect->x0 - 0.5 + w * i / 2.0;
        y[n] = (double)rect->y0 - 0.5 + h * j / 2.0;
      }
  for (int j = 0; j < 4; j++)
    for (int i = 0; i < 4; i++, n++)
      {
        x[n] = (double)rect->x0 - 0.5 + w * (2 * i + 1) / 8.0;
        y[n] = (double)rect->y0 - 0.5 + h * (2 * j + 1) / 8.0;
      }
  tess__transform_exact (t, 25, x, y, X, Y);
  for (int k = 0; k < 25; k++)
    if (!isfinite (X[k]) || !isfinite (Y[k]))
      return FALSE;
  hm->ox = x[4];
  hm->oy = y[4];
  hm->os = MAX (w, h);
  hm->ix = X[4];
  hm->iy = Y[4];
  for (int k = 0; k < 9; k++)
    span = MAX (span, hypot (X[k] - X[4], Y[k] - Y[4]));
  hm->is = span > 0.0 ? span : 1.0;
  /* Least squares for h with h8 = 1: each point gives
   *   [u v 1 0 0 0 −uU −vU]·h = U,  [0 0 0 u v 1 −uV −vV]·h = V. */
  for (int k = 0; k < 9; k++)
    {
      double u = (x[k] - hm->ox) / hm->os, v = (y[k] - hm->oy) / hm->os;
      double U = (X[k] - hm->ix) / hm->is, V = (Y[k] - hm->iy) / hm->is;
      double r1[8] = { u, v, 1.0, 0.0, 0.0, 0.0, -u * U, -v * U };
      double r2[8] = { 0.0, 0.0, 0.0, u, v, 1.0, -u * V, -v * V };
      for (int a = 0; a < 8; a++)
        {
          for (int b = 0; b < 8; b++)
            ata[a * 8 + b] += r1[a] * r1[b] + r2[a] * r2[b];
          atb[a] += r1[a] * U + r2[a] * V;
        }
    }
  if (!solve (8, ata, atb))
    return FALSE;
  memcpy (hm->h, atb, sizeof atb);
  for (int k = 0; k < 25; k++)
    {
      double px, py;
      homography_apply (hm, x[k], y[k], &px, &py);
      if (!(fabs (px - X[k]) <= HOMOGRAPHY_TOLERANCE
            && fabs (py - Y[k]) <= HOMOGRAPHY_TOLERANCE))
        return FALSE;
    }
  return TRUE;
}

/* How output corners are mapped to input pixels: by a homography, by the
 * rotation between the native frames followed by the gnomonic projection
 * (any target: the output's own deprojection, a rotation, a division), or
 * by wcslib all the way. */
typedef enum
{
  MAP_EXACT,
  MAP_HOMOGRAPHY,
  MAP_ROTATION,
} MapKind;

typedef struct
{
  MapKind kind;
  Homography hm;
  double m[9];           /* output native → input native */
  double kinv[4], p0[2]; /* gnomonic plane → input pixels */
  double *vx, *vy, *vz;  /* scratch */
  gsize len;
} CornerMap;

static void
map_corners (CornerMap *cm, TessTransform *t, gsize n, const double *ox,
             const double *oy, double *cx, double *cy)
{
  switch (cm->kind)
    {
    case MAP_HOMOGRAPHY:
      for (gsize e = 0; e < n; e++)
        homography_apply (&cm->hm, ox[e], oy[e], &cx[e], &cy[e]);
      return;
    case MAP_ROTATION:
      if (n > cm->len)
        {
          g_free (cm->vx);
          cm->len = n;
          cm->vx = g_new (double, 3 * n);
          cm->vy = cm->vx + n;
          cm->vz = cm->vx + 2 * n;
        }
      tess__transform_output_native (t, n, ox, oy, cm->vx, cm->vy, cm->vz);
      for (gsize e = 0; e < n; e++)
        {
          const double *m = cm->m;
          double a = m[0] * cm->vx[e] + m[1] * cm->vy[e] + m[2] * cm->vz[e];
          double b = m[3] * cm->vx[e] + m[4] * cm->vy[e] + m[5] * cm->vz[e];
          double c = m[6] * cm->vx[e] + m[7] * cm->vy[e] + m[8] * cm->vz[e];
          double xi, eta;
          if (!(c > 0.0))
            {
              cx[e] = cy[e] = NAN;
              continue;
            }
          /* Native (−η, ξ, 1) of TAN. */
          xi = b / c;
          eta = -a / c;
          cx[e] = cm->p0[0] + cm->kinv[0] * xi + cm->kinv[1] * eta;
          cy[e] = cm->p0[1] + cm->kinv[2] * xi + cm->kinv[3] * eta;
        }
      return;
    default:
      tess__transform_exact (t, n, ox, oy, cx, cy);
    }
}

/* Picks the fastest map of @rect — the whole output, so that every block
 * gets the same map and the result does not depend on the blocks — that
 * reproduces exact transforms at 25 points within HOMOGRAPHY_TOLERANCE
 * pixels. */
static void
corner_map_init (CornerMap *cm, TessTransform *t, const TessRect *rect,
                 const double k[4], const double p0[2],
                 gboolean target_gnomonic)
{
  double x[25], y[25], X[25], Y[25], U[25], V[25];
  double det = k[0] * k[3] - k[1] * k[2];
  int n = 0;

  memset (cm, 0, sizeof *cm);
  cm->kind = MAP_EXACT;
  if (target_gnomonic && fit_homography (t, rect, &cm->hm))
    {
      cm->kind = MAP_HOMOGRAPHY;
      return;
    }
  if (!tess__transform_native_rotation (t, cm->m) || det == 0.0)
    return;
  cm->kinv[0] = k[3] / det;
  cm->kinv[1] = -k[1] / det;
  cm->kinv[2] = -k[2] / det;
  cm->kinv[3] = k[0] / det;
  cm->p0[0] = p0[0];
  cm->p0[1] = p0[1];
  for (int j = 0; j < 5; j++)
    for (int i = 0; i < 5; i++, n++)
      {
        x[n] = (double)rect->x0 - 0.5 + (double)rect->width * i / 4.0;
        y[n] = (double)rect->y0 - 0.5 + (double)rect->height * j / 4.0;
      }
  tess__transform_exact (t, 25, x, y, X, Y);
  cm->kind = MAP_ROTATION;
  map_corners (cm, t, 25, x, y, U, V);
  for (int e = 0; e < 25; e++)
    if (!(fabs (U[e] - X[e]) <= HOMOGRAPHY_TOLERANCE
          && fabs (V[e] - Y[e]) <= HOMOGRAPHY_TOLERANCE)
        && !(isnan (X[e]) && isnan (U[e])))
      {
        cm->kind = MAP_EXACT;
        return;
      }
}

/* The input pixel plane is gnomonic: output quadrilaterals there, clipped
 * by the unit squares of the input pixels. */
static void
compute_in_input_plane (TessTransform *t, const TessOptions *o, TessImage *in,
                        const double k[4], const double p0[2],
                        gboolean target_gnomonic, const TessRect *whole,
                        TessPixelType out_type, const TessRect *rect,
                        gpointer data, float *footprint)
{
  gsize rw = (gsize)rect->width, plane_out = rw * (gsize)rect->height;
  gsize nc = (rw + 1) * (STRIP + 1);
  double *ox = g_new (double, 4 * nc), *oy = ox + nc, *cx = ox + 2 * nc,
         *cy = ox + 3 * nc;
  Sums sums = { in->nplanes, g_new (double, 2 * in->nplanes), NULL };
  TessDensity dens;
  gint64 W = in->width, H = in->height;

  CornerMap cm;

  corner_map_init (&cm, t, whole, k, p0, target_gnomonic);

  sums.ss = sums.vs + in->nplanes;
  if (in->wcs->linear)
    tess__density_init_uniform (&dens);
  else
    tess__density_init (&dens, k, p0);
  for (gint64 s0 = 0; s0 < rect->height; s0 += STRIP)
    {
      gint64 sh = MIN (STRIP, rect->height - s0);
      gsize n = (rw + 1) * (gsize)(sh + 1);

      /* The corners of rows s0 … s0 + sh − 1, in input pixels. */
      for (gint64 j = 0; j <= sh; j++)
        for (gsize i = 0; i <= rw; i++)
          {
            gsize e = (gsize)j * (rw + 1) + i;
            ox[e] = (double)rect->x0 + (double)i - 0.5;
            oy[e] = (double)(rect->y0 + s0 + j) - 0.5;
          }
      map_corners (&cm, t, n, ox, oy, cx, cy);

      for (gint64 j = 0; j < sh; j++)
        for (gsize i = 0; i < rw; i++)
          {
            gsize c0 = (gsize)j * (rw + 1) + i, c3 = c0 + rw + 1;
            gsize o_idx = (gsize)(s0 + j) * rw + i;
            TessPoly q, row, piece;
            double xmin, xmax, ymin, ymax, total, radius = 0.0, qc[2];
            int order;
            gint64 i0, i1, j0, j1;

            q.n = 4;
            q.x[0] = cx[c0], q.y[0] = cy[c0];
            q.x[1] = cx[c0 + 1], q.y[1] = cy[c0 + 1];
            q.x[2] = cx[c3 + 1], q.y[2] = cy[c3 + 1];
            q.x[3] = cx[c3], q.y[3] = cy[c3];
            xmin = ymin = G_MAXDOUBLE;
            xmax = ymax = -G_MAXDOUBLE;
            for (int v = 0; v < 4; v++)
              {
                xmin = MIN (xmin, q.x[v]);
                xmax = MAX (xmax, q.x[v]);
                ymin = MIN (ymin, q.y[v]);
                ymax = MAX (ymax, q.y[v]);
              }
            /* NaN corners fail every comparison: no pixel. */
            if (!(xmin <= xmax && ymin <= ymax) || xmax < -0.5
                || xmin > (double)W - 0.5 || ymax < -0.5
                || ymin > (double)H - 0.5)
              {
                write_nan (in->nplanes, out_type, data, plane_out, o_idx,
                           footprint);
                continue;
              }
            qc[0] = 0.25 * (q.x[0] + q.x[1] + q.x[2] + q.x[3]);
            qc[1] = 0.25 * (q.y[0] + q.y[1] + q.y[2] + q.y[3]);
            for (int v = 0; v < 4; v++)
              {
                double dx = q.x[v] - qc[0], dy = q.y[v] - qc[1];
                radius = MAX (radius, dx * dx + dy * dy);
              }
            radius = sqrt (radius);
            tess__density_at (&dens, qc[0], qc[1]);
            order = tess__density_order (&dens, radius, PLANAR_TOLERANCE);
            total = solid_angle (&dens, &q, order);
            if (!(fabs (total) > 0.0))
              {
                write_nan (in->nplanes, out_type, data, plane_out, o_idx,
                           footprint);
                continue;
              }

            i0 = floor_in (xmin + 0.5, 0, W - 1);
            i1 = floor_in (xmax + 0.5, 0, W - 1);
            j0 = floor_in (ymin + 0.5, 0, H - 1);
            j1 = floor_in (ymax + 0.5, 0, H - 1);
            sums_reset (&sums);
            for (gint64 yy = j0; yy <= j1; yy++)
              {
                TessPoly a;
                double rx0 = G_MAXDOUBLE, rx1 = -G_MAXDOUBLE, prev = 0.0,
                       all = NAN;
                gint64 xa;
                tess__poly_clip_y (&q, (double)yy - 0.5, TRUE, &a);
                tess__poly_clip_y (&a, (double)yy + 0.5, FALSE, &row);
                if (row.n < 3)
                  continue;
                for (int v = 0; v < row.n; v++)
                  {
                    rx0 = MIN (rx0, row.x[v]);
                    rx1 = MAX (rx1, row.x[v]);
                  }
                /* The piece in column xx is the part of the row left of
                 * xx + ½ less the part left of xx − ½: one clip a column
                 * edge, solid angles being additive. */
                xa = floor_in (rx0 + 0.5, i0, i1);
                if (rx0 < (double)xa - 0.5)
                  {
                    /* The row starts left of the input. */
                    tess__poly_clip_x (&row, (double)xa - 0.5, FALSE, &piece);
                    prev = piece.n < 3 ? 0.0
                                       : solid_angle (&dens, &piece, order);
                  }
                for (gint64 xx = xa, xb = floor_in (rx1 + 0.5, i0, i1);
                     xx <= xb; xx++)
                  {
                    double edge = (double)xx + 0.5, left, omega;
                    if (edge >= rx1)
                      {
                        if (isnan (all))
                          all = solid_angle (&dens, &row, order);
                        left = all;
                      }
                    else
                      {
                        tess__poly_clip_x (&row, edge, FALSE, &piece);
                        left = piece.n < 3
                                   ? 0.0
                                   : solid_angle (&dens, &piece, order);
                      }
                    omega = (left - prev) / total;
                    prev = left;
                    if (omega <= SLIVER)
                      continue;
                    sums_add (&sums, in, o, (gsize)yy * (gsize)W + (gsize)xx,
                              omega);
                  }
              }
            /* The sums are fractions of the output pixel. */
            sums_write (&sums, 1.0, out_type, data, plane_out, o_idx,
                        footprint);
          }
    }
  g_free (ox);
  g_free (sums.vs);
  g_free (cm.vx);
}

/* Unit vector of (lon, lat) in degrees. */
static inline void
unit_vector (double lon, double lat, double v[3])
{
  double l = lon * (G_PI / 180.0), b = lat * (G_PI / 180.0);
  double cb = cos (b);

  v[0] = cb * cos (l);
  v[1] = cb * sin (l);
  v[2] = sin (b);
}

/* Any input: each output pixel in the plane tangent at its centre. */
static void
compute_in_local_planes (TessTransform *t, const TessOptions *o, TessImage *in,
                         TessPixelType out_type, const TessRect *rect,
                         gpointer data, float *footprint)
{
  enum
  {
    TILE = 32
  };
  gsize rw = (gsize)rect->width, plane_out = rw * (gsize)rect->height;
  gsize nc = (TILE + 1) * (TILE + 1);
  double *buf = g_new (double, 7 * nc);
  double *ox = buf, *oy = buf + nc, *cx = buf + 2 * nc, *cy = buf + 3 * nc;
  double *lon = buf + 4 * nc, *lat = buf + 5 * nc;
  double (*ov)[3] = g_malloc (sizeof (double[3]) * nc);
  double (*iv)[3] = NULL;
  double *ix = NULL, *iy = NULL, *ilon = NULL, *ilat = NULL;
  gsize iv_len = 0;
  Sums sums = { in->nplanes, g_new (double, 2 * in->nplanes), NULL };
  gint64 W = in->width, H = in->height;
  static const double identity[4] = { 1.0, 0.0, 0.0, 1.0 };
  static const double origin[2] = { 0.0, 0.0 };
  TessDensity dens;

  sums.ss = sums.vs + in->nplanes;
  tess__density_init (&dens, identity, origin);
  for (gint64 ty = 0; ty < rect->height; ty += TILE)
    for (gint64 tx = 0; tx < (gint64)rw; tx += TILE)
      {
        gint64 tw = MIN (TILE, (gint64)rw - tx);
        gint64 th = MIN (TILE, rect->height - ty);
        gsize n = (gsize)((tw + 1) * (th + 1)), cw = (gsize)tw + 1;
        double bx0 = G_MAXDOUBLE, bx1 = -G_MAXDOUBLE, by0 = G_MAXDOUBLE,
               by1 = -G_MAXDOUBLE;
        gint64 ia, ib, ja, jb;
        gsize iw = 0;

        for (gint64 j = 0; j <= th; j++)
          for (gint64 i = 0; i <= tw; i++)
            {
              gsize e = (gsize)(j * (tw + 1) + i);
              ox[e] = (double)(rect->x0 + tx + i) - 0.5;
              oy[e] = (double)(rect->y0 + ty + j) - 0.5;
            }
        tess__transform_exact (t, n, ox, oy, cx, cy);
        tess__transform_sky (t, FALSE, n, ox, oy, lon, lat);
        for (gsize e = 0; e < n; e++)
          {
            unit_vector (lon[e], lat[e], ov[e]);
            if (isfinite (cx[e]) && isfinite (cy[e]))
              {
                bx0 = MIN (bx0, cx[e]);
                bx1 = MAX (bx1, cx[e]);
                by0 = MIN (by0, cy[e]);
                by1 = MAX (by1, cy[e]);
              }
          }
        /* The input pixels the tile may touch (a pixel more all round, for
         * edges that curve in the input's pixel plane), and their corners
         * as unit vectors. */
        ia = bx1 >= bx0 ? floor_in (bx0 - 0.5, 0, W) : 1;
        ib = bx1 >= bx0 ? floor_in (bx1 + 1.5, -1, W - 1) : 0;
        ja = by1 >= by0 ? floor_in (by0 - 0.5, 0, H) : 1;
        jb = by1 >= by0 ? floor_in (by1 + 1.5, -1, H - 1) : 0;
        if (ia <= ib && ja <= jb)
          {
            gsize m = (gsize)((ib - ia + 2) * (jb - ja + 2));
            iw = (gsize)(ib - ia + 2);
            if (m > iv_len)
              {
                g_free (iv);
                g_free (ix);
                iv_len = m;
                iv = g_malloc (sizeof (double[3]) * m);
                ix = g_new (double, 4 * m);
                iy = ix + m;
                ilon = ix + 2 * m;
                ilat = ix + 3 * m;
              }
            for (gint64 j = ja; j <= jb + 1; j++)
              for (gint64 i = ia; i <= ib + 1; i++)
                {
                  gsize e = (gsize)(j - ja) * iw + (gsize)(i - ia);
                  ix[e] = (double)i - 0.5;
                  iy[e] = (double)j - 0.5;
                }
            tess__transform_sky (t, TRUE, m, ix, iy, ilon, ilat);
            for (gsize e = 0; e < m; e++)
              unit_vector (ilon[e], ilat[e], iv[e]);
          }

        for (gint64 j = 0; j < th; j++)
          for (gint64 i = 0; i < tw; i++)
            {
              gsize c[4]
                  = { (gsize)j * cw + (gsize)i, (gsize)j * cw + (gsize)i + 1,
                      (gsize)(j + 1) * cw + (gsize)i + 1,
                      (gsize)(j + 1) * cw + (gsize)i };
              gsize o_idx = (gsize)(ty + j) * rw + (gsize)(tx + i);
              double u[3] = { 0 }, e1[3], e2[3], norm, radius = 0.0, total;
              double xmin = G_MAXDOUBLE, xmax = -G_MAXDOUBLE,
                     ymin = G_MAXDOUBLE, ymax = -G_MAXDOUBLE;
              gboolean ok = TRUE;
              int order;
              TessPoly q;
              gint64 i0, i1, j0, j1;

              for (int v = 0; v < 4; v++)
                {
                  ok &= isfinite (ov[c[v]][0]) && isfinite (cx[c[v]])
                        && isfinite (cy[c[v]]);
                  for (int a = 0; a < 3; a++)
                    u[a] += ov[c[v]][a];
                  xmin = MIN (xmin, cx[c[v]]);
                  xmax = MAX (xmax, cx[c[v]]);
                  ymin = MIN (ymin, cy[c[v]]);
                  ymax = MAX (ymax, cy[c[v]]);
                }
              norm = sqrt (u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
              if (!ok || !(norm > 0.0) || iw == 0 || xmax < -0.5
                  || xmin > (double)W - 0.5 || ymax < -0.5
                  || ymin > (double)H - 0.5)
                {
                  write_nan (in->nplanes, out_type, data, plane_out, o_idx,
                             footprint);
                  continue;
                }
              for (int a = 0; a < 3; a++)
                u[a] /= norm;
              /* A basis of the tangent plane: e1 towards increasing
               * longitude, e2 = u × e1. */
              norm = sqrt (u[0] * u[0] + u[1] * u[1]);
              if (norm > 1e-12)
                {
                  e1[0] = -u[1] / norm, e1[1] = u[0] / norm, e1[2] = 0.0;
                }
              else
                {
                  e1[0] = 1.0, e1[1] = 0.0, e1[2] = 0.0;
                }
              e2[0] = u[1] * e1[2] - u[2] * e1[1];
              e2[1] = u[2] * e1[0] - u[0] * e1[2];
              e2[2] = u[0] * e1[1] - u[1] * e1[0];
#define PROJECT(vec, px, py, good)                                            \
  do                                                                          \
    {                                                                         \
      double dz = (vec)[0] * u[0] + (vec)[1] * u[1] + (vec)[2] * u[2];        \
      (good) = dz > 1e-6;                                                     \
      (px) = ((vec)[0] * e1[0] + (vec)[1] * e1[1] + (vec)[2] * e1[2]) / dz;   \
      (py) = ((vec)[0] * e2[0] + (vec)[1] * e2[1] + (vec)[2] * e2[2]) / dz;   \
    }                                                                         \
  while (0)
              q.n = 4;
              for (int v = 0; v < 4; v++)
                {
                  gboolean good;
                  PROJECT (ov[c[v]], q.x[v], q.y[v], good);
                  ok &= good;
                  radius = MAX (radius, hypot (q.x[v], q.y[v]));
                }
              order = tess__density_order (&dens, radius, PLANAR_TOLERANCE);
              total = ok ? solid_angle (&dens, &q, order) : 0.0;
              if (!(fabs (total) > 0.0))
                {
                  write_nan (in->nplanes, out_type, data, plane_out, o_idx,
                             footprint);
                  continue;
                }
              i0 = floor_in (xmin - 0.5, ia, ib);
              i1 = floor_in (xmax + 1.5, ia, ib);
              j0 = floor_in (ymin - 0.5, ja, jb);
              j1 = floor_in (ymax + 1.5, ja, jb);
              sums_reset (&sums);
              for (gint64 yy = j0; yy <= j1; yy++)
                for (gint64 xx = i0; xx <= i1; xx++)
                  {
                    gsize b = (gsize)(yy - ja) * iw + (gsize)(xx - ia);
                    gsize d[4] = { b, b + 1, b + iw + 1, b + iw };
                    TessPoly p, piece;
                    gboolean good = TRUE;
                    double omega;

                    p.n = 4;
                    for (int v = 0; v < 4; v++)
                      {
                        gboolean g;
                        if (!isfinite (iv[d[v]][0]))
                          good = FALSE;
                        PROJECT (iv[d[v]], p.x[v], p.y[v], g);
                        good &= g;
                      }
                    if (!good)
                      continue;
                    tess__poly_clip_convex (&q, &p, &piece);
                    if (piece.n < 3)
                      continue;
                    omega = solid_angle (&dens, &piece, order) / total;
                    if (omega <= SLIVER)
                      continue;
                    sums_add (&sums, in, o, (gsize)yy * (gsize)W + (gsize)xx,
                              omega);
                  }
#undef PROJECT
              sums_write (&sums, 1.0, out_type, data, plane_out, o_idx,
                          footprint);
            }
      }
  g_free (buf);
  g_free (ov);
  g_free (iv);
  g_free (ix);
  g_free (sums.vs);
}

/* Computes @rect of the output (all planes, @out_type, into @data) and,
 * if @footprint is not NULL, its summed overlap fractions. */
static gboolean
exact_compute (TessTransform *t, const TessWcs *target, const TessOptions *o,
               TessImage *in, TessPixelType out_type, const TessRect *rect,
               gpointer data, float *footprint, GError **error)
{
  double k[4], p0[2];

  if (in->wcs->linear)
    {
      /* A plane: input pixels are unit squares of it, output pixels the
       * quadrilaterals of their corners (mapped by an affine map, or
       * exactly where the WCS is not linear), areas uniform. */
      static const double zero[4] = { 0.0, 0.0, 0.0, 0.0 };
      TessRect whole = { 0, 0, target->width, target->height };
      g_autoptr (TessTransform) direct
          = tess__transform_new (target, in->wcs, FALSE, error);
      if (direct == NULL)
        return FALSE;
      compute_in_input_plane (direct, o, in, zero, zero, TRUE, &whole,
                              out_type, rect, data, footprint);
      return TRUE;
    }
  if (input_is_gnomonic (in->wcs->cel, k, p0))
    {
      /* No round trip: the gnomonic projection is one-to-one on the
       * hemisphere where it is defined, and NaN beyond. */
      g_autoptr (TessTransform) direct
          = tess__transform_new (target, in->wcs, FALSE, error);
      if (direct == NULL)
        return FALSE;
      double tk[4], tp0[2];
      TessRect whole = { 0, 0, target->width, target->height };
      compute_in_input_plane (direct, o, in, k, p0,
                              input_is_gnomonic (target->cel, tk, tp0), &whole,
                              out_type, rect, data, footprint);
    }
  else
    compute_in_local_planes (t, o, in, out_type, rect, data, footprint);
  return TRUE;
}

gboolean
tess__exact_compute (const TessMethodBlock *b, GError **error)
{
  return exact_compute (b->transform, b->target, b->options, b->input,
                        b->out_type, b->rect, b->data, b->footprint, error);
}
