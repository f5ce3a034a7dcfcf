/* interp.c — interpolation of an input plane at arbitrary pixel positions:
 * nearest, bilinear, and quadratic and cubic B-splines.
 *
 * Edges follow reproject's convention: the image is extended by one pixel
 * that repeats the edge, positions in [-0.5, n-0.5] are valid (the outer
 * half pixel is nearly flat), anything further out is NaN.  For the
 * B-splines the edge-extended image is prefiltered into coefficients with
 * mirror boundaries, as scipy.ndimage does, in pieces (see below).
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

#include "io/tess-stream.h"
#include "methods/tess-methods.h"
#include "wcs/tess-spectral.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

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

/* Where z^i vanishes in double precision. */
static gsize
filter_horizon (double z)
{
  return (gsize)ceil (log (1e-17) / log (fabs (z)));
}

/* In-place recursive filter of @k interleaved lines of @n samples each
 * (sample i of line j at c[i * k + j]), mirror boundary
 * (… s2 s1 | s0 s1 s2 … sn-1 | sn-2 …).  Each line gets exactly the same
 * arithmetic whatever @k: lines are only batched for speed. */
static void
filter_lines (double *c, gsize n, gsize k, double z)
{
  double lambda = (1.0 - z) * (1.0 - 1.0 / z);
  gsize horizon;

  if (n == 1)
    return;
  for (gsize i = 0; i < n * k; i++)
    c[i] *= lambda;

  /* Causal initialisation: the sum over the mirrored signal, truncated
   * where z^i vanishes in double precision. */
  horizon = filter_horizon (z);
  if (horizon < n)
    {
      double zi = z;
      for (gsize i = 1; i < horizon; i++)
        {
          for (gsize j = 0; j < k; j++)
            c[j] += zi * c[i * k + j];
          zi *= z;
        }
    }
  else
    {
      double zn1 = pow (z, (double)(n - 1));
      double iz = 1.0 / z, zi = z, z2n = zn1 * zn1;
      for (gsize j = 0; j < k; j++)
        c[j] += zn1 * c[(n - 1) * k + j];
      zn1 *= iz;
      for (gsize i = 1; i + 1 < n; i++)
        {
          for (gsize j = 0; j < k; j++)
            c[j] += (zi + zn1) * c[i * k + j];
          zi *= z;
          zn1 *= iz;
        }
      for (gsize j = 0; j < k; j++)
        c[j] /= 1.0 - z2n;
    }
  for (gsize i = 1; i < n; i++)
    for (gsize j = 0; j < k; j++)
      c[i * k + j] += z * c[(i - 1) * k + j];
  /* Anti-causal initialisation for the mirror boundary. */
  for (gsize j = 0; j < k; j++)
    c[(n - 1) * k + j]
        = (z / (z * z - 1.0)) * (c[(n - 1) * k + j] + z * c[(n - 2) * k + j]);
  for (gsize i = n - 1; i-- > 0;)
    for (gsize j = 0; j < k; j++)
      c[i * k + j] = z * (c[(i + 1) * k + j] - c[i * k + j]);
}

/* Lines filtered together (interleaved, so that the recursions of
 * several lines overlap): rows, and columns. */
#define ROW_BATCH 8
#define COLUMN_BATCH 64

/* The same filter as filter_lines() (the same arithmetic in the same
 * order, so the same bits), on @k lines of @n samples of type T — sample
 * i of line j at base[i * is + j * js] — with @buf (n × k doubles) for
 * the causal pass: two passes over the data instead of a copy in, three
 * passes and a copy out.  Samples [o0, o1) of each line are written to
 * @out (sample i of line j at out[(i - o0) * os + j * js]: in place when
 * @out is @base), the others not at all.  For lines longer than the
 * causal initialisation's @horizon (filter_horizon()).  The body of the
 * filters below. */
#define FILTER_BODY(T)                                                        \
  {                                                                           \
    double lambda = (1.0 - z) * (1.0 - 1.0 / z);                              \
    double a = z / (z * z - 1.0);                                             \
    double zi = z;                                                            \
    for (gsize j = 0; j < k; j++)                                             \
      buf[j] = (double)base[j * js] * lambda;                                 \
    for (gsize i = 1; i < horizon; i++)                                       \
      {                                                                       \
        const T *s = base + i * is;                                           \
        for (gsize j = 0; j < k; j++)                                         \
          buf[j] += zi * ((double)s[j * js] * lambda);                        \
        zi *= z;                                                              \
      }                                                                       \
    for (gsize i = 1; i < n; i++)                                             \
      {                                                                       \
        const T *s = base + i * is;                                           \
        double *c = buf + i * k;                                              \
        for (gsize j = 0; j < k; j++)                                         \
          c[j] = (double)s[j * js] * lambda + z * c[j - k];                   \
      }                                                                       \
    {                                                                         \
      double *c = buf + (n - 1) * k;                                          \
      for (gsize j = 0; j < k; j++)                                           \
        c[j] = a * (c[j] + z * c[j - k]);                                     \
      if (n - 1 >= o0 && n - 1 < o1)                                          \
        {                                                                     \
          T *d = out + (n - 1 - o0) * os;                                     \
          for (gsize j = 0; j < k; j++)                                       \
            d[j * js] = (T)c[j];                                              \
        }                                                                     \
    }                                                                         \
    /* (The anti-causal pass ends at the first sample written.) */            \
    for (gsize i = n - 1; i-- > o0;)                                          \
      {                                                                       \
        double *c = buf + i * k;                                              \
        if (i < o1)                                                           \
          {                                                                   \
            T *d = out + (i - o0) * os;                                       \
            for (gsize j = 0; j < k; j++)                                     \
              {                                                               \
                c[j] = z * (c[j + k] - c[j]);                                 \
                d[j * js] = (T)c[j];                                          \
              }                                                               \
          }                                                                   \
        else                                                                  \
          for (gsize j = 0; j < k; j++)                                       \
            c[j] = z * (c[j + k] - c[j]);                                     \
      }                                                                       \
  }

#define DEFINE_FILTER(T, SUFFIX)                                              \
  static void filter_direct_##SUFFIX (                                        \
      T *base, gsize is, gsize js, gsize n, gsize k, double z, gsize horizon, \
      double *buf, T *out, gsize os, gsize o0, gsize o1)                      \
  {                                                                           \
    FILTER_BODY (T);                                                          \
  }                                                                           \
  /* COLUMN_BATCH adjacent columns (@js 1): loops of a known length, the      \
   * buffer apart from the samples, which the compiler vectorises (each       \
   * column's arithmetic unchanged: the same bits). */                        \
  TESS__CLONES static void filter_columns_##SUFFIX (                          \
      T *base, gsize is, gsize n, double z, gsize horizon,                    \
      double *restrict buf, T *out, gsize os, gsize o0, gsize o1)             \
  {                                                                           \
    const gsize k = COLUMN_BATCH, js = 1;                                     \
    FILTER_BODY (T);                                                          \
  }                                                                           \
  /* ROW_BATCH rows @js apart (@is 1), in place, likewise. */                 \
  TESS__CLONES static void filter_rows_##SUFFIX (                             \
      T *restrict base, gsize js, gsize n, double z, gsize horizon,           \
      double *restrict buf)                                                   \
  {                                                                           \
    const gsize k = ROW_BATCH, is = 1, o0 = 0, o1 = n, os = 1;                \
    T *out = base;                                                            \
    FILTER_BODY (T);                                                          \
  }

DEFINE_FILTER (float, f)
DEFINE_FILTER (double, d)

/* The positions of the NaN samples of a window of padded rows, found as
 * its rows are padded (pad_*()), in the order found. */
typedef struct
{
  gsize *at; /* indices into the window */
  gsize n, cap;
} NanList;

static void
nan_list_add (NanList *l, gsize i)
{
  if (l->n == l->cap)
    {
      l->cap = l->cap ? 2 * l->cap : 1024;
      l->at = g_renew (gsize, l->at, l->cap);
    }
  l->at[l->n++] = i;
}

/* Fills the NaN samples of rows [ya, yb) of the padded window @p (rows
 * of @w samples), those @nans lists, with the mean of their finite
 * 8-neighbours within those rows, in FILL_PASSES passes, so that holes
 * fill from their edges; what is still NaN after that (deep inside large
 * holes) becomes 0.  Each pass computes all new values before writing
 * any, so a pixel's value depends only on the pixels within FILL_PASSES
 * of it (and not on the order of the list): rows can be filled in parts,
 * each with that many rows of context on either side. */
#define FILL_PASSES 16
/* Samples looked at together for a non-finite one. */
#define NAN_RUN 16

#define DEFINE_FILL_NANS(T, SUFFIX)                                           \
  static void fill_nans_##SUFFIX (T *p, gsize w, gsize ya, gsize yb,          \
                                  const NanList *nans)                        \
  {                                                                           \
    gsize ntodo = nans->n, nnext;                                             \
    gsize *todo, *next;                                                       \
    T *vals;                                                                  \
                                                                              \
    if (ntodo == 0)                                                           \
      return;                                                                 \
    todo = g_memdup2 (nans->at, ntodo * sizeof *todo);                        \
    /* (The NaN left only become fewer.) */                                   \
    next = g_new (gsize, ntodo);                                              \
    vals = g_new (T, ntodo);                                                  \
    for (int pass = 0; pass < FILL_PASSES && ntodo > 0; pass++)               \
      {                                                                       \
        for (gsize k = 0; k < ntodo; k++)                                     \
          {                                                                   \
            gsize i = todo[k];                                                \
            gsize x = i % w, y = i / w;                                       \
            double s = 0.0;                                                   \
            int m = 0;                                                        \
            /* (The same sums inside as at the edges; adding -0 changes       \
             * none.) */                                                      \
            if (x > 0 && x + 1 < w && y > ya && y + 1 < yb)                   \
              {                                                               \
                const T *q = p + i - w - 1;                                   \
                for (int r = 0; r < 3; r++, q += w)                           \
                  for (int c = 0; c < 3; c++)                                 \
                    {                                                         \
                      int ok = q[c] == q[c];                                  \
                      s += ok ? (double)q[c] : -0.0;                          \
                      m += ok;                                                \
                    }                                                         \
              }                                                               \
            else                                                              \
              for (gsize yy = y > ya ? y - 1 : ya; yy <= y + 1 && yy < yb;    \
                   yy++)                                                      \
                for (gsize xx = x > 0 ? x - 1 : 0; xx <= x + 1 && xx < w;     \
                     xx++)                                                    \
                  {                                                           \
                    T v = p[yy * w + xx];                                     \
                    int ok = v == v;                                          \
                    s += ok ? (double)v : -0.0;                               \
                    m += ok;                                                  \
                  }                                                           \
            vals[k] = m ? (T)(s / m) : (T)NAN;                                \
          }                                                                   \
        nnext = 0;                                                            \
        for (gsize k = 0; k < ntodo; k++)                                     \
          {                                                                   \
            gsize i = todo[k];                                                \
            p[i] = vals[k];                                                   \
            if (isnan (p[i]))                                                 \
              next[nnext++] = i;                                              \
          }                                                                   \
        {                                                                     \
          gsize *t = todo;                                                    \
          todo = next;                                                        \
          next = t;                                                           \
          ntodo = nnext;                                                      \
        }                                                                     \
      }                                                                       \
    for (gsize k = 0; k < ntodo; k++)                                         \
      p[todo[k]] = (T)0.0;                                                    \
    g_free (todo);                                                            \
    g_free (next);                                                            \
    g_free (vals);                                                            \
  }

DEFINE_FILL_NANS (float, f)
DEFINE_FILL_NANS (double, d)

/* The spline coefficients of the edge-padded plane, (w + 2) × (h + 2),
 * are made in pieces — bands of rows cut into chunks of columns — each on
 * its own: its samples and BAND_MARGIN more on every side are padded,
 * their NaN filled, filtered along rows, then along columns (the margins
 * standing in for the rest of the plane: what lies beyond them weighs
 * less than |z|^BAND_MARGIN, below 1e-18), and the NaN put back.  The
 * pieces are a function of the plane's size alone, so the coefficients
 * are the same whoever makes which piece: one process, workers, or
 * ranks.  A piece needs only its input rows and writes only its
 * coefficients: no exchange.  Only the pieces the output's samples reach
 * are made, which for an output that sees part of the input (a rotated
 * or smaller field) is part of the plane. */

/* Rows of a band: as many as fit BAND_BYTES of coefficients, within
 * [BAND_MIN_ROWS, BAND_MAX_ROWS]. */
#define BAND_BYTES ((gsize)32 << 20)
#define BAND_MIN_ROWS 64
#define BAND_MAX_ROWS 256
#define BAND_MARGIN 32
/* Columns of a chunk: at least CHUNK_COLUMNS (a plane narrower than two
 * is one chunk), the plane cut evenly. */
#define CHUNK_COLUMNS 512

/* A buffer of at least @bytes: @scratch's, grown as needed, or (no
 * @scratch) a new one. */
gpointer
tess__scratch_get (TessScratch *scratch, gsize bytes)
{
  if (scratch == NULL)
    return g_malloc (bytes);
  if (scratch->bytes < bytes)
    {
      g_free (scratch->data);
      /* Huge pages: far fewer page faults when it is first used. */
      scratch->data = tess__alloc_large (bytes);
      if (scratch->data == NULL)
        scratch->data = g_malloc (bytes);
      scratch->bytes = bytes;
    }
  return scratch->data;
}

#define DEFINE_PHASES(T, SUFFIX)                                              \
  /* Are the NAN_RUN samples at @p all finite?  In vectors of 32 bytes, of    \
   * v - v: 0 for finite v, NaN for the others. */                            \
  typedef T Vec_##SUFFIX __attribute__ ((vector_size (32)));                  \
  static inline gboolean finite_run_##SUFFIX (const T *p)                     \
  {                                                                           \
    const gsize per = 32 / sizeof (T);                                        \
    Vec_##SUFFIX acc = { 0 }, v;                                              \
    for (gsize i = 0; i < NAN_RUN; i += per)                                  \
      {                                                                       \
        memcpy (&v, p + i, sizeof v);                                         \
        acc += v - v;                                                         \
      }                                                                       \
    for (gsize l = 0; l < per; l++)                                           \
      if (acc[l] != 0)                                                        \
        return FALSE;                                                         \
    return TRUE;                                                              \
  }                                                                           \
                                                                              \
  /* Padded rows [y0, y1), columns [wx0, wx1), into the window @c (padded     \
   * row @cy and column @wx0 at @c, wx1 - wx0 samples a row): the input's     \
   * samples copied, put in native order and checked NAN_RUN at a time (a     \
   * loop the compiler vectorises), and the plane's edges repeated.           \
   * Non-finite samples become NaN (Inf is as undefined as NaN) and their     \
   * indices in @c go to @nans. */                                            \
  TESS__CLONES static void pad_##SUFFIX (                                     \
      const T *in, gsize iy0, gboolean swapped, gsize w, gsize h, T *c,       \
      gsize cy, gsize wx0, gsize wx1, gsize y0, gsize y1, NanList *nans)      \
  {                                                                           \
    gsize pw = w + 2, ww = wx1 - wx0;                                         \
    /* Padded columns [px0, px1) are input columns from px0 - 1 on. */        \
    gsize px0 = MAX (wx0, 1), px1 = MIN (wx1, w + 1), n = px1 - px0;          \
    for (gsize y = y0; y < y1; y++)                                           \
      {                                                                       \
        gsize sy = y == 0 ? 0 : (y > h ? h - 1 : y - 1);                      \
        const T *src = in + (sy - iy0) * w + (px0 - 1);                       \
        T *dst = c + (y - cy) * ww, *out = dst + (px0 - wx0);                 \
        gsize at = (y - cy) * ww + (px0 - wx0);                               \
        memcpy (out, src, n * sizeof (T));                                    \
        if (swapped)                                                          \
          tess__swap_to_native (out, n, sizeof (T));                          \
        for (gsize x0 = 0; x0 < n; x0 += NAN_RUN)                             \
          {                                                                   \
            gsize e = MIN (n, x0 + NAN_RUN);                                  \
            if (G_LIKELY (e - x0 == NAN_RUN                                   \
                          && finite_run_##SUFFIX (out + x0)))                 \
              continue;                                                       \
            for (gsize k = x0; k < e; k++)                                    \
              if (!isfinite (out[k]))                                         \
                {                                                             \
                  out[k] = (T)NAN;                                            \
                  nan_list_add (nans, at + k);                                \
                }                                                             \
          }                                                                   \
        if (wx0 == 0)                                                         \
          {                                                                   \
            dst[0] = dst[1];                                                  \
            if (isnan (dst[0]))                                               \
              nan_list_add (nans, (y - cy) * ww);                             \
          }                                                                   \
        if (wx1 == pw)                                                        \
          {                                                                   \
            dst[ww - 1] = dst[ww - 2];                                        \
            if (isnan (dst[ww - 1]))                                          \
              nan_list_add (nans, (y - cy) * ww + ww - 1);                    \
          }                                                                   \
      }                                                                       \
  }                                                                           \
                                                                              \
  /* Lines [y0, y1) of @n samples, line y at c + y * @cs, filtered. */        \
  static void rows_##SUFFIX (T *c, gsize cs, gsize n, gsize y0, gsize y1,     \
                             double z)                                        \
  {                                                                           \
    gsize horizon = filter_horizon (z);                                       \
    double *buf;                                                              \
    if (y0 >= y1)                                                             \
      return;                                                                 \
    buf = g_new (double, n *ROW_BATCH);                                       \
    for (gsize y = y0; y < y1; y += ROW_BATCH)                                \
      {                                                                       \
        gsize k = MIN (ROW_BATCH, y1 - y);                                    \
        if (n > horizon && k == ROW_BATCH)                                    \
          {                                                                   \
            filter_rows_##SUFFIX (c + y * cs, cs, n, z, horizon, buf);        \
            continue;                                                         \
          }                                                                   \
        if (n > horizon)                                                      \
          {                                                                   \
            filter_direct_##SUFFIX (c + y * cs, 1, cs, n, k, z, horizon, buf, \
                                    c + y * cs, 1, 0, n);                     \
            continue;                                                         \
          }                                                                   \
        for (gsize j = 0; j < k; j++)                                         \
          {                                                                   \
            const T *row = c + (y + j) * cs;                                  \
            for (gsize x = 0; x < n; x++)                                     \
              buf[x * k + j] = row[x];                                        \
          }                                                                   \
        filter_lines (buf, n, k, z);                                          \
        for (gsize j = 0; j < k; j++)                                         \
          {                                                                   \
            T *row = c + (y + j) * cs;                                        \
            for (gsize x = 0; x < n; x++)                                     \
              row[x] = (T)buf[x * k + j];                                     \
          }                                                                   \
      }                                                                       \
    g_free (buf);                                                             \
  }                                                                           \
                                                                              \
  /* The window's padded rows [y0, y1) (see pad_*()), and FILL_PASSES more    \
   * on either side where the plane has them, for the NaN to fill as in       \
   * the whole plane; then its columns [fx0, fx1) filtered along the rows.    \
   * @nans (empty) gets the NaN found. */                                     \
  static void pad_rows_##SUFFIX (const T *in, gsize iy0, gboolean swapped,    \
                                 gsize w, gsize h, T *c, gsize cy, gsize wx0, \
                                 gsize wx1, gsize fx0, gsize fx1, gsize y0,   \
                                 gsize y1, double z, NanList *nans)           \
  {                                                                           \
    gsize ph = h + 2, ww = wx1 - wx0;                                         \
    gsize a = y0 > FILL_PASSES ? y0 - FILL_PASSES : 0;                        \
    gsize b = MIN (ph, y1 + FILL_PASSES);                                     \
    pad_##SUFFIX (in, iy0, swapped, w, h, c, cy, wx0, wx1, y0, y1, nans);     \
    if (nans->n > 0)                                                          \
      {                                                                       \
        pad_##SUFFIX (in, iy0, swapped, w, h, c, cy, wx0, wx1, a, y0, nans);  \
        pad_##SUFFIX (in, iy0, swapped, w, h, c, cy, wx0, wx1, y1, b, nans);  \
        fill_nans_##SUFFIX (c, ww, a - cy, b - cy, nans);                     \
      }                                                                       \
    rows_##SUFFIX (c + (fx0 - wx0), ww, fx1 - fx0, y0 - cy, y1 - cy, z);      \
  }                                                                           \
                                                                              \
  /* Columns [x0, x1) of @c (@n rows, @cs samples apart) filtered, their      \
   * rows [o0, o1) written to @out: column x of row o0 at out + x, rows       \
   * @os samples apart (in place when @out is row o0 of @c). */               \
  static void columns_##SUFFIX (T *c, gsize cs, gsize n, gsize x0, gsize x1,  \
                                double z, T *out, gsize os, gsize o0,         \
                                gsize o1)                                     \
  {                                                                           \
    gsize horizon = filter_horizon (z);                                       \
    double *buf = g_new (double, n *COLUMN_BATCH);                            \
    for (gsize x = x0; x < x1; x += COLUMN_BATCH)                             \
      {                                                                       \
        gsize k = MIN (COLUMN_BATCH, x1 - x);                                 \
        if (n > horizon && k == COLUMN_BATCH)                                 \
          {                                                                   \
            filter_columns_##SUFFIX (c + x, cs, n, z, horizon, buf, out + x,  \
                                     os, o0, o1);                             \
            continue;                                                         \
          }                                                                   \
        if (n > horizon)                                                      \
          {                                                                   \
            filter_direct_##SUFFIX (c + x, cs, 1, n, k, z, horizon, buf,      \
                                    out + x, os, o0, o1);                     \
            continue;                                                         \
          }                                                                   \
        for (gsize y = 0; y < n; y++)                                         \
          for (gsize j = 0; j < k; j++)                                       \
            buf[y * k + j] = c[y * cs + x + j];                               \
        filter_lines (buf, n, k, z);                                          \
        for (gsize y = o0; y < o1; y++)                                       \
          for (gsize j = 0; j < k; j++)                                       \
            out[(y - o0) * os + x + j] = (T)buf[y * k + j];                   \
      }                                                                       \
    g_free (buf);                                                             \
  }                                                                           \
                                                                              \
  /* NaN put back into padded rows [y0, y1) and columns [x0, x1) of @out      \
   * (padded row @oy0 and column @ox0 at @out, rows @os apart) where          \
   * @nans, indices into a window of rows @cs long from padded row @cy and    \
   * column @cx, has them. */                                                 \
  static void mask_##SUFFIX (                                                 \
      T *out, gsize os, gsize oy0, gsize ox0, gsize y0, gsize y1, gsize x0,   \
      gsize x1, gsize cs, gsize cy, gsize cx, const NanList *nans)            \
  {                                                                           \
    for (gsize k = 0; k < nans->n; k++)                                       \
      {                                                                       \
        gsize i = nans->at[k], y = cy + i / cs, x = cx + i % cs;              \
        if (y >= y0 && y < y1 && x >= x0 && x < x1)                           \
          out[(y - oy0) * os + (x - ox0)] = (T)NAN;                           \
      }                                                                       \
  }

DEFINE_PHASES (float, f)
DEFINE_PHASES (double, d)

static gsize
elem_size (const TessPrefilter *pf)
{
  return pf->type == TESS_TYPE_DOUBLE ? sizeof (double) : sizeof (float);
}

gsize
tess__prefilter_band_rows (TessPixelType type, gint64 width)
{
  gsize row = ((gsize)width + 2) * (type == TESS_TYPE_DOUBLE ? 8 : 4);

  return CLAMP (BAND_BYTES / row, BAND_MIN_ROWS, BAND_MAX_ROWS);
}

gsize
tess__prefilter_n_bands (TessPixelType type, gint64 width, gint64 height)
{
  gsize rows = tess__prefilter_band_rows (type, width);

  return ((gsize)height + 2 + rows - 1) / rows;
}

gsize
tess__prefilter_n_chunks (gint64 width)
{
  return MAX ((gsize)1, ((gsize)width + 2) / CHUNK_COLUMNS);
}

gsize
tess__prefilter_n_pieces (TessPixelType type, gint64 width, gint64 height)
{
  return tess__prefilter_n_bands (type, width, height)
         * tess__prefilter_n_chunks (width);
}

/* Padded rows [*y0, *y1) of band @b, and the rows [*a, *b1) it is made
 * from (the margins added). */
static void
band_range (const TessPrefilter *pf, gsize b, gsize *y0, gsize *y1, gsize *a,
            gsize *b1)
{
  gsize rows = tess__prefilter_band_rows (pf->type, (gint64)pf->width);
  gsize ph = pf->height + 2;

  *y0 = MIN (ph, b * rows);
  *y1 = MIN (ph, *y0 + rows);
  *a = *y0 > BAND_MARGIN ? *y0 - BAND_MARGIN : 0;
  *b1 = MIN (ph, *y1 + BAND_MARGIN);
}

/* The width of the chunks of a plane @width wide. */
static gsize
chunk_columns (gsize width)
{
  gsize n = tess__prefilter_n_chunks ((gint64)width);

  return (width + 2 + n - 1) / n;
}

/* Padded columns [*x0, *x1) of chunk @c, the columns [*fx0, *fx1)
 * filtered along the rows for it (the margins added), and those padded
 * for that, [*wx0, *wx1) (FILL_PASSES more for the NaN to fill). */
static void
chunk_range (const TessPrefilter *pf, gsize c, gsize *x0, gsize *x1,
             gsize *fx0, gsize *fx1, gsize *wx0, gsize *wx1)
{
  gsize cols = chunk_columns (pf->width), pw = pf->width + 2;

  *x0 = MIN (pw, c * cols);
  *x1 = MIN (pw, *x0 + cols);
  *fx0 = *x0 > BAND_MARGIN ? *x0 - BAND_MARGIN : 0;
  *fx1 = MIN (pw, *x1 + BAND_MARGIN);
  *wx0 = *fx0 > FILL_PASSES ? *fx0 - FILL_PASSES : 0;
  *wx1 = MIN (pw, *fx1 + FILL_PASSES);
}

void
tess__prefilter_band_source (const TessPrefilter *pf, gsize b, gsize *s0,
                             gsize *s1)
{
  gsize y0, y1, a, b1;

  band_range (pf, b, &y0, &y1, &a, &b1);
  tess__prefilter_source_rows (pf, a, b1, s0, s1);
}

gboolean
tess__prefilter_piece (const TessPrefilter *pf, gsize b, gsize c,
                       GError **error)
{
  double z = spline_pole (pf->method);
  gsize pw = pf->width + 2, elem = elem_size (pf);
  gsize y0, y1, a, b1, wa, wb, x0, x1, fx0, fx1, wx0, wx1, ww;
  gsize os, oy0, ox0;
  NanList nans = { NULL, 0, 0 };
  char *buf, *out, *cols;

  band_range (pf, b, &y0, &y1, &a, &b1);
  chunk_range (pf, c, &x0, &x1, &fx0, &fx1, &wx0, &wx1);
  if (y0 >= y1 || x0 >= x1)
    return TRUE;
  /* The piece and its margins, and FILL_PASSES rows and columns around
   * them for the NaN to fill: padded row @wa and column @wx0 first. */
  wa = a > FILL_PASSES ? a - FILL_PASSES : 0;
  wb = MIN (pf->height + 2, b1 + FILL_PASSES);
  ww = wx1 - wx0;
  buf = tess__scratch_get (pf->window, (wb - wa) * ww * elem);
  /* The piece's coefficients go straight to memory (or, for a file, stay
   * in place in the window to be written): padded row @oy0 and column
   * @ox0 at @out, rows @os apart; @cols is where the column filter writes
   * window column 0 of row y0. */
  if (pf->coeffs_fd >= 0)
    {
      out = buf;
      os = ww;
      oy0 = wa;
      ox0 = wx0;
    }
  else
    {
      out = pf->coeffs;
      os = pw;
      oy0 = 0;
      ox0 = 0;
    }
  cols = out + ((y0 - oy0) * os + (wx0 - ox0)) * elem;
  if (pf->type == TESS_TYPE_DOUBLE)
    {
      pad_rows_d (pf->data, pf->data_y0, pf->swapped, pf->width, pf->height,
                  (double *)buf, wa, wx0, wx1, fx0, fx1, a, b1, z, &nans);
      columns_d ((double *)buf + (a - wa) * ww, ww, b1 - a, x0 - wx0, x1 - wx0,
                 z, (double *)cols, os, y0 - a, y1 - a);
      mask_d ((double *)out, os, oy0, ox0, y0, y1, x0, x1, ww, wa, wx0, &nans);
    }
  else
    {
      pad_rows_f (pf->data, pf->data_y0, pf->swapped, pf->width, pf->height,
                  (float *)buf, wa, wx0, wx1, fx0, fx1, a, b1, z, &nans);
      columns_f ((float *)buf + (a - wa) * ww, ww, b1 - a, x0 - wx0, x1 - wx0,
                 z, (float *)cols, os, y0 - a, y1 - a);
      mask_f ((float *)out, os, oy0, ox0, y0, y1, x0, x1, ww, wa, wx0, &nans);
    }
  g_free (nans.at);
  if (pf->coeffs_fd < 0)
    return TRUE;
  /* Whole rows in one write; else a write a row. */
  if (x1 - x0 == pw)
    return tess__write_all (pf->coeffs_fd, buf + (y0 - wa) * pw * elem,
                            (y1 - y0) * pw * elem,
                            pf->coeffs_offset + (guint64)y0 * pw * elem,
                            "the spline coefficients", error);
  for (gsize y = y0; y < y1; y++)
    if (!tess__write_all (pf->coeffs_fd,
                          buf + ((y - wa) * ww + (x0 - wx0)) * elem,
                          (x1 - x0) * elem,
                          pf->coeffs_offset + ((guint64)y * pw + x0) * elem,
                          "the spline coefficients", error))
      return FALSE;
  return TRUE;
}

void
tess__prefilter_source_rows (const TessPrefilter *pf, gsize y0, gsize y1,
                             gsize *s0, gsize *s1)
{
  /* Padded row y is source row y - 1 (clamped); the fill looks
   * FILL_PASSES rows further. */
  *s0 = y0 > FILL_PASSES + 1 ? y0 - FILL_PASSES - 1 : 0;
  *s1 = MIN (pf->height, y1 + FILL_PASSES);
}

gsize
tess__coeffs_bytes (TessPixelType type, gint64 width, gint64 height)
{
  return ((gsize)width + 2) * ((gsize)height + 2)
         * (type == TESS_TYPE_DOUBLE ? 8 : 4);
}

void
tess__plane_init (TessPlane *plane, TessMethod method, TessPixelType type,
                  gboolean swapped, gconstpointer data, gint64 width,
                  gint64 height)
{
  memset (plane, 0, sizeof *plane);
  plane->swapped = swapped;
  plane->method = method;
  plane->type = type;
  plane->width = width;
  plane->height = height;
  plane->stride = (gsize)width;
  plane->values = data;
  plane->file_fd = -1;
  if (tess__method_is_spline (method))
    {
      plane->stride = (gsize)width + 2;
      plane->offset = 1;
    }
}

/* Lets go of the pages of rows [s0, s1) of @pf's input, mapped from a
 * file (they come back from it if read again). */
static void
drop_input_rows (const TessPrefilter *pf, gsize s0, gsize s1)
{
  gsize page = (gsize)sysconf (_SC_PAGESIZE), row = pf->width * elem_size (pf);
  guintptr a = (guintptr)pf->data + (s0 - pf->data_y0) * row;
  guintptr b = (guintptr)pf->data + (s1 - pf->data_y0) * row;

  a = a / page * page;
  b = (b + page - 1) / page * page;
  if (b > a)
    (void)madvise ((gpointer)a, b - a, MADV_DONTNEED);
}

/* ---------------------------------------------------------------------- */
/* Coefficients made when first needed                                    */

/* A plane's coefficients are made a piece at a time, when a block first
 * asks for samples of it (tess__plane_fetch()): only the pieces the
 * output reaches are made, by whichever thread or process gets there
 * first, and since a piece depends on the plane's size alone the result
 * does not depend on who makes which.  Each piece has a word: 0 (not
 * made, or its making failed), PIECE_MADE, or who is making it —
 * PIECE_MAKING in one process (the threads wait on a condition), the pid
 * of the process making it in a word of a shared coefficient file (the
 * others look again a moment later, and one that finds the maker gone
 * makes the piece itself).  A block needing several pieces first makes
 * those nobody is making, then waits for the others. */

#define PIECE_MADE ((gint)-1)
#define PIECE_MAKING 1

struct _TessBandMaker
{
  TessPrefilter pf; /* the input plane, and where its coefficients go */
  /* The input is mapped from a file: the pages of a band's rows are let
   * go of once pieces of it are made (the coefficients are all the
   * samples need). */
  gboolean drop_pages;
  /* The pieces the output is expected to reach (maker_expect()), made
   * together when the first of their band is needed, so that the band's
   * input rows are read once; @started: a band's are being made. */
  gboolean expected_set;
  guint8 *expected;
  gint *started;
  gsize nbands, nchunks, band_rows, chunk_columns;
  gint *words;      /* a word a piece (band-major): @own's, or shared */
  gint *own;        /* (one process) */
  gboolean shared;  /* @words are shared with other processes */
  int fd;           /* a file of coefficients owned here, or -1 */
  GMutex lock;      /* guards @spare; with @made, for waiting */
  GCond made;       /* a piece was made (or failed), in one process */
  GPtrArray *spare; /* piece windows (TessScratch) not in use */
};

static void
scratch_free (gpointer data)
{
  TessScratch *s = data;

  g_free (s->data);
  g_free (s);
}

/* The samples of @image's plane @p. */
static gconstpointer
plane_data (const TessImage *image, gint64 p)
{
  gsize elem = image->type == TESS_TYPE_DOUBLE ? 8 : 4;

  return (const char *)image->data
         + (gsize)p * (gsize)image->width * (gsize)image->height * elem;
}

static TessBandMaker *
maker_new (TessMethod method, TessImage *image, gint64 p)
{
  TessBandMaker *m = g_new0 (TessBandMaker, 1);

  m->pf.method = method;
  m->pf.type = image->type;
  m->pf.swapped = image->swapped;
  m->pf.data = plane_data (image, p);
  m->pf.width = (gsize)image->width;
  m->pf.height = (gsize)image->height;
  m->pf.coeffs_fd = -1;
  m->drop_pages = image->map != NULL;
  m->nbands
      = tess__prefilter_n_bands (image->type, image->width, image->height);
  m->nchunks = tess__prefilter_n_chunks (image->width);
  m->band_rows = tess__prefilter_band_rows (image->type, image->width);
  m->chunk_columns = chunk_columns ((gsize)image->width);
  m->fd = -1;
  g_mutex_init (&m->lock);
  g_cond_init (&m->made);
  m->spare = g_ptr_array_new_with_free_func (scratch_free);
  return m;
}

static void
maker_free (TessBandMaker *m)
{
  if (m == NULL)
    return;
  g_ptr_array_unref (m->spare);
  g_mutex_clear (&m->lock);
  g_free (m->own);
  g_free (m->expected);
  g_free (m->started);
  g_cond_clear (&m->made);
  if (m->fd >= 0)
    close (m->fd);
  g_free (m);
}

/* Makes piece @i, with memory kept for the next piece. */
static gboolean
maker_make (TessBandMaker *m, gsize i, GError **error)
{
  TessPrefilter pf = m->pf;
  TessScratch *s = NULL;
  gboolean ok;

  g_mutex_lock (&m->lock);
  if (m->spare->len > 0)
    s = g_ptr_array_steal_index_fast (m->spare, m->spare->len - 1);
  g_mutex_unlock (&m->lock);
  if (s == NULL)
    s = g_new0 (TessScratch, 1);
  pf.window = s;
  ok = tess__prefilter_piece (&pf, i / m->nchunks, i % m->nchunks, error);
  g_mutex_lock (&m->lock);
  g_ptr_array_add (m->spare, s);
  g_mutex_unlock (&m->lock);
  return ok;
}

/* Piece @i made (and those of its band expected with it): the input rows
 * of its band let go of if they are mapped (a piece made later comes
 * back for them to the page cache). */
static void
maker_made (TessBandMaker *m, gsize i)
{
  gsize s0, s1;

  if (!m->drop_pages)
    return;
  tess__prefilter_band_source (&m->pf, i / m->nchunks, &s0, &s1);
  if (s1 > s0)
    drop_input_rows (&m->pf, s0, s1);
}

/* Is the process of pid @v gone? */
static gboolean
maker_gone (gint v)
{
  return kill ((pid_t)v, 0) != 0 && errno == ESRCH;
}

/* Makes piece @i, whose word this thread set to @self, and says so. */
static gboolean
maker_make_claimed (TessBandMaker *m, gsize i, GError **error)
{
  gboolean ok;

  if (m->shared)
    tess__worker_maybe_die ("band");
  ok = maker_make (m, i, error);
  g_atomic_int_set (&m->words[i], ok ? PIECE_MADE : 0);
  if (!m->shared)
    {
      g_mutex_lock (&m->lock);
      g_cond_broadcast (&m->made);
      g_mutex_unlock (&m->lock);
    }
  return ok;
}

/* Piece @i made: by this thread if nobody is making it (or, between
 * processes, if its maker is gone); else, with @wait, when its maker has
 * made it, and without, at once.  The first piece of a band this process
 * makes brings the band's other expected pieces nobody is making. */
static gboolean
maker_take (TessBandMaker *m, gsize i, gboolean wait, GError **error)
{
  gint *word = &m->words[i];
  gint self = m->shared ? (gint)getpid () : PIECE_MAKING;
  gsize b = i / m->nchunks;
  const guint8 *expected;

  for (;;)
    {
      gint v = g_atomic_int_get (word);

      if (v == PIECE_MADE)
        return TRUE;
      if (v != 0 && !(m->shared && v != self && maker_gone (v)))
        {
          if (!wait)
            return TRUE;
          if (m->shared)
            g_usleep (200);
          else
            {
              g_mutex_lock (&m->lock);
              while (g_atomic_int_get (word) == v)
                g_cond_wait (&m->made, &m->lock);
              g_mutex_unlock (&m->lock);
            }
          continue;
        }
      if (!g_atomic_int_compare_and_exchange (word, v, self))
        continue;
      if (!maker_make_claimed (m, i, error))
        return FALSE;
      expected = g_atomic_pointer_get (&m->expected);
      if (expected && g_atomic_int_compare_and_exchange (&m->started[b], 0, 1))
        for (gsize c = 0; c < m->nchunks; c++)
          {
            gsize j = b * m->nchunks + c;
            if (expected[j]
                && g_atomic_int_compare_and_exchange (&m->words[j], 0, self)
                && !maker_make_claimed (m, j, error))
              return FALSE;
          }
      maker_made (m, i);
      return TRUE;
    }
}

/* The pieces samples at these @n positions (x, y) of the input, and
 * within @reach of them, read: marked expected. */
static void
maker_mark (const TessBandMaker *m, guint8 *expected, gsize n, const double *x,
            const double *y, double reach)
{
  TessPlane pl = { 0 };
  TessRect r;

  pl.width = (gint64)m->pf.width;
  pl.height = (gint64)m->pf.height;
  for (gsize k = 0; k < n; k++)
    {
      gsize b0, b1, c0, c1;
      if (isnan (x[k]) || isnan (y[k]))
        continue;
      tess__plane_region_for (&pl, x[k] - reach, x[k] + reach, y[k] - reach,
                              y[k] + reach, &r);
      if (r.width <= 0 || r.height <= 0)
        continue;
      b0 = (gsize)r.y0 / m->band_rows;
      b1 = MIN (m->nbands,
                ((gsize)(r.y0 + r.height) + m->band_rows - 1) / m->band_rows);
      c0 = (gsize)r.x0 / m->chunk_columns;
      c1 = MIN (m->nchunks, ((gsize)(r.x0 + r.width) + m->chunk_columns - 1)
                                / m->chunk_columns);
      for (gsize bb = b0; bb < b1; bb++)
        for (gsize c = c0; c < c1; c++)
          expected[bb * m->nchunks + c] = 1;
    }
}

/* Output pixels looked at to guess the pieces the output reaches. */
#define EXPECT_STEP 32

/* The pieces an output of @ow × @oh pixels, through @t, is expected to
 * reach, from its pixels EXPECT_STEP apart and its edges (a guess: a
 * piece it misses is made when needed, one it adds for nothing costs only
 * time). */
static void
maker_expect (TessBandMaker *m, TessTransform *t, gint64 ow, gint64 oh)
{
  gsize nx = (gsize)((ow + EXPECT_STEP - 1) / EXPECT_STEP) + 1;
  gsize ny = (gsize)((oh + EXPECT_STEP - 1) / EXPECT_STEP) + 1;
  gsize n = nx * ny;
  double *ox, *oy, *ix, *iy, reach = 0.0;
  guint8 *expected;

  g_mutex_lock (&m->lock);
  if (m->expected_set)
    {
      g_mutex_unlock (&m->lock);
      return;
    }
  ox = g_new (double, n);
  oy = g_new (double, n);
  ix = g_new (double, n);
  iy = g_new (double, n);
  for (gsize j = 0; j < ny; j++)
    for (gsize i = 0; i < nx; i++)
      {
        ox[j * nx + i] = MIN ((double)(i * EXPECT_STEP), (double)(ow - 1));
        oy[j * nx + i] = MIN ((double)(j * EXPECT_STEP), (double)(oh - 1));
      }
  tess__transform_exact (t, n, ox, oy, ix, iy);
  /* The reach of a point: the longest step between neighbours (NaN,
   * where there is no mapping, compares false), within the plane's size
   * for wild maps. */
  for (gsize j = 0; j < ny; j++)
    for (gsize i = 0; i < nx; i++)
      {
        gsize k = j * nx + i;
        double dx = i + 1 < nx
                        ? fabs (ix[k + 1] - ix[k]) + fabs (iy[k + 1] - iy[k])
                        : 0.0;
        double dy = j + 1 < ny
                        ? fabs (ix[k + nx] - ix[k]) + fabs (iy[k + nx] - iy[k])
                        : 0.0;
        if (dx > reach)
          reach = dx;
        if (dy > reach)
          reach = dy;
      }
  reach = MIN (reach, (double)(m->pf.width + m->pf.height));
  expected = g_new0 (guint8, m->nbands * m->nchunks);
  maker_mark (m, expected, n, ix, iy, reach);
  g_free (ox);
  g_free (oy);
  g_free (ix);
  g_free (iy);
  /* Published once complete (@started first). */
  m->started = g_new0 (gint, m->nbands);
  g_atomic_pointer_set (&m->expected, expected);
  m->expected_set = TRUE;
  g_mutex_unlock (&m->lock);
}

/* Tells @plane's maker (if any) the output: see maker_expect(). */
static void
plane_expect (TessPlane *plane, TessTransform *t, gint64 ow, gint64 oh)
{
  if (plane->maker)
    maker_expect (plane->maker, t, ow, oh);
}

/* Are the pieces of bands [b0, b1) and chunks [c0, c1) all made? */
static gboolean
maker_all_made (TessBandMaker *m, gsize b0, gsize b1, gsize c0, gsize c1)
{
  for (gsize b = b0; b < b1; b++)
    for (gsize c = c0; c < c1; c++)
      if (g_atomic_int_get (&m->words[b * m->nchunks + c]) != PIECE_MADE)
        return FALSE;
  return TRUE;
}

/* The pieces of band @b and chunks [c0, c1) nobody is making, made. */
static gboolean
maker_take_free (TessBandMaker *m, gsize b, gsize c0, gsize c1, GError **error)
{
  for (gsize c = c0; c < c1; c++)
    if (!maker_take (m, b * m->nchunks + c, FALSE, error))
      return FALSE;
  return TRUE;
}

static gboolean
maker_need (TessBandMaker *m, gint64 r0, gint64 r1, gint64 x0, gint64 x1,
            GError **error)
{
  gsize b0, b1, c0, c1;

  if (r0 >= r1 || x0 >= x1)
    return TRUE;
  b0 = (gsize)r0 / m->band_rows;
  b1 = MIN (m->nbands, ((gsize)r1 + m->band_rows - 1) / m->band_rows);
  c0 = (gsize)x0 / m->chunk_columns;
  c1 = MIN (m->nchunks, ((gsize)x1 + m->chunk_columns - 1) / m->chunk_columns);
  if (maker_all_made (m, b0, b1, c0, c1))
    return TRUE;
  /* The pieces nobody is making first, then the others' (rather than
   * wait for one while another is still to make). */
  for (gsize b = b0; b < b1; b++)
    if (!maker_take_free (m, b, c0, c1, error))
      return FALSE;
  /* Rather than wait for a piece another is making, make those that
   * blocks to come will need: the next band either side of the range,
   * where blocks are going (the bands behind them are made). */
  if (!maker_all_made (m, b0, b1, c0, c1))
    {
      if (b1 < m->nbands
          && g_atomic_int_get (&m->words[b1 * m->nchunks + c0]) == 0)
        {
          if (!maker_take_free (m, b1, c0, c1, error))
            return FALSE;
        }
      else if (b0 > 0
               && g_atomic_int_get (&m->words[(b0 - 1) * m->nchunks + c0])
                      == 0)
        {
          if (!maker_take_free (m, b0 - 1, c0, c1, error))
            return FALSE;
        }
    }
  for (gsize b = b0; b < b1; b++)
    for (gsize c = c0; c < c1; c++)
      if (!maker_take (m, b * m->nchunks + c, TRUE, error))
        return FALSE;
  return TRUE;
}

guint64
tess__coeffs_file_bytes (TessPixelType type, gint64 width, gint64 height,
                         gint64 nplanes, guint64 *states_offset)
{
  guint64 page = (guint64)sysconf (_SC_PAGESIZE);
  guint64 coeffs
      = (guint64)tess__coeffs_bytes (type, width, height) * (guint64)nplanes;
  guint64 states = (guint64)tess__prefilter_n_pieces (type, width, height)
                   * (guint64)nplanes * sizeof (gint32);

  *states_offset = (coeffs + page - 1) / page * page;
  return *states_offset + states;
}

void
tess__plane_make_shared (TessPlane *plane, TessImage *image, gint64 p,
                         gint32 *states)
{
  TessBandMaker *m = maker_new (plane->method, image, p);

  m->pf.coeffs_fd = plane->file_fd;
  m->pf.coeffs_offset = plane->file_offset;
  m->words = (gint *)states;
  m->shared = TRUE;
  maker_free (plane->maker);
  plane->maker = m;
}

gboolean
tess__plane_prepare (TessPlane *plane, TessMethod method, TessImage *image,
                     gint64 p, GError **error)
{
  gsize bytes = tess__coeffs_bytes (image->type, image->width, image->height);
  TessBandMaker *m;

  if (!tess__method_is_spline (method))
    {
      tess__plane_init (plane, method, image->type, image->swapped,
                        plane_data (image, p), image->width, image->height);
      return TRUE;
    }
  m = maker_new (method, image, p);
  m->own = g_new0 (gint, m->nbands * m->nchunks);
  m->words = m->own;
  if (bytes >= tess__map_threshold ())
    {
      /* Too large to hold in memory: in a file (see tess__shared_file()),
       * written a piece at a time, mapped for sampling; the input's pages
       * let go of as the bands are made. */
      gpointer map;
      m->fd = tess__shared_file ("spline coefficients", bytes, error);
      if (m->fd < 0)
        {
          maker_free (m);
          return FALSE;
        }
      map = mmap (NULL, bytes, PROT_READ, MAP_SHARED, m->fd, 0);
      if (map == MAP_FAILED)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                       "cannot map the spline coefficients: %s",
                       g_strerror (errno));
          maker_free (m);
          return FALSE;
        }
      m->pf.coeffs_fd = m->fd;
      tess__plane_init (plane, method, image->type, image->swapped, map,
                        image->width, image->height);
      plane->map = map;
      plane->map_len = bytes;
    }
  else
    {
      m->pf.coeffs = tess__alloc_large (bytes);
      if (m->pf.coeffs == NULL)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_NO_MEMORY,
                       "not enough memory for the spline coefficients");
          maker_free (m);
          return FALSE;
        }
      tess__plane_init (plane, method, image->type, image->swapped,
                        m->pf.coeffs, image->width, image->height);
      plane->owned = m->pf.coeffs;
    }
  plane->maker = m;
  return TRUE;
}

void
tess__plane_drop_pages (const TessPlane *plane)
{
  if (plane->map)
    (void)madvise (plane->map, plane->map_len, MADV_DONTNEED);
}

void
tess__plane_init_file (TessPlane *plane, TessMethod method, TessPixelType type,
                       gint64 width, gint64 height, int fd, guint64 offset)
{
  tess__plane_init (plane, method, type, FALSE, NULL, width, height);
  plane->file_fd = fd;
  plane->file_offset = offset;
}

/* The padded indices [*i0, *i1) a sample at [vmin, vmax] along an axis
 * of @n pixels may read. */
static void
padded_range (gint64 n, double vmin, double vmax, gint64 *i0, gint64 *i1)
{
  /* Samples outside [-0.5, n - 0.5] read nothing; a bicubic sample at v
   * reads padded indices floor(v + 1) - 1 … + 2 (mirrored into the
   * plane), a biquadratic one fewer. */
  vmin = MAX (vmin, -0.5);
  vmax = MIN (vmax, (double)n - 0.5);
  if (!(vmin <= vmax))
    {
      *i0 = *i1 = 0;
      return;
    }
  *i0 = CLAMP ((gint64)floor (vmin) - 1, 0, n + 2);
  *i1 = CLAMP ((gint64)floor (vmax) + 4, 0, n + 2);
}

void
tess__plane_region_for (const TessPlane *plane, double xmin, double xmax,
                        double ymin, double ymax, TessRect *r)
{
  gint64 x0, x1, y0, y1;

  padded_range (plane->width, xmin, xmax, &x0, &x1);
  padded_range (plane->height, ymin, ymax, &y0, &y1);
  if (x0 >= x1 || y0 >= y1)
    x0 = x1 = y0 = y1 = 0;
  r->x0 = x0;
  r->y0 = y0;
  r->width = x1 - x0;
  r->height = y1 - y0;
}

gboolean
tess__plane_fetch (TessPlane *plane, const TessRect *region, GError **error)
{
  gsize elem = plane->type == TESS_TYPE_DOUBLE ? 8 : 4;
  gsize row = plane->stride * elem, bytes;
  gint64 r0 = region->y0, r1 = region->y0 + region->height;

  if (plane->maker
      && !maker_need (plane->maker, r0, r1, region->x0,
                      region->x0 + region->width, error))
    return FALSE;
  /* (What was read for a region is valid there: its pieces were made;
   * pieces of the same rows made since then may not be in it.) */
  if (plane->file_fd < 0 || r0 >= r1
      || (plane->values && r0 >= plane->row0 && r1 <= plane->row1
          && region->x0 >= plane->col0
          && region->x0 + region->width <= plane->col1))
    return TRUE;
  bytes = (gsize)(r1 - r0) * row;
  if (plane->window_bytes < bytes)
    {
      g_free (plane->window);
      plane->window = tess__alloc_large (bytes);
      plane->window_bytes = plane->window ? bytes : 0;
      if (plane->window == NULL)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_NO_MEMORY,
                       "not enough memory for the spline coefficients");
          plane->values = NULL;
          return FALSE;
        }
    }
  plane->values = NULL;
  if (!tess__read_all (plane->file_fd, plane->window, bytes,
                       plane->file_offset + (guint64)r0 * row,
                       "the spline coefficients", error))
    return FALSE;
  plane->values = plane->window;
  plane->row0 = r0;
  plane->row1 = r1;
  plane->col0 = region->x0;
  plane->col1 = region->x0 + region->width;
  return TRUE;
}

void
tess__plane_clear (TessPlane *plane)
{
  maker_free (plane->maker);
  g_free (plane->window);
  g_free (plane->owned);
  if (plane->map)
    munmap (plane->map, plane->map_len);
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
  /* Each weight is 1/6 of its polynomial: w[1] = 2/3 - f² + f³/2, and the
   * four sum to 1, so w[2] = 1 - w[0] - w[1] - w[3] (multiplications,
   * where divisions would limit the throughput). */
  w[0] = g * g * g * (1.0 / 6.0);
  w[3] = f3 * (1.0 / 6.0);
  w[1] = (2.0 / 3.0) - f2 + 0.5 * f3;
  w[2] = 1.0 - w[0] - w[1] - w[3];
}

static inline void
quadratic_weights (double t, double w[3])
{
  w[0] = 0.5 * (0.5 - t) * (0.5 - t);
  w[1] = 0.75 - t * t;
  w[2] = 0.5 * (0.5 + t) * (0.5 + t);
}

void
tess__spline_filter_line (TessMethod method, double *c, gsize n)
{
  filter_lines (c, n, 1, spline_pole (method));
}

void
tess__spline_weights (TessMethod method, double pos, gint64 *i0, int *k,
                      double w[4])
{
  if (method == TESS_METHOD_BICUBIC)
    {
      double f0 = floor (pos);
      cubic_weights (pos - f0, w);
      *i0 = (gint64)f0 - 1;
      *k = 4;
    }
  else
    {
      double r = floor (pos + 0.5);
      quadratic_weights (pos - r, w);
      *i0 = (gint64)r - 1;
      *k = 3;
    }
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
              if (m == 4 && i0 >= 0 && j0 >= 0 && i0 + 4 <= pw                \
                  && j0 + 4 <= ph)                                            \
                {                                                             \
                  /* The common case, unrolled (the same sums). */            \
                  const T *row = v + (gsize)(j0 - pl->row0) * stride + i0;    \
                  for (int b = 0; b < 4; b++, row += stride)                  \
                    s += wy[b]                                                \
                         * (wx[0] * row[0] + wx[1] * row[1] + wx[2] * row[2]  \
                            + wx[3] * row[3]);                                \
                }                                                             \
              else if (i0 >= 0 && j0 >= 0 && i0 + m <= pw && j0 + m <= ph)    \
                {                                                             \
                  for (int b = 0; b < m; b++)                                 \
                    {                                                         \
                      const T *row                                            \
                          = v + (gsize)(j0 + b - pl->row0) * stride + i0;     \
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
                      const T *row                                            \
                          = v                                                 \
                            + (gsize)(mirror (j0 + b, ph) - pl->row0)         \
                                  * stride;                                   \
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

/* Bicubic samples of spline coefficients: the arithmetic of sample_()'s
 * bicubic case (the same bits), in a loop of its own; positions whose
 * neighbourhood crosses the padded edge go to sample_(). */
#define DEFINE_SAMPLE_CUBIC(T, SUFFIX)                                        \
  TESS__CLONES static void sample_cubic_##SUFFIX (const TessPlane *pl,        \
                                                  gsize n, const double *xs,  \
                                                  const double *ys, T *out)   \
  {                                                                           \
    const T *v = pl->values;                                                  \
    gint64 w = pl->width, h = pl->height, pw = w + 2, ph = h + 2;             \
    gsize stride = pl->stride;                                                \
    gint64 row0 = pl->row0;                                                   \
    double xmax = (double)w - 0.5, ymax = (double)h - 0.5;                    \
                                                                              \
    for (gsize k = 0; k < n; k++)                                             \
      {                                                                       \
        double x = xs[k], y = ys[k], px, py, fx0, fy0, wx[4], wy[4], s;       \
        gint64 i0, j0;                                                        \
        const T *row;                                                         \
        T r;                                                                  \
        if (!(x >= -0.5 && x <= xmax && y >= -0.5 && y <= ymax))              \
          {                                                                   \
            out[k] = (T)NAN;                                                  \
            continue;                                                         \
          }                                                                   \
        px = x + 1.0;                                                         \
        py = y + 1.0;                                                         \
        fx0 = floor (px);                                                     \
        fy0 = floor (py);                                                     \
        i0 = (gint64)fx0 - 1;                                                 \
        j0 = (gint64)fy0 - 1;                                                 \
        if (!(i0 >= 0 && j0 >= 0 && i0 + 4 <= pw && j0 + 4 <= ph))            \
          {                                                                   \
            sample_##SUFFIX (pl, 1, xs + k, ys + k, out + k);                 \
            continue;                                                         \
          }                                                                   \
        cubic_weights (px - fx0, wx);                                         \
        cubic_weights (py - fy0, wy);                                         \
        row = v + (gsize)(j0 - row0) * stride + i0;                           \
        s = 0.0;                                                              \
        for (int b = 0; b < 4; b++, row += stride)                            \
          s += wy[b]                                                          \
               * (wx[0] * row[0] + wx[1] * row[1] + wx[2] * row[2]            \
                  + wx[3] * row[3]);                                          \
        r = (T)s;                                                             \
        /* An Inf input pixel gives no value either. */                       \
        out[k] = isfinite (r) ? r : (T)NAN;                                   \
      }                                                                       \
  }

DEFINE_SAMPLE_CUBIC (float, f)
DEFINE_SAMPLE_CUBIC (double, d)

void
tess__plane_sample (const TessPlane *plane, gsize n, const double *x,
                    const double *y, gpointer out)
{
  /* Spline coefficients are always native. */
  gboolean be = plane->swapped && plane->offset == 0;

  if (plane->method == TESS_METHOD_BICUBIC && plane->offset == 1)
    {
      if (plane->type == TESS_TYPE_DOUBLE)
        sample_cubic_d (plane, n, x, y, out);
      else
        sample_cubic_f (plane, n, x, y, out);
    }
  else if (plane->type == TESS_TYPE_DOUBLE)
    (be ? sample_bed : sample_d) (plane, n, x, y, out);
  else
    (be ? sample_bef : sample_f) (plane, n, x, y, out);
}

/* ---------------------------------------------------------------------- */
/* A block of output                                                       */

/* Tile side: the coordinate map of a tile (2 × 8 bytes a pixel) stays
 * within a few hundred KiB. */
#define TILE 128

/* The bounds of the @n positions (x, y) that are defined, widened to
 * take them in: box[] is xmin, xmax, ymin, ymax. */
static void
widen_box (const double *x, const double *y, gsize n, double box[4])
{
  double x0 = box[0], x1 = box[1], y0 = box[2], y1 = box[3];

  /* (Comparisons with NaN are false: undefined positions change
   * nothing.  MIN and MAX as selections, which vectorise.) */
  for (gsize k = 0; k < n; k++)
    {
      double xv = x[k], yv = y[k];
      gboolean ok = xv == xv && yv == yv;
      x0 = ok && xv < x0 ? xv : x0;
      x1 = ok && xv > x1 ? xv : x1;
      y0 = ok && yv < y0 ? yv : y0;
      y1 = ok && yv > y1 ? yv : y1;
    }
  box[0] = x0;
  box[1] = x1;
  box[2] = y0;
  box[3] = y1;
}

static void
box_init (double box[4])
{
  box[0] = box[2] = G_MAXDOUBLE;
  box[1] = box[3] = -G_MAXDOUBLE;
}

/* The coefficients samples within @box (input pixel coordinates) read,
 * at hand in every plane (made, or read from their file). */
static gboolean
fetch_box (TessPlane **planes, gint64 nplanes, const double box[4],
           GError **error)
{
  TessRect r;

  tess__plane_region_for (planes[0], box[0], box[1], box[2], box[3], &r);
  for (gint64 p = 0; p < nplanes; p++)
    if (!tess__plane_fetch (planes[p], &r, error))
      return FALSE;
  return TRUE;
}

/* Interpolation: the map computed a tile at a time, every plane sampled
 * at its positions. */
gboolean
tess__interp_compute (const TessMethodBlock *block, GError **error)
{
  g_autoptr (TessGridMap) map = NULL;
  TessTransform *t = block->transform;
  TessImage *in = block->input;
  const TessRect *rect = block->rect;
  gpointer data = block->data;
  g_autofree TessPlane **planes = NULL;
  gsize rw, rh, oelem;
  double *ix, *iy;

  planes = g_new (TessPlane *, (gsize)in->nplanes);
  for (gint64 p = 0; p < in->nplanes; p++)
    {
      if ((planes[p] = block->get_plane (block->owner, p, error)) == NULL)
        return FALSE;
      plane_expect (planes[p], t, tess_wcs_get_width (block->target),
                    tess_wcs_get_height (block->target));
    }
  map = tess__grid_map_new (t, block->grid, rect);

  rw = (gsize)rect->width;
  rh = (gsize)rect->height;
  /* Samples come out in the planes' own type: a plan's output type is
   * its input's. */
  oelem = block->out_type == TESS_TYPE_DOUBLE ? 8 : 4;
  ix = g_new (double, TILE *TILE);
  iy = g_new (double, TILE *TILE);

  /* Coefficients read from a file: the rows the region needs (made if
   * need be), read once (a first pass over its coordinates finds them). */
  if (planes[0]->file_fd >= 0)
    {
      double box[4];

      box_init (box);
      for (gint64 ty = rect->y0; ty < rect->y0 + rect->height; ty += TILE)
        for (gint64 tx = rect->x0; tx < rect->x0 + rect->width; tx += TILE)
          {
            TessRect tr = { tx, ty, MIN (TILE, rect->x0 + rect->width - tx),
                            MIN (TILE, rect->y0 + rect->height - ty) };
            gsize np = (gsize)tr.width * (gsize)tr.height;

            tess__grid_map_fill (map, t, &tr, ix, iy);
            widen_box (ix, iy, np, box);
          }
      if (!fetch_box (planes, in->nplanes, box, error))
        {
          g_free (ix);
          g_free (iy);
          return FALSE;
        }
    }

  for (gint64 ty = rect->y0; ty < rect->y0 + rect->height; ty += TILE)
    for (gint64 tx = rect->x0; tx < rect->x0 + rect->width; tx += TILE)
      {
        TessRect tr = { tx, ty, MIN (TILE, rect->x0 + rect->width - tx),
                        MIN (TILE, rect->y0 + rect->height - ty) };
        gsize tw = (gsize)tr.width;

        tess__grid_map_fill (map, t, &tr, ix, iy);
        /* Coefficients in memory, made as needed: those this tile
         * reads. */
        if (planes[0]->maker && planes[0]->file_fd < 0)
          {
            double box[4];
            box_init (box);
            widen_box (ix, iy, tw * (gsize)tr.height, box);
            if (!fetch_box (planes, in->nplanes, box, error))
              {
                g_free (ix);
                g_free (iy);
                return FALSE;
              }
          }
        for (gint64 p = 0; p < in->nplanes; p++)
          {
            const TessPlane *pl = planes[p];
            char *plane_out = (char *)data + (gsize)p * rw * rh * oelem;
            for (gint64 y = 0; y < tr.height; y++)
              {
                gsize o = ((gsize)(tr.y0 - rect->y0 + y) * rw
                           + (gsize)(tr.x0 - rect->x0));
                tess__plane_sample (pl, tw, ix + (gsize)y * tw,
                                    iy + (gsize)y * tw, plane_out + o * oelem);
              }
          }
      }
  g_free (ix);
  g_free (iy);
  return TRUE;
}
