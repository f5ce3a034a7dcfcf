/* tess-overlap.h — polygons in a gnomonic plane and their solid angles,
 * for the exact method (overlap.c).
 *
 * In a gnomonic (TAN) plane every great circle is a straight line, so the
 * overlap of two pixels with great-circle edges is the overlap of two
 * plane polygons, found by clipping.  A polygon's solid angle is the
 * integral of the projection's area density (1 + ξ² + η²)^(−3/2) over it:
 * exactly, by the solid angles of the triangles of a fan (spherical
 * geometry), or from its area and first and second moments with the
 * density expanded to second order about a point near it (planar
 * geometry: a few multiplications a vertex, exact to the expansion's
 * remainder).
 */
#ifndef TESS_OVERLAP_H
#define TESS_OVERLAP_H

#include <glib.h>

/* A quadrilateral clipped by four lines has at most eight vertices. */
#define TESS_POLY_MAX 12

typedef struct
{
  int n;
  double x[TESS_POLY_MAX], y[TESS_POLY_MAX];
} TessPoly;

/* Clips @in to the half-plane x ≥ @v (@keep_above) or x ≤ @v, into @out.
 * Any polygon, convex or not. */
void tess__poly_clip_x (const TessPoly *in, double v, gboolean keep_above,
                        TessPoly *out);
void tess__poly_clip_y (const TessPoly *in, double v, gboolean keep_above,
                        TessPoly *out);
/* Clips @in to the convex polygon @clip (either orientation), into @out. */
void tess__poly_clip_convex (const TessPoly *in, const TessPoly *clip,
                             TessPoly *out);
/* Signed area (counter-clockwise positive). */
double tess__poly_area (const TessPoly *p);
/* Area and moments about (@cx, @cy), signed as the area: m[0] = ∫1,
 * m[1] = ∫dx, m[2] = ∫dy, m[3] = ∫dx², m[4] = ∫dx·dy, m[5] = ∫dy²; up to
 * the first @order + 1 groups (order 0: m[0]; 1: m[0…2]; 2: all). */
void tess__poly_moments (const TessPoly *p, double cx, double cy, int order,
                         double m[6]);
/* Solid angle (steradians, signed as the area) of a polygon given in
 * gnomonic coordinates (radians, tangent point at the origin). */
double tess__gnomonic_solid_angle (const TessPoly *p);

/* The area density of a gnomonic plane seen through a linear map
 * ξ = K·(p − p0) from another plane (pixels): solid angle
 * = |det K| ∫ (1 + |ξ|²)^(−3/2) dp, expanded to second order about a
 * point c.  For the identity map it is the gnomonic plane itself. */
typedef struct
{
  double k[4], p0[2], det; /* K (row major), p0, |det K| */
  double cx, cy;           /* the point of the expansion */
  double w0, g[2], h[3];   /* value, gradient and Hessian (xx, xy, yy) */
} TessDensity;

void tess__density_init (TessDensity *d, const double k[4],
                         const double p0[2]);
/* A plane of uniform density 1 (a non-celestial WCS): solid angles are
 * areas. */
void tess__density_init_uniform (TessDensity *d);
/* Expands the density about (@cx, @cy). */
void tess__density_at (TessDensity *d, double cx, double cy);
/* The solid angle of a polygon from its moments about the point of the
 * expansion (planar geometry), the density expanded to @order (0, 1 or
 * 2): moments beyond it are not read. */
double tess__density_solid_angle (const TessDensity *d, const double m[6],
                                  int order);
/* The lowest order (0, 1 or 2) of expansion whose relative error is
 * bounded by @tolerance for polygons within @radius (in the units of p) of
 * the point of the expansion; −1 when none is (spherical geometry is
 * needed). */
int tess__density_order (const TessDensity *d, double radius,
                         double tolerance);
/* The exact solid angle of a polygon in the units of p (spherical
 * geometry): its vertices are mapped through K to the gnomonic plane. */
double tess__density_solid_angle_exact (const TessDensity *d,
                                        const TessPoly *p);

#endif /* TESS_OVERLAP_H */
