/* test-overlap.c — the geometry of the exact method (core/overlap.c, built
 * into this test): clipping against analytic overlap areas, moments,
 * solid angles of gnomonic rectangles against their closed form, and the
 * rule that picks planar or spherical geometry, on both sides of it.
 */
#include "config.h"

#include "methods/tess-overlap.h"

#include <check.h>
#include <math.h>

static TessPoly
square (double cx, double cy, double side)
{
  TessPoly p
      = { 4,
          { cx - side / 2, cx + side / 2, cx + side / 2, cx - side / 2 },
          { cy - side / 2, cy - side / 2, cy + side / 2, cy + side / 2 } };
  return p;
}

/* @p clipped to the unit pixel centred on (i, j), as the exact method
 * clips output quadrilaterals. */
static TessPoly
clip_pixel (const TessPoly *p, double i, double j)
{
  TessPoly a, b;

  tess__poly_clip_x (p, i - 0.5, TRUE, &a);
  tess__poly_clip_x (&a, i + 0.5, FALSE, &b);
  tess__poly_clip_y (&b, j - 0.5, TRUE, &a);
  tess__poly_clip_y (&a, j + 0.5, FALSE, &b);
  return b;
}

START_TEST (test_clip_areas)
{
  TessPoly s = square (0.3, 0.2, 1.0),
           diamond = { 4, { 0.5, 0, -0.5, 0 }, { 0, 0.5, 0, -0.5 } };
  TessPoly rot, out, big = square (0.0, 0.0, 3.0);
  double total = 0.0;

  /* Shifted unit squares share (1 − 0.3)(1 − 0.2). */
  out = clip_pixel (&s, 0, 0);
  ck_assert_double_eq_tol (tess__poly_area (&out), 0.56, 1e-15);
  /* A diamond inside the pixel keeps its area, half a pixel. */
  out = clip_pixel (&diamond, 0, 0);
  ck_assert_double_eq_tol (tess__poly_area (&out), 0.5, 1e-15);
  /* A unit square and the same square turned by 45°: a regular octagon of
   * area 2(√2 − 1). */
  rot.n = 4;
  for (int k = 0; k < 4; k++)
    {
      double a = G_PI / 4 + k * G_PI / 2 + G_PI / 4;
      rot.x[k] = cos (a) / sqrt (2.0);
      rot.y[k] = sin (a) / sqrt (2.0);
    }
  out = clip_pixel (&rot, 0, 0);
  ck_assert_double_eq_tol (tess__poly_area (&out), 2 * (sqrt (2.0) - 1),
                           1e-14);
  tess__poly_clip_convex (&rot, &s, &out);
  ck_assert (out.n >= 3);
  /* A clockwise clip polygon works as well. */
  {
    TessPoly cw = { 4, { -0.5, -0.5, 0.5, 0.5 }, { -0.5, 0.5, 0.5, -0.5 } };
    tess__poly_clip_convex (&rot, &cw, &out);
    ck_assert_double_eq_tol (fabs (tess__poly_area (&out)),
                             2 * (sqrt (2.0) - 1), 1e-14);
  }
  /* A 3 × 3 square over the pixel grid: the pieces sum to 9. */
  for (int j = -2; j <= 2; j++)
    for (int i = -2; i <= 2; i++)
      {
        out = clip_pixel (&big, i, j);
        total += tess__poly_area (&out);
      }
  ck_assert_double_eq_tol (total, 9.0, 1e-13);
  /* Disjoint: nothing. */
  out = clip_pixel (&s, 3, 0);
  ck_assert_double_eq (tess__poly_area (&out), 0.0);
}
END_TEST

START_TEST (test_moments)
{
  TessPoly s = square (2.0, -1.0, 1.0), t = { 3, { 0, 1, 0 }, { 0, 0, 1 } };
  double m[6];

  /* The unit square about its centre, then about the origin. */
  tess__poly_moments (&s, 2.0, -1.0, 2, m);
  ck_assert_double_eq_tol (m[0], 1.0, 1e-15);
  ck_assert_double_eq_tol (m[1], 0.0, 1e-15);
  ck_assert_double_eq_tol (m[2], 0.0, 1e-15);
  ck_assert_double_eq_tol (m[3], 1.0 / 12, 1e-15);
  ck_assert_double_eq_tol (m[4], 0.0, 1e-15);
  ck_assert_double_eq_tol (m[5], 1.0 / 12, 1e-15);
  tess__poly_moments (&s, 0.0, 0.0, 2, m);
  ck_assert_double_eq_tol (m[1], 2.0, 1e-14);
  ck_assert_double_eq_tol (m[2], -1.0, 1e-14);
  ck_assert_double_eq_tol (m[3], 4.0 + 1.0 / 12, 1e-14);
  ck_assert_double_eq_tol (m[4], -2.0, 1e-14);
  ck_assert_double_eq_tol (m[5], 1.0 + 1.0 / 12, 1e-14);
  /* The right triangle (0,0) (1,0) (0,1): ∫x = 1/6, ∫x² = 1/12,
   * ∫xy = 1/24. */
  tess__poly_moments (&t, 0.0, 0.0, 2, m);
  ck_assert_double_eq_tol (m[0], 0.5, 1e-15);
  ck_assert_double_eq_tol (m[1], 1.0 / 6, 1e-15);
  ck_assert_double_eq_tol (m[3], 1.0 / 12, 1e-15);
  ck_assert_double_eq_tol (m[4], 1.0 / 24, 1e-15);
}
END_TEST

/* The solid angle of the gnomonic rectangle [x1, x2] × [y1, y2]: the
 * integral of (1 + x² + y²)^(−3/2) over it.  Large rectangles by the closed
 * form F(x2, y2) − F(x1, y2) − F(x2, y1) + F(x1, y1), F(x, y) =
 * atan(x·y / √(1 + x² + y²)); small ones, where those terms cancel, by
 * 8 × 8-point Gauss–Legendre quadrature of the integrand, exact to
 * rounding for an integrand that varies so little across them. */
static double
rect_truth (double x1, double x2, double y1, double y2)
{
  static const double node[4] = { 0.1834346424956498, 0.5255324099163290,
                                  0.7966664774136267, 0.9602898564975363 };
  static const double weight[4] = { 0.3626837833783620, 0.3137066458778873,
                                    0.2223810344533745, 0.1012285362903763 };
  double hx = (x2 - x1) / 2, hy = (y2 - y1) / 2, mx = (x1 + x2) / 2,
         my = (y1 + y2) / 2, sum = 0.0;

  if (hx > 5e-3 || hy > 5e-3)
    {
#define F(x, y) atan ((x) * (y) / sqrt (1.0 + (x) * (x) + (y) * (y)))
      return (F (x2, y2) - F (x1, y2)) - (F (x2, y1) - F (x1, y1));
#undef F
    }
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 8; j++)
      {
        double x = mx + hx * (i < 4 ? -node[i] : node[i - 4]);
        double y = my + hy * (j < 4 ? -node[j] : node[j - 4]);
        double s = 1.0 + x * x + y * y;
        sum += weight[i % 4] * weight[j % 4] / (s * sqrt (s));
      }
  return sum * hx * hy;
}

static TessPoly
rect (double x1, double x2, double y1, double y2)
{
  TessPoly p = { 4, { x1, x2, x2, x1 }, { y1, y1, y2, y2 } };
  return p;
}

START_TEST (test_solid_angle_closed_form)
{
  /* From a whole hemisphere's quarter down to a milliarcsecond pixel
   * (5e-9 rad), near the tangent point and far from it. */
  static const double sizes[] = { 1.0, 0.1, 1e-3, 1e-5, 5e-9 };
  static const double offsets[] = { 0.0, 0.05, 0.7 };

  for (unsigned a = 0; a < G_N_ELEMENTS (sizes); a++)
    for (unsigned b = 0; b < G_N_ELEMENTS (offsets); b++)
      {
        double s = sizes[a], o = offsets[b];
        TessPoly p = rect (o, o + s, o / 2, o / 2 + s);
        double got = tess__gnomonic_solid_angle (&p);
        double want = rect_truth (o, o + s, o / 2, o / 2 + s);
        ck_assert_msg (fabs (got - want) <= 1e-12 * want,
                       "size %g offset %g: %.17g, want %.17g", s, o, got,
                       want);
      }
  /* Whole: the four quadrants of the tangent plane make a hemisphere. */
  {
    TessPoly big = rect (-1e8, 1e8, -1e8, 1e8);
    ck_assert_double_eq_tol (tess__gnomonic_solid_angle (&big), 2 * G_PI,
                             1e-6);
  }
}
END_TEST

/* The rule: wherever it allows planar geometry, planar solid angles are
 * within 1e-10 of the exact ones; for large pixels it asks for spherical
 * geometry, where planar would miss by more. */
START_TEST (test_planar_or_spherical)
{
  static const double k_id[4] = { 1, 0, 0, 1 }, origin[2] = { 0, 0 };
  static const double sizes[]
      = { 1e-7, 1e-6, 5e-6, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1 };
  static const double centres[] = { 0.0, 0.02, 0.3, 1.5 };
  int planar_seen = 0, spherical_seen = 0, planar_would_fail = 0;

  for (unsigned c = 0; c < G_N_ELEMENTS (centres); c++)
    for (unsigned a = 0; a < G_N_ELEMENTS (sizes); a++)
      {
        TessDensity d;
        double s = sizes[a], cx = centres[c], cy = -0.6 * centres[c];
        /* A pixel turned by 20°, and the part of it left of its centre
         * line (a piece, as clipping makes). */
        TessPoly q, piece;
        double m[6], exact_q, exact_p;
        int order;

        q.n = 4;
        for (int k = 0; k < 4; k++)
          {
            double ang = G_PI / 9 + G_PI / 4 + k * G_PI / 2;
            q.x[k] = cx + s / sqrt (2.0) * cos (ang);
            q.y[k] = cy + s / sqrt (2.0) * sin (ang);
          }
        tess__poly_clip_x (&q, cx + 0.1 * s, FALSE, &piece);
        tess__density_init (&d, k_id, origin);
        tess__density_at (&d, cx, cy);
        order = tess__density_order (&d, s / sqrt (2.0), 1e-10);
        exact_q = tess__density_solid_angle_exact (&d, &q);
        exact_p = tess__density_solid_angle_exact (&d, &piece);
        for (int o = 0; o <= 2; o++)
          {
            double pq, pp, err;
            tess__poly_moments (&q, cx, cy, o, m);
            pq = tess__density_solid_angle (&d, m, o);
            tess__poly_moments (&piece, cx, cy, o, m);
            pp = tess__density_solid_angle (&d, m, o);
            err = MAX (fabs (pq - exact_q) / exact_q,
                       fabs (pp - exact_p) / exact_p);
            if (order >= 0 && o >= order)
              ck_assert_msg (err <= 1e-10,
                             "size %g at %g: order %d allowed but errs by %g",
                             s, cx, o, err);
            if (order < 0 && o == 2 && err > 1e-10)
              planar_would_fail++;
          }
        if (order >= 0)
          planar_seen++;
        else
          spherical_seen++;
      }
  /* Both sides of the rule are reached, and beyond it planar geometry
   * would indeed miss. */
  ck_assert_int_gt (planar_seen, 10);
  ck_assert_int_gt (spherical_seen, 5);
  ck_assert_int_gt (planar_would_fail, 3);
}
END_TEST

/* Through a linear map (pixels of a TAN image, 1″, turned by 30°): the
 * density expansion and the exact solid angle agree with the closed form
 * of the pixel, and with each other. */
START_TEST (test_density_through_pixels)
{
  double s = 1.0 / 3600 * G_PI / 180, c = cos (0.5), n = sin (0.5);
  double k[4] = { -s * c, s * n, s * n, s * c }, p0[2] = { 2047.5, 2047.5 };
  TessDensity d;
  /* Pixel (3000, 1000): in the rotated gnomonic axes, a square of side s
   * at (u, v) = R·(p − p0)·s. */
  double px = 3000, py = 1000;
  TessPoly pix = square (px, py, 1.0);
  double u = (px - p0[0]) * s, v = (py - p0[1]) * s;
  double want = rect_truth (u - s / 2, u + s / 2, v - s / 2, v + s / 2);
  double m[6], got_planar, got_exact;
  int order;

  tess__density_init (&d, k, p0);
  tess__density_at (&d, px, py);
  order = tess__density_order (&d, sqrt (0.5), 1e-10);
  ck_assert_int_ge (order, 0);
  tess__poly_moments (&pix, px, py, order, m);
  got_planar = tess__density_solid_angle (&d, m, order);
  got_exact = fabs (tess__density_solid_angle_exact (&d, &pix));
  ck_assert_msg (fabs (got_planar - want) <= 1e-10 * want, "%.17g vs %.17g",
                 got_planar, want);
  ck_assert_msg (fabs (got_exact - want) <= 1e-9 * want, "%.17g vs %.17g",
                 got_exact, want);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("overlap");
  TCase *tc = tcase_create ("geometry");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_clip_areas);
  tcase_add_test (tc, test_moments);
  tcase_add_test (tc, test_solid_angle_closed_form);
  tcase_add_test (tc, test_planar_or_spherical);
  tcase_add_test (tc, test_density_through_pixels);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
