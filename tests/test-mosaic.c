/* test-mosaic.c — the optimal WCS (it covers its inputs; turned to the
 * minimum-area rectangle it fits a rotated input exactly; the finest
 * resolution; a given frame and projection) and the mosaic's names and
 * checks. */
#include "config.h"

#include "testutil.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static TessWcs *
make (double lon, double lat, double scale_arcsec, double rot, gint64 w,
      gint64 h)
{
  TessWcsParams p;
  GError *error = NULL;
  TessWcs *wcs;

  memset (&p, 0, sizeof p);
  p.frame = TESS_FRAME_ICRS;
  g_strlcpy (p.projection, "TAN", sizeof p.projection);
  p.lon = lon;
  p.lat = lat;
  p.scale = scale_arcsec / 3600.0;
  p.rotation = rot;
  p.width = w;
  p.height = h;
  p.crpix_x = (w - 1) / 2.0;
  p.crpix_y = (h - 1) / 2.0;
  wcs = tess_wcs_new_from_params (&p, &error);
  tu_assert_no_error (error);
  return wcs;
}

/* How far (output pixels) any edge point of @in sticks out of @out. */
static double
stick_out (const TessWcs *out, const TessWcs *in)
{
  gint64 w = tess_wcs_get_width (in), h = tess_wcs_get_height (in);
  gint64 W = tess_wcs_get_width (out), H = tess_wcs_get_height (out);
  double worst = -G_MAXDOUBLE;

  for (int k = 0; k <= 100; k++)
    {
      double t = k / 100.0;
      double x[4] = { -0.5 + w * t, w - 0.5, -0.5 + w * t, -0.5 };
      double y[4] = { -0.5, -0.5 + h * t, h - 0.5, -0.5 + h * t };
      double lon[4], lat[4], X[4], Y[4];
      ck_assert (tess_wcs_pixel_to_world (in, 4, x, y, lon, lat, NULL));
      tess_frame_convert (tess_wcs_get_frame (in), tess_wcs_get_frame (out), 4,
                          lon, lat);
      ck_assert (tess_wcs_world_to_pixel (out, 4, lon, lat, X, Y, NULL));
      for (int i = 0; i < 4; i++)
        {
          worst = MAX (worst, -0.5 - X[i]);
          worst = MAX (worst, X[i] - (W - 0.5));
          worst = MAX (worst, -0.5 - Y[i]);
          worst = MAX (worst, Y[i] - (H - 0.5));
        }
    }
  return worst;
}

START_TEST (test_covers)
{
  TessWcs *in[3] = { make (150.0, 2.2, 1.2, 10, 200, 180),
                     make (150.03, 2.21, 1.0, -25, 200, 180),
                     make (150.01, 2.24, 1.1, 40, 150, 300) };
  TessOptimalOptions o;
  GError *error = NULL;
  TessWcs *out;
  TessWcsParams p;

  tess_optimal_options_init (&o, in[0]);
  out = tess_optimal_wcs (in, 3, &o, &error);
  tu_assert_no_error (error);
  for (int i = 0; i < 3; i++)
    ck_assert_msg (stick_out (out, in[i]) <= 1e-6, "input %d sticks out by %g",
                   i, stick_out (out, in[i]));
  ck_assert (tess_wcs_get_params (out, &p, NULL));
  /* The finest resolution, north up, the frame of the first input. */
  ck_assert_double_eq_tol (p.scale * 3600.0, 1.0, 1e-6);
  /* North up at the reference point; at the centre, within the
   * convergence of the meridians. */
  ck_assert_double_eq_tol (p.rotation, 0.0, 1e-3);
  ck_assert_int_eq (p.frame, TESS_FRAME_ICRS);
  tess_wcs_unref (out);

  /* Galactic CAR at 2": still covering, at that scale. */
  o.frame = TESS_FRAME_GALACTIC;
  g_strlcpy (o.projection, "CAR", sizeof o.projection);
  o.resolution = 2.0 / 3600.0;
  out = tess_optimal_wcs (in, 3, &o, &error);
  tu_assert_no_error (error);
  for (int i = 0; i < 3; i++)
    ck_assert (stick_out (out, in[i]) <= 1e-6);
  ck_assert (tess_wcs_get_params (out, &p, NULL));
  ck_assert_int_eq (p.frame, TESS_FRAME_GALACTIC);
  ck_assert_str_eq (p.projection, "CAR");
  ck_assert_double_eq_tol (p.scale * 3600.0, 2.0, 1e-4);
  tess_wcs_unref (out);
  for (int i = 0; i < 3; i++)
    tess_wcs_unref (in[i]);
}
END_TEST

/* About a given reference: CRVAL is it, the inputs still inside; a
 * reference off the sky or too far for the projection is an error. */
START_TEST (test_reference)
{
  TessWcs *in[2] = { make (150.0, 2.2, 1.2, 10, 200, 180),
                     make (150.03, 2.21, 1.0, -25, 200, 180) };
  const double ref[2] = { 150.05, 2.15 }, off[2] = { 150.0, 91.0 },
               far[2] = { 330.0, -2.2 };
  TessOptimalOptions o;
  GError *error = NULL;
  TessWcs *out;
  char *text;

  tess_optimal_options_init (&o, in[0]);
  out = tess_optimal_wcs_about (in, 2, &o, ref, &error);
  tu_assert_no_error (error);
  text = tess_wcs_to_text (out);
  ck_assert (strstr (text, "CRVAL1") && strstr (text, "CRVAL2"));
  ck_assert_double_eq_tol (g_ascii_strtod (strstr (text, "CRVAL1") + 9, NULL),
                           ref[0], 1e-12);
  ck_assert_double_eq_tol (g_ascii_strtod (strstr (text, "CRVAL2") + 9, NULL),
                           ref[1], 1e-12);
  g_free (text);
  for (int i = 0; i < 2; i++)
    ck_assert (stick_out (out, in[i]) <= 1e-6);
  tess_wcs_unref (out);
  ck_assert (tess_optimal_wcs_about (in, 2, &o, off, &error) == NULL);
  ck_assert_int_eq (error->code, TESS_ERROR_INVALID);
  g_clear_error (&error);
  /* On the far side of the sky the tangent plane has no room for them. */
  ck_assert (tess_optimal_wcs_about (in, 2, &o, far, &error) == NULL);
  ck_assert_int_eq (error->code, TESS_ERROR_WCS);
  g_clear_error (&error);
  for (int i = 0; i < 2; i++)
    tess_wcs_unref (in[i]);
}
END_TEST

/* One input turned by 30°: north up, the box is much larger than the
 * image; turned to the minimum-area rectangle, it is the image. */
START_TEST (test_auto_rotate)
{
  TessWcs *in = make (150.0, 2.2, 1.0, 30, 400, 200);
  TessOptimalOptions o;
  GError *error = NULL;
  TessWcs *up, *turned;
  gint64 a, b;

  tess_optimal_options_init (&o, in);
  up = tess_optimal_wcs (&in, 1, &o, &error);
  tu_assert_no_error (error);
  o.auto_rotate = TRUE;
  turned = tess_optimal_wcs (&in, 1, &o, &error);
  tu_assert_no_error (error);
  a = tess_wcs_get_width (up) * tess_wcs_get_height (up);
  b = tess_wcs_get_width (turned) * tess_wcs_get_height (turned);
  ck_assert_msg (a > 1.3 * 400 * 200, "north up: %" G_GINT64_FORMAT, a);
  ck_assert_msg (
      MAX (tess_wcs_get_width (turned), tess_wcs_get_height (turned)) <= 401
          && MIN (tess_wcs_get_width (turned), tess_wcs_get_height (turned))
                 <= 201,
      "turned: %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT,
      tess_wcs_get_width (turned), tess_wcs_get_height (turned));
  ck_assert (b < a);
  ck_assert (stick_out (turned, in) <= 1e-6);
  tess_wcs_unref (up);
  tess_wcs_unref (turned);
  tess_wcs_unref (in);
}
END_TEST

START_TEST (test_names_and_checks)
{
  TessCombine c;
  GError *error = NULL;
  TessMosaicOptions mo;
  TessOptions o;
  TessWcs *wcs = make (150.0, 2.2, 1.0, 0, 10, 10);
  TessImage *img = tess_image_new (wcs, TESS_TYPE_FLOAT, 10, 10, 1, NULL, 0);

  for (int i = TESS_COMBINE_MEAN; i <= TESS_COMBINE_MAX; i++)
    {
      ck_assert (tess_combine_from_name (tess_combine_name (i), &c, NULL));
      ck_assert_int_eq (c, i);
    }
  ck_assert (!tess_combine_from_name ("average", &c, &error));
  tu_assert_error (error, TESS_ERROR_INVALID);
  tess_mosaic_options_init (&mo);
  ck_assert (isnan (mo.blank));
  ck_assert_int_eq (mo.background_reference, -1);
  tess_options_init (&o);
  ck_assert_ptr_null (tess_mosaic_new (&img, 0, NULL, wcs, &o, &mo, &error));
  tu_assert_error (error, TESS_ERROR_INVALID);
  mo.background_reference = 1;
  ck_assert_ptr_null (tess_mosaic_new (&img, 1, NULL, wcs, &o, &mo, &error));
  tu_assert_error (error, TESS_ERROR_INVALID);
  mo.background_reference = -1;
  {
    double bad = -1.0;
    ck_assert_ptr_null (tess_mosaic_new (&img, 1, &bad, wcs, &o, &mo, &error));
    tu_assert_error (error, TESS_ERROR_INVALID);
  }
  tess_image_unref (img);
  tess_wcs_unref (wcs);
}
END_TEST

/* A cancelled mosaic says so with TESS_ERROR_CANCELLED, whether it is
 * cancelled in the background fit or in its bands, and writes nothing. */
START_TEST (test_cancelled)
{
  GError *error = NULL;
  TessMosaicOptions mo;
  TessOptions o;
  TessWcs *a = make (150.0, 2.2, 1.0, 0, 40, 40);
  TessWcs *b = make (150.003, 2.2, 1.0, 0, 40, 40);
  TessWcs *t = make (150.0015, 2.2, 1.0, 0, 60, 40);
  TessImage *img[2]
      = { tess_image_new (a, TESS_TYPE_FLOAT, 40, 40, 1, NULL, 0),
          tess_image_new (b, TESS_TYPE_FLOAT, 40, 40, 1, NULL, 0) };
  GCancellable *c = g_cancellable_new ();
  TessMosaic *m;
  char *dir = g_dir_make_tmp ("tessera-mosaic-XXXXXX", NULL);
  char *path = g_build_filename (dir, "m.fits", NULL);

  tess_options_init (&o);
  tess_mosaic_options_init (&mo);
  mo.match_background = TRUE;
  m = tess_mosaic_new (img, 2, NULL, t, &o, &mo, &error);
  tu_assert_no_error (error);
  g_cancellable_cancel (c);
  ck_assert (!tess_mosaic_match_backgrounds (m, c, &error));
  tu_assert_error (error, TESS_ERROR_CANCELLED);
  ck_assert (!tess_mosaic_write (m, path, 0, NULL, c, NULL, NULL, &error));
  tu_assert_error (error, TESS_ERROR_CANCELLED);
  tess_mosaic_free (m);
  mo.match_background = FALSE;
  m = tess_mosaic_new (img, 2, NULL, t, &o, &mo, &error);
  tu_assert_no_error (error);
  ck_assert (!tess_mosaic_write (m, path, 0, NULL, c, NULL, NULL, &error));
  tu_assert_error (error, TESS_ERROR_CANCELLED);
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  ck_assert_int_eq (g_rmdir (dir), 0);
  tess_mosaic_free (m);
  g_object_unref (c);
  g_free (path);
  g_free (dir);
  for (int i = 0; i < 2; i++)
    tess_image_unref (img[i]);
  tess_wcs_unref (a);
  tess_wcs_unref (b);
  tess_wcs_unref (t);
}
END_TEST

/* A mosaic's progress: from none to all its bands, ten times a second at
 * most however many bands, the time left once a tenth is done. */
START_TEST (test_progress)
{
  GError *error = NULL;
  TessMosaicOptions mo;
  TessOptions o;
  TessRunOptions run;
  TessWcs *a = make (150.0, 2.2, 1.0, 0, 200, 300);
  TessWcs *b = make (150.03, 2.2, 1.0, 0, 200, 300);
  TessWcs *t = make (150.015, 2.2, 1.0, 0, 300, 300);
  TessImage *img[2]
      = { tess_image_new (a, TESS_TYPE_FLOAT, 200, 300, 1, NULL, 0),
          tess_image_new (b, TESS_TYPE_FLOAT, 200, 300, 1, NULL, 0) };
  char *dir = g_dir_make_tmp ("tessera-mosaic-XXXXXX", NULL);
  char *path = g_build_filename (dir, "m.fits", NULL);
  TessMosaic *m;
  TuProgress p;

  tess_options_init (&o);
  tess_mosaic_options_init (&mo);
  tess_run_options_init (&run);
  run.block_height = 1; /* 300 bands */
  m = tess_mosaic_new (img, 2, NULL, t, &o, &mo, &error);
  tu_assert_no_error (error);
  tu_progress_init (&p);
  ck_assert (tess_mosaic_write (m, path, 0, &run, NULL, tu_progress_record, &p,
                                &error));
  tu_assert_no_error (error);
  tu_progress_check (&p, 300, 300 * 300);
  /* Into memory: the file's values and footprint, whatever the jobs. */
  {
    TessImage *file = tess_image_load (path, &error);
    float *data = g_new (float, 300 * 300), *fp = g_new (float, 300 * 300);
    TessRunOptions two;

    tu_assert_no_error (error);
    ck_assert_int_eq (tess_mosaic_get_pixel_type (m), TESS_TYPE_FLOAT);
    ck_assert_int_eq (tess_mosaic_get_nplanes (m), 1);
    tess_run_options_init (&two);
    two.jobs = 2;
    two.block_height = 7;
    ck_assert (
        tess_mosaic_run_into (m, &two, data, fp, NULL, NULL, NULL, &error));
    tu_assert_no_error (error);
    ck_assert (
        memcmp (data, tess_image_get_data (file), 300 * 300 * sizeof (float))
        == 0);
    {
      char *ext = g_strdup_printf ("%s[FOOTPRINT]", path);
      TessImage *weights = tess_image_load (ext, &error);
      tu_assert_no_error (error);
      ck_assert (memcmp (fp, tess_image_get_data (weights),
                         300 * 300 * sizeof (float))
                 == 0);
      tess_image_unref (weights);
      g_free (ext);
    }
    g_free (data);
    g_free (fp);
    tess_image_unref (file);
  }
  /* Negative jobs are refused, and worker processes for inputs with no
   * file (workers read them from their files); no file. */
  g_unlink (path);
  run.jobs = -2;
  ck_assert (!tess_mosaic_write (m, path, TESS_WRITE_OVERWRITE, &run, NULL,
                                 NULL, NULL, &error));
  tu_assert_error (error, TESS_ERROR_INVALID);
  run.jobs = 2;
  run.engine = TESS_ENGINE_PROCESSES;
  ck_assert (!tess_mosaic_write (m, path, TESS_WRITE_OVERWRITE, &run, NULL,
                                 NULL, NULL, &error));
  tu_assert_error (error, TESS_ERROR_INVALID);
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  tess_mosaic_free (m);
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
  for (int i = 0; i < 2; i++)
    tess_image_unref (img[i]);
  tess_wcs_unref (a);
  tess_wcs_unref (b);
  tess_wcs_unref (t);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("mosaic");
  TCase *tc = tcase_create ("mosaic");

  tcase_add_test (tc, test_covers);
  tcase_add_test (tc, test_auto_rotate);
  tcase_add_test (tc, test_reference);
  tcase_add_test (tc, test_names_and_checks);
  tcase_add_test (tc, test_cancelled);
  tcase_add_test (tc, test_progress);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
