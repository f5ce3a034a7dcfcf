/* adaptive.c — anti-aliased resampling (DeForest 2004, "On Re-sampling of
 * Solar Images"), the adaptive method.
 *
 * Each output pixel is a weighted mean of the input pixels around the
 * point it maps to, c.  The weights come from a kernel of
 * t = J'⁻¹·(p − c), where J is the Jacobian of the output → input pixel
 * map at that pixel and J' is J with its singular values raised to at
 * least 1: where the map magnifies (s < 1) the kernel stays one input pixel
 * wide and the method interpolates; where it shrinks (s > 1) the kernel
 * spans the input pixels that fall in the output pixel and the method
 * averages them, without aliasing.
 *
 * J comes from central differences of the map at the neighbouring output
 * pixels, or (center_jacobian) from the map half a pixel either side.
 * With J = U·diag(s)·Vᵀ (from the eigenvectors U of J·Jᵀ),
 * J'⁻¹ = V·diag(1/s')·Uᵀ and |t|² = dᵀ·U·diag(1/s'²)·Uᵀ·d.
 *
 * Kernels: Gaussian exp(−2|t|²/w²) sampled at the input pixel centres of
 * the square of half-width sample_region_width/2 · max(s') around c; Hann
 * (cos πt₁ + 1)(cos πt₂ + 1) for |t₁|, |t₂| < 1, over the bounding box of
 * the image of the unit square by J'.  Along a row of the box, Gaussian
 * weights follow from one another by a ratio that changes by a constant
 * factor, so a row costs three exponentials whatever its length; each row
 * starts at its peak so that no weight underflows before its neighbours.
 *
 * These are the conventions of astropy's reproject_adaptive (its boundary
 * modes included), so that results agree with it.
 */
#include "config.h"

#include "methods/tess-methods.h"

#include <math.h>
#include <string.h>

/* Output pixels computed at a time: their map and Jacobians stay in cache. */
#define TILE 64

/* One output pixel's kernel. */
typedef struct
{
  double cx, cy;         /* the centre, in input pixels */
  gint64 x0, x1, y0, y1; /* the box of input pixels sampled */
  double qa, qb, qc; /* Gaussian: −k·|t|² = qa·dx² + 2·qb·dx·dy + qc·dy² */
  double ji[4]; /* Hann: J'⁻¹, row major */
  double det;   /* |det J| */
} Kernel;

/* floor() and ceil() to integers, for values well inside ±2⁶². */
static inline gint64
ifloor (double v)
{
  gint64 i = (gint64)v;
  return i - (v < (double)i);
}

static inline gint64
iceil (double v)
{
  gint64 i = (gint64)v;
  return i + (v > (double)i);
}

/* 2^(i/32), i = 0 … 31, for fast_exp(). */
static double exp2_table[32];

static void
exp2_table_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      for (int i = 0; i < 32; i++)
        exp2_table[i] = exp2 (i / 32.0);
      g_once_init_leave (&done, 1);
    }
}

/* exp(x) for |x| ≤ 700, to about 1e-15 relative: x = (n/32)·ln 2 + f with
 * |f| ≤ ln 2 / 64, e^f by its Taylor series to degree 5 (the error term
 * is below 3e-15), times 2^(n mod 32 / 32) from the table, times 2^(n/32)
 * through the exponent bits.  Inline, without the call and the special
 * cases of libm's exp(). */
static inline double
fast_exp (double x)
{
  const double shift = 6755399441055744.0; /* 1.5 × 2⁵²: rounds to integer */
  const double ln2_32_hi = 6.93147180369123816490e-01 / 32.0;
  const double ln2_32_lo = 1.90821492927058770002e-10 / 32.0;
  double n = (x * (32.0 * 1.4426950408889634) + shift) - shift;
  double f = (x - n * ln2_32_hi) - n * ln2_32_lo;
  gint64 ni = (gint64)n;
  gint64 bits = ((ni >> 5) + 1023) << 52;
  double scale, p;

  p = f * (1.0 / 120.0) + 1.0 / 24.0;
  p = p * f + 1.0 / 6.0;
  p = p * f + 0.5;
  p = p * f + 1.0;
  p = p * f + 1.0;
  memcpy (&scale, &bits, 8);
  return p * scale * exp2_table[ni & 31];
}

/* Beyond this many pixels from the origin a kernel is taken as undefined
 * (NaN): a map that throws a pixel so far has no meaning, and sampling
 * such a box would never end. */
#define FAR 1e12

/* The box of input pixels within @hx, @hy of the centre; FALSE (no
 * kernel) when it reaches beyond FAR. */
static gboolean
set_box (Kernel *k, double hx, double hy)
{
  if (!(fabs (k->cx) + hx < FAR && fabs (k->cy) + hy < FAR))
    return FALSE;
  k->x0 = iceil (k->cx - hx);
  k->x1 = ifloor (k->cx + hx);
  k->y0 = iceil (k->cy - hy);
  k->y1 = ifloor (k->cy + hy);
  return TRUE;
}

/* Sets up @k from the Jacobian @J (row major: ∂ix/∂ox, ∂ix/∂oy, ∂iy/∂ox,
 * ∂iy/∂oy).  FALSE when it is not finite. */
static gboolean
kernel_setup (const TessOptions *o, const double J[4], Kernel *k)
{
  double a = J[0], b = J[1], c = J[2], d = J[3];
  double p = a * a + b * b, q = a * c + b * d, r = c * c + d * d;
  double half = 0.5 * (p + r), disc, l1, l2, s[2], sp[2], u[2][2];

  if (!(isfinite (a) && isfinite (b) && isfinite (c) && isfinite (d)))
    return FALSE;
  /* Eigen-decomposition of J·Jᵀ = [[p, q], [q, r]]. */
  disc = sqrt (0.25 * (p - r) * (p - r) + q * q);
  l1 = half + disc;
  l2 = MAX (half - disc, 0.0);
  k->det = fabs (a * d - b * c);
  if (o->kernel == TESS_KERNEL_GAUSSIAN && (l2 >= 1.0 || l1 <= 1.0))
    {
      /* Both singular values on the same side of 1: no need of the
       * eigenvectors.  Q = U·diag(1/s'²)·Uᵀ is (J·Jᵀ)⁻¹ when both are
       * at least 1, the identity when neither is above 1. */
      double kk = -2.0 / (o->kernel_width * o->kernel_width), hw;
      if (l2 >= 1.0)
        {
          double f = kk / (p * r - q * q);
          k->qa = f * r;
          k->qb = -f * q;
          k->qc = f * p;
          hw = 0.5 * o->sample_region_width * sqrt (l1);
        }
      else
        {
          k->qa = k->qc = kk;
          k->qb = 0.0;
          hw = 0.5 * o->sample_region_width;
        }
      return set_box (k, hw, hw);
    }
  s[0] = sqrt (l1);
  s[1] = sqrt (l2);
  if (disc <= 1e-15 * half || l1 == 0.0)
    {
      u[0][0] = 1.0;
      u[0][1] = 0.0;
    }
  else
    {
      /* (q, l1 − p) and (l1 − r, q) are both eigenvectors of l1: take the
       * better conditioned. */
      double e1x = q, e1y = l1 - p, e2x = l1 - r, e2y = q;
      double n1 = sqrt (e1x * e1x + e1y * e1y);
      double n2 = sqrt (e2x * e2x + e2y * e2y);
      if (n1 >= n2)
        u[0][0] = e1x / n1, u[0][1] = e1y / n1;
      else
        u[0][0] = e2x / n2, u[0][1] = e2y / n2;
    }
  u[1][0] = -u[0][1];
  u[1][1] = u[0][0];
  sp[0] = MAX (s[0], 1.0);
  sp[1] = MAX (s[1], 1.0);

  if (o->kernel == TESS_KERNEL_GAUSSIAN)
    {
      double kk = -2.0 / (o->kernel_width * o->kernel_width);
      double w0 = kk / (sp[0] * sp[0]), w1 = kk / (sp[1] * sp[1]);
      double hw = 0.5 * o->sample_region_width * sp[0];
      k->qa = w0 * u[0][0] * u[0][0] + w1 * u[1][0] * u[1][0];
      k->qb = w0 * u[0][0] * u[0][1] + w1 * u[1][0] * u[1][1];
      k->qc = w0 * u[0][1] * u[0][1] + w1 * u[1][1] * u[1][1];
      return set_box (k, hw, hw);
    }
  else
    {
      /* V's columns: v = Jᵀu / s; where s vanishes, any unit vector
       * orthogonal to the other (the Hann kernel is even in each t). */
      double v[2][2], jp[4], hx, hy;
      if (s[0] > 0.0)
        {
          v[0][0] = (a * u[0][0] + c * u[0][1]) / s[0];
          v[0][1] = (b * u[0][0] + d * u[0][1]) / s[0];
        }
      else
        v[0][0] = 1.0, v[0][1] = 0.0;
      if (s[1] > 1e-12 * s[0])
        {
          v[1][0] = (a * u[1][0] + c * u[1][1]) / s[1];
          v[1][1] = (b * u[1][0] + d * u[1][1]) / s[1];
        }
      else
        v[1][0] = -v[0][1], v[1][1] = v[0][0];
      for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
          {
            k->ji[i * 2 + j]
                = v[0][i] * u[0][j] / sp[0] + v[1][i] * u[1][j] / sp[1];
            jp[i * 2 + j]
                = sp[0] * u[0][i] * v[0][j] + sp[1] * u[1][i] * v[1][j];
          }
      hx = fabs (jp[0]) + fabs (jp[1]);
      hy = fabs (jp[2]) + fabs (jp[3]);
      return set_box (k, hx, hy);
    }
}

static inline double
hann_weight (const Kernel *k, double dx, double dy)
{
  double t1 = k->ji[0] * dx + k->ji[1] * dy;
  double t2 = k->ji[2] * dx + k->ji[3] * dy;

  if (!(fabs (t1) < 1.0 && fabs (t2) < 1.0))
    return 0.0;
  return (cos (G_PI * t1) + 1.0) * (cos (G_PI * t2) + 1.0);
}

/* Gaussian weights of row @yy of the box, for columns x0 … x1, into @w,
 * from the row's peak outwards (no weight underflows before the ones
 * nearer the peak).  Three exponentials. */
static void
gaussian_row_from_peak (const Kernel *k, gint64 yy, double *w)
{
  double dy = (double)yy - k->cy;
  gint64 n = k->x1 - k->x0 + 1, xp;
  double dxp, g, r, rr = exp (2.0 * k->qa);

  xp = (gint64)floor (k->cx - k->qb * dy / k->qa + 0.5);
  xp = CLAMP (xp, k->x0, k->x1);
  dxp = (double)xp - k->cx;
  g = exp (k->qa * dxp * dxp + 2.0 * k->qb * dxp * dy + k->qc * dy * dy);
  /* Forward: w(x+1)/w(x) = exp(qa·(2dx+1) + 2qb·dy), times rr a step. */
  r = exp (k->qa * (2.0 * dxp + 1.0) + 2.0 * k->qb * dy);
  for (gint64 i = xp - k->x0; i < n; i++)
    {
      w[i] = g;
      g *= r;
      r *= rr;
    }
  /* Backward: w(x−1)/w(x) = exp(qa·(1−2dx) − 2qb·dy). */
  r = exp (k->qa * (1.0 - 2.0 * dxp) - 2.0 * k->qb * dy);
  g = w[xp - k->x0] * r;
  r *= rr;
  for (gint64 i = xp - k->x0 - 1; i >= 0; i--)
    {
      w[i] = g;
      g *= r;
      r *= rr;
    }
}

/* The Gaussian weights of the box, row after row.  With E(dx, dy) =
 * qa·dx² + 2qb·dx·dy + qc·dy², a weight is exp(E); from one column to the
 * next it is multiplied by exp(qa·(2dx+1) + 2qb·dy), a ratio that is
 * itself multiplied by exp(2qa) a column and by exp(2qb) a row; the first
 * weight of a row follows from the previous row's likewise.  Six
 * exponentials for the whole box — unless the box is so long that a
 * weight or a ratio would leave the range of doubles, when each row is
 * made from its peak. */
typedef struct
{
  double s, t, tt;  /* first weight of the row; its ratio to the next row's,
                       and that ratio's factor */
  double r, ry, rr; /* ratio along the row at its start; its factor from
                       row to row; the ratio's factor along the row */
  gboolean by_peak;
} Gauss;

static void
gauss_start (const Kernel *k, Gauss *g)
{
  double dx0 = (double)k->x0 - k->cx, dy0 = (double)k->y0 - k->cy;
  double mx = MAX (fabs (dx0), fabs ((double)k->x1 - k->cx)) + 1.0;
  double my = MAX (fabs (dy0), fabs ((double)k->y1 - k->cy)) + 1.0;
  double qa = fabs (k->qa), qb = fabs (k->qb), qc = fabs (k->qc);

  /* Every exponent below (a weight's, a ratio's, a factor's) is at most
   * this in magnitude. */
  g->by_peak = qa * mx * mx + 2.0 * qb * mx * my + qc * my * my > 600.0
               || 2.0 * (qa * mx + qb * my + qc * my + qb * mx) > 600.0;
  if (g->by_peak)
    return;
  g->s = fast_exp (k->qa * dx0 * dx0 + 2.0 * k->qb * dx0 * dy0
                   + k->qc * dy0 * dy0);
  g->t = fast_exp (k->qc * (2.0 * dy0 + 1.0) + 2.0 * k->qb * dx0);
  g->tt = fast_exp (2.0 * k->qc);
  g->r = fast_exp (k->qa * (2.0 * dx0 + 1.0) + 2.0 * k->qb * dy0);
  g->ry = fast_exp (2.0 * k->qb);
  g->rr = fast_exp (2.0 * k->qa);
}

/* The weights of the next row (@yy) into @w. */
static inline void
gauss_row (const Kernel *k, Gauss *g, gint64 yy, double *w)
{
  gint64 n = k->x1 - k->x0 + 1;
  double v = g->s, r = g->r;

  if (g->by_peak)
    {
      gaussian_row_from_peak (k, yy, w);
      return;
    }
  for (gint64 i = 0; i < n; i++)
    {
      w[i] = v;
      v *= r;
      r *= g->rr;
    }
  g->s *= g->t;
  g->t *= g->tt;
  g->r *= g->ry;
}

static inline gint64
wrap (gint64 i, gint64 n)
{
  i %= n;
  return i < 0 ? i + n : i;
}

/* The value of one output pixel on one plane. */
typedef struct
{
  const TessOptions *o;
  TessPixelType type;
  gboolean swapped;
  gint64 width, height;
  double *row; /* weights of a row of the box */
  gsize row_len;
} Sampler;

/* Pairs of doubles (SSE2 registers; GCC and Clang vector extensions). */
typedef double V2D __attribute__ ((vector_size (16)));
typedef float V2F __attribute__ ((vector_size (8)));

/* Σ w·v and Σ w along a row of float samples, the weights made on the way
 * from the first @w0, its ratio to the next @r and the ratio's factor @rr:
 * even and odd columns go side by side in a pair of doubles, each column
 * two steps on from the last (w(i+2) = w(i)·r(i)²·rr, r(i+2) = r(i)·rr²,
 * so the pair's factor goes by rr⁴). */
static inline void
row_float (const float *src, gint64 n, double w0, double r, double rr,
           double *vs, double *ws)
{
  double r1 = r * rr, rr2 = rr * rr;
  V2D w = { w0, w0 * r };
  V2D q = { r * r * rr, r1 * r1 * rr };
  V2D f4 = { rr2 * rr2, rr2 * rr2 };
  V2D acc = { 0.0, 0.0 }, sum = { 0.0, 0.0 };
  gint64 i = 0;

  for (; i + 1 < n; i += 2)
    {
      V2F pair;
      V2D v;
      memcpy (&pair, src + i, sizeof pair);
      v = __builtin_convertvector(pair, V2D);
      acc += w * v;
      sum += w;
      w *= q;
      q *= f4;
    }
  if (i < n)
    {
      acc[0] += w[0] * (double)src[i];
      sum[0] += w[0];
    }
  *vs += acc[0] + acc[1];
  *ws += sum[0] + sum[1];
}

/* The fast case: the box lies inside the input. */
#define INSIDE_LOOP(TYPE, SWAP, LOAD, ROW)                                    \
  static void inside_##TYPE##_##SWAP (const Sampler *sm, const Kernel *k,     \
                                      gconstpointer data, double *vs,         \
                                      double *ws)                             \
  {                                                                           \
    const TessOptions *o = sm->o;                                             \
    gint64 n = k->x1 - k->x0 + 1;                                             \
    double v_sum = 0.0, w_sum = 0.0;                                          \
    Gauss g;                                                                  \
    if (o->kernel == TESS_KERNEL_GAUSSIAN)                                    \
      gauss_start (k, &g);                                                    \
    for (gint64 yy = k->y0; yy <= k->y1; yy++)                                \
      {                                                                       \
        const TYPE *src = (const TYPE *)data + (gsize)yy * (gsize)sm->width   \
                          + (gsize)k->x0;                                     \
        double *w = sm->row;                                                  \
        if (o->kernel == TESS_KERNEL_GAUSSIAN                                 \
            && o->bad_value_mode == TESS_BAD_VALUE_STRICT && !g.by_peak)      \
          {                                                                   \
            /* The common case: weights made as they are used. */             \
            ROW (src, n, g.s, g.r, g.rr, &v_sum, &w_sum);                     \
            g.s *= g.t;                                                       \
            g.t *= g.tt;                                                      \
            g.r *= g.ry;                                                      \
            continue;                                                         \
          }                                                                   \
        if (o->kernel == TESS_KERNEL_GAUSSIAN)                                \
          gauss_row (k, &g, yy, w);                                           \
        else                                                                  \
          for (gint64 i = 0; i < n; i++)                                      \
            w[i] = hann_weight (k, (double)(k->x0 + i) - k->cx,               \
                                (double)yy - k->cy);                          \
        for (gint64 i = 0; i < n; i++)                                        \
          {                                                                   \
            double v;                                                         \
            if (w[i] == 0.0 && o->kernel == TESS_KERNEL_HANN)                 \
              continue;                                                       \
            v = LOAD (src, i);                                                \
            if (!isfinite (v))                                                \
              {                                                               \
                if (o->bad_value_mode == TESS_BAD_VALUE_IGNORE)               \
                  continue;                                                   \
                if (o->bad_value_mode == TESS_BAD_VALUE_CONSTANT)             \
                  v = o->bad_fill_value;                                      \
              }                                                               \
            v_sum += w[i] * v;                                                \
            w_sum += w[i];                                                    \
          }                                                                   \
      }                                                                       \
    *vs = v_sum;                                                              \
    *ws = w_sum;                                                              \
  }

#define LOAD_F(src, i) ((double)(src)[i])
#define LOAD_D(src, i) ((src)[i])
#define LOAD_FS(src, i)                                                       \
  tess__load_sample (TESS_TYPE_FLOAT, TRUE, (src), (gsize)(i))
#define LOAD_DS(src, i)                                                       \
  tess__load_sample (TESS_TYPE_DOUBLE, TRUE, (src), (gsize)(i))

/* The same along a row of samples of another kind. */
#define ROW_GENERIC(NAME, TYPE, LOAD)                                         \
  static inline void NAME (const TYPE *src, gint64 n, double w, double r,     \
                           double rr, double *vs, double *ws)                 \
  {                                                                           \
    double v_sum = 0.0, w_sum = 0.0;                                          \
    for (gint64 i = 0; i < n; i++)                                            \
      {                                                                       \
        v_sum += w * LOAD (src, i);                                           \
        w_sum += w;                                                           \
        w *= r;                                                               \
        r *= rr;                                                              \
      }                                                                       \
    *vs += v_sum;                                                             \
    *ws += w_sum;                                                             \
  }

ROW_GENERIC (row_double, double, LOAD_D)
ROW_GENERIC (row_float_swapped, float, LOAD_FS)
ROW_GENERIC (row_double_swapped, double, LOAD_DS)

INSIDE_LOOP (float, native, LOAD_F, row_float)
INSIDE_LOOP (double, native, LOAD_D, row_double)
INSIDE_LOOP (float, swapped, LOAD_FS, row_float_swapped)
INSIDE_LOOP (double, swapped, LOAD_DS, row_double_swapped)

/* The general case: samples may fall outside the input. */
static double
sample_edges (const Sampler *sm, const Kernel *k, gconstpointer data)
{
  const TessOptions *o = sm->o;
  TessBoundaryMode mode = o->boundary_mode;
  gint64 W = sm->width, H = sm->height, x0 = k->x0, x1 = k->x1;
  double v_sum = 0.0, w_sum = 0.0, w_out = 0.0;
  gboolean any_inside = FALSE;

  Gauss g;

  if (o->kernel == TESS_KERNEL_GAUSSIAN)
    gauss_start (k, &g);
  for (gint64 yy = k->y0; yy <= k->y1; yy++)
    {
      gint64 Y = o->y_cyclic ? wrap (yy, H) : yy;
      gboolean row_in = Y >= 0 && Y < H;
      double *w = sm->row;

      if (o->kernel == TESS_KERNEL_GAUSSIAN)
        gauss_row (k, &g, yy, w);
      for (gint64 xx = x0; xx <= x1; xx++)
        {
          gint64 X = o->x_cyclic ? wrap (xx, W) : xx, sy = Y;
          gboolean in = row_in && X >= 0 && X < W;
          double wt, v;

          any_inside |= in;
          wt = o->kernel == TESS_KERNEL_GAUSSIAN
                   ? w[xx - x0]
                   : hann_weight (k, (double)xx - k->cx, (double)yy - k->cy);
          if (wt == 0.0 && o->kernel == TESS_KERNEL_HANN)
            continue;
          if (!in)
            switch (mode)
              {
              case TESS_BOUNDARY_CONSTANT:
              case TESS_BOUNDARY_GRID_CONSTANT:
                v_sum += wt * o->boundary_fill_value;
                w_sum += wt;
                continue;
              case TESS_BOUNDARY_NEAREST:
                X = CLAMP (X, 0, W - 1);
                sy = CLAMP (Y, 0, H - 1);
                break;
              case TESS_BOUNDARY_IGNORE_THRESHOLD:
                w_out += wt;
                continue;
              default: /* ignore (strict never comes here) */
                continue;
              }
          v = tess__load_sample (sm->type, sm->swapped, data,
                                 (gsize)sy * (gsize)W + (gsize)X);
          if (!isfinite (v) && o->bad_value_mode != TESS_BAD_VALUE_STRICT)
            {
              if (o->bad_value_mode == TESS_BAD_VALUE_IGNORE)
                continue;
              v = o->bad_fill_value;
            }
          v_sum += wt * v;
          w_sum += wt;
        }
    }
  if (mode == TESS_BOUNDARY_CONSTANT && !any_inside)
    return NAN;
  if (mode == TESS_BOUNDARY_IGNORE_THRESHOLD
      && !(w_out <= o->boundary_ignore_threshold * (w_out + w_sum)))
    return NAN;
  if (w_sum == 0.0)
    return mode == TESS_BOUNDARY_GRID_CONSTANT ? o->boundary_fill_value : NAN;
  return v_sum / w_sum;
}

static double
sample (const Sampler *sm, const Kernel *k, gconstpointer data)
{
  Kernel shifted;
  const TessOptions *o = sm->o;
  gint64 W = sm->width, H = sm->height;
  gboolean inside_x
      = o->x_cyclic
            ? k->x1 - k->x0 < W && wrap (k->x0, W) + (k->x1 - k->x0) < W
            : k->x0 >= 0 && k->x1 < W;
  gboolean inside_y
      = o->y_cyclic
            ? k->y1 - k->y0 < H && wrap (k->y0, H) + (k->y1 - k->y0) < H
            : k->y0 >= 0 && k->y1 < H;
  double vs, ws;

  if (k->x1 < k->x0 || k->y1 < k->y0)
    return o->boundary_mode == TESS_BOUNDARY_GRID_CONSTANT
               ? o->boundary_fill_value
               : NAN;
  /* A kernel that goes round a cyclic axis more than once has no meaning
   * (a jump of the map, as at an all-sky seam: see despike_jacobian). */
  if ((o->x_cyclic && k->x1 - k->x0 >= W)
      || (o->y_cyclic && k->y1 - k->y0 >= H))
    return NAN;
  if (!(inside_x && inside_y))
    {
      if (o->boundary_mode == TESS_BOUNDARY_STRICT
          && !(o->x_cyclic && o->y_cyclic))
        {
          /* NaN unless every sample outside wraps back in. */
          if ((!o->x_cyclic && !(k->x0 >= 0 && k->x1 < W))
              || (!o->y_cyclic && !(k->y0 >= 0 && k->y1 < H)))
            return NAN;
        }
      return sample_edges (sm, k, data);
    }
  /* A box inside the input (perhaps after wrapping it whole). */
  if (o->x_cyclic || o->y_cyclic)
    {
      gint64 sx = o->x_cyclic ? wrap (k->x0, W) - k->x0 : 0;
      gint64 sy = o->y_cyclic ? wrap (k->y0, H) - k->y0 : 0;
      shifted = *k;
      shifted.x0 += sx, shifted.x1 += sx, shifted.cx += (double)sx;
      shifted.y0 += sy, shifted.y1 += sy, shifted.cy += (double)sy;
      k = &shifted;
    }
  if (sm->type == TESS_TYPE_FLOAT)
    (sm->swapped ? inside_float_swapped : inside_float_native) (sm, k, data,
                                                                &vs, &ws);
  else
    (sm->swapped ? inside_double_swapped : inside_double_native) (sm, k, data,
                                                                  &vs, &ws);
  if (ws == 0.0)
    return o->boundary_mode == TESS_BOUNDARY_GRID_CONSTANT
               ? o->boundary_fill_value
               : NAN;
  return vs / ws;
}

/* Replaces spikes of @J (4 values a pixel over a tile of @w × @h padded by
 * one pixel all round) into @out (the inner pixels): a Jacobian whose
 * squared norm exceeds ten times the third smallest of its 3×3
 * neighbourhood is an outlier (where the map jumps, as across the seam of
 * an all-sky input, finite differences are huge), and becomes the mean of
 * the neighbourhood's Jacobians that are not. */
static void
despike (const double *J, gsize w, gsize h, double *out)
{
  for (gsize y = 1; y + 1 < h; y++)
    for (gsize x = 1; x + 1 < w; x++)
      {
        const double *c = J + 4 * (y * w + x);
        double *d = out + 4 * ((y - 1) * (w - 2) + (x - 1));
        double n2[9], sorted[9], mean[4] = { 0 }, limit;
        int nf = 0, nn = 0;

        memcpy (d, c, 4 * sizeof (double));
        for (int j = -1, e = 0; j <= 1; j++)
          for (int i = -1; i <= 1; i++, e++)
            {
              const double *q = J + 4 * ((y + j) * w + x + i);
              n2[e] = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3];
              if (isfinite (n2[e]))
                sorted[nf++] = n2[e];
            }
        if (nf < 3 || !isfinite (n2[4]))
          continue;
        /* The three smallest first. */
        for (int a = 0; a < 3; a++)
          for (int b = a + 1; b < nf; b++)
            if (sorted[b] < sorted[a])
              {
                double t = sorted[a];
                sorted[a] = sorted[b];
                sorted[b] = t;
              }
        limit = 10.0 * sorted[2];
        if (!(n2[4] > limit))
          continue;
        for (int j = -1, e = 0; j <= 1; j++)
          for (int i = -1; i <= 1; i++, e++)
            if (n2[e] <= limit)
              {
                const double *q = J + 4 * ((y + j) * w + x + i);
                for (int k = 0; k < 4; k++)
                  mean[k] += q[k];
                nn++;
              }
        for (int k = 0; k < 4; k++)
          d[k] = mean[k] / nn;
      }
}

/* Computes @rect of the output (all planes, @out_type, into @data) by
 * anti-aliased resampling of @in, the map sampled as @grid says. */
static gboolean
adaptive_compute (TessTransform *t, const TessGrid *grid, const TessOptions *o,
                  TessImage *in, TessPixelType out_type, const TessRect *rect,
                  gpointer data, GError **error)
{
  g_autoptr (TessGridMap) map = NULL;
  int pad = o->despike_jacobian ? 1 : 0; /* Jacobians beyond the tile */
  int mpad = o->center_jacobian ? pad : pad + 1; /* map beyond the tile */
  TessRect mrect = { rect->x0 - mpad, rect->y0 - mpad, rect->width + 2 * mpad,
                     rect->height + 2 * mpad };
  gsize mw = TILE + 2 * (gsize)mpad, jw = TILE + 2 * (gsize)pad;
  gsize plane_in = (gsize)in->width * (gsize)in->height;
  gsize plane_out = (gsize)rect->width * (gsize)rect->height;
  gsize elem_in = in->type == TESS_TYPE_DOUBLE ? 8 : 4;
  double *px, *py, *J, *Jd = NULL, *hx = NULL;
  Sampler sm = { o, in->type, in->swapped, in->width, in->height, NULL, 0 };

  (void)error;
  exp2_table_init ();
  map = tess__grid_map_new (t, grid, &mrect);
  px = g_new (double, mw *mw);
  py = g_new (double, mw *mw);
  J = g_new (double, 4 * jw * jw);
  if (pad)
    Jd = g_new (double, 4 * TILE * TILE);
  if (o->center_jacobian)
    hx = g_new (double, 12 * jw * jw);

  for (gint64 ty = rect->y0; ty < rect->y0 + rect->height; ty += TILE)
    for (gint64 tx = rect->x0; tx < rect->x0 + rect->width; tx += TILE)
      {
        gint64 tw = MIN (TILE, rect->x0 + rect->width - tx);
        gint64 th = MIN (TILE, rect->y0 + rect->height - ty);
        TessRect mr = { tx - mpad, ty - mpad, tw + 2 * mpad, th + 2 * mpad };
        gsize mrw = (gsize)mr.width, jrw = (gsize)(tw + 2 * pad);
        gsize jrh = (gsize)(th + 2 * pad);
        const double *Juse;

        tess__grid_map_fill (map, t, &mr, px, py);
        if (!o->center_jacobian)
          for (gsize j = 0; j < jrh; j++)
            for (gsize i = 0; i < jrw; i++)
              {
                /* Map pixel (i + 1, j + 1) is this Jacobian's. */
                gsize c = (j + 1) * mrw + i + 1;
                double *e = J + 4 * (j * jrw + i);
                e[0] = 0.5 * (px[c + 1] - px[c - 1]);
                e[1] = 0.5 * (px[c + mrw] - px[c - mrw]);
                e[2] = 0.5 * (py[c + 1] - py[c - 1]);
                e[3] = 0.5 * (py[c + mrw] - py[c - mrw]);
              }
        else
          {
            /* The map at x ± ½ and y ± ½, exactly. */
            gsize n = jrw * jrh;
            double *ox = hx, *oy = hx + 2 * n, *ix = hx + 4 * n,
                   *iy = hx + 8 * n;
            for (gsize j = 0; j < jrh; j++)
              for (gsize i = 0; i < jrw; i++)
                {
                  gsize e = j * jrw + i;
                  double X = (double)(tx - pad + (gint64)i);
                  double Y = (double)(ty - pad + (gint64)j);
                  ox[e] = X - 0.5, oy[e] = Y;
                  ox[n + e] = X + 0.5, oy[n + e] = Y;
                }
            tess__transform_exact (t, 2 * n, ox, oy, ix, iy);
            for (gsize e = 0; e < n; e++)
              {
                J[4 * e + 0] = ix[n + e] - ix[e];
                J[4 * e + 2] = iy[n + e] - iy[e];
              }
            for (gsize j = 0; j < jrh; j++)
              for (gsize i = 0; i < jrw; i++)
                {
                  gsize e = j * jrw + i;
                  double X = (double)(tx - pad + (gint64)i);
                  double Y = (double)(ty - pad + (gint64)j);
                  ox[e] = X, oy[e] = Y - 0.5;
                  ox[n + e] = X, oy[n + e] = Y + 0.5;
                }
            tess__transform_exact (t, 2 * n, ox, oy, ix, iy);
            for (gsize e = 0; e < n; e++)
              {
                J[4 * e + 1] = ix[n + e] - ix[e];
                J[4 * e + 3] = iy[n + e] - iy[e];
              }
          }
        if (pad)
          {
            despike (J, jrw, jrh, Jd);
            Juse = Jd;
          }
        else
          Juse = J;

        for (gint64 y = 0; y < th; y++)
          for (gint64 x = 0; x < tw; x++)
            {
              gsize c = (gsize)(y + mpad) * mrw + (gsize)(x + mpad);
              gsize o_idx = (gsize)(ty - rect->y0 + y) * (gsize)rect->width
                            + (gsize)(tx - rect->x0 + x);
              Kernel k;
              gboolean ok;

              k.cx = px[c];
              k.cy = py[c];
              ok = isfinite (k.cx) && isfinite (k.cy)
                   && kernel_setup (
                       o, Juse + 4 * ((gsize)y * (gsize)tw + (gsize)x), &k);
              if (ok)
                {
                  gsize need = (gsize)(k.x1 - k.x0 + 1);
                  if (k.x1 >= k.x0 && need > sm.row_len)
                    {
                      g_free (sm.row);
                      sm.row_len = MAX (need, 2 * sm.row_len);
                      sm.row = g_new (double, sm.row_len);
                    }
                }
              for (gint64 p = 0; p < in->nplanes; p++)
                {
                  double v = NAN;
                  if (ok)
                    {
                      v = sample (&sm, &k,
                                  (const char *)in->data
                                      + (gsize)p * plane_in * elem_in);
                      if (o->conserve_flux)
                        v *= k.det;
                    }
                  if (out_type == TESS_TYPE_DOUBLE)
                    ((double *)data)[(gsize)p * plane_out + o_idx] = v;
                  else
                    ((float *)data)[(gsize)p * plane_out + o_idx] = (float)v;
                }
            }
      }
  g_free (px);
  g_free (py);
  g_free (J);
  g_free (Jd);
  g_free (hx);
  g_free (sm.row);
  return TRUE;
}

gboolean
tess__adaptive_compute (const TessMethodBlock *b, GError **error)
{
  return adaptive_compute (b->transform, b->grid, b->options, b->input,
                           b->out_type, b->rect, b->data, error);
}
