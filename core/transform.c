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
#include <wcslib/prj.h>
#include <wcslib/sph.h>

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
      t->lon[k] = t->world[2 * k + a->lng];
      t->lat[k] = t->world[2 * k + a->lat];
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
      t->world[2 * k + b->lng] = ok ? t->lon[k] : b->crval[b->lng];
      t->world[2 * k + b->lat] = ok ? t->lat[k] : b->crval[b->lat];
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

/* Test points of a cell, as fractions of the step: its centre, and a
 * point off its diagonals. */
static const double test_u[] = { 0.5, 0.25 };
static const double test_v[] = { 0.5, 0.75 };
#define NTEST 2

enum
{
  CELL_SMOOTH, /* interpolate */
  CELL_EXACT,  /* every pixel exactly */
  CELL_EMPTY,  /* no pixel maps anywhere */
};

struct _TessGridMap
{
  TessGrid grid;
  gint64 c0, d0;   /* first cell column and row */
  gsize ncx, ncy;  /* cells */
  gsize nx;        /* nodes per row: ncx + 3 */
  double *qx, *qy; /* nodes (c0-1 … c1+2) × (d0-1 … d1+2) */
  guint8 *state;   /* per cell */
  double (*w)[4];  /* Lagrange weights for each offset in a cell */
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
  m->w = g_malloc (sizeof (double[4]) * (gsize)S);
  for (gint64 s = 0; s < S; s++)
    lagrange4 ((double)s / (double)S, m->w[s]);

  for (gsize cj = 0; cj < m->ncy; cj++)
    for (gsize ci = 0; ci < m->ncx; ci++)
      {
        /* Node (c + a, d + b) of this cell is at nxv[b·nx + a]. */
        const double *nxv = m->qx + (cj + 1) * m->nx + ci + 1;
        const double *nyv = m->qy + (cj + 1) * m->nx + ci + 1;
        const double *tx = qx + nnodes + (cj * m->ncx + ci) * NTEST;
        const double *ty = qy + nnodes + (cj * m->ncx + ci) * NTEST;
        gboolean any_bad = FALSE, all_bad = TRUE, smooth = TRUE;
        guint8 *state = &m->state[cj * m->ncx + ci];

        for (int b = -1; b <= 2; b++)
          for (int a = -1; a <= 2; a++)
            {
              gsize o = (gsize)((gint64)b * (gint64)m->nx + a);
              gboolean bad = isnan (nxv[o]) || isnan (nyv[o]);
              any_bad |= bad;
              /* The cell's own corners decide whether it is empty. */
              if (!bad && a >= 0 && a <= 1 && b >= 0 && b <= 1)
                all_bad = FALSE;
            }
        for (int n = 0; n < NTEST; n++)
          {
            if (isnan (tx[n]) || isnan (ty[n]))
              any_bad = TRUE;
            else
              all_bad = FALSE;
          }
        if (all_bad)
          {
            *state = CELL_EMPTY;
            continue;
          }
        if (!any_bad)
          for (int n = 0; n < NTEST && smooth; n++)
            {
              double lu[4], lv[4], ax = 0.0, ay = 0.0;
              lagrange4 (test_u[n], lu);
              lagrange4 (test_v[n], lv);
              for (int b = 0; b < 4; b++)
                for (int a = 0; a < 4; a++)
                  {
                    gsize o = (gsize)((gint64)(b - 1) * (gint64)m->nx + a - 1);
                    ax += lu[a] * lv[b] * nxv[o];
                    ay += lu[a] * lv[b] * nyv[o];
                  }
              if (!(fabs (ax - tx[n]) <= g->tolerance
                    && fabs (ay - ty[n]) <= g->tolerance))
                smooth = FALSE;
            }
        *state = any_bad || !smooth ? CELL_EXACT : CELL_SMOOTH;
      }
  g_free (buf);
  return m;
}

void
tess__grid_map_free (TessGridMap *m)
{
  if (m == NULL)
    return;
  g_free (m->qx);
  g_free (m->qy);
  g_free (m->state);
  g_free (m->w);
  g_free (m);
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
        gint64 xa = MAX (cx * S, r->x0), xb = MIN (cx * S + S - 1, x1);
        gint64 ya = MAX (cy * S, r->y0), yb = MIN (cy * S + S - 1, y1);
        const double *nxv = m->qx + (cj + 1) * m->nx + ci + 1;
        const double *nyv = m->qy + (cj + 1) * m->nx + ci + 1;

        switch (m->state[cj * m->ncx + ci])
          {
          case CELL_EMPTY:
            fill_nan (ix, iy, w, r, xa, xb, ya, yb);
            continue;
          case CELL_EXACT:
            exact_cell (t, ix, iy, w, r, xa, xb, ya, yb);
            continue;
          default:
            break;
          }
        for (gint64 y = ya; y <= yb; y++)
          {
            const double *lv = m->w[y - cy * S];
            double colx[4], coly[4];
            double *ox_row = ix + (gsize)(y - r->y0) * w - r->x0;
            double *oy_row = iy + (gsize)(y - r->y0) * w - r->x0;
            /* Along y first, for the four node columns. */
            for (int a = 0; a < 4; a++)
              {
                colx[a] = coly[a] = 0.0;
                for (int b = 0; b < 4; b++)
                  {
                    gsize o = (gsize)((gint64)(b - 1) * (gint64)m->nx + a - 1);
                    colx[a] += lv[b] * nxv[o];
                    coly[a] += lv[b] * nyv[o];
                  }
              }
            for (gint64 x = xa; x <= xb; x++)
              {
                const double *lu = m->w[x - cx * S];
                ox_row[x] = lu[0] * colx[0] + lu[1] * colx[1] + lu[2] * colx[2]
                            + lu[3] * colx[3];
                oy_row[x] = lu[0] * coly[0] + lu[1] * coly[1] + lu[2] * coly[2]
                            + lu[3] * coly[3];
              }
          }
      }
}
