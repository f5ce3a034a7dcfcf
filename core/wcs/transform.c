/* transform.c — the output-pixel → input-pixel map of a reprojection.
 *
 * Exact transforms (output pixel → world → frame conversion → input pixel,
 * and back for the round-trip check) cost ~0.2 µs a pixel.  The map is
 * smooth almost everywhere, so it is computed exactly on a grid of nodes
 * every `grid_step` output pixels and interpolated in between by cubics
 * through the 4 × 4 nodes around each cell.  Each cell is verified: the
 * map is also computed exactly at two test points inside it, and if the
 * interpolation misses any of them by more than `transform_tolerance`
 * input pixels, or any node or test point has no valid mapping, the cell
 * is split into four cells of half the step, each verified in the same
 * way (and split again, down to steps of 4 pixels, 8 where a mapping is
 * missing); a cell that still fails is computed exactly, pixel by pixel.
 * The error of the cubics falls as the fourth power of the step, so a
 * split or two brings the cells of strongly distorted maps within the
 * tolerance at a fraction of the cost of exact transforms.  A cell none
 * of whose corners and test points has a valid mapping is taken as empty.
 *
 * The grid and its subdivisions are anchored at output pixel (0, 0), so
 * the map of a pixel does not depend on which region of the output is
 * being computed: any split into blocks gives the same result.
 */
#include "config.h"

#include "wcs/tess-transform.h"

#include <math.h>
#include <string.h>
#include <wcslib/prj.h>
#include <wcslib/sph.h>

#define CHUNK 512

struct _TessTransform
{
  struct wcsprm *out, *in;
  gboolean convert;
  TessFrame out_frame, in_frame;
  gboolean roundtrip;
  gboolean linear; /* not celestial */
  /* scratch for CHUNK points */
  double pix[2 * CHUNK], img[2 * CHUNK], world[2 * CHUNK];
  double phi[CHUNK], theta[CHUNK];
  double lon[CHUNK], lat[CHUNK];
  double bx[CHUNK], by[CHUNK];
  int stat[CHUNK];
  gboolean bad[CHUNK];
};

TessTransform *
tess__transform_new (const TessWcs *out, const TessWcs *in, gboolean roundtrip,
                     GError **error)
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
  if (!tess__wcs_compatible (out, in, error))
    {
      tess__transform_free (t);
      return NULL;
    }
  t->linear = out->linear;
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

/* pixel (0-based) of @a → world in frame @fb, into t->lon, t->lat (NaN
 * where there is none), for n ≤ CHUNK points. */
static void
pix_to_world (TessTransform *t, struct wcsprm *a, TessFrame fa, TessFrame fb,
              gsize n, const double *x, const double *y)
{
  int status;

  for (gsize k = 0; k < n; k++)
    {
      t->pix[2 * k] = x[k] + 1.0;
      t->pix[2 * k + 1] = y[k] + 1.0;
    }
  status = wcsp2s (a, (int)n, 2, t->pix, t->img, t->phi, t->theta, t->world,
                   t->stat);
  if (status)
    tess__wcsprm_clear_errors (a);
  if (status != 0 && status != WCSERR_BAD_PIX)
    {
      for (gsize k = 0; k < n; k++)
        t->lon[k] = t->lat[k] = NAN;
      return;
    }
  for (gsize k = 0; k < n; k++)
    {
      if (t->stat[k] || !isfinite (x[k]) || !isfinite (y[k]))
        {
          t->lon[k] = t->lat[k] = NAN;
          continue;
        }
      t->lon[k] = t->world[2 * k + tess__world_x (a)];
      t->lat[k] = t->world[2 * k + tess__world_y (a)];
    }
  if (fa != fb)
    tess_frame_convert (fa, fb, n, t->lon, t->lat);
}

/* pixel (0-based) of @a → pixel of @b, for n ≤ CHUNK points. */
static void
pix_to_pix (TessTransform *t, struct wcsprm *a, TessFrame fa, struct wcsprm *b,
            TessFrame fb, gsize n, const double *x, const double *y,
            double *bx, double *by)
{
  int status;

  pix_to_world (t, a, fa, t->convert ? fb : fa, n, x, y);
  for (gsize k = 0; k < n; k++)
    {
      /* wcss2p needs finite input: park invalid points somewhere valid
       * and flag them afterwards. */
      gboolean ok = isfinite (t->lon[k]) && isfinite (t->lat[k]);
      int wx = tess__world_x (b), wy = tess__world_y (b);
      t->world[2 * k + wx] = ok ? t->lon[k] : b->crval[wx];
      t->world[2 * k + wy] = ok ? t->lat[k] : b->crval[wy];
      t->bad[k] = !ok;
    }
  {
    status = wcss2p (b, (int)n, 2, t->world, t->phi, t->theta, t->img, t->pix,
                     t->stat);
    if (status)
      tess__wcsprm_clear_errors (b);
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

/* The rotation native → celestial of a wcsprm (columns: the celestial
 * unit vectors of the native axes), from its Euler angles. */
static void
native_to_celestial (const struct wcsprm *w, double r[9])
{
  static const double phi[3] = { 0.0, 90.0, 0.0 },
                      theta[3] = { 0.0, 0.0, 90.0 };
  double lng[3], lat[3];

  sphx2s (w->cel.euler, 3, 0, 1, 1, phi, theta, lng, lat);
  for (int c = 0; c < 3; c++)
    {
      double l = lng[c] * (G_PI / 180.0), b = lat[c] * (G_PI / 180.0);
      r[0 * 3 + c] = cos (b) * cos (l);
      r[1 * 3 + c] = cos (b) * sin (l);
      r[2 * 3 + c] = sin (b);
    }
}

gboolean
tess__transform_native_rotation (TessTransform *t, double m[9])
{
  double ro[9], ri[9], f[3][3], fro[9];

  if (t->linear)
    return FALSE;
  if (t->convert
      && ((int)t->out_frame < 0 || (int)t->in_frame < 0
          || t->out_frame == TESS_FRAME_FK4 || t->in_frame == TESS_FRAME_FK4))
    return FALSE;
  native_to_celestial (t->out, ro);
  native_to_celestial (t->in, ri);
  if (t->convert)
    tess__frame_matrix (t->out_frame, t->in_frame, f);
  else
    for (int i = 0; i < 3; i++)
      for (int j = 0; j < 3; j++)
        f[i][j] = i == j;
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      fro[i * 3 + j] = f[i][0] * ro[0 * 3 + j] + f[i][1] * ro[1 * 3 + j]
                       + f[i][2] * ro[2 * 3 + j];
  /* m = riᵀ · F · ro */
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      m[i * 3 + j] = ri[0 * 3 + i] * fro[0 * 3 + j]
                     + ri[1 * 3 + i] * fro[1 * 3 + j]
                     + ri[2 * 3 + i] * fro[2 * 3 + j];
  return TRUE;
}

void
tess__transform_output_native (TessTransform *t, gsize n, const double *x,
                               const double *y, double *vx, double *vy,
                               double *vz)
{
  struct wcsprm *w = t->out;

  for (gsize off = 0; off < n; off += CHUNK)
    {
      gsize m = MIN (CHUNK, n - off);
      int status;

      for (gsize k = 0; k < m; k++)
        {
          t->pix[2 * k] = x[off + k] + 1.0;
          t->pix[2 * k + 1] = y[off + k] + 1.0;
        }
      status = linp2x (&w->lin, (int)m, 2, t->pix, t->img);
      for (gsize k = 0; k < m && status == 0; k++)
        {
          t->lon[k] = t->img[2 * k + w->lng];
          t->lat[k] = t->img[2 * k + w->lat];
        }
      if (status == 0)
        status = prjx2s (&w->cel.prj, (int)m, 0, 1, 1, t->lon, t->lat, t->phi,
                         t->theta, t->stat);
      if (status)
        tess__wcsprm_clear_errors (w);
      for (gsize k = 0; k < m; k++)
        {
          if ((status != 0 && status != 3) || t->stat[k]
              || !isfinite (x[off + k]) || !isfinite (y[off + k]))
            {
              vx[off + k] = vy[off + k] = vz[off + k] = NAN;
              continue;
            }
          double p = t->phi[k] * (G_PI / 180.0),
                 th = t->theta[k] * (G_PI / 180.0);
          double ct = cos (th);
          vx[off + k] = ct * cos (p);
          vy[off + k] = ct * sin (p);
          vz[off + k] = sin (th);
        }
    }
}

void
tess__transform_sky (TessTransform *t, gboolean input, gsize n,
                     const double *x, const double *y, double *lon,
                     double *lat)
{
  for (gsize off = 0; off < n; off += CHUNK)
    {
      gsize m = MIN (CHUNK, n - off);

      if (input)
        pix_to_world (t, t->in, t->in_frame, t->in_frame, m, x + off, y + off);
      else
        pix_to_world (t, t->out, t->out_frame,
                      t->convert ? t->in_frame : t->out_frame, m, x + off,
                      y + off);
      memcpy (lon + off, t->lon, m * sizeof (double));
      memcpy (lat + off, t->lat, m * sizeof (double));
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

/* Cubic Lagrange weights for nodes -1, 0, 1, 2 at 0 <= t < 1. */
static inline void
lagrange4 (double t, double w[4])
{
  w[0] = -t * (t - 1.0) * (t - 2.0) / 6.0;
  w[1] = (t + 1.0) * (t - 1.0) * (t - 2.0) / 2.0;
  w[2] = -(t + 1.0) * t * (t - 2.0) / 2.0;
  w[3] = (t + 1.0) * t * (t - 1.0) / 6.0;
}

/* Test points of a cell, as fractions of the step: its centre (where the
 * error of a cubic through four nodes peaks along both axes at once), and
 * a point off its diagonals.  Each costs an exact transform there and
 * back: a third would add 7 % to a whole bilinear run. */
static const double test_u[] = { 0.5, 0.25 };
static const double test_v[] = { 0.5, 0.75 };
#define NTEST 2

/* The smallest step a cell is split into: where the map misses the
 * tolerance, and where some of its nodes have no mapping (the edge of a
 * projection, a discontinuity), for which splitting pays less.  Below
 * them, a cell is computed exactly. */
#define MIN_SPLIT_STEP 4
#define MIN_SPLIT_STEP_BAD 8
/* Steps S, S/2, … down to MIN_SPLIT_STEP: at most this many. */
#define MAX_LEVELS 12

enum
{
  CELL_SMOOTH, /* interpolate */
  CELL_EXACT,  /* every pixel exactly */
  CELL_EMPTY,  /* no pixel maps anywhere */
  CELL_SPLIT,  /* in four cells of half the step */
};

/* A cell split in four.  The children interpolate from nodes of a grid
 * of half the step, anchored as the whole grid is, so that a pixel's map
 * does not depend on which region is computed; each child is classified
 * (and split again) as the cells of the whole grid are. */
#define SPLIT_NODES 5 /* nodes -1 … 3 of the finer grid, both ways */

typedef struct _Split Split;
struct _Split
{
  gint64 x0, y0;   /* the cell's first pixel */
  gint64 step;     /* the children's step */
  int level;       /* the children's weights: map->w[level] */
  guint8 state[4]; /* child (kx, ky) at 2·ky + kx */
  Split *child[4];
  double nx[SPLIT_NODES * SPLIT_NODES], ny[SPLIT_NODES * SPLIT_NODES];
};

struct _TessGridMap
{
  TessGrid grid;
  gint64 c0, d0;   /* first cell column and row */
  gsize ncx, ncy;  /* cells */
  gsize nx;        /* nodes per row: ncx + 3 */
  double *qx, *qy; /* nodes (c0-1 … c1+2) × (d0-1 … d1+2) */
  guint8 *state;   /* per cell */
  Split **split;   /* per cell: its children when split */
  /* Lagrange weights for each offset in a cell of step S / 2^level. */
  double (*w[MAX_LEVELS])[4];
};

static void
fill_nan (double *ix, double *iy, gsize w, const TessRect *r, gint64 xa,
          gint64 xb, gint64 ya, gint64 yb)
{
  for (gint64 y = ya; y <= yb; y++)
    for (gint64 x = xa; x <= xb; x++)
      {
        gsize o = (gsize)(y - r->y0) * w + (gsize)(x - r->x0);
        ix[o] = iy[o] = NAN;
      }
}

static void
exact_cell (TessTransform *t, double *ix, double *iy, gsize w,
            const TessRect *r, gint64 xa, gint64 xb, gint64 ya, gint64 yb)
{
  gsize n = (gsize)((xb - xa + 1) * (yb - ya + 1)), e = 0;
  double *buf = g_new (double, 4 * n);
  double *ox = buf, *oy = buf + n, *ex = buf + 2 * n, *ey = buf + 3 * n;

  for (gint64 y = ya; y <= yb; y++)
    for (gint64 x = xa; x <= xb; x++, e++)
      {
        ox[e] = (double)x;
        oy[e] = (double)y;
      }
  tess__transform_exact (t, n, ox, oy, ex, ey);
  e = 0;
  for (gint64 y = ya; y <= yb; y++)
    for (gint64 x = xa; x <= xb; x++, e++)
      {
        gsize o = (gsize)(y - r->y0) * w + (gsize)(x - r->x0);
        ix[o] = ex[e];
        iy[o] = ey[e];
      }
  g_free (buf);
}

/* Cell of pixel @x: floor (x / S), for pixels left of or above the output
 * too (the adaptive method's map reaches a pixel beyond each edge). */
static inline gint64
cell_of (gint64 x, gint64 S)
{
  return x >= 0 ? x / S : -((-x + S - 1) / S);
}

/* How a cell is filled, from its 4 × 4 nodes (node (a, b), a, b in
 * -1 … 2, at nxv[b·stride + a]) and the exact map at its test points;
 * *bad tells whether any of them has no mapping. */
static guint8
classify (const double *nxv, const double *nyv, gssize stride,
          const double *tx, const double *ty, double tolerance, gboolean *bad)
{
  gboolean any_bad = FALSE, all_bad = TRUE;

  for (int b = -1; b <= 2; b++)
    for (int a = -1; a <= 2; a++)
      {
        gssize o = b * stride + a;
        gboolean nb = isnan (nxv[o]) || isnan (nyv[o]);
        any_bad |= nb;
        /* The cell's own corners decide whether it is empty. */
        if (!nb && a >= 0 && a <= 1 && b >= 0 && b <= 1)
          all_bad = FALSE;
      }
  for (int n = 0; n < NTEST; n++)
    {
      if (isnan (tx[n]) || isnan (ty[n]))
        any_bad = TRUE;
      else
        all_bad = FALSE;
    }
  *bad = any_bad;
  if (all_bad)
    return CELL_EMPTY;
  if (any_bad)
    return CELL_EXACT;
  for (int n = 0; n < NTEST; n++)
    {
      double lu[4], lv[4], ax = 0.0, ay = 0.0;
      lagrange4 (test_u[n], lu);
      lagrange4 (test_v[n], lv);
      for (int b = 0; b < 4; b++)
        for (int a = 0; a < 4; a++)
          {
            gssize o = (b - 1) * stride + a - 1;
            ax += lu[a] * lv[b] * nxv[o];
            ay += lu[a] * lv[b] * nyv[o];
          }
      if (!(fabs (ax - tx[n]) <= tolerance && fabs (ay - ty[n]) <= tolerance))
        return CELL_EXACT;
    }
  return CELL_SMOOTH;
}

/* Whether a cell of @step that failed (@bad: for want of a mapping) is
 * split rather than computed exactly. */
static inline gboolean
can_split (gint64 step, int level, gboolean bad)
{
  return step % 2 == 0
         && step / 2 >= (bad ? MIN_SPLIT_STEP_BAD : MIN_SPLIT_STEP)
         && level + 1 < MAX_LEVELS;
}

static double (*weights (TessGridMap *m, int level))[4]
{
  if (m->w[level] == NULL)
    {
      gint64 s = m->grid.step >> level;
      m->w[level] = g_malloc (sizeof (double[4]) * (gsize)s);
      for (gint64 k = 0; k < s; k++)
        lagrange4 ((double)k / (double)s, m->w[level][k]);
    }
  return m->w[level];
}

/* Splits the cell of step 2·@step whose first pixel is (@x0, @y0); its
 * children are at @level. */
static Split *
split_new (TessGridMap *m, TessTransform *t, gint64 x0, gint64 y0, gint64 step,
           int level)
{
  enum
  {
    NN = SPLIT_NODES * SPLIT_NODES,
    NP = NN + 4 * NTEST
  };
  Split *s = g_new0 (Split, 1);
  double px[NP], py[NP], qx[NP], qy[NP];
  int k = 0;

  s->x0 = x0;
  s->y0 = y0;
  s->step = step;
  s->level = level;
  weights (m, level);
  for (int j = -1; j < SPLIT_NODES - 1; j++)
    for (int i = -1; i < SPLIT_NODES - 1; i++, k++)
      {
        px[k] = (double)(x0 + i * step);
        py[k] = (double)(y0 + j * step);
      }
  for (int ky = 0; ky < 2; ky++)
    for (int kx = 0; kx < 2; kx++)
      for (int n = 0; n < NTEST; n++, k++)
        {
          px[k] = (double)(x0 + kx * step) + test_u[n] * (double)step;
          py[k] = (double)(y0 + ky * step) + test_v[n] * (double)step;
        }
  tess__transform_exact (t, NP, px, py, qx, qy);
  memcpy (s->nx, qx, sizeof s->nx);
  memcpy (s->ny, qy, sizeof s->ny);
  for (int ky = 0; ky < 2; ky++)
    for (int kx = 0; kx < 2; kx++)
      {
        int c = 2 * ky + kx;
        gsize o = (gsize)(ky + 1) * SPLIT_NODES + (gsize)kx + 1;
        gboolean bad;

        s->state[c]
            = classify (s->nx + o, s->ny + o, SPLIT_NODES, qx + NN + c * NTEST,
                        qy + NN + c * NTEST, m->grid.tolerance, &bad);
        if (s->state[c] == CELL_EXACT && can_split (step, level, bad))
          {
            s->child[c] = split_new (m, t, x0 + kx * step, y0 + ky * step,
                                     step / 2, level + 1);
            s->state[c] = CELL_SPLIT;
          }
      }
  return s;
}

static void
split_free (Split *s)
{
  if (s == NULL)
    return;
  for (int c = 0; c < 4; c++)
    split_free (s->child[c]);
  g_free (s);
}

TessGridMap *
tess__grid_map_new (TessTransform *t, const TessGrid *g, const TessRect *r)
{
  TessGridMap *m = g_new0 (TessGridMap, 1);
  gint64 S = g->step;
  gint64 x1 = r->x0 + r->width - 1, y1 = r->y0 + r->height - 1;

  m->grid = *g;
  if (g->exact || S == 1)
    return m;

  /* Cells [c·S, (c+1)·S) covering the region; node c sits at c·S, and a
   * cell interpolates from nodes c-1 … c+2 (they may lie beyond the
   * image). */
  m->c0 = cell_of (r->x0, S);
  m->d0 = cell_of (r->y0, S);
  m->ncx = (gsize)(cell_of (x1, S) - m->c0 + 1);
  m->ncy = (gsize)(cell_of (y1, S) - m->d0 + 1);
  m->nx = m->ncx + 3;

  gsize ny = m->ncy + 3, nnodes = m->nx * ny;
  gsize ntot = nnodes + m->ncx * m->ncy * NTEST;
  double *buf = g_new (double, 4 * ntot);
  double *px = buf, *py = buf + ntot, *qx = buf + 2 * ntot,
         *qy = buf + 3 * ntot;
  gsize k = 0;

  for (gsize j = 0; j < ny; j++)
    for (gsize i = 0; i < m->nx; i++, k++)
      {
        px[k] = (double)((m->c0 - 1 + (gint64)i) * S);
        py[k] = (double)((m->d0 - 1 + (gint64)j) * S);
      }
  for (gsize cj = 0; cj < m->ncy; cj++)
    for (gsize ci = 0; ci < m->ncx; ci++)
      for (int n = 0; n < NTEST; n++, k++)
        {
          px[k] = (double)((m->c0 + (gint64)ci) * S) + test_u[n] * (double)S;
          py[k] = (double)((m->d0 + (gint64)cj) * S) + test_v[n] * (double)S;
        }
  tess__transform_exact (t, ntot, px, py, qx, qy);

  m->qx = g_memdup2 (qx, nnodes * sizeof (double));
  m->qy = g_memdup2 (qy, nnodes * sizeof (double));
  m->state = g_new (guint8, m->ncx * m->ncy);
  m->split = g_new0 (Split *, m->ncx * m->ncy);
  weights (m, 0);

  for (gsize cj = 0; cj < m->ncy; cj++)
    for (gsize ci = 0; ci < m->ncx; ci++)
      {
        /* Node (c + a, d + b) of this cell is at nxv[b·nx + a]. */
        gsize o = (cj + 1) * m->nx + ci + 1, c = cj * m->ncx + ci;
        gboolean bad;

        m->state[c] = classify (m->qx + o, m->qy + o, (gssize)m->nx,
                                qx + nnodes + c * NTEST,
                                qy + nnodes + c * NTEST, g->tolerance, &bad);
        if (m->state[c] == CELL_EXACT && can_split (S, 0, bad))
          {
            m->split[c] = split_new (m, t, (m->c0 + (gint64)ci) * S,
                                     (m->d0 + (gint64)cj) * S, S / 2, 1);
            m->state[c] = CELL_SPLIT;
          }
      }
  g_free (buf);
  return m;
}

void
tess__grid_map_free (TessGridMap *m)
{
  if (m == NULL)
    return;
  if (m->split)
    for (gsize c = 0; c < m->ncx * m->ncy; c++)
      split_free (m->split[c]);
  g_free (m->split);
  g_free (m->qx);
  g_free (m->qy);
  g_free (m->state);
  for (int l = 0; l < MAX_LEVELS; l++)
    g_free (m->w[l]);
  g_free (m);
}

/* Pixels xa … xb, ya … yb of a smooth cell whose first pixel is (cx0,
 * cy0), interpolated from its nodes (as in classify) with the weights
 * @w of its step. */
static void
fill_smooth (const double *nxv, const double *nyv, gssize stride,
             const double (*w)[4], gint64 cx0, gint64 cy0, const TessRect *r,
             double *ix, double *iy, gint64 xa, gint64 xb, gint64 ya,
             gint64 yb)
{
  gsize rw = (gsize)r->width;

  for (gint64 y = ya; y <= yb; y++)
    {
      const double *lv = w[y - cy0];
      double colx[4], coly[4];
      double *ox_row = ix + (gsize)(y - r->y0) * rw - r->x0;
      double *oy_row = iy + (gsize)(y - r->y0) * rw - r->x0;
      /* Along y first, for the four node columns. */
      for (int a = 0; a < 4; a++)
        {
          colx[a] = coly[a] = 0.0;
          for (int b = 0; b < 4; b++)
            {
              gssize o = (b - 1) * stride + a - 1;
              colx[a] += lv[b] * nxv[o];
              coly[a] += lv[b] * nyv[o];
            }
        }
      for (gint64 x = xa; x <= xb; x++)
        {
          const double *lu = w[x - cx0];
          ox_row[x] = lu[0] * colx[0] + lu[1] * colx[1] + lu[2] * colx[2]
                      + lu[3] * colx[3];
          oy_row[x] = lu[0] * coly[0] + lu[1] * coly[1] + lu[2] * coly[2]
                      + lu[3] * coly[3];
        }
    }
}

static void fill_split (TessGridMap *m, const Split *s, TessTransform *t,
                        const TessRect *r, double *ix, double *iy, gint64 xa,
                        gint64 xb, gint64 ya, gint64 yb);

/* Pixels xa … xb, ya … yb of a cell (first pixel (cx0, cy0), weights of
 * @level) in @state: its nodes at @nxv, @nyv with @stride, or @split. */
static void
fill_cell (TessGridMap *m, TessTransform *t, const TessRect *r, double *ix,
           double *iy, guint8 state, const Split *split, const double *nxv,
           const double *nyv, gssize stride, int level, gint64 cx0, gint64 cy0,
           gint64 xa, gint64 xb, gint64 ya, gint64 yb)
{
  gsize rw = (gsize)r->width;

  switch (state)
    {
    case CELL_EMPTY:
      fill_nan (ix, iy, rw, r, xa, xb, ya, yb);
      break;
    case CELL_EXACT:
      exact_cell (t, ix, iy, rw, r, xa, xb, ya, yb);
      break;
    case CELL_SPLIT:
      fill_split (m, split, t, r, ix, iy, xa, xb, ya, yb);
      break;
    default:
      fill_smooth (nxv, nyv, stride, (const double (*)[4])m->w[level], cx0,
                   cy0, r, ix, iy, xa, xb, ya, yb);
      break;
    }
}

static void
fill_split (TessGridMap *m, const Split *s, TessTransform *t,
            const TessRect *r, double *ix, double *iy, gint64 xa, gint64 xb,
            gint64 ya, gint64 yb)
{
  for (int ky = 0; ky < 2; ky++)
    for (int kx = 0; kx < 2; kx++)
      {
        int c = 2 * ky + kx;
        gint64 cx0 = s->x0 + kx * s->step, cy0 = s->y0 + ky * s->step;
        gint64 xa2 = MAX (xa, cx0), xb2 = MIN (xb, cx0 + s->step - 1);
        gint64 ya2 = MAX (ya, cy0), yb2 = MIN (yb, cy0 + s->step - 1);
        gsize o = (gsize)(ky + 1) * SPLIT_NODES + (gsize)kx + 1;

        if (xa2 <= xb2 && ya2 <= yb2)
          fill_cell (m, t, r, ix, iy, s->state[c], s->child[c], s->nx + o,
                     s->ny + o, SPLIT_NODES, s->level, cx0, cy0, xa2, xb2, ya2,
                     yb2);
      }
}

void
tess__grid_map_fill (TessGridMap *m, TessTransform *t, const TessRect *r,
                     double *ix, double *iy)
{
  gint64 S = m->grid.step;
  gint64 x1 = r->x0 + r->width - 1, y1 = r->y0 + r->height - 1;
  gsize w = (gsize)r->width;

  if (m->state == NULL)
    {
      exact_cell (t, ix, iy, w, r, r->x0, x1, r->y0, y1);
      return;
    }
  g_assert (cell_of (r->x0, S) >= m->c0 && cell_of (r->y0, S) >= m->d0
            && (gsize)(cell_of (x1, S) - m->c0) < m->ncx
            && (gsize)(cell_of (y1, S) - m->d0) < m->ncy);

  for (gint64 cy = cell_of (r->y0, S); cy <= cell_of (y1, S); cy++)
    for (gint64 cx = cell_of (r->x0, S); cx <= cell_of (x1, S); cx++)
      {
        gsize ci = (gsize)(cx - m->c0), cj = (gsize)(cy - m->d0);
        gsize c = cj * m->ncx + ci, o = (cj + 1) * m->nx + ci + 1;
        gint64 xa = MAX (cx * S, r->x0), xb = MIN (cx * S + S - 1, x1);
        gint64 ya = MAX (cy * S, r->y0), yb = MIN (cy * S + S - 1, y1);

        fill_cell (m, t, r, ix, iy, m->state[c], m->split[c], m->qx + o,
                   m->qy + o, (gssize)m->nx, 0, cx * S, cy * S, xa, xb, ya,
                   yb);
      }
}
