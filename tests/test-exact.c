/* test-exact.c — the exact method against analytic truths: a constant
 * image stays constant, an integer shift moves pixels unchanged, total flux
 * (surface brightness × pixel solid angle, the solid angles of TAN pixels
 * in closed form) is conserved with small pixels (planar geometry) and
 * large ones (spherical), NaN pixels are left out with their area or
 * spread, and cube planes are reprojected alike.  Agreement with astropy's
 * reproject_exact and Montage's mProjectPP is tests/oracle/exact.test.
 */
#include "config.h"

#include "testutil.h"

#include <math.h>
#include <string.h>

static const double LON = 150.0, LAT = 2.2;

/* The solid angle of the gnomonic rectangle [x1, x2] × [y1, y2] (radians):
 * F(x2, y2) − F(x1, y2) − F(x2, y1) + F(x1, y1), F(x, y) =
 * atan(x·y / √(1 + x² + y²)), in long double (the terms cancel). */
static double
rect_solid_angle (double x1, double x2, double y1, double y2)
{
#define F(x, y)                                                               \
  atanl ((long double)(x) * (y)                                               \
         / sqrtl (1.0L + (long double)(x) * (x) + (long double)(y) * (y)))
  return (double)((F (x2, y2) - F (x1, y2)) - (F (x2, y1) - F (x1, y1)));
#undef F
}

/* Solid angles of the pixels of a TAN WCS made by tu_wcs(): squares of
 * side @scale (arcsec) in the gnomonic plane, turned about the tangent
 * point (which changes no solid angle). */
static double *
pixel_solid_angles (TessWcs *wcs, double scale_arcsec)
{
  gint64 w = tess_wcs_get_width (wcs), h = tess_wcs_get_height (wcs);
  double *omega = g_new (double, w *h), px, py;
  double s = scale_arcsec / 3600.0 * G_PI / 180.0;
  GError *error = NULL;

  /* The tangent point (the centre given to tu_wcs) and its pixel. */
  ck_assert (tess_wcs_world_to_pixel (wcs, 1, &(double){ LON },
                                      &(double){ LAT }, &px, &py, &error));
  for (gint64 j = 0; j < h; j++)
    for (gint64 i = 0; i < w; i++)
      {
        double u = ((double)i - px) * s, v = ((double)j - py) * s;
        omega[j * w + i]
            = rect_solid_angle (u - s / 2, u + s / 2, v - s / 2, v + s / 2);
      }
  return omega;
}

static TessImage *
blob_image (TessWcs *wcs, double background)
{
  gint64 w = tess_wcs_get_width (wcs), h = tess_wcs_get_height (wcs);
  TessImage *img = tess_image_new (wcs, TESS_TYPE_DOUBLE, w, h, 1, NULL, 0);
  double *d = tess_image_get_data (img);

  for (gint64 y = 0; y < h; y++)
    for (gint64 x = 0; x < w; x++)
      {
        double dx = (double)x - 0.43 * (double)w,
               dy = (double)y - 0.57 * (double)h;
        d[y * w + x] = background
                       + 1000.0 * exp (-(dx * dx + dy * dy) / (2.0 * 36.0))
                       + 0.01 * (double)((x * 7 + y * 13) % 17);
      }
  return img;
}

static TessImage *
exact (TessImage *in, TessWcs *target, TessNanMode mode)
{
  TessOptions opt;
  GError *error = NULL;
  TessImage *out;

  tess_options_init (&opt);
  opt.method = TESS_METHOD_EXACT;
  opt.nan_mode = mode;
  out = tess_reproject (in, target, &opt, &error);
  tu_assert_no_error (error);
  return out;
}

START_TEST (test_constant)
{
  /* TAN input onto a TAN target (the homography), a Galactic CAR one (the
   * rotation between native frames), and a SIN input (a tangent plane at
   * each output pixel). */
  TessWcs *tan = tu_wcs (TESS_FRAME_ICRS, "TAN", LON, LAT, 80, 70, 2.0, 0.0);
  TessWcs *sin_ = tu_wcs (TESS_FRAME_ICRS, "SIN", LON, LAT, 80, 70, 2.0, 0.0);
  TessWcs *targets[] = {
    tu_wcs (TESS_FRAME_ICRS, "TAN", LON + 0.002, LAT, 60, 50, 2.6, 25.0),
    tu_wcs (TESS_FRAME_GALACTIC, "CAR", 236.7356, 42.0212, 60, 50, 1.7, 7.0),
  };
  TessWcs *inputs[] = { tan, sin_ };

  for (unsigned a = 0; a < G_N_ELEMENTS (inputs); a++)
    for (unsigned b = 0; b < G_N_ELEMENTS (targets); b++)
      {
        gint64 w = tess_wcs_get_width (inputs[a]);
        gint64 h = tess_wcs_get_height (inputs[a]);
        TessImage *in
            = tess_image_new (inputs[a], TESS_TYPE_DOUBLE, w, h, 1, NULL, 0);
        double *d = tess_image_get_data (in);
        TessImage *out;
        const double *o;
        const float *fp;
        gint64 n = tess_wcs_get_width (targets[b])
                   * tess_wcs_get_height (targets[b]);
        gint64 full = 0;

        for (gint64 i = 0; i < w * h; i++)
          d[i] = 42.5;
        out = exact (in, targets[b], TESS_NAN_SKIP);
        o = tess_image_get_data (out);
        fp = tess_image_get_footprint (out);
        for (gint64 i = 0; i < n; i++)
          {
            if (isnan (o[i]))
              {
                ck_assert_float_eq (fp[i], 0.0f);
                continue;
              }
            ck_assert_msg (fabs (o[i] - 42.5) <= 1e-12 * 42.5,
                           "input %u target %u: %.17g", a, b, o[i]);
            ck_assert (fp[i] > 0.0f && fp[i] <= 1.0f);
            if (fp[i] >= 1.0f - 1e-7f)
              full++;
          }
        ck_assert_int_gt (full, n / 2);
        tess_image_unref (out);
        tess_image_unref (in);
      }
  for (unsigned b = 0; b < G_N_ELEMENTS (targets); b++)
    tess_wcs_unref (targets[b]);
  tess_wcs_unref (tan);
  tess_wcs_unref (sin_);
}
END_TEST

START_TEST (test_integer_shift)
{
  TessWcs *wcs
      = tu_wcs_shifted (TESS_FRAME_ICRS, 30.0, -40.0, 50, 40, 2.0, 0, 0);
  TessWcs *t
      = tu_wcs_shifted (TESS_FRAME_ICRS, 30.0, -40.0, 50, 40, 2.0, 3, -2);
  TessImage *in = blob_image (wcs, 10.0);
  TessImage *out = exact (in, t, TESS_NAN_SKIP);
  const double *a = tess_image_get_data (in), *b = tess_image_get_data (out);
  const float *fp = tess_image_get_footprint (out);

  for (int y = 0; y < 40; y++)
    for (int x = 0; x < 50; x++)
      {
        int sx = x - 3, sy = y + 2;
        if (sx < 0 || sy < 0 || sx >= 50 || sy >= 40)
          continue;
        ck_assert_msg (fabs (b[y * 50 + x] - a[sy * 50 + sx])
                           <= 1e-9 * fabs (a[sy * 50 + sx]),
                       "(%d, %d): %.17g, want %.17g", x, y, b[y * 50 + x],
                       a[sy * 50 + sx]);
        ck_assert_msg (fabs (fp[y * 50 + x] - 1.0f) <= 1e-6f, "footprint %g",
                       fp[y * 50 + x]);
      }
  tess_image_unref (in);
  tess_image_unref (out);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
}
END_TEST

/* Σ v·Ω over the output equals Σ v·Ω over the input, the output covering
 * the whole input: small pixels (1″, planar geometry) and large ones (half
 * a degree, spherical). */
static void
check_flux (double in_scale, double out_scale, gint64 in_side, gint64 out_side)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", LON, LAT, in_side, in_side,
                         in_scale, 0.0);
  TessWcs *t = tu_wcs (TESS_FRAME_ICRS, "TAN", LON, LAT, out_side, out_side,
                       out_scale, 25.0);
  TessImage *in = blob_image (wcs, 3.0);
  TessImage *out = exact (in, t, TESS_NAN_SKIP);
  double *oi = pixel_solid_angles (wcs, in_scale);
  double *oo = pixel_solid_angles (t, out_scale);
  const double *a = tess_image_get_data (in), *b = tess_image_get_data (out);
  const float *fp = tess_image_get_footprint (out);
  double fin = 0.0, fout = 0.0, cover = 0.0, area = 0.0;

  for (gint64 i = 0; i < in_side * in_side; i++)
    {
      fin += a[i] * oi[i];
      area += oi[i];
    }
  for (gint64 i = 0; i < out_side * out_side; i++)
    if (!isnan (b[i]))
      {
        /* A value is a mean over the covered part: times that part. */
        fout += b[i] * oo[i] * fp[i];
        cover += oo[i] * fp[i];
      }
  ck_assert_msg (fabs (cover - area) <= 1e-6 * area,
                 "scale %g: covered %.12g sr, input %.12g sr", in_scale, cover,
                 area);
  ck_assert_msg (fabs (fout - fin) <= 1e-6 * fin,
                 "scale %g: flux out %.12g, in %.12g (%.2g)", in_scale, fout,
                 fin, (fout - fin) / fin);
  g_free (oi);
  g_free (oo);
  tess_image_unref (in);
  tess_image_unref (out);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
}

START_TEST (test_flux_planar) { check_flux (1.0, 1.3, 60, 80); }
END_TEST

START_TEST (test_flux_spherical) { check_flux (1800.0, 2200.0, 40, 50); }
END_TEST

/* A NaN pixel in a constant image: skipped, its area leaves the footprint
 * (by exactly its solid angle) and nothing else changes; propagated, the
 * output pixels that share area with it are NaN. */
START_TEST (test_nan_modes)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", LON, LAT, 40, 40, 1.0, 0.0);
  TessWcs *t = tu_wcs (TESS_FRAME_ICRS, "TAN", LON, LAT, 40, 40, 1.4, 30.0);
  TessImage *in = tess_image_new (wcs, TESS_TYPE_DOUBLE, 40, 40, 1, NULL, 0);
  double *d = tess_image_get_data (in);
  double *oi = pixel_solid_angles (wcs, 1.0),
         *oo = pixel_solid_angles (t, 1.4);
  TessImage *skip, *spread;
  const double *s, *p;
  const float *fs, *fq;
  double missing = 0.0;
  int nan_spread = 0;

  for (int i = 0; i < 1600; i++)
    d[i] = 5.0;
  d[19 * 40 + 21] = NAN;
  skip = exact (in, t, TESS_NAN_SKIP);
  spread = exact (in, t, TESS_NAN_PROPAGATE);
  s = tess_image_get_data (skip);
  p = tess_image_get_data (spread);
  fs = tess_image_get_footprint (skip);
  fq = tess_image_get_footprint (spread);
  for (int i = 0; i < 1600; i++)
    {
      if (!isnan (s[i]))
        ck_assert_msg (fabs (s[i] - 5.0) <= 1e-12, "skip: %.17g", s[i]);
      if (isnan (p[i]) && !isnan (s[i]))
        {
          nan_spread++;
          /* Only where the NaN pixel's area is missing; no footprint
           * where there is no value. */
          ck_assert (fs[i] < 1.0f - 1e-6f);
          ck_assert_float_eq (fq[i], 0.0f);
          missing += (1.0 - fs[i]) * oo[i];
        }
      else if (!isnan (p[i]))
        {
          ck_assert_float_eq (fs[i], fq[i]);
          missing += (fq[i] - fs[i]) * oo[i];
        }
    }
  ck_assert_int_ge (nan_spread, 2);
  ck_assert_int_le (nan_spread, 6);
  ck_assert_msg (fabs (missing - oi[19 * 40 + 21]) <= 1e-6 * oi[19 * 40 + 21],
                 "footprint lost %.12g sr, the pixel is %.12g sr", missing,
                 oi[19 * 40 + 21]);
  g_free (oi);
  g_free (oo);
  tess_image_unref (skip);
  tess_image_unref (spread);
  tess_image_unref (in);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
}
END_TEST

START_TEST (test_cube_planes)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", LON, LAT, 50, 40, 1.0, 0.0);
  TessWcs *t = tu_wcs (TESS_FRAME_GALACTIC, "CAR", 236.7356, 42.0212, 40, 40,
                       1.2, 10.0);
  TessImage *cube = tu_image (wcs, 3, 30);
  TessOptions opt;
  GError *error = NULL;
  TessImage *out;

  tess_options_init (&opt);
  opt.method = TESS_METHOD_EXACT;
  out = tess_reproject (cube, t, &opt, &error);
  tu_assert_no_error (error);
  for (int p = 0; p < 3; p++)
    {
      TessImage *plane
          = tess_image_new (wcs, TESS_TYPE_FLOAT, 50, 40, 1, NULL, 0);
      TessImage *single;
      memcpy (tess_image_get_data (plane),
              (float *)tess_image_get_data (cube) + p * 2000,
              2000 * sizeof (float));
      single = tess_reproject (plane, t, &opt, &error);
      tu_assert_no_error (error);
      ck_assert (tu_equal_f ((float *)tess_image_get_data (out) + p * 1600,
                             tess_image_get_data (single), 1600));
      tess_image_unref (single);
      tess_image_unref (plane);
    }
  tess_image_unref (out);
  tess_image_unref (cube);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("exact");
  TCase *tc = tcase_create ("core");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_constant);
  tcase_add_test (tc, test_integer_shift);
  tcase_add_test (tc, test_flux_planar);
  tcase_add_test (tc, test_flux_spherical);
  tcase_add_test (tc, test_nan_modes);
  tcase_add_test (tc, test_cube_planes);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
