/* test-interp.c — interpolation methods against analytic truths, through
 * the public API: a target WCS whose reference pixel is moved by (dx, dy)
 * makes output pixel (x, y) sample the input at (x - dx, y - dy).
 */
#include "config.h"

#include "testutil.h"

#include <math.h>

enum
{
  W = 64,
  H = 48
};
static const double LON = 150.0, LAT = 2.2, SCALE = 1.0;

typedef double (*Field) (double x, double y);

/* An input image on the reference WCS filled from a function. */
static TessImage *
field_image (Field f, TessPixelType type)
{
  TessWcs *wcs = tu_wcs_shifted (TESS_FRAME_ICRS, LON, LAT, W, H, SCALE, 0, 0);
  TessImage *img = tess_image_new (wcs, type, W, H, 1, NULL, 0);

  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      {
        if (type == TESS_TYPE_DOUBLE)
          ((double *)tess_image_get_data (img))[y * W + x] = f (x, y);
        else
          ((float *)tess_image_get_data (img))[y * W + x] = (float)f (x, y);
      }
  tess_wcs_unref (wcs);
  return img;
}

/* Reprojects @img onto its WCS shifted by (dx, dy). */
static TessImage *
shifted (TessImage *img, TessMethod method, double dx, double dy)
{
  TessWcs *t = tu_wcs_shifted (TESS_FRAME_ICRS, LON, LAT, W, H, SCALE, dx, dy);
  TessOptions opt;
  GError *error = NULL;
  TessImage *out;

  tess_options_init (&opt);
  opt.method = method;
  out = tess_reproject (img, t, &opt, &error);
  tu_assert_no_error (error);
  tess_wcs_unref (t);
  return out;
}

static double
f_const (double x, double y)
{
  return 42.5;
}

static double
f_linear (double x, double y)
{
  return 10.0 + 0.5 * x - 0.25 * y;
}

static double
f_quadratic (double x, double y)
{
  return 5.0 + 0.01 * x * x + 0.02 * x * y - 0.015 * y * y + 0.3 * x;
}

static double
f_cubic (double x, double y)
{
  return 50.0 + 1e-4 * x * x * x - 2e-4 * y * y * y + 3e-3 * x * y;
}

static double
f_wave (double x, double y)
{
  return 100.0 + 30.0 * sin (0.37 * x) * cos (0.23 * y);
}

START_TEST (test_constant_all_methods)
{
  TessImage *img = field_image (f_const, TESS_TYPE_FLOAT);

  for (int m = 0; m < TESS_METHOD_EXACT; m++)
    {
      TessImage *out = shifted (img, (TessMethod)m, 0.37, -0.61);
      const float *d = tess_image_get_data (out);
      int finite = 0;
      for (int i = 0; i < W * H; i++)
        if (!isnan (d[i]))
          {
            ck_assert_msg (fabs (d[i] - 42.5) < 1e-4, "%s: pixel %d = %g",
                           tess_method_name ((TessMethod)m), i, d[i]);
            finite++;
          }
      /* Everything but the strip shifted out of the input (and for the
       * adaptive method, whose kernel must lie inside the input, a strip
       * two pixels wide). */
      if (m == TESS_METHOD_ADAPTIVE)
        ck_assert_int_ge (finite, (W - 5) * (H - 5));
      else
        ck_assert_int_ge (finite, (W - 1) * (H - 1));
      tess_image_unref (out);
    }
  tess_image_unref (img);
}
END_TEST

/* Interior pixels: far enough from the edges for the spline boundaries
 * not to matter. */
static void
check_reproduces (Field f, TessMethod method, double dx, double dy, int margin,
                  double tol)
{
  TessImage *img = field_image (f, TESS_TYPE_DOUBLE);
  TessImage *out = shifted (img, method, dx, dy);
  const double *d = tess_image_get_data (out);

  ck_assert_int_eq (tess_image_get_pixel_type (out), TESS_TYPE_DOUBLE);
  for (int y = margin; y < H - margin; y++)
    for (int x = margin; x < W - margin; x++)
      {
        double want = f (x - dx, y - dy);
        ck_assert_msg (fabs (d[y * W + x] - want) <= tol * fabs (want),
                       "%s (%d,%d): %.12g, want %.12g",
                       tess_method_name (method), x, y, d[y * W + x], want);
      }
  tess_image_unref (out);
  tess_image_unref (img);
}

START_TEST (test_bilinear_linear_exact)
{
  check_reproduces (f_linear, TESS_METHOD_BILINEAR, 0.3, 0.45, 2, 1e-9);
}
END_TEST

START_TEST (test_biquadratic_quadratic_exact)
{
  check_reproduces (f_quadratic, TESS_METHOD_BIQUADRATIC, 0.3, -0.45, 16,
                    1e-6);
}
END_TEST

START_TEST (test_bicubic_cubic_exact)
{
  check_reproduces (f_cubic, TESS_METHOD_BICUBIC, -0.3, 0.7, 16, 1e-6);
}
END_TEST

START_TEST (test_bicubic_beats_bilinear)
{
  /* On a smooth wave, the cubic spline is closer to the truth. */
  TessImage *img = field_image (f_wave, TESS_TYPE_DOUBLE);
  TessImage *lin = shifted (img, TESS_METHOD_BILINEAR, 0.5, 0.5);
  TessImage *cub = shifted (img, TESS_METHOD_BICUBIC, 0.5, 0.5);
  const double *a = tess_image_get_data (lin), *b = tess_image_get_data (cub);
  double ea = 0, eb = 0;

  for (int y = 8; y < H - 8; y++)
    for (int x = 8; x < W - 8; x++)
      {
        double want = f_wave (x - 0.5, y - 0.5);
        ea = MAX (ea, fabs (a[y * W + x] - want));
        eb = MAX (eb, fabs (b[y * W + x] - want));
      }
  ck_assert_msg (eb < ea / 5, "bicubic error %g, bilinear %g", eb, ea);
  tess_image_unref (lin);
  tess_image_unref (cub);
  tess_image_unref (img);
}
END_TEST

START_TEST (test_splines_interpolate)
{
  /* At whole-pixel shifts the splines return the input values. */
  for (int m = TESS_METHOD_BIQUADRATIC; m <= TESS_METHOD_BICUBIC; m++)
    check_reproduces (f_wave, (TessMethod)m, 2.0, -1.0, 3, 1e-9);
}
END_TEST

/* An image iw × ih shifted by whole pixels onto a tw × th target centred
 * the same (iw - tw and ih - th even): the splines return the input
 * (double precision: 1e-9), whatever the pieces their coefficients are
 * made in, and their edges. */
static void
check_pieces_seamless (int iw, int ih, int tw, int th)
{
  TessWcs *wcs
      = tu_wcs_shifted (TESS_FRAME_ICRS, LON, LAT, iw, ih, SCALE, 0, 0);
  TessWcs *t
      = tu_wcs_shifted (TESS_FRAME_ICRS, LON, LAT, tw, th, SCALE, 1.0, -2.0);
  TessImage *img = tess_image_new (wcs, TESS_TYPE_DOUBLE, iw, ih, 1, NULL, 0);
  double *in = tess_image_get_data (img);
  int ox = (iw - tw) / 2 - 1, oy = (ih - th) / 2 + 2;
  GError *error = NULL;

  for (int y = 0; y < ih; y++)
    for (int x = 0; x < iw; x++)
      in[y * iw + x] = f_wave (x, y) + 0.01 * y + 0.003 * x;
  for (int m = TESS_METHOD_BIQUADRATIC; m <= TESS_METHOD_BICUBIC; m++)
    {
      TessOptions opt;
      TessImage *out;
      const double *o;
      double worst = 0.0;

      tess_options_init (&opt);
      opt.method = (TessMethod)m;
      out = tess_reproject (img, t, &opt, &error);
      tu_assert_no_error (error);
      o = tess_image_get_data (out);
      for (int y = 3; y < th - 3; y++)
        for (int x = 3; x < tw - 3; x++)
          {
            double v = in[(y + oy) * iw + x + ox];
            worst = MAX (worst, fabs (o[y * tw + x] - v) / fabs (v));
          }
      ck_assert_msg (worst < 1e-9, "%s, %dx%d onto %dx%d: relative error %g",
                     tess_method_name ((TessMethod)m), iw, ih, tw, th, worst);
      tess_image_unref (out);
    }
  tess_image_unref (img);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
}

START_TEST (test_bands_seamless)
{
  /* Tall enough for several bands of rows. */
  check_pieces_seamless (40, 1500, 40, 1500);
}
END_TEST

START_TEST (test_chunks_seamless)
{
  /* Wide enough for bands cut into several chunks of columns; then a
   * target that needs only the middle pieces. */
  check_pieces_seamless (2600, 130, 2600, 130);
  check_pieces_seamless (2600, 900, 700, 500);
}
END_TEST

START_TEST (test_nearest_picks_pixel)
{
  TessImage *img = field_image (f_wave, TESS_TYPE_FLOAT);
  TessImage *out = shifted (img, TESS_METHOD_NEAREST, 0.3, -0.4);
  const float *in = tess_image_get_data (img), *d = tess_image_get_data (out);

  for (int y = 1; y < H - 1; y++)
    for (int x = 1; x < W - 1; x++)
      {
        int sx = (int)floor (x - 0.3 + 0.5), sy = (int)floor (y + 0.4 + 0.5);
        if (sy >= H)
          continue;
        ck_assert_float_eq (d[y * W + x], in[sy * W + sx]);
      }
  tess_image_unref (out);
  tess_image_unref (img);
}
END_TEST

/* Positions of NaN in the output for one NaN input pixel at (ix, iy),
 * shift (dx, dy): exactly the output pixels whose stencil holds it. */
static void
check_nan_locality (TessMethod method, int expected)
{
  const int ix = 30, iy = 20;
  const double dx = 0.3, dy = 0.4;
  TessImage *img = field_image (f_wave, TESS_TYPE_FLOAT);
  TessImage *clean = shifted (img, method, dx, dy);
  TessImage *out;
  const float *d, *c;
  int nans = 0;

  ((float *)tess_image_get_data (img))[iy * W + ix] = NAN;
  out = shifted (img, method, dx, dy);
  d = tess_image_get_data (out);
  c = tess_image_get_data (clean);
  for (int y = 2; y < H - 2; y++)
    for (int x = 2; x < W - 2; x++)
      {
        double sx = x - dx, sy = y - dy;
        gboolean in_stencil;
        switch (method)
          {
          case TESS_METHOD_NEAREST:
            in_stencil = floor (sx + 0.5) == ix && floor (sy + 0.5) == iy;
            break;
          case TESS_METHOD_BILINEAR:
            in_stencil = (floor (sx) == ix || floor (sx) + 1 == ix)
                         && (floor (sy) == iy || floor (sy) + 1 == iy);
            break;
          case TESS_METHOD_BIQUADRATIC:
            in_stencil = fabs (floor (sx + 0.5) - ix) <= 1
                         && fabs (floor (sy + 0.5) - iy) <= 1;
            break;
          default:
            in_stencil = floor (sx) - 1 <= ix && ix <= floor (sx) + 2
                         && floor (sy) - 1 <= iy && iy <= floor (sy) + 2;
            break;
          }
        ck_assert_msg (in_stencil == (isnan (d[y * W + x]) != 0),
                       "%s: pixel (%d,%d) NaN=%d, stencil=%d",
                       tess_method_name (method), x, y, isnan (d[y * W + x]),
                       in_stencil);
        nans += in_stencil;
        /* Far from the NaN, the result is unchanged (within the decay of
         * the spline prefilter). */
        if (abs (x - ix) > 8 || abs (y - iy) > 8)
          ck_assert_msg (
              fabs (d[y * W + x] - c[y * W + x]) <= 1e-3 * fabs (c[y * W + x]),
              "%s: (%d,%d) changed from %g to %g", tess_method_name (method),
              x, y, c[y * W + x], d[y * W + x]);
      }
  ck_assert_int_eq (nans, expected);
  tess_image_unref (out);
  tess_image_unref (clean);
  tess_image_unref (img);
}

START_TEST (test_nan_locality)
{
  check_nan_locality (TESS_METHOD_NEAREST, 1);
  check_nan_locality (TESS_METHOD_BILINEAR, 4);
  check_nan_locality (TESS_METHOD_BIQUADRATIC, 9);
  check_nan_locality (TESS_METHOD_BICUBIC, 16);
}
END_TEST

START_TEST (test_outer_half_pixel)
{
  /* Shifted by half a pixel, the first column samples x = -0.5: still
   * valid (the edge is flat); by 0.6 it is outside. */
  TessImage *img = field_image (f_linear, TESS_TYPE_FLOAT);
  TessImage *a = shifted (img, TESS_METHOD_BILINEAR, 0.5, 0.0);
  TessImage *b = shifted (img, TESS_METHOD_BILINEAR, 0.6, 0.0);
  const float *in = tess_image_get_data (img);

  ck_assert_float_eq (((float *)tess_image_get_data (a))[10 * W], in[10 * W]);
  ck_assert (isnan (((float *)tess_image_get_data (b))[10 * W]));
  ck_assert (!isnan (((float *)tess_image_get_data (b))[10 * W + 1]));
  tess_image_unref (a);
  tess_image_unref (b);
  tess_image_unref (img);
}
END_TEST

static Suite *
interp_suite (void)
{
  Suite *s = suite_create ("interp");
  TCase *tc = tcase_create ("methods");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_constant_all_methods);
  tcase_add_test (tc, test_bilinear_linear_exact);
  tcase_add_test (tc, test_biquadratic_quadratic_exact);
  tcase_add_test (tc, test_bicubic_cubic_exact);
  tcase_add_test (tc, test_bicubic_beats_bilinear);
  tcase_add_test (tc, test_splines_interpolate);
  tcase_add_test (tc, test_bands_seamless);
  tcase_add_test (tc, test_chunks_seamless);
  tcase_add_test (tc, test_nearest_picks_pixel);
  tcase_add_test (tc, test_nan_locality);
  tcase_add_test (tc, test_outer_half_pixel);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tu_run (interp_suite ());
}
