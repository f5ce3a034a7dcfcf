/* test-adaptive.c — the adaptive method against analytic truths: constant
 * images stay constant, flux is conserved, the bad-value and boundary
 * modes do what they say, and across the seam of an all-sky input the
 * despiked Jacobian gives what a seamless input gives.  Agreement with
 * astropy's reproject_adaptive is tests/oracle/adaptive.test.
 */
#include "config.h"

#include "testutil.h"

#include <math.h>
#include <string.h>

enum
{
  W = 120,
  H = 100
};
static const double LON = 150.0, LAT = 2.2;

typedef double (*Field) (double x, double y);

static TessImage *
field_image (TessWcs *wcs, Field f)
{
  gint64 w = tess_wcs_get_width (wcs), h = tess_wcs_get_height (wcs);
  TessImage *img = tess_image_new (wcs, TESS_TYPE_FLOAT, w, h, 1, NULL, 0);
  float *d = tess_image_get_data (img);

  for (gint64 y = 0; y < h; y++)
    for (gint64 x = 0; x < w; x++)
      d[y * w + x] = (float)f ((double)x, (double)y);
  return img;
}

static TessImage *
reproject (TessImage *in, TessWcs *target, const TessOptions *opt)
{
  GError *error = NULL;
  TessImage *out = tess_reproject (in, target, opt, &error);

  tu_assert_no_error (error);
  return out;
}

static double
f_const (double x, double y)
{
  return 42.5;
}

/* Targets: pixels 2.5 times larger (rotated), half as large, 1.3 times. */
static TessWcs *
target (int which)
{
  static const double scale[] = { 2.5, 0.5, 1.3 }, rot[] = { 25, -40, 30 };
  static const gint64 size[][2] = { { 40, 36 }, { 150, 130 }, { 80, 70 } };

  return tu_wcs (TESS_FRAME_ICRS, "TAN", LON + 0.001, LAT - 0.0005,
                 size[which][0], size[which][1], scale[which], rot[which]);
}

START_TEST (test_constant_stays_constant)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", LON, LAT, W, H, 1.0, 0.0);
  TessImage *in = field_image (wcs, f_const);
  static const TessBoundaryMode modes[]
      = { TESS_BOUNDARY_STRICT,           TESS_BOUNDARY_IGNORE,
          TESS_BOUNDARY_IGNORE_THRESHOLD, TESS_BOUNDARY_NEAREST,
          TESS_BOUNDARY_CONSTANT,         TESS_BOUNDARY_GRID_CONSTANT };

  for (int t = 0; t < 3; t++)
    for (int kern = 0; kern <= 1; kern++)
      for (unsigned m = 0; m < G_N_ELEMENTS (modes); m++)
        {
          TessWcs *tw = target (t);
          TessOptions opt;
          TessImage *out;
          const float *d;
          gint64 n = tess_wcs_get_width (tw) * tess_wcs_get_height (tw);
          gint64 finite = 0;

          tess_options_init (&opt);
          opt.method = TESS_METHOD_ADAPTIVE;
          opt.kernel = kern ? TESS_KERNEL_HANN : TESS_KERNEL_GAUSSIAN;
          opt.boundary_mode = modes[m];
          opt.boundary_fill_value = 42.5;
          out = reproject (in, tw, &opt);
          d = tess_image_get_data (out);
          for (gint64 i = 0; i < n; i++)
            if (!isnan (d[i]))
              {
                ck_assert_msg (fabs (d[i] - 42.5) <= 1e-5,
                               "target %d, %s, %s: pixel %" G_GINT64_FORMAT
                               " = %.9g",
                               t, tess_kernel_name (opt.kernel),
                               tess_boundary_mode_name (modes[m]), i, d[i]);
                finite++;
              }
          ck_assert_msg (finite > n / 4,
                         "target %d, %s: only %" G_GINT64_FORMAT
                         " of %" G_GINT64_FORMAT " pixels finite",
                         t, tess_boundary_mode_name (modes[m]), finite, n);
          /* With a fill value equal to the image, grid-constant fills
           * everything. */
          if (modes[m] == TESS_BOUNDARY_GRID_CONSTANT)
            ck_assert_int_eq (finite, n);
          tess_image_unref (out);
          tess_wcs_unref (tw);
        }
  tess_image_unref (in);
  tess_wcs_unref (wcs);
}
END_TEST

/* A compact source: the sum of its pixels is its flux. */
static double
f_blob (double x, double y)
{
  double dx = x - 61.3, dy = y - 47.8;
  return 1000.0 * exp (-(dx * dx + dy * dy) / (2.0 * 6.0 * 6.0));
}

START_TEST (test_conserve_flux)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", LON, LAT, W, H, 1.0, 0.0);
  TessImage *in = field_image (wcs, f_blob);
  const float *a = tess_image_get_data (in);
  double total = 0.0;

  for (gint64 i = 0; i < W * H; i++)
    total += a[i];
  for (int t = 0; t < 3; t++)
    for (int kern = 0; kern <= 1; kern++)
      {
        TessWcs *tw = target (t);
        TessOptions opt;
        TessImage *out;
        const float *d;
        gint64 n = tess_wcs_get_width (tw) * tess_wcs_get_height (tw);
        double sum = 0.0, plain = 0.0;

        tess_options_init (&opt);
        opt.method = TESS_METHOD_ADAPTIVE;
        opt.kernel = kern ? TESS_KERNEL_HANN : TESS_KERNEL_GAUSSIAN;
        opt.boundary_mode = TESS_BOUNDARY_IGNORE;
        opt.conserve_flux = TRUE;
        out = reproject (in, tw, &opt);
        d = tess_image_get_data (out);
        for (gint64 i = 0; i < n; i++)
          if (!isnan (d[i]))
            sum += d[i];
        tess_image_unref (out);
        ck_assert_msg (fabs (sum - total) <= 5e-3 * total,
                       "target %d, %s: flux %.6g, input %.6g", t,
                       tess_kernel_name (opt.kernel), sum, total);
        /* Without it, surface brightness is kept instead: the sum scales
         * with the pixel area (so this test can fail). */
        opt.conserve_flux = FALSE;
        out = reproject (in, tw, &opt);
        d = tess_image_get_data (out);
        for (gint64 i = 0; i < n; i++)
          if (!isnan (d[i]))
            plain += d[i];
        tess_image_unref (out);
        if (t != 2)
          ck_assert_msg (fabs (plain - total) > 0.2 * total,
                         "target %d: the sum without conserve-flux is the "
                         "flux too",
                         t);
        tess_wcs_unref (tw);
      }
  tess_image_unref (in);
  tess_wcs_unref (wcs);
}
END_TEST

/* Bad values: a 3×3 NaN hole and an infinite pixel in a constant image. */
START_TEST (test_bad_value_modes)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", LON, LAT, W, H, 1.0, 0.0);
  TessImage *in = field_image (wcs, f_const);
  TessImage *filled = field_image (wcs, f_const);
  float *a = tess_image_get_data (in), *b = tess_image_get_data (filled);
  TessWcs *tw = target (2);
  gint64 n = tess_wcs_get_width (tw) * tess_wcs_get_height (tw);
  TessOptions opt;
  TessImage *strict, *ignore, *constant, *reference;
  const float *s, *ig, *c, *r;
  gint64 nan_strict = 0, rescued = 0;

  for (int y = 49; y <= 51; y++)
    for (int x = 59; x <= 61; x++)
      {
        a[y * W + x] = NAN;
        b[y * W + x] = 7.0f;
      }
  a[30 * W + 80] = INFINITY;
  b[30 * W + 80] = 7.0f;

  tess_options_init (&opt);
  opt.method = TESS_METHOD_ADAPTIVE;
  opt.boundary_mode = TESS_BOUNDARY_IGNORE;
  strict = reproject (in, tw, &opt);
  opt.bad_value_mode = TESS_BAD_VALUE_IGNORE;
  ignore = reproject (in, tw, &opt);
  opt.bad_value_mode = TESS_BAD_VALUE_CONSTANT;
  opt.bad_fill_value = 7.0;
  constant = reproject (in, tw, &opt);
  opt.bad_value_mode = TESS_BAD_VALUE_STRICT;
  reference = reproject (filled, tw, &opt);
  s = tess_image_get_data (strict);
  ig = tess_image_get_data (ignore);
  c = tess_image_get_data (constant);
  r = tess_image_get_data (reference);
  for (gint64 i = 0; i < n; i++)
    {
      if (!isfinite (s[i]))
        nan_strict++;
      else
        {
          ck_assert_msg (fabs (s[i] - 42.5) <= 1e-5, "strict: %g", s[i]);
          ck_assert_msg (s[i] == ig[i], "ignore changed a good pixel");
        }
      if (!isnan (ig[i]))
        ck_assert_msg (fabs (ig[i] - 42.5) <= 1e-5, "ignore: %g", ig[i]);
      if (!isfinite (s[i]) && !isnan (ig[i]))
        rescued++;
      /* Constant: as if the bad pixels held the fill value. */
      ck_assert_msg (c[i] == r[i] || (isnan (c[i]) && isnan (r[i])),
                     "constant: pixel %" G_GINT64_FORMAT ": %g, want %g", i,
                     c[i], r[i]);
    }
  /* Strict spreads the bad pixels over their kernels' reach; ignore
   * leaves none of them. */
  ck_assert_int_gt (nan_strict, 20);
  ck_assert_int_gt (rescued, 20);
  tess_image_unref (strict);
  tess_image_unref (ignore);
  tess_image_unref (constant);
  tess_image_unref (reference);
  tess_image_unref (in);
  tess_image_unref (filled);
  tess_wcs_unref (tw);
  tess_wcs_unref (wcs);
}
END_TEST

/* A smooth function of the sky position. */
static double
sky (double lon, double lat)
{
  double l = lon * G_PI / 180.0, b = lat * G_PI / 180.0;
  return 100.0 + 20.0 * cos (b) * cos (l) + 10.0 * sin (b) + 5.0 * sin (2 * l);
}

/* An all-sky CAR image, 2° pixels, centred on @lon0, of sky(). */
static TessImage *
all_sky (double lon0)
{
  TessWcs *wcs
      = tu_wcs (TESS_FRAME_ICRS, "CAR", lon0, 0.0, 180, 90, 2.0 * 3600.0, 0.0);
  TessImage *img = tess_image_new (wcs, TESS_TYPE_DOUBLE, 180, 90, 1, NULL, 0);
  double *d = tess_image_get_data (img);
  double *x = g_new (double, 180 * 90), *y = g_new (double, 180 * 90);
  double *lon = g_new (double, 180 * 90), *lat = g_new (double, 180 * 90);
  GError *error = NULL;

  for (int j = 0; j < 90; j++)
    for (int i = 0; i < 180; i++)
      {
        x[j * 180 + i] = i;
        y[j * 180 + i] = j;
      }
  ck_assert (tess_wcs_pixel_to_world (wcs, 180 * 90, x, y, lon, lat, &error));
  for (int k = 0; k < 180 * 90; k++)
    d[k] = sky (lon[k], lat[k]);
  g_free (x);
  g_free (y);
  g_free (lon);
  g_free (lat);
  tess_wcs_unref (wcs);
  return img;
}

START_TEST (test_despike_seam)
{
  /* The output straddles longitude 0: the seam of an image centred on
   * 180°, the middle of one centred on 0°. */
  TessImage *seam = all_sky (180.0), *seamless = all_sky (0.0);
  TessWcs *tw
      = tu_wcs (TESS_FRAME_ICRS, "TAN", 0.0, 10.0, 60, 50, 1800.0, 15.0);
  TessOptions opt;
  TessImage *a, *b, *c;
  const double *da, *db, *dc;
  int spoiled = 0;

  tess_options_init (&opt);
  opt.method = TESS_METHOD_ADAPTIVE;
  /* Exact maps: an interpolated grid could differ between the two. */
  opt.exact_transform = TRUE;
  opt.x_cyclic = TRUE;
  opt.despike_jacobian = TRUE;
  a = reproject (seam, tw, &opt);
  b = reproject (seamless, tw, &opt);
  opt.despike_jacobian = FALSE;
  c = reproject (seam, tw, &opt);
  da = tess_image_get_data (a);
  db = tess_image_get_data (b);
  dc = tess_image_get_data (c);
  for (int i = 0; i < 60 * 50; i++)
    {
      ck_assert_msg (isfinite (da[i]) && isfinite (db[i]), "pixel %d: %g, %g",
                     i, da[i], db[i]);
      ck_assert_msg (fabs (da[i] - db[i]) <= 1e-9 * fabs (db[i]),
                     "pixel %d (%d, %d): across the seam %.12g, without "
                     "one %.12g",
                     i, i % 60, i / 60, da[i], db[i]);
      if (!(fabs (dc[i] - db[i]) <= 1e-3 * fabs (db[i])))
        spoiled++;
    }
  /* Without despiking, the seam spoils a band of pixels. */
  ck_assert_int_ge (spoiled, 50);
  tess_image_unref (a);
  tess_image_unref (b);
  tess_image_unref (c);
  tess_image_unref (seam);
  tess_image_unref (seamless);
  tess_wcs_unref (tw);
}
END_TEST

START_TEST (test_options_checked)
{
  TessOptions opt;
  GError *error = NULL;
  TessBoundaryMode mode;
  TessKernel kernel;

  tess_options_init (&opt);
  ck_assert (tess_options_check (&opt, NULL));
  opt.kernel_width = 0.0;
  ck_assert (!tess_options_check (&opt, &error));
  ck_assert (strstr (error->message, "kernel width") != NULL);
  g_clear_error (&error);
  tess_options_init (&opt);
  opt.boundary_ignore_threshold = 1.5;
  ck_assert (!tess_options_check (&opt, NULL));
  tess_options_init (&opt);
  opt.sample_region_width = NAN;
  ck_assert (!tess_options_check (&opt, NULL));
  tess_options_init (&opt);
  opt.bad_fill_value = INFINITY;
  ck_assert (!tess_options_check (&opt, NULL));

  ck_assert (tess_boundary_mode_from_name ("grid_constant", &mode, NULL));
  ck_assert_int_eq (mode, TESS_BOUNDARY_GRID_CONSTANT);
  ck_assert (tess_boundary_mode_from_name ("Ignore-Threshold", &mode, NULL));
  ck_assert_int_eq (mode, TESS_BOUNDARY_IGNORE_THRESHOLD);
  ck_assert (tess_kernel_from_name ("Hann", &kernel, NULL));
  ck_assert_int_eq (kernel, TESS_KERNEL_HANN);
  ck_assert (!tess_kernel_from_name ("lanczos", &kernel, &error));
  ck_assert (strstr (error->message, "gaussian or hann") != NULL);
  g_clear_error (&error);
}
END_TEST

static Suite *
adaptive_suite (void)
{
  Suite *s = suite_create ("adaptive");
  TCase *tc = tcase_create ("core");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_constant_stays_constant);
  tcase_add_test (tc, test_conserve_flux);
  tcase_add_test (tc, test_bad_value_modes);
  tcase_add_test (tc, test_despike_seam);
  tcase_add_test (tc, test_options_checked);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tu_run (adaptive_suite ());
}
