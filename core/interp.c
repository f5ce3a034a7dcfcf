/* interp.c — interpolation of an input plane at arbitrary pixel positions:
 * nearest, bilinear, and quadratic and cubic B-splines.
 *
 * Edges follow reproject's convention: the image is extended by one pixel
 * that repeats the edge, positions in [-0.5, n-0.5] are valid (the outer
 * half pixel is nearly flat), anything further out is NaN.  For the
 * B-splines the edge-extended image is prefiltered into coefficients with
 * mirror boundaries, as scipy.ndimage does.
 *
 * NaN policy: an output pixel is NaN only when an input NaN lies in its
 * stencil — the pixel itself for nearest, the pixels with non-zero weight
 * for bilinear, the 3×3 (biquadratic) or 4×4 (bicubic) coefficients for
 * the splines.  Before prefiltering, NaN pixels are filled with the mean of
 * their finite neighbours so that their influence on the coefficients
 * around them stays small (it decays by 0.27 per pixel for bicubic, 0.17
 * for biquadratic).
 */
#include "config.h"

#include "tess-private.h"

#include <math.h>
#include <string.h>

/* Positions this close to a pixel centre are taken as on it, so that an
 * identity transform returns its input exactly. */
#define SNAP 1e-9

/* ---------------------------------------------------------------------- */
/* Spline prefilter                                                        */

static double
spline_pole (TessMethod method)
{
  return method == TESS_METHOD_BICUBIC ? sqrt (3.0) - 2.0 : sqrt (8.0) - 3.0;
}

/* In-place recursive filter of @n samples spaced @step apart in a double
 * line, mirror boundary (… s2 s1 | s0 s1 s2 … sn-1 | sn-2 …). */
static void
filter_line (double *c, gsize n, double z)
{
  double lambda = (1.0 - z) * (1.0 - 1.0 / z);
  double zk, sum, z2n;
  gsize horizon;

  if (n == 1)
    return;
  for (gsize k = 0; k < n; k++)
    c[k] *= lambda;

  /* Causal initialisation: the sum over the mirrored signal, truncated
   * where z^k vanishes in double precision. */
  horizon = (gsize)ceil (log (1e-17) / log (fabs (z)));
  if (horizon < n)
    {
      zk = z;
      sum = c[0];
      for (gsize k = 1; k < horizon; k++)
        {
          sum += zk * c[k];
          zk *= z;
        }
      c[0] = sum;
    }
  else
    {
      double zn1 = pow (z, (double)(n - 1));
      double iz = 1.0 / z;
      z2n = zn1 * zn1;
      zk = z;
      sum = c[0] + zn1 * c[n - 1];
      zn1 *= iz;
      for (gsize k = 1; k + 1 < n; k++)
        {
          sum += (zk + zn1) * c[k];
          zk *= z;
          zn1 *= iz;
        }
      c[0] = sum / (1.0 - z2n);
    }
  for (gsize k = 1; k < n; k++)
    c[k] += z * c[k - 1];
  /* Anti-causal initialisation for the mirror boundary. */
  c[n - 1] = (z / (z * z - 1.0)) * (c[n - 1] + z * c[n - 2]);
  for (gsize k = n - 1; k-- > 0;)
    c[k] = z * (c[k + 1] - c[k]);
}

/* Fills the NaN pixels of a padded plane with the mean of their finite
 * 8-neighbours, in passes, so that holes fill from their edges. */
#define DEFINE_FILL_NANS(T, SUFFIX)                                           \
  static void fill_nans_##SUFFIX (T *p, gsize w, gsize h)                     \
  {                                                                           \
    GArray *todo = g_array_new (FALSE, FALSE, sizeof (gsize));                \
    GArray *next = g_array_new (FALSE, FALSE, sizeof (gsize));                \
    GArray *vals = g_array_new (FALSE, FALSE, sizeof (T));                    \
    double total = 0.0;                                                       \
    gsize nfinite = 0;                                                        \
                                                                              \
    for (gsize i = 0; i < w * h; i++)                                         \
      {                                                                       \
        if (isnan (p[i]))                                                     \
          g_array_append_val (todo, i);                                       \
        else                                                                  \
          {                                                                   \
            total += p[i];                                                    \
            nfinite++;                                                        \
          }                                                                   \
      }                                                                       \
    for (int pass = 0; pass < 16 && todo->len > 0; pass++)                    \
      {                                                                       \
        g_array_set_size (next, 0);                                           \
        g_array_set_size (vals, 0);                                           \
        for (guint k = 0; k < todo->len; k++)                                 \
          {                                                                   \
            gsize i = g_array_index (todo, gsize, k);                         \
            gsize x = i % w, y = i / w;                                       \
            double s = 0.0;                                                   \
            int m = 0;                                                        \
            T v;                                                              \
            for (gsize yy = y > 0 ? y - 1 : 0; yy <= y + 1 && yy < h; yy++)   \
              for (gsize xx = x > 0 ? x - 1 : 0; xx <= x + 1 && xx < w; xx++) \
                if (!isnan (p[yy * w + xx]))                                  \
                  {                                                           \
                    s += p[yy * w + xx];                                      \
                    m++;                                                      \
                  }                                                           \
            v = m ? (T)(s / m) : (T)NAN;                                      \
            g_array_append_val (vals, v);                                     \
          }                                                                   \
        for (guint k = 0; k < todo->len; k++)                                 \
          {                                                                   \
            gsize i = g_array_index (todo, gsize, k);                         \
            p[i] = g_array_index (vals, T, k);                                \
            if (isnan (p[i]))                                                 \
              g_array_append_val (next, i);                                   \
          }                                                                   \
        {                                                                     \
          GArray *t = todo;                                                   \
          todo = next;                                                        \
          next = t;                                                           \
        }                                                                     \
      }                                                                       \
    for (guint k = 0; k < todo->len; k++)                                     \
      p[g_array_index (todo, gsize, k)]                                       \
          = (T)(nfinite ? total / (double)nfinite : 0.0);                     \
    g_array_free (todo, TRUE);                                                \
    g_array_free (next, TRUE);                                                \
    g_array_free (vals, TRUE);                                                \
  }

DEFINE_FILL_NANS (float, f)
DEFINE_FILL_NANS (double, d)

/* Builds the spline coefficients of the edge-padded plane. */
#define DEFINE_PREFILTER(T, SUFFIX)                                           \
  static T *prefilter_##SUFFIX (const T *in, gboolean swapped, gsize w,       \
                                gsize h, double z)                            \
  {                                                                           \
    gsize pw = w + 2, ph = h + 2;                                             \
    T *c = tess__alloc_large (pw * ph * sizeof (T));                          \
    double *line;                                                             \
    guint8 *nan_mask = NULL;                                                  \
    gboolean any_nan = FALSE;                                                 \
                                                                              \
    if (c == NULL)                                                            \
      return NULL;                                                            \
    for (gsize y = 0; y < ph; y++)                                            \
      {                                                                       \
        gsize sy = y == 0 ? 0 : (y > h ? h - 1 : y - 1);                      \
        const T *src = in + sy * w;                                           \
        T *dst = c + y * pw;                                                  \
        memcpy (dst + 1, src, w * sizeof (T));                                \
        if (swapped)                                                          \
          tess__swap_to_native (dst + 1, w, sizeof (T));                      \
        dst[0] = dst[1];                                                      \
        dst[pw - 1] = dst[w];                                                 \
        for (gsize x = 0; x < pw; x++)                                        \
          if (!isfinite (dst[x]))                                             \
            {                                                                 \
              dst[x] = (T)NAN; /* Inf is as undefined as NaN */               \
              any_nan = TRUE;                                                 \
            }                                                                 \
      }                                                                       \
    if (any_nan)                                                              \
      {                                                                       \
        nan_mask = g_malloc (pw * ph);                                        \
        for (gsize i = 0; i < pw * ph; i++)                                   \
          nan_mask[i] = isnan (c[i]) != 0;                                    \
        fill_nans_##SUFFIX (c, pw, ph);                                       \
      }                                                                       \
    /* Rows. */                                                               \
    line = g_new (double, MAX (pw, ph));                                      \
    for (gsize y = 0; y < ph; y++)                                            \
      {                                                                       \
        T *row = c + y * pw;                                                  \
        for (gsize x = 0; x < pw; x++)                                        \
          line[x] = row[x];                                                   \
        filter_line (line, pw, z);                                            \
        for (gsize x = 0; x < pw; x++)                                        \
          row[x] = (T)line[x];                                                \
      }                                                                       \
    /* Columns, one at a time through a line buffer: simple and exact. */     \
    for (gsize x = 0; x < pw; x++)                                            \
      {                                                                       \
        for (gsize y = 0; y < ph; y++)                                        \
          line[y] = c[y * pw + x];                                            \
        filter_line (line, ph, z);                                            \
        for (gsize y = 0; y < ph; y++)                                        \
          c[y * pw + x] = (T)line[y];                                         \
      }                                                                       \
    g_free (line);                                                            \
    if (nan_mask)                                                             \
      {                                                                       \
        for (gsize i = 0; i < pw * ph; i++)                                   \
          if (nan_mask[i])                                                    \
            c[i] = (T)NAN;                                                    \
        g_free (nan_mask);                                                    \
      }                                                                       \
    return c;                                                                 \
  }

DEFINE_PREFILTER (float, f)
DEFINE_PREFILTER (double, d)

gboolean
tess__plane_prepare (TessPlane *plane, TessMethod method, TessPixelType type,
                     gboolean swapped, gconstpointer data, gint64 width,
                     gint64 height, GError **error)
{
  memset (plane, 0, sizeof *plane);
  plane->swapped = swapped;
  plane->method = method;
  plane->type = type;
  plane->width = width;
  plane->height = height;
  plane->stride = (gsize)width;
  plane->values = data;
  if (method == TESS_METHOD_BIQUADRATIC || method == TESS_METHOD_BICUBIC)
    {
      double z = spline_pole (method);
      gpointer c = type == TESS_TYPE_DOUBLE
                       ? (gpointer)prefilter_d (data, swapped, (gsize)width,
                                                (gsize)height, z)
                       : (gpointer)prefilter_f (data, swapped, (gsize)width,
                                                (gsize)height, z);
      if (c == NULL)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       "not enough memory for the spline coefficients");
          return FALSE;
        }
      plane->values = c;
      plane->owned = c;
      plane->stride = (gsize)width + 2;
      plane->offset = 1;
    }
  return TRUE;
}

void
tess__plane_clear (TessPlane *plane)
{
  g_free (plane->owned);
  memset (plane, 0, sizeof *plane);
}

/* ---------------------------------------------------------------------- */
/* Sampling                                                                */

static inline gint64
clamp64 (gint64 v, gint64 lo, gint64 hi)
{
  return v < lo ? lo : (v > hi ? hi : v);
}

/* Mirror an index into [0, n-1] (n >= 2). */
static inline gint64
mirror (gint64 i, gint64 n)
{
  if (i < 0)
    i = -i;
  if (i >= n)
    i = 2 * (n - 1) - i;
  return clamp64 (i, 0, n - 1);
}

static inline void
cubic_weights (double f, double w[4])
{
  double f2 = f * f, f3 = f2 * f, g = 1.0 - f;

  w[0] = g * g * g / 6.0;
  w[1] = (3.0 * f3 - 6.0 * f2 + 4.0) / 6.0;
  w[2] = (-3.0 * f3 + 3.0 * f2 + 3.0 * f + 1.0) / 6.0;
  w[3] = f3 / 6.0;
}

static inline void
quadratic_weights (double t, double w[3])
{
  w[0] = 0.5 * (0.5 - t) * (0.5 - t);
  w[1] = 0.75 - t * t;
  w[2] = 0.5 * (0.5 + t) * (0.5 + t);
}

#define DEFINE_SAMPLE(T, SUFFIX, LOAD)                                        \
  static void sample_##SUFFIX (const TessPlane *pl, gsize n,                  \
                               const double *xs, const double *ys, T *out)    \
  {                                                                           \
    const T *v = pl->values;                                                  \
    gint64 w = pl->width, h = pl->height;                                     \
    gsize stride = pl->stride;                                                \
    double xmax = (double)w - 0.5, ymax = (double)h - 0.5;                    \
                                                                              \
    for (gsize k = 0; k < n; k++)                                             \
      {                                                                       \
        double x = xs[k], y = ys[k];                                          \
        if (!(x >= -0.5 && x <= xmax && y >= -0.5 && y <= ymax))              \
          {                                                                   \
            out[k] = (T)NAN;                                                  \
            continue;                                                         \
          }                                                                   \
        switch (pl->method)                                                   \
          {                                                                   \
          case TESS_METHOD_NEAREST:                                           \
            {                                                                 \
              gint64 i = clamp64 ((gint64)floor (x + 0.5), 0, w - 1);         \
              gint64 j = clamp64 ((gint64)floor (y + 0.5), 0, h - 1);         \
              out[k] = LOAD (v + (gsize)j * stride + (gsize)i);               \
              break;                                                          \
            }                                                                 \
          case TESS_METHOD_BILINEAR:                                          \
            {                                                                 \
              double fx0 = floor (x), fy0 = floor (y);                        \
              double fx = x - fx0, fy = y - fy0;                              \
              gint64 i0 = (gint64)fx0, j0 = (gint64)fy0, i1, j1;              \
              double r0, r1;                                                  \
              if (fx < SNAP)                                                  \
                fx = 0.0;                                                     \
              else if (fx > 1.0 - SNAP)                                       \
                {                                                             \
                  fx = 0.0;                                                   \
                  i0++;                                                       \
                }                                                             \
              if (fy < SNAP)                                                  \
                fy = 0.0;                                                     \
              else if (fy > 1.0 - SNAP)                                       \
                {                                                             \
                  fy = 0.0;                                                   \
                  j0++;                                                       \
                }                                                             \
              i1 = clamp64 (i0 + 1, 0, w - 1);                                \
              j1 = clamp64 (j0 + 1, 0, h - 1);                                \
              i0 = clamp64 (i0, 0, w - 1);                                    \
              j0 = clamp64 (j0, 0, h - 1);                                    \
              {                                                               \
                const T *a = v + (gsize)j0 * stride;                          \
                const T *b = v + (gsize)j1 * stride;                          \
                r0 = fx == 0.0                                                \
                         ? (double)LOAD (a + i0)                              \
                         : (1.0 - fx) * LOAD (a + i0) + fx * LOAD (a + i1);   \
                if (fy == 0.0)                                                \
                  out[k] = (T)r0;                                             \
                else                                                          \
                  {                                                           \
                    r1 = fx == 0.0 ? (double)LOAD (b + i0)                    \
                                   : (1.0 - fx) * LOAD (b + i0)               \
                                         + fx * LOAD (b + i1);                \
                    out[k] = (T)((1.0 - fy) * r0 + fy * r1);                  \
                  }                                                           \
              }                                                               \
              break;                                                          \
            }                                                                 \
          case TESS_METHOD_BIQUADRATIC:                                       \
          case TESS_METHOD_BICUBIC:                                           \
            {                                                                 \
              /* Positions in the padded coefficient grid. */                 \
              gint64 pw = w + 2, ph = h + 2;                                  \
              double px = x + 1.0, py = y + 1.0, wx[4], wy[4];                \
              gint64 i0, j0;                                                  \
              int m;                                                          \
              double s = 0.0;                                                 \
              if (pl->method == TESS_METHOD_BICUBIC)                          \
                {                                                             \
                  double fx0 = floor (px), fy0 = floor (py);                  \
                  cubic_weights (px - fx0, wx);                               \
                  cubic_weights (py - fy0, wy);                               \
                  i0 = (gint64)fx0 - 1;                                       \
                  j0 = (gint64)fy0 - 1;                                       \
                  m = 4;                                                      \
                }                                                             \
              else                                                            \
                {                                                             \
                  double rx = floor (px + 0.5), ry = floor (py + 0.5);        \
                  quadratic_weights (px - rx, wx);                            \
                  quadratic_weights (py - ry, wy);                            \
                  i0 = (gint64)rx - 1;                                        \
                  j0 = (gint64)ry - 1;                                        \
                  m = 3;                                                      \
                }                                                             \
              if (i0 >= 0 && j0 >= 0 && i0 + m <= pw && j0 + m <= ph)         \
                {                                                             \
                  for (int b = 0; b < m; b++)                                 \
                    {                                                         \
                      const T *row = v + (gsize)(j0 + b) * stride + i0;       \
                      double r = 0.0;                                         \
                      for (int a = 0; a < m; a++)                             \
                        r += wx[a] * row[a];                                  \
                      s += wy[b] * r;                                         \
                    }                                                         \
                }                                                             \
              else                                                            \
                {                                                             \
                  for (int b = 0; b < m; b++)                                 \
                    {                                                         \
                      const T *row = v + (gsize)mirror (j0 + b, ph) * stride; \
                      double r = 0.0;                                         \
                      for (int a = 0; a < m; a++)                             \
                        r += wx[a] * row[mirror (i0 + a, pw)];                \
                      s += wy[b] * r;                                         \
                    }                                                         \
                }                                                             \
              out[k] = (T)s;                                                  \
              break;                                                          \
            }                                                                 \
          default:                                                            \
            out[k] = (T)NAN;                                                  \
            break;                                                            \
          }                                                                   \
        /* An Inf input pixel gives no value either. */                       \
        if (!isfinite (out[k]))                                               \
          out[k] = (T)NAN;                                                    \
      }                                                                       \
  }

/* Reading a sample: native, or big-endian as mapped from a FITS file. */
#define LOAD_NATIVE(p) (*(p))
static inline float
load_be_float (const float *p)
{
  guint32 u;
  float f;

  memcpy (&u, p, 4);
  u = GUINT32_FROM_BE (u);
  memcpy (&f, &u, 4);
  return f;
}

static inline double
load_be_double (const double *p)
{
  guint64 u;
  double d;

  memcpy (&u, p, 8);
  u = GUINT64_FROM_BE (u);
  memcpy (&d, &u, 8);
  return d;
}

DEFINE_SAMPLE (float, f, LOAD_NATIVE)
DEFINE_SAMPLE (double, d, LOAD_NATIVE)
DEFINE_SAMPLE (float, bef, load_be_float)
DEFINE_SAMPLE (double, bed, load_be_double)

void
tess__plane_sample (const TessPlane *plane, gsize n, const double *x,
                    const double *y, gpointer out)
{
  /* Spline coefficients are always native. */
  gboolean be = plane->swapped && plane->offset == 0;

  if (plane->type == TESS_TYPE_DOUBLE)
    (be ? sample_bed : sample_d) (plane, n, x, y, out);
  else
    (be ? sample_bef : sample_f) (plane, n, x, y, out);
}
