/* overlap.c — polygons in a gnomonic plane: clipping, moments and solid
 * angles (see tess-overlap.h).
 */
#include "config.h"

#include "methods/tess-overlap.h"

#include <math.h>

static inline void
push (TessPoly *p, double x, double y)
{
  if (p->n < TESS_POLY_MAX)
    {
      p->x[p->n] = x;
      p->y[p->n] = y;
      p->n++;
    }
}

/* Sutherland–Hodgman against one axis-aligned line: @a holds the clipped
 * coordinate, @b the other. */
static void
clip_axis (int n, const double *a, const double *b, double v,
           gboolean keep_above, double *oa, double *ob, int *on)
{
  int m = 0;

  for (int k = 0; k < n; k++)
    {
      int l = k + 1 == n ? 0 : k + 1;
      gboolean ink = keep_above ? a[k] >= v : a[k] <= v;
      gboolean inl = keep_above ? a[l] >= v : a[l] <= v;

      if (ink && m < TESS_POLY_MAX)
        {
          oa[m] = a[k];
          ob[m] = b[k];
          m++;
        }
      if (ink != inl && m < TESS_POLY_MAX)
        {
          double t = (v - a[k]) / (a[l] - a[k]);
          oa[m] = v;
          ob[m] = b[k] + t * (b[l] - b[k]);
          m++;
        }
    }
  *on = m;
}

void
tess__poly_clip_x (const TessPoly *in, double v, gboolean keep_above,
                   TessPoly *out)
{
  clip_axis (in->n, in->x, in->y, v, keep_above, out->x, out->y, &out->n);
}

void
tess__poly_clip_y (const TessPoly *in, double v, gboolean keep_above,
                   TessPoly *out)
{
  clip_axis (in->n, in->y, in->x, v, keep_above, out->y, out->x, &out->n);
}

double
tess__poly_area (const TessPoly *p)
{
  double s = 0.0;

  if (p->n < 3)
    return 0.0;
  /* About the first vertex, for precision far from the origin. */
  for (int k = 1; k + 1 < p->n; k++)
    s += (p->x[k] - p->x[0]) * (p->y[k + 1] - p->y[0])
         - (p->x[k + 1] - p->x[0]) * (p->y[k] - p->y[0]);
  return 0.5 * s;
}

void
tess__poly_clip_convex (const TessPoly *in, const TessPoly *clip,
                        TessPoly *out)
{
  TessPoly a = *in, b;
  gboolean ccw = tess__poly_area (clip) >= 0.0;

  for (int e = 0; e < clip->n && a.n > 0; e++)
    {
      int f = e + 1 == clip->n ? 0 : e + 1;
      double ex = clip->x[f] - clip->x[e], ey = clip->y[f] - clip->y[e];
      double d[TESS_POLY_MAX];

      if (!ccw)
        ex = -ex, ey = -ey;
      for (int k = 0; k < a.n; k++)
        d[k] = ex * (a.y[k] - clip->y[e]) - ey * (a.x[k] - clip->x[e]);
      b.n = 0;
      for (int k = 0; k < a.n; k++)
        {
          int l = k + 1 == a.n ? 0 : k + 1;
          if (d[k] >= 0.0)
            push (&b, a.x[k], a.y[k]);
          if ((d[k] >= 0.0) != (d[l] >= 0.0))
            {
              double t = d[k] / (d[k] - d[l]);
              push (&b, a.x[k] + t * (a.x[l] - a.x[k]),
                    a.y[k] + t * (a.y[l] - a.y[k]));
            }
        }
      a = b;
    }
  *out = a;
}

void
tess__poly_moments (const TessPoly *p, double cx, double cy, int order,
                    double m[6])
{
  double s[6] = { 0 };

  if (p->n >= 3)
    {
      double x0 = p->x[p->n - 1] - cx, y0 = p->y[p->n - 1] - cy;
      for (int k = 0; k < p->n; k++)
        {
          double x1 = p->x[k] - cx, y1 = p->y[k] - cy;
          double a = x0 * y1 - x1 * y0;
          s[0] += a;
          if (order >= 1)
            {
              s[1] += a * (x0 + x1);
              s[2] += a * (y0 + y1);
            }
          if (order >= 2)
            {
              s[3] += a * (x0 * x0 + x0 * x1 + x1 * x1);
              s[4] += a * (x0 * y1 + 2.0 * x0 * y0 + 2.0 * x1 * y1 + x1 * y0);
              s[5] += a * (y0 * y0 + y0 * y1 + y1 * y1);
            }
          x0 = x1;
          y0 = y1;
        }
    }
  m[0] = s[0] / 2.0;
  m[1] = s[1] / 6.0;
  m[2] = s[2] / 6.0;
  m[3] = s[3] / 12.0;
  m[4] = s[4] / 24.0;
  m[5] = s[5] / 12.0;
}

/* Solid angle of the triangle of gnomonic points a, b, c (Van Oosterom and
 * Strackee 1983, for the vectors (x, y, 1), which need no normalising):
 * tan(Ω/2) = det[a b c] / (|a||b||c| + (a·b)|c| + (a·c)|b| + (b·c)|a|).
 * The determinant is twice the plane triangle's area, taken from
 * differences, so small triangles keep their precision. */
static double
triangle_solid_angle (double ax, double ay, double bx, double by, double cx,
                      double cy)
{
  double det = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay);
  double la = sqrt (ax * ax + ay * ay + 1.0);
  double lb = sqrt (bx * bx + by * by + 1.0);
  double lc = sqrt (cx * cx + cy * cy + 1.0);
  double ab = ax * bx + ay * by + 1.0, ac = ax * cx + ay * cy + 1.0;
  double bc = bx * cx + by * cy + 1.0;

  return 2.0 * atan2 (det, la * lb * lc + ab * lc + ac * lb + bc * la);
}

double
tess__gnomonic_solid_angle (const TessPoly *p)
{
  double s = 0.0;

  for (int k = 1; k + 1 < p->n; k++)
    s += triangle_solid_angle (p->x[0], p->y[0], p->x[k], p->y[k], p->x[k + 1],
                               p->y[k + 1]);
  return s;
}

void
tess__density_init (TessDensity *d, const double k[4], const double p0[2])
{
  for (int i = 0; i < 4; i++)
    d->k[i] = k[i];
  d->p0[0] = p0[0];
  d->p0[1] = p0[1];
  d->det = fabs (k[0] * k[3] - k[1] * k[2]);
  tess__density_at (d, p0[0], p0[1]);
}

void
tess__density_init_uniform (TessDensity *d)
{
  static const double zero[4] = { 0.0, 0.0, 0.0, 0.0 };

  tess__density_init (d, zero, zero);
  d->det = 1.0;
}

void
tess__density_at (TessDensity *d, double cx, double cy)
{
  const double *k = d->k;
  double px = cx - d->p0[0], py = cy - d->p0[1];
  double xi = k[0] * px + k[1] * py, eta = k[2] * px + k[3] * py;
  double s = 1.0 + xi * xi + eta * eta;
  double s52 = 1.0 / (s * s * sqrt (s)), s72 = s52 / s;
  /* In the gnomonic plane: ∇w = −3 s^(−5/2) ξ,
   * ∇²w = −3 s^(−5/2) I + 15 s^(−7/2) ξ ξᵀ. */
  double gx = -3.0 * s52 * xi, gy = -3.0 * s52 * eta;
  double hxx = -3.0 * s52 + 15.0 * s72 * xi * xi;
  double hxy = 15.0 * s72 * xi * eta;
  double hyy = -3.0 * s52 + 15.0 * s72 * eta * eta;

  d->cx = cx;
  d->cy = cy;
  d->w0 = s52 * s;
  /* Through K: g = Kᵀ ∇w, H = Kᵀ ∇²w K. */
  d->g[0] = k[0] * gx + k[2] * gy;
  d->g[1] = k[1] * gx + k[3] * gy;
  {
    double a0 = hxx * k[0] + hxy * k[2], a1 = hxx * k[1] + hxy * k[3];
    double b0 = hxy * k[0] + hyy * k[2], b1 = hxy * k[1] + hyy * k[3];
    d->h[0] = k[0] * a0 + k[2] * b0;
    d->h[1] = k[0] * a1 + k[2] * b1;
    d->h[2] = k[1] * a1 + k[3] * b1;
  }
}

double
tess__density_solid_angle (const TessDensity *d, const double m[6], int order)
{
  double w = d->w0 * m[0];

  if (order >= 1)
    w += d->g[0] * m[1] + d->g[1] * m[2];
  if (order >= 2)
    w += 0.5 * (d->h[0] * m[3] + 2.0 * d->h[1] * m[4] + d->h[2] * m[5]);
  return d->det * w;
}

int
tess__density_order (const TessDensity *d, double radius, double tolerance)
{
  const double *k = d->k;
  double px = d->cx - d->p0[0], py = d->cy - d->p0[1];
  double xi = k[0] * px + k[1] * py, eta = k[2] * px + k[3] * py;
  /* |K| bounds how far ξ moves: the Frobenius norm. */
  double kn = sqrt (k[0] * k[0] + k[1] * k[1] + k[2] * k[2] + k[3] * k[3]);
  double r = radius * kn, rc = sqrt (xi * xi + eta * eta), far = rc + r;
  double sf = 1.0 + far * far, wmin = 1.0 / (sf * sqrt (sf));
  double e2, e1, e0;

  /* The remainder of the expansion of (1 + ρ²)^(−3/2) to second order:
   * its third derivatives are at most 45ρ and its fourth 45 in size, so
   * it is at most 45 (ρc + r) r³ / 6 + 45 r⁴ / 24 per unit area, against
   * a density of at least wmin.  Stopping at first order adds the
   * second-order term (second derivatives at most 3 + 15ρ²), at zeroth
   * the first-order one (gradient 3ρ). */
  e2 = (7.5 * far * r * r * r + 1.875 * r * r * r * r) / wmin;
  e1 = e2 + 0.5 * (3.0 + 15.0 * far * far) * r * r / wmin;
  e0 = e1 + 3.0 * far * r / wmin;
  if (e0 <= tolerance)
    return 0;
  if (e1 <= tolerance)
    return 1;
  if (e2 <= tolerance)
    return 2;
  return -1;
}

double
tess__density_solid_angle_exact (const TessDensity *d, const TessPoly *p)
{
  const double *k = d->k;
  TessPoly q;
  double s;

  q.n = p->n;
  for (int i = 0; i < p->n; i++)
    {
      double px = p->x[i] - d->p0[0], py = p->y[i] - d->p0[1];
      q.x[i] = k[0] * px + k[1] * py;
      q.y[i] = k[2] * px + k[3] * py;
    }
  s = tess__gnomonic_solid_angle (&q);
  return k[0] * k[3] - k[1] * k[2] < 0.0 ? -s : s;
}
