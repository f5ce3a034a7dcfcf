/* test-block-job.c — block jobs (TessBlockJob), as an engine of several
 * processes uses them, played here by two jobs in one process: one
 * creates the file, the other attaches to it; the blocks computed by
 * either, in any order, give the file tess_plan_write() and
 * tess_mosaic_write() give, also when the second job is rebuilt from the
 * first's description.  An attached job leaves the file alone when it
 * fails; the creator's abort removes it. */
#include "config.h"

#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>

/* The bytes of the file at @path. */
static GBytes *
slurp (const char *path)
{
  char *data;
  gsize len;
  GError *error = NULL;

  ck_assert (g_file_get_contents (path, &data, &len, &error));
  return g_bytes_new_take (data, len);
}

/* The files at @a and @b have the same bytes. */
static void
assert_same_file (const char *a, const char *b, const char *what)
{
  GBytes *x = slurp (a), *y = slurp (b);

  ck_assert_msg (g_bytes_equal (x, y), "%s: files differ", what);
  g_bytes_unref (x);
  g_bytes_unref (y);
}

/* Runs @a (the creator) and @b (attached) into @path: block i by @a when
 * i % 3 == 0, else by @b, from the last block to the first. */
static void
run_pair (TessBlockJob *a, TessBlockJob *b, const char *path)
{
  GError *error = NULL;
  char *tmp = tess_block_job_create (a, path, TESS_WRITE_OVERWRITE, &error);
  gint64 n = tess_block_job_get_n_blocks (a), pixels = 0, total = 0;
  TuProgress progress;

  tu_assert_no_error (error);
  ck_assert (g_file_test (tmp, G_FILE_TEST_EXISTS));
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  ck_assert (tess_block_job_attach (b, tmp, &error));
  tu_assert_no_error (error);
  ck_assert_int_eq (tess_block_job_get_n_blocks (b), n);
  for (gint64 i = 0; i < n; i++)
    {
      TessRect r = tess_block_job_get_block (a, i);
      total += r.width * r.height;
    }
  /* Progress as the engine counts it, the creator reporting. */
  tu_progress_init (&progress);
  tess_block_job_start_progress (a, tu_progress_record, &progress);
  for (gint64 i = n - 1; i >= 0; i--)
    {
      TessRect r = tess_block_job_get_block (a, i);
      ck_assert (tess_block_job_compute (i % 3 ? b : a, i, &error));
      tu_assert_no_error (error);
      pixels += r.width * r.height;
      tess_block_job_report_progress (a, n - i, pixels);
    }
  tess_block_job_finish_progress (a);
  tu_progress_check (&progress, n, total);
  ck_assert (tess_block_job_finish (b, TRUE, &error));
  tu_assert_no_error (error);
  /* The attached job's finish does not publish. */
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  ck_assert (tess_block_job_finish (a, TRUE, &error));
  tu_assert_no_error (error);
  ck_assert (g_file_test (path, G_FILE_TEST_EXISTS));
  ck_assert (!g_file_test (tmp, G_FILE_TEST_EXISTS));
  g_free (tmp);
}

START_TEST (test_plan)
{
  TessWcs *in_wcs
      = tu_wcs (TESS_FRAME_ICRS, "TAN", 150, 2.2, 120, 100, 1.0, 0);
  TessWcs *target
      = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.001, 2.2005, 90, 80, 1.3, 25);
  TessImage *in = tu_image (in_wcs, 2, 30);
  char *dir = tu_tmpdir ();
  char *ref = g_build_filename (dir, "ref.fits", NULL);
  char *out = g_build_filename (dir, "out.fits", NULL);
  const TessMethod methods[]
      = { TESS_METHOD_BILINEAR, TESS_METHOD_BICUBIC, TESS_METHOD_EXACT };
  GError *error = NULL;

  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      TessOptions opt;
      TessRunOptions run;
      TessRect region = { 7, 5, 70, 61 };
      TessPlan *plan;
      TessBlockJob *a, *b;

      tess_options_init (&opt);
      opt.method = methods[m];
      tess_run_options_init (&run);
      run.block_width = 23;
      run.block_height = 17;
      plan = tess_plan_new (in, target, &opt, &error);
      tu_assert_no_error (error);
      ck_assert (tess_plan_write (plan, &region, NULL, ref,
                                  TESS_WRITE_OVERWRITE, NULL, NULL, NULL,
                                  &error));
      tu_assert_no_error (error);
      a = tess_block_job_new_plan (plan, &region, &run, &error);
      b = tess_block_job_new_plan (plan, &region, &run, &error);
      tu_assert_no_error (error);
      ck_assert_int_eq (tess_block_job_get_n_blocks (a), 4 * 4);
      {
        TessRect r = tess_block_job_get_block (a, 5);
        ck_assert (r.x0 == 23 && r.y0 == 17 && r.width == 23
                   && r.height == 17);
        r = tess_block_job_get_block (a, 15);
        ck_assert (r.x0 == 69 && r.y0 == 51 && r.width == 1 && r.height == 10);
      }
      g_unlink (out);
      run_pair (a, b, out);
      assert_same_file (ref, out, tess_method_name (methods[m]));
      tess_block_job_free (a);
      tess_block_job_free (b);
      tess_plan_unref (plan);
    }
  tu_rmdir (dir);
  g_free (dir);
  g_free (ref);
  g_free (out);
  tess_image_unref (in);
  tess_wcs_unref (in_wcs);
  tess_wcs_unref (target);
}
END_TEST

START_TEST (test_mosaic)
{
  TessWcs *w[3]
      = { tu_wcs (TESS_FRAME_ICRS, "TAN", 150, 2.2, 80, 70, 1.0, 0),
          tu_wcs (TESS_FRAME_ICRS, "TAN", 150.01, 2.205, 90, 60, 1.2, 15),
          tu_wcs (TESS_FRAME_ICRS, "TAN", 150.005, 2.212, 70, 80, 0.9, -10) };
  TessImage *in[3];
  TessWcs *target
      = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.005, 2.205, 110, 100, 1.0, 0);
  char *dir = tu_tmpdir ();
  char *ref = g_build_filename (dir, "ref.fits", NULL);
  char *out = g_build_filename (dir, "out.fits", NULL);
  TessOptions opt;
  TessMosaicOptions mo;
  TessRunOptions run;
  TessMosaic *m, *m2;
  TessBlockJob *a, *b;
  GError *error = NULL;

  for (int i = 0; i < 3; i++)
    in[i] = tu_image (w[i], 1, 5);
  tess_options_init (&opt);
  tess_mosaic_options_init (&mo);
  mo.combine = TESS_COMBINE_MEDIAN;
  mo.match_background = TRUE;
  tess_run_options_init (&run);
  run.block_height = 13;
  m = tess_mosaic_new (in, 3, NULL, target, &opt, &mo, &error);
  tu_assert_no_error (error);
  ck_assert (tess_mosaic_write (m, ref, TESS_WRITE_OVERWRITE, NULL, NULL, NULL,
                                NULL, &error));
  tu_assert_no_error (error);
  /* A second mosaic takes the first's offsets rather than fitting them. */
  m2 = tess_mosaic_new (in, 3, NULL, target, &opt, &mo, &error);
  tu_assert_no_error (error);
  ck_assert_int_eq (tess_mosaic_get_n_inputs (m2), 3);
  ck_assert (tess_mosaic_set_offsets (m2, tess_mosaic_get_offsets (m)));
  a = tess_block_job_new_mosaic (m, &run, NULL, &error);
  b = tess_block_job_new_mosaic (m2, &run, NULL, &error);
  tu_assert_no_error (error);
  ck_assert_int_eq (tess_block_job_get_n_blocks (a), (100 + 12) / 13);
  run_pair (a, b, out);
  assert_same_file (ref, out, "mosaic");
  tess_block_job_free (a);
  tess_block_job_free (b);
  tess_mosaic_free (m);
  tess_mosaic_free (m2);
  for (int i = 0; i < 3; i++)
    {
      tess_image_unref (in[i]);
      tess_wcs_unref (w[i]);
    }
  tess_wcs_unref (target);
  tu_rmdir (dir);
  g_free (dir);
  g_free (ref);
  g_free (out);
}
END_TEST

/* @image saved as @name in @dir and opened again from its file. */
static TessImage *
from_file (TessImage *image, const char *dir, const char *name)
{
  char *path = g_build_filename (dir, name, NULL);
  GError *error = NULL;
  TessImage *back;

  ck_assert (tess_image_save (image, path, TESS_WRITE_OVERWRITE, &error));
  tu_assert_no_error (error);
  back = tess_image_open (path, NULL, &error);
  tu_assert_no_error (error);
  g_free (path);
  return back;
}

/* @a's description, rebuilt: described again, the same text. */
static TessBlockJob *
rebuilt (TessBlockJob *a)
{
  GError *error = NULL;
  gsize len, len2;
  char *text = tess_block_job_describe (a, &len, &error), *again;
  TessBlockJob *b;

  tu_assert_no_error (error);
  ck_assert (text != NULL && len == strlen (text));
  b = tess_block_job_new_from_description (text, len, NULL, &error);
  tu_assert_no_error (error);
  again = tess_block_job_describe (b, &len2, &error);
  tu_assert_no_error (error);
  ck_assert_str_eq (again, text);
  g_free (text);
  g_free (again);
  return b;
}

/* Jobs rebuilt from descriptions: a plan's region of a cube (bicubic) and
 * a mosaic with weight images, background matching and an input off the
 * target; the same files as the jobs described.  Bad descriptions, and
 * jobs of images with no file, are refused. */
START_TEST (test_describe)
{
  TessWcs *w[4]
      = { tu_wcs (TESS_FRAME_ICRS, "TAN", 150, 2.2, 80, 70, 1.0, 0),
          tu_wcs (TESS_FRAME_ICRS, "TAN", 150.01, 2.205, 90, 60, 1.2, 15),
          tu_wcs (TESS_FRAME_ICRS, "TAN", 150.005, 2.212, 70, 80, 0.9, -10),
          tu_wcs (TESS_FRAME_GALACTIC, "TAN", 10, 60, 30, 30, 1.0, 0) };
  TessWcs *target
      = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.005, 2.205, 110, 100, 1.0, 0);
  char *dir = tu_tmpdir ();
  char *ref = g_build_filename (dir, "ref.fits", NULL);
  char *out = g_build_filename (dir, "out.fits", NULL);
  TessImage *in[4], *cube, *mem, *weights[3];
  TessOptions opt;
  TessMosaicOptions mo;
  TessRunOptions run;
  TessRect region = { 5, 3, 90, 77 };
  TessMosaic *m;
  TessPlan *plan;
  TessBlockJob *a, *b;
  GError *error = NULL;
  char *text, *bad;
  gsize len;

  for (int i = 0; i < 4; i++)
    {
      char *name = g_strdup_printf ("in%d.fits", i);
      mem = tu_image (w[i], 1, 5);
      in[i] = from_file (mem, dir, name);
      tess_image_unref (mem);
      g_free (name);
    }
  for (int i = 0; i < 3; i++)
    {
      char *name = g_strdup_printf ("w%d.fits", i);
      mem = tu_image (w[i], 1, 0);
      weights[i] = from_file (mem, dir, name);
      tess_image_unref (mem);
      g_free (name);
    }
  mem = tu_image (w[0], 2, 9);
  cube = from_file (mem, dir, "cube.fits");

  /* A plan's region. */
  tess_options_init (&opt);
  opt.method = TESS_METHOD_BICUBIC;
  tess_run_options_init (&run);
  run.block_width = 31;
  run.block_height = 19;
  plan = tess_plan_new (cube, target, &opt, &error);
  tu_assert_no_error (error);
  ck_assert (tess_plan_write (plan, &region, NULL, ref, TESS_WRITE_OVERWRITE,
                              NULL, NULL, NULL, &error));
  tu_assert_no_error (error);
  a = tess_block_job_new_plan (plan, &region, &run, &error);
  tu_assert_no_error (error);
  b = rebuilt (a);
  ck_assert_int_eq (tess_block_job_get_n_blocks (b),
                    tess_block_job_get_n_blocks (a));
  run_pair (a, b, out);
  assert_same_file (ref, out, "a rebuilt plan");
  tess_block_job_free (a);
  tess_block_job_free (b);
  tess_plan_unref (plan);

  /* A mosaic. */
  tess_options_init (&opt);
  tess_mosaic_options_init (&mo);
  mo.combine = TESS_COMBINE_MEAN;
  mo.match_background = TRUE;
  mo.blank = -3.0;
  tess_run_options_init (&run);
  run.block_height = 11;
  m = tess_mosaic_new (in, 4, (const double[]){ 1.0, 0.5, 2.0, 1.0 }, target,
                       &opt, &mo, &error);
  tu_assert_no_error (error);
  ck_assert (!tess_mosaic_input_used (m, 3));
  for (int i = 0; i < 3; i++)
    {
      ck_assert (tess_mosaic_set_weight_image (m, i, weights[i], &error));
      tu_assert_no_error (error);
    }
  ck_assert (tess_mosaic_write (m, ref, TESS_WRITE_OVERWRITE, &run, NULL, NULL,
                                NULL, &error));
  tu_assert_no_error (error);
  a = tess_block_job_new_mosaic (m, &run, NULL, &error);
  tu_assert_no_error (error);
  b = rebuilt (a);
  ck_assert_int_eq (tess_block_job_get_n_blocks (b), (100 + 10) / 11);
  g_unlink (out);
  run_pair (a, b, out);
  assert_same_file (ref, out, "a rebuilt mosaic");
  tess_block_job_free (b);

  /* Not descriptions, or incomplete ones. */
  text = tess_block_job_describe (a, &len, &error);
  tu_assert_no_error (error);
  ck_assert (tess_block_job_new_from_description ("x", 1, NULL, &error)
             == NULL);
  tu_assert_error (error, TESS_ERROR_INVALID);
  bad = g_strndup (text, strstr (text, "[input 2]") - text);
  ck_assert (
      tess_block_job_new_from_description (bad, strlen (bad), NULL, &error)
      == NULL);
  ck_assert (error != NULL && strstr (error->message, "input 2") != NULL);
  tu_assert_error (error, TESS_ERROR_INVALID);
  g_free (bad);
  bad = g_strdup (text);
  memcpy (strstr (bad, "kind=mosaic"), "kind=mosaix", 11);
  ck_assert (
      tess_block_job_new_from_description (bad, strlen (bad), NULL, &error)
      == NULL);
  tu_assert_error (error, TESS_ERROR_INVALID);
  g_free (bad);
  g_free (text);
  tess_block_job_free (a);
  tess_mosaic_free (m);

  /* An image with no file cannot be described. */
  tess_options_init (&opt);
  plan = tess_plan_new (mem, target, &opt, &error);
  tu_assert_no_error (error);
  a = tess_block_job_new_plan (plan, NULL, NULL, &error);
  tu_assert_no_error (error);
  ck_assert (tess_block_job_describe (a, &len, &error) == NULL);
  tu_assert_error (error, TESS_ERROR_INVALID);
  tess_block_job_free (a);
  tess_plan_unref (plan);

  tess_image_unref (mem);
  tess_image_unref (cube);
  for (int i = 0; i < 4; i++)
    {
      tess_image_unref (in[i]);
      tess_wcs_unref (w[i]);
    }
  for (int i = 0; i < 3; i++)
    tess_image_unref (weights[i]);
  tess_wcs_unref (target);
  tu_rmdir (dir);
  g_free (dir);
  g_free (ref);
  g_free (out);
}
END_TEST

START_TEST (test_abort)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150, 2.2, 50, 40, 1.0, 0);
  TessImage *in = tu_image (wcs, 1, 0);
  char *dir = tu_tmpdir ();
  char *out = g_build_filename (dir, "out.fits", NULL);
  char *junk = g_build_filename (dir, "junk.fits", NULL);
  TessOptions opt;
  TessPlan *plan;
  TessBlockJob *a, *b;
  GError *error = NULL;
  char *tmp;

  tess_options_init (&opt);
  plan = tess_plan_new (in, wcs, &opt, &error);
  tu_assert_no_error (error);
  a = tess_block_job_new_plan (plan, NULL, NULL, &error);
  b = tess_block_job_new_plan (plan, NULL, NULL, &error);
  tu_assert_no_error (error);
  tmp = tess_block_job_create (a, out, 0, &error);
  tu_assert_no_error (error);
  ck_assert (tess_block_job_attach (b, tmp, &error));
  /* The attached job gives up: the file stays for the creator. */
  ck_assert (tess_block_job_finish (b, FALSE, &error));
  ck_assert (g_file_test (tmp, G_FILE_TEST_EXISTS));
  /* The creator aborts: nothing is left. */
  ck_assert (tess_block_job_finish (a, FALSE, &error));
  ck_assert (!g_file_test (tmp, G_FILE_TEST_EXISTS));
  ck_assert (!g_file_test (out, G_FILE_TEST_EXISTS));
  /* Finished already: nothing to commit, said so. */
  ck_assert (!tess_block_job_finish (a, TRUE, &error));
  tu_assert_error (error, TESS_ERROR_INVALID);
  ck_assert (tess_block_job_finish (a, FALSE, &error));
  /* Not an output being written. */
  g_file_set_contents (junk, "SIMPLE  =                    T", -1, NULL);
  ck_assert (!tess_block_job_attach (b, junk, &error));
  ck_assert (error != NULL);
  g_clear_error (&error);
  ck_assert (!tess_block_job_attach (b, "/nonexistent/x.fits", &error));
  ck_assert (error != NULL && strstr (error->message, "/nonexistent/x.fits"));
  g_clear_error (&error);
  tess_block_job_free (a);
  tess_block_job_free (b);
  tess_plan_unref (plan);
  tess_image_unref (in);
  tess_wcs_unref (wcs);
  tu_rmdir (dir);
  g_free (dir);
  g_free (out);
  g_free (junk);
  g_free (tmp);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("block-job");
  TCase *tc = tcase_create ("block-job");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_plan);
  tcase_add_test (tc, test_mosaic);
  tcase_add_test (tc, test_describe);
  tcase_add_test (tc, test_abort);
  suite_add_tcase (s, tc);
  return tu_run (s);
}
