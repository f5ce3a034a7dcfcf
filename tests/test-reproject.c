/* test-reproject.c — whole reprojections: identity, integer shifts,
 * independence from how the output is split into regions, cubes, the
 * interpolated coordinate grid against exact transforms, errors, progress,
 * cancellation and concurrent use from several threads.
 */
#include "config.h"

#include "testutil.h"

#include <fitsio.h>
#include <glib/gstdio.h>

#include <math.h>
#include <string.h>

enum
{
  W = 120,
  H = 100
};

/* The options of these tests: the adaptive method with the Hann kernel
 * (an interpolation where the map neither shrinks nor grows, as the
 * Gaussian one is not) and samples outside left out. */
static void
test_options (TessOptions *opt, TessMethod method, gboolean exact)
{
  tess_options_init (opt);
  opt->method = method;
  opt->exact_transform = exact;
  opt->kernel = TESS_KERNEL_HANN;
  opt->boundary_mode = TESS_BOUNDARY_IGNORE;
}

static TessImage *
run (TessImage *in, TessWcs *target, TessMethod method, gboolean exact)
{
  TessOptions opt;
  GError *error = NULL;
  TessImage *out;

  test_options (&opt, method, exact);
  out = tess_reproject (in, target, &opt, &error);
  tu_assert_no_error (error);
  return out;
}

START_TEST (test_identity_exact)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 17.0);
  TessImage *in = tu_image (wcs, 1, 40);

  static const TessMethod same[]
      = { TESS_METHOD_NEAREST, TESS_METHOD_BILINEAR, TESS_METHOD_ADAPTIVE };

  for (unsigned k = 0; k < G_N_ELEMENTS (same); k++)
    {
      TessMethod m = same[k];
      TessImage *out = run (in, wcs, m, FALSE);
      ck_assert_msg (tu_equal_f (tess_image_get_data (in),
                                 tess_image_get_data (out), W * H),
                     "%s identity changed the image", tess_method_name (m));
      /* Footprint: 1 exactly where the data are finite. */
      for (int i = 0; i < W * H; i++)
        ck_assert_float_eq (
            tess_image_get_footprint (out)[i],
            isnan (((float *)tess_image_get_data (in))[i]) ? 0.0f : 1.0f);
      tess_image_unref (out);
    }
  tess_image_unref (in);
  tess_wcs_unref (wcs);
}
END_TEST

START_TEST (test_integer_shift)
{
  const int dx = 7, dy = -3;
  TessWcs *wcs
      = tu_wcs_shifted (TESS_FRAME_ICRS, 30.0, -40.0, W, H, 2.0, 0, 0);
  TessWcs *t
      = tu_wcs_shifted (TESS_FRAME_ICRS, 30.0, -40.0, W, H, 2.0, dx, dy);
  TessImage *in = tu_image (wcs, 1, 25);
  const float *a = tess_image_get_data (in);

  for (int m = 0; m < TESS_N_METHODS; m++)
    {
      TessImage *out = run (in, t, (TessMethod)m, FALSE);
      const float *b = tess_image_get_data (out);
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          {
            int sx = x - dx, sy = y - dy;
            float got = b[y * W + x];
            if (sx < 0 || sy < 0 || sx >= W || sy >= H)
              {
                ck_assert_msg (isnan (got), "(%d,%d) outside but %g", x, y,
                               got);
                continue;
              }
            float want = a[sy * W + sx];
            if (m <= TESS_METHOD_BILINEAR || m == TESS_METHOD_ADAPTIVE)
              ck_assert_msg (want == got || (isnan (want) && isnan (got)),
                             "%s (%d,%d): %g, want %g",
                             tess_method_name ((TessMethod)m), x, y, got,
                             want);
            else if (!isnan (got))
              /* Splines interpolate; NaN may spread over their stencil. */
              ck_assert_msg (fabs (got - want) <= 1e-5 * fabs (want),
                             "%s (%d,%d): %g, want %g",
                             tess_method_name ((TessMethod)m), x, y, got,
                             want);
          }
      tess_image_unref (out);
    }
  tess_image_unref (in);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
}
END_TEST

/* A target in another frame and projection, rotated and rescaled. */
static TessWcs *
awkward_target (void)
{
  return tu_wcs (TESS_FRAME_GALACTIC, "CAR", 236.7356, 42.0212, 90, 110, 1.3,
                 0.0);
}

START_TEST (test_regions_bit_identical)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessWcs *t = awkward_target ();
  TessImage *in = tu_image (wcs, 1, 30);
  gint64 tw = tess_wcs_get_width (t), th = tess_wcs_get_height (t);

  for (int m = 0; m < TESS_N_METHODS; m++)
    for (int exact = 0; exact <= 1; exact++)
      {
        TessOptions opt;
        GError *error = NULL;
        TessPlan *plan;
        TessImage *whole = run (in, t, (TessMethod)m, exact);
        float *parts = g_new (float, tw *th);
        float *fp = g_new (float, tw *th);
        const int bw[] = { 1, 7, 16, 33, 64 }, bh[] = { 1, 5, 17, 40, 128 };

        test_options (&opt, (TessMethod)m, exact);
        plan = tess_plan_new (in, t, &opt, &error);
        tu_assert_no_error (error);
        for (unsigned s = 0; s < G_N_ELEMENTS (bw); s++)
          {
            for (gint64 y0 = 0; y0 < th; y0 += bh[s])
              for (gint64 x0 = 0; x0 < tw; x0 += bw[s])
                {
                  TessRect r
                      = { x0, y0, MIN (bw[s], tw - x0), MIN (bh[s], th - y0) };
                  float *block = g_new (float, r.width *r.height);
                  float *bfp = g_new (float, r.width *r.height);
                  ck_assert (
                      tess_plan_compute_region (plan, &r, block, bfp, &error));
                  for (gint64 y = 0; y < r.height; y++)
                    {
                      memcpy (parts + (y0 + y) * tw + x0, block + y * r.width,
                              r.width * sizeof (float));
                      memcpy (fp + (y0 + y) * tw + x0, bfp + y * r.width,
                              r.width * sizeof (float));
                    }
                  g_free (block);
                  g_free (bfp);
                }
            ck_assert_msg (memcmp (parts, tess_image_get_data (whole),
                                   tw * th * sizeof (float))
                               == 0,
                           "%s exact=%d: %dx%d blocks differ",
                           tess_method_name ((TessMethod)m), exact, bw[s],
                           bh[s]);
            ck_assert (memcmp (fp, tess_image_get_footprint (whole),
                               tw * th * sizeof (float))
                       == 0);
          }
        g_free (parts);
        g_free (fp);
        tess_plan_unref (plan);
        tess_image_unref (whole);
      }
  tess_image_unref (in);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
}
END_TEST

START_TEST (test_grid_matches_exact)
{
  /* The interpolated coordinate grid agrees with exact transforms: output
   * values differ by far less than the tolerance would allow. */
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessWcs *t = awkward_target ();
  TessImage *in = tu_image (wcs, 1, 0);
  TessImage *a = run (in, t, TESS_METHOD_BILINEAR, FALSE);
  TessImage *b = run (in, t, TESS_METHOD_BILINEAR, TRUE);
  const float *da = tess_image_get_data (a), *db = tess_image_get_data (b);
  gint64 n = tess_image_get_width (a) * tess_image_get_height (a);
  int finite = 0;

  for (gint64 i = 0; i < n; i++)
    {
      ck_assert (isnan (da[i]) == isnan (db[i]));
      if (isnan (da[i]))
        continue;
      finite++;
      ck_assert_msg (fabs (da[i] - db[i]) <= 1e-6 * fabs (db[i]),
                     "pixel %ld: grid %g, exact %g", (long)i, da[i], db[i]);
    }
  ck_assert_int_gt (finite, n / 4);
  tess_image_unref (a);
  tess_image_unref (b);
  tess_image_unref (in);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
}
END_TEST

START_TEST (test_cube_broadcast)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessWcs *t
      = tu_wcs (TESS_FRAME_FK5, "TAN", 150.003, 2.201, 80, 70, 1.4, 25.0);
  TessImage *cube = tu_image (wcs, 3, 20);
  TessImage *out = run (cube, t, TESS_METHOD_BICUBIC, FALSE);
  gint64 extra[2];

  ck_assert_int_eq (tess_image_get_nplanes (out), 3);
  ck_assert_int_eq (tess_image_get_extra_axes (out, extra, 2), 1);
  ck_assert_int_eq (extra[0], 3);
  for (int p = 0; p < 3; p++)
    {
      /* Each plane alone gives the same result. */
      TessImage *plane
          = tess_image_new (wcs, TESS_TYPE_FLOAT, W, H, 1, NULL, 0);
      TessImage *single;
      memcpy (tess_image_get_data (plane),
              (float *)tess_image_get_data (cube) + p * W * H,
              W * H * sizeof (float));
      single = run (plane, t, TESS_METHOD_BICUBIC, FALSE);
      ck_assert (tu_equal_f (tess_image_get_data (single),
                             (float *)tess_image_get_data (out) + p * 80 * 70,
                             80 * 70));
      tess_image_unref (single);
      tess_image_unref (plane);
    }
  tess_image_unref (out);
  tess_image_unref (cube);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
}
END_TEST

START_TEST (test_frame_round_trip_image)
{
  /* Reprojecting ICRS → Galactic → ICRS with nearest returns the input
   * pixels wherever the double trip lands on the same pixel: at equal pixel
   * scale and no rotation about the centre, almost everywhere. */
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessWcs *gal = tu_wcs (TESS_FRAME_GALACTIC, "TAN", 236.7356, 42.0212, 4 * W,
                         4 * H, 0.25, 0.0);
  TessImage *in = tu_image (wcs, 1, 0);
  TessImage *mid = run (in, gal, TESS_METHOD_NEAREST, FALSE);
  TessImage *back = run (mid, wcs, TESS_METHOD_NEAREST, FALSE);
  const float *a = tess_image_get_data (in), *b = tess_image_get_data (back);
  int same = 0, finite = 0;

  for (int i = 0; i < W * H; i++)
    if (!isnan (b[i]))
      {
        finite++;
        same += a[i] == b[i];
      }
  ck_assert_int_gt (finite, W * H / 3);
  ck_assert_msg (same >= finite * 0.999, "%d of %d pixels back", same, finite);
  tess_image_unref (back);
  tess_image_unref (mid);
  tess_image_unref (in);
  tess_wcs_unref (gal);
  tess_wcs_unref (wcs);
}
END_TEST

START_TEST (test_no_overlap)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessWcs *far = tu_wcs (TESS_FRAME_ICRS, "TAN", 10.0, -60.0, W, H, 1.0, 0.0);
  TessImage *in = tu_image (wcs, 1, 0);
  GError *error = NULL;
  TessPlan *plan = tess_plan_new (in, far, NULL, &error);

  ck_assert (plan == NULL);
  ck_assert (g_error_matches (error, TESS_ERROR, TESS_ERROR_NO_OVERLAP));
  g_error_free (error);
  tess_image_unref (in);
  tess_wcs_unref (wcs);
  tess_wcs_unref (far);
}
END_TEST

START_TEST (test_small_input_in_large_target)
{
  /* The input covers a few target pixels only: found by sampling the
   * input, not the target. */
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, 20, 20, 1.0, 0.0);
  TessWcs *big
      = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.5, 2.0, 500, 500, 8.0, 0.0);
  TessImage *in = tu_image (wcs, 1, 0);
  TessImage *out = run (in, big, TESS_METHOD_BILINEAR, FALSE);
  const float *d = tess_image_get_data (out);
  int finite = 0;

  for (int i = 0; i < 500 * 500; i++)
    finite += !isnan (d[i]);
  ck_assert_int_ge (finite, 1);
  ck_assert_int_le (finite, 9);
  tess_image_unref (out);
  tess_image_unref (in);
  tess_wcs_unref (wcs);
  tess_wcs_unref (big);
}
END_TEST

START_TEST (test_bad_options)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessImage *in = tu_image (wcs, 1, 0);
  TessOptions opt;
  GError *error = NULL;
  TessMethod m;
  TessRect r = { 0, 0, W + 1, H };
  TessPlan *plan;
  float *buf = g_new (float, (W + 1) * H);

  tess_options_init (&opt);
  opt.transform_tolerance = 0.0;
  ck_assert (tess_plan_new (in, wcs, &opt, &error) == NULL);
  ck_assert (g_error_matches (error, TESS_ERROR, TESS_ERROR_INVALID));
  g_clear_error (&error);
  tess_options_init (&opt);
  opt.method = (TessMethod)99;
  ck_assert (tess_plan_new (in, wcs, &opt, &error) == NULL);
  g_clear_error (&error);
  ck_assert (!tess_method_from_name ("cubic-ish", &m, &error));
  ck_assert (strstr (error->message, "cubic-ish") != NULL);
  g_clear_error (&error);
  ck_assert (tess_method_from_name ("BICUBIC", &m, NULL));
  ck_assert_int_eq (m, TESS_METHOD_BICUBIC);

  plan = tess_plan_new (in, wcs, NULL, &error);
  tu_assert_no_error (error);
  ck_assert (!tess_plan_compute_region (plan, &r, buf, NULL, &error));
  ck_assert (g_error_matches (error, TESS_ERROR, TESS_ERROR_INVALID));
  g_clear_error (&error);
  g_free (buf);
  tess_plan_unref (plan);
  tess_image_unref (in);
  tess_wcs_unref (wcs);
}
END_TEST

static void
count_progress (const TessProgress *p, gpointer data)
{
  TessProgress *last = data;

  ck_assert_int_le (p->blocks_done, p->blocks_total);
  ck_assert_int_le (p->pixels_done, p->pixels_total);
  ck_assert (p->elapsed >= 0.0);
  *last = *p;
}

START_TEST (test_progress_and_cancel)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessImage *in = tu_image (wcs, 1, 0);
  TessProgress last = { 0 };
  GError *error = NULL;
  TessPlan *plan = tess_plan_new (in, wcs, NULL, &error);
  GCancellable *c = g_cancellable_new ();
  TessImage *out;

  out = tess_plan_run (plan, NULL, count_progress, &last, &error);
  tu_assert_no_error (error);
  ck_assert_int_gt (last.blocks_total, 0);
  ck_assert_int_eq (last.blocks_done, last.blocks_total);
  ck_assert_int_eq (last.pixels_done, (gint64)W * H);
  tess_image_unref (out);
  /* Blocks of a row: reports from none to all, ten a second at most. */
  {
    TessRect all = { 0, 0, W, H };
    TessRunOptions run;
    TuProgress p;

    tess_run_options_init (&run);
    run.block_height = 1;
    tu_progress_init (&p);
    out = tess_plan_run_region (plan, &all, &run, NULL, tu_progress_record, &p,
                                &error);
    tu_assert_no_error (error);
    tu_progress_check (&p, H, (gint64)W * H);
    tess_image_unref (out);
  }

  g_cancellable_cancel (c);
  out = tess_plan_run (plan, c, NULL, NULL, &error);
  ck_assert (out == NULL);
  ck_assert (g_error_matches (error, TESS_ERROR, TESS_ERROR_CANCELLED));
  g_clear_error (&error);
  g_object_unref (c);
  tess_plan_unref (plan);
  tess_image_unref (in);
  tess_wcs_unref (wcs);
}
END_TEST

/* Two reprojections at once, from two threads, give the results of a
 * serial run: the library keeps no shared mutable state. */
typedef struct
{
  TessImage *in;
  TessWcs *target;
  TessMethod method;
  TessImage *out;
} Job;

static gpointer
job_thread (gpointer data)
{
  Job *j = data;

  for (int k = 0; k < 3; k++)
    {
      if (j->out)
        tess_image_unref (j->out);
      j->out = run (j->in, j->target, j->method, FALSE);
    }
  return NULL;
}

START_TEST (test_threads)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessWcs *t1 = awkward_target ();
  TessWcs *t2 = tu_wcs (TESS_FRAME_FK5, "SIN", 150.01, 2.21, 90, 80, 1.2, 33);
  TessImage *in = tu_image (wcs, 1, 10);
  Job jobs[2] = { { in, t1, TESS_METHOD_BICUBIC, NULL },
                  { in, t2, TESS_METHOD_BIQUADRATIC, NULL } };
  GThread *th[2];

  for (int i = 0; i < 2; i++)
    th[i] = g_thread_new ("job", job_thread, &jobs[i]);
  for (int i = 0; i < 2; i++)
    g_thread_join (th[i]);
  for (int i = 0; i < 2; i++)
    {
      TessImage *serial = run (in, jobs[i].target, jobs[i].method, FALSE);
      gint64 n
          = tess_image_get_width (serial) * tess_image_get_height (serial);
      ck_assert (memcmp (tess_image_get_data (serial),
                         tess_image_get_data (jobs[i].out), n * sizeof (float))
                 == 0);
      tess_image_unref (serial);
      tess_image_unref (jobs[i].out);
    }
  tess_image_unref (in);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t1);
  tess_wcs_unref (t2);
}
END_TEST

START_TEST (test_run_region)
{
  /* A region of the output, as an image of its own: the same pixels as the
   * whole output, and a WCS shifted to it. */
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessWcs *t = awkward_target ();
  TessImage *in = tu_image (wcs, 2, 15);
  GError *error = NULL;
  TessPlan *plan = tess_plan_new (in, t, NULL, &error);
  TessImage *whole, *part;
  TessRect r = { 13, 29, 50, 61 }, bad = { 80, 0, 20, 10 };
  gint64 tw = tess_wcs_get_width (t), th = tess_wcs_get_height (t);
  double x = 0.0, y = 0.0, lon[2], lat[2], px = 13.0, py = 29.0;

  tu_assert_no_error (error);
  whole = tess_plan_run (plan, NULL, NULL, NULL, &error);
  part = tess_plan_run_region (plan, &r, NULL, NULL, NULL, NULL, &error);
  tu_assert_no_error (error);
  ck_assert_int_eq (tess_image_get_width (part), r.width);
  ck_assert_int_eq (tess_image_get_height (part), r.height);
  ck_assert_int_eq (tess_image_get_nplanes (part), 2);
  for (int p = 0; p < 2; p++)
    for (gint64 j = 0; j < r.height; j++)
      ck_assert (tu_equal_f ((float *)tess_image_get_data (whole)
                                 + (p * th + r.y0 + j) * tw + r.x0,
                             (float *)tess_image_get_data (part)
                                 + (p * r.height + j) * r.width,
                             r.width));
  ck_assert (tess_wcs_pixel_to_world (tess_image_get_wcs (part), 1, &x, &y,
                                      &lon[0], &lat[0], NULL));
  ck_assert (tess_wcs_pixel_to_world (t, 1, &px, &py, &lon[1], &lat[1], NULL));
  ck_assert (fabs (lon[0] - lon[1]) < 1e-10 && fabs (lat[0] - lat[1]) < 1e-10);

  /* In small blocks: the same. */
  {
    TessRunOptions run;
    TessImage *blocked;
    tess_run_options_init (&run);
    run.block_width = 7;
    run.block_height = 11;
    blocked = tess_plan_run_region (plan, &r, &run, NULL, NULL, NULL, &error);
    tu_assert_no_error (error);
    ck_assert (memcmp (tess_image_get_data (blocked),
                       tess_image_get_data (part),
                       2 * r.width * r.height * sizeof (float))
               == 0);
    ck_assert (memcmp (tess_image_get_footprint (blocked),
                       tess_image_get_footprint (part),
                       r.width * r.height * sizeof (float))
               == 0);
    tess_image_unref (blocked);
  }

  ck_assert (tess_plan_run_region (plan, &bad, NULL, NULL, NULL, NULL, &error)
             == NULL);
  ck_assert (g_error_matches (error, TESS_ERROR, TESS_ERROR_INVALID));
  g_clear_error (&error);
  tess_image_unref (part);
  tess_image_unref (whole);
  tess_plan_unref (plan);
  tess_image_unref (in);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
}
END_TEST

/* Files in @dir whose names start with @prefix. */
static int
count_files (const char *dir, const char *prefix)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  int n = 0;

  while (d && (name = g_dir_read_name (d)) != NULL)
    n += g_str_has_prefix (name, prefix);
  if (d)
    g_dir_close (d);
  return n;
}

START_TEST (test_plan_write)
{
  /* A region written block by block to a file: the same pixels, footprint
   * and WCS as computed in memory. */
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessWcs *t = awkward_target ();
  TessImage *in = tu_image (wcs, 2, 15);
  GError *error = NULL;
  TessPlan *plan = tess_plan_new (in, t, NULL, &error);
  TessRect r = { 13, 29, 50, 61 };
  TessRunOptions run;
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "out.fits", NULL);
  char *fp_path = g_strconcat (path, "[FOOTPRINT]", NULL);
  TessImage *part, *back, *back_fp;
  GCancellable *cancel = g_cancellable_new ();
  double x = 3.0, y = 4.0, a[2], b[2];
  char *before = NULL, *after = NULL;

  tu_assert_no_error (error);
  part = tess_plan_run_region (plan, &r, NULL, NULL, NULL, NULL, &error);
  tu_assert_no_error (error);
  tess_run_options_init (&run);
  run.block_width = 7;
  run.block_height = 11;
  ck_assert (
      tess_plan_write (plan, &r, &run, path, 0, NULL, NULL, NULL, &error));
  tu_assert_no_error (error);
  back = tess_image_load (path, &error);
  tu_assert_no_error (error);
  back_fp = tess_image_load (fp_path, &error);
  tu_assert_no_error (error);
  ck_assert_int_eq (tess_image_get_width (back), r.width);
  ck_assert_int_eq (tess_image_get_height (back), r.height);
  ck_assert_int_eq (tess_image_get_nplanes (back), 2);
  ck_assert (memcmp (tess_image_get_data (back), tess_image_get_data (part),
                     2 * r.width * r.height * sizeof (float))
             == 0);
  ck_assert (memcmp (tess_image_get_data (back_fp),
                     tess_image_get_footprint (part),
                     r.width * r.height * sizeof (float))
             == 0);
  ck_assert (tess_wcs_pixel_to_world (tess_image_get_wcs (back), 1, &x, &y,
                                      &a[0], &a[1], NULL));
  ck_assert (tess_wcs_pixel_to_world (tess_image_get_wcs (part), 1, &x, &y,
                                      &b[0], &b[1], NULL));
  ck_assert (fabs (a[0] - b[0]) < 1e-10 && fabs (a[1] - b[1]) < 1e-10);
  tess_image_unref (back);
  tess_image_unref (back_fp);

  /* An existing file is kept unless overwriting. */
  ck_assert (g_file_get_contents (path, &before, NULL, NULL));
  ck_assert (
      !tess_plan_write (plan, NULL, NULL, path, 0, NULL, NULL, NULL, &error));
  ck_assert (g_error_matches (error, TESS_ERROR, TESS_ERROR_IO));
  ck_assert (strstr (error->message, path) != NULL);
  g_clear_error (&error);
  ck_assert (g_file_get_contents (path, &after, NULL, NULL));
  ck_assert_str_eq (before, after);

  /* Without a footprint: one HDU. */
  ck_assert (tess_plan_write (plan, NULL, NULL, path,
                              TESS_WRITE_OVERWRITE | TESS_WRITE_NO_FOOTPRINT,
                              NULL, NULL, NULL, &error));
  tu_assert_no_error (error);
  back_fp = tess_image_load (fp_path, &error);
  ck_assert (back_fp == NULL);
  g_clear_error (&error);

  /* Cancelled: no file, no temporary file. */
  g_unlink (path);
  g_cancellable_cancel (cancel);
  ck_assert (!tess_plan_write (plan, NULL, NULL, path, 0, cancel, NULL, NULL,
                               &error));
  ck_assert (g_error_matches (error, TESS_ERROR, TESS_ERROR_CANCELLED));
  g_clear_error (&error);
  ck_assert (!g_file_test (path, G_FILE_TEST_EXISTS));
  ck_assert_int_eq (count_files (dir, ".tessera-"), 0);

  g_object_unref (cancel);
  g_free (before);
  g_free (after);
  tess_image_unref (part);
  tess_plan_unref (plan);
  tess_image_unref (in);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
  tu_rmdir (dir);
  g_free (dir);
  g_free (path);
  g_free (fp_path);
}
END_TEST

typedef struct
{
  TessPlan *plan;
  const char *path;
  int jobs;
  gboolean ok;
} WriteJob;

static gpointer
write_thread (gpointer data)
{
  WriteJob *j = data;
  TessRunOptions run;
  GError *error = NULL;

  tess_run_options_init (&run);
  run.jobs = j->jobs;
  run.engine = TESS_ENGINE_PROCESSES;
  run.block_width = 23;
  run.block_height = 17;
  j->ok = tess_plan_write (j->plan, NULL, &run, j->path, 0, NULL, NULL, NULL,
                           &error);
  if (error)
    g_printerr ("write_thread: %s\n", error->message);
  g_clear_error (&error);
  return NULL;
}

START_TEST (test_workers_from_threads)
{
  /* Runs with worker processes started from two threads at once, while a
   * third thread computes in-process: all give the in-process result. */
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessWcs *t = awkward_target ();
  TessImage *mem = tu_image (wcs, 2, 12), *in, *ref_img;
  char *dir = tu_tmpdir ();
  char *src = g_build_filename (dir, "in.fits", NULL);
  char *paths[3];
  GError *error = NULL;
  TessPlan *plan, *plan_bic;
  WriteJob jobs[3];
  GThread *th[3];

  ck_assert (tess_image_save (mem, src, 0, &error));
  tu_assert_no_error (error);
  in = tess_image_open (src, NULL, &error);
  tu_assert_no_error (error);
  plan = tess_plan_new (in, t, NULL, &error);
  tu_assert_no_error (error);
  {
    TessOptions o;
    tess_options_init (&o);
    o.method = TESS_METHOD_BICUBIC;
    plan_bic = tess_plan_new (in, t, &o, &error);
    tu_assert_no_error (error);
  }
  for (int i = 0; i < 3; i++)
    {
      paths[i] = g_strdup_printf ("%s/out%d.fits", dir, i);
      jobs[i].plan = i == 1 ? plan_bic : plan;
      jobs[i].path = paths[i];
      jobs[i].jobs = i == 2 ? 1 : 2;
      th[i] = g_thread_new ("write", write_thread, &jobs[i]);
    }
  for (int i = 0; i < 3; i++)
    {
      g_thread_join (th[i]);
      ck_assert (jobs[i].ok);
    }
  for (int i = 0; i < 2; i++)
    {
      TessImage *ref = tess_plan_run (jobs[i].plan, NULL, NULL, NULL, &error);
      TessImage *got = tess_image_load (paths[i], &error);
      tu_assert_no_error (error);
      ck_assert (memcmp (tess_image_get_data (ref), tess_image_get_data (got),
                         (gsize)tess_image_get_width (ref)
                             * (gsize)tess_image_get_height (ref) * 2
                             * sizeof (float))
                 == 0);
      tess_image_unref (ref);
      tess_image_unref (got);
    }
  ref_img = tess_image_load (paths[2], &error);
  tu_assert_no_error (error);
  {
    TessImage *got = tess_image_load (paths[0], &error);
    tu_assert_no_error (error);
    ck_assert (
        memcmp (tess_image_get_data (ref_img), tess_image_get_data (got),
                (gsize)tess_image_get_width (got)
                    * (gsize)tess_image_get_height (got) * 2 * sizeof (float))
        == 0);
    tess_image_unref (got);
  }
  tess_image_unref (ref_img);

  /* Into memory with workers: the same again, footprint included. */
  {
    TessRunOptions run;
    TessRect r = { 5, 7, 61, 53 };
    TessImage *a, *b;
    tess_run_options_init (&run);
    run.jobs = 2;
    run.engine = TESS_ENGINE_PROCESSES;
    run.block_width = 16;
    run.block_height = 16;
    a = tess_plan_run_region (plan_bic, &r, &run, NULL, NULL, NULL, &error);
    tu_assert_no_error (error);
    b = tess_plan_run_region (plan_bic, &r, NULL, NULL, NULL, NULL, &error);
    tu_assert_no_error (error);
    ck_assert (memcmp (tess_image_get_data (a), tess_image_get_data (b),
                       (gsize)(r.width * r.height * 2) * sizeof (float))
               == 0);
    ck_assert (memcmp (tess_image_get_footprint (a),
                       tess_image_get_footprint (b),
                       (gsize)(r.width * r.height) * sizeof (float))
               == 0);
    tess_image_unref (a);
    tess_image_unref (b);

    /* The workers' errors come back with their code: the input replaced
     * by a file that is not FITS (this process keeps the old one
     * mapped), which they open again, is a format error naming it. */
    {
      char *junk = g_build_filename (dir, "junk", NULL);
      ck_assert (g_file_set_contents (junk, "not a FITS file", -1, NULL));
      ck_assert_int_eq (g_rename (junk, src), 0);
      g_free (junk);
    }
    ck_assert (tess_plan_run_region (plan, &r, &run, NULL, NULL, NULL, &error)
               == NULL);
    ck_assert (error && strstr (error->message, src) != NULL);
    tu_assert_error (error, TESS_ERROR_FORMAT);
  }
  for (int i = 0; i < 3; i++)
    g_free (paths[i]);
  tess_plan_unref (plan);
  tess_plan_unref (plan_bic);
  tess_image_unref (in);
  tess_image_unref (mem);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
  tu_rmdir (dir);
  g_free (dir);
  g_free (src);
}
END_TEST

/* The engine of threads: any number of threads and any blocks give the
 * bits of one region computed at once, for every method, a cube, into
 * memory and into a file; progress comes in the calling thread, from
 * none to all; cancelling stops the run; bad run options are refused. */
typedef struct
{
  TuProgress p;
  GThread *caller;
  GCancellable *cancel; /* cancelled at the first report, the start's */
} ThreadProgress;

static void
thread_progress (const TessProgress *report, gpointer data)
{
  ThreadProgress *tp = data;

  ck_assert (g_thread_self () == tp->caller);
  if (tp->cancel)
    g_cancellable_cancel (tp->cancel);
  if (tp->cancel == NULL)
    tu_progress_record (report, &tp->p);
}

START_TEST (test_engine_threads)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessWcs *t = awkward_target ();
  TessImage *in = tu_image (wcs, 2, 13);
  const TessMethod methods[] = { TESS_METHOD_BILINEAR, TESS_METHOD_BICUBIC,
                                 TESS_METHOD_ADAPTIVE, TESS_METHOD_EXACT };
  const gint64 blocks[][2] = { { 0, 0 }, { 16, 16 }, { 7, 300 }, { 90, 1 } };
  gint64 tw = tess_wcs_get_width (t), th = tess_wcs_get_height (t);
  gsize n = (gsize)(tw * th);
  GError *error = NULL;

  for (gsize m = 0; m < G_N_ELEMENTS (methods); m++)
    {
      TessOptions opt;
      TessPlan *plan;
      TessRect all = { 0, 0, tw, th };
      float *ref = g_new (float, 2 * n), *ref_fp = g_new (float, n);
      float *got = g_new (float, 2 * n), *got_fp = g_new (float, n);

      test_options (&opt, methods[m], FALSE);
      plan = tess_plan_new (in, t, &opt, &error);
      tu_assert_no_error (error);
      ck_assert (tess_plan_compute_region (plan, &all, ref, ref_fp, &error));
      tu_assert_no_error (error);
      for (int jobs = 0; jobs <= 4; jobs++)
        for (gsize b = 0; b < G_N_ELEMENTS (blocks); b++)
          {
            TessRunOptions run;

            tess_run_options_init (&run);
            run.jobs = jobs;
            run.engine = b % 2 ? TESS_ENGINE_THREADS : TESS_ENGINE_AUTO;
            run.block_width = blocks[b][0];
            run.block_height = blocks[b][1];
            memset (got, 0xff, 2 * n * sizeof (float));
            memset (got_fp, 0xff, n * sizeof (float));
            ck_assert (tess_plan_run_into (plan, NULL, &run, got, got_fp, NULL,
                                           NULL, NULL, &error));
            tu_assert_no_error (error);
            ck_assert_msg (memcmp (ref, got, 2 * n * sizeof (float)) == 0,
                           "%s, %d jobs, blocks %" G_GINT64_FORMAT
                           "x%" G_GINT64_FORMAT ": other values",
                           tess_method_name (methods[m]), jobs, blocks[b][0],
                           blocks[b][1]);
            ck_assert (memcmp (ref_fp, got_fp, n * sizeof (float)) == 0);
          }
      /* No footprint asked for: the values alone. */
      {
        TessRunOptions run;
        tess_run_options_init (&run);
        run.jobs = 3;
        ck_assert (tess_plan_run_into (plan, NULL, &run, got, NULL, NULL, NULL,
                                       NULL, &error));
        tu_assert_no_error (error);
        ck_assert (memcmp (ref, got, 2 * n * sizeof (float)) == 0);
      }
      g_free (ref);
      g_free (ref_fp);
      g_free (got);
      g_free (got_fp);
      tess_plan_unref (plan);
    }

  /* Progress in this thread, from none to all a row at a time; and a
   * region into a file, as with one job. */
  {
    TessPlan *plan = tess_plan_new (in, t, NULL, &error);
    TessRunOptions run;
    ThreadProgress tp = { 0 };
    TessRect r = { 3, 5, tw - 10, th - 20 };
    float *got = g_new (float, 2 * n);
    char *dir = tu_tmpdir ();
    char *one = g_build_filename (dir, "one.fits", NULL);
    char *three = g_build_filename (dir, "three.fits", NULL);
    char *a = NULL, *b = NULL;
    gsize alen, blen;

    tu_assert_no_error (error);
    tess_run_options_init (&run);
    run.jobs = 3;
    run.block_height = 1;
    tp.caller = g_thread_self ();
    tu_progress_init (&tp.p);
    ck_assert (tess_plan_run_into (plan, NULL, &run, got, NULL, NULL,
                                   thread_progress, &tp, &error));
    tu_assert_no_error (error);
    tu_progress_check (&tp.p, th, tw * th);

    ck_assert (
        tess_plan_write (plan, &r, NULL, one, 0, NULL, NULL, NULL, &error));
    tu_assert_no_error (error);
    run.block_width = 11;
    run.block_height = 7;
    ck_assert (
        tess_plan_write (plan, &r, &run, three, 0, NULL, NULL, NULL, &error));
    tu_assert_no_error (error);
    ck_assert (g_file_get_contents (one, &a, &alen, NULL));
    ck_assert (g_file_get_contents (three, &b, &blen, NULL));
    ck_assert (alen == blen && memcmp (a, b, alen) == 0);
    g_free (a);
    g_free (b);

    /* Many short runs, threads done before others start: each returns. */
    for (int k = 0; k < 300; k++)
      {
        TessRect tiny = { k % 50, k % 40, 4, 2 };
        TessRunOptions quick;
        tess_run_options_init (&quick);
        quick.jobs = 8;
        quick.block_width = 1;
        quick.block_height = 1;
        ck_assert (tess_plan_run_into (plan, &tiny, &quick, got, NULL, NULL,
                                       NULL, NULL, &error));
        tu_assert_no_error (error);
      }

    /* Cancelled from the progress callback: stops with CANCELLED. */
    tp.cancel = g_cancellable_new ();
    run.block_width = 0;
    run.block_height = 1;
    ck_assert (!tess_plan_run_into (plan, NULL, &run, got, NULL, tp.cancel,
                                    thread_progress, &tp, &error));
    tu_assert_error (error, TESS_ERROR_CANCELLED);
    g_object_unref (tp.cancel);

    /* Worker processes need the input's file: this image has none. */
    run.engine = TESS_ENGINE_PROCESSES;
    ck_assert (!tess_plan_run_into (plan, NULL, &run, got, NULL, NULL, NULL,
                                    NULL, &error));
    tu_assert_error (error, TESS_ERROR_INVALID);
    run.engine = (TessEngine)7;
    ck_assert (!tess_plan_run_into (plan, NULL, &run, got, NULL, NULL, NULL,
                                    NULL, &error));
    tu_assert_error (error, TESS_ERROR_INVALID);
    run.engine = TESS_ENGINE_THREADS;
    run.jobs = -1;
    ck_assert (!tess_plan_run_into (plan, NULL, &run, got, NULL, NULL, NULL,
                                    NULL, &error));
    tu_assert_error (error, TESS_ERROR_INVALID);
    r.x0 = tw;
    run.jobs = 2;
    ck_assert (!tess_plan_run_into (plan, &r, &run, got, NULL, NULL, NULL,
                                    NULL, &error));
    tu_assert_error (error, TESS_ERROR_INVALID);

    g_free (got);
    tess_plan_unref (plan);
    tu_rmdir (dir);
    g_free (dir);
    g_free (one);
    g_free (three);
  }
  tess_image_unref (in);
  tess_wcs_unref (wcs);
  tess_wcs_unref (t);
}
END_TEST

/* A HEALPix map onto a target: every engine of blocks (one job, threads)
 * gives the same file; progress from none to all in this thread with one
 * job too; cancelling leaves no file. */
static char *
write_healpix_map (const char *dir, long nside)
{
  char *path = g_build_filename (dir, "map.fits", NULL);
  char *ttype[] = { "T" }, *tform[] = { "1E" };
  long npix = 12 * nside * nside;
  float *v = g_new (float, (gsize)npix);
  fitsfile *f = NULL;
  int status = 0;

  for (long i = 0; i < npix; i++)
    v[i] = (float)(i % 97) + 0.25f;
  fits_create_file (&f, path, &status);
  fits_create_tbl (f, BINARY_TBL, npix, 1, ttype, tform, NULL, "MAP", &status);
  fits_write_key_str (f, "PIXTYPE", "HEALPIX", NULL, &status);
  fits_write_key_str (f, "ORDERING", "RING", NULL, &status);
  fits_write_key_lng (f, "NSIDE", nside, NULL, &status);
  fits_write_key_str (f, "COORDSYS", "C", NULL, &status);
  fits_write_key_str (f, "INDXSCHM", "IMPLICIT", NULL, &status);
  fits_write_col (f, TFLOAT, 1, 1, 1, npix, v, &status);
  fits_close_file (f, &status);
  ck_assert_int_eq (status, 0);
  g_free (v);
  return path;
}

START_TEST (test_healpix_engines)
{
  char *dir = tu_tmpdir ();
  char *map_path = write_healpix_map (dir, 16);
  char *one = g_build_filename (dir, "one.fits", NULL);
  char *two = g_build_filename (dir, "two.fits", NULL);
  char *gone = g_build_filename (dir, "gone.fits", NULL);
  TessWcs *t = tu_wcs (TESS_FRAME_ICRS, "CAR", 40.0, 10.0, 90, 70, 1800.0, 0);
  GError *error = NULL;
  TessHealpixMap *map = tess_healpix_map_load (map_path, 0, &error);
  TessRunOptions run;
  ThreadProgress tp = { 0 };
  char *a = NULL, *b = NULL;
  gsize alen, blen;

  tu_assert_no_error (error);
  tess_run_options_init (&run);
  run.block_height = 1;
  tp.caller = g_thread_self ();
  tu_progress_init (&tp.p);
  ck_assert (tess_healpix_reproject_write (
      map, t, NULL, NULL, &run, one, 0, NULL, thread_progress, &tp, &error));
  tu_assert_no_error (error);
  tu_progress_check (&tp.p, 70, 90 * 70);
  run.jobs = 3;
  run.block_width = 32;
  run.block_height = 9;
  ck_assert (tess_healpix_reproject_write (map, t, NULL, NULL, &run, two, 0,
                                           NULL, NULL, NULL, &error));
  tu_assert_no_error (error);
  ck_assert (g_file_get_contents (one, &a, &alen, NULL));
  ck_assert (g_file_get_contents (two, &b, &blen, NULL));
  ck_assert (alen == blen && memcmp (a, b, alen) == 0);

  tp.cancel = g_cancellable_new ();
  ck_assert (!tess_healpix_reproject_write (map, t, NULL, NULL, &run, gone, 0,
                                            tp.cancel, thread_progress, &tp,
                                            &error));
  tu_assert_error (error, TESS_ERROR_CANCELLED);
  ck_assert (!g_file_test (gone, G_FILE_TEST_EXISTS));
  g_object_unref (tp.cancel);

  /* An image onto a map: progress by chunks of pixels, none to all. */
  {
    TessHealpixOptions ho;
    TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 40.0, 10.0, 60, 50, 60, 0);
    TessImage *img = tu_image (wcs, 1, 3);
    char *to = g_build_filename (dir, "to.fits", NULL);
    gint64 npix;

    tess_healpix_options_init (&ho);
    ho.frame = TESS_FRAME_ICRS;
    npix = 12 * ho.nside * ho.nside;
    tu_progress_init (&tp.p);
    tp.cancel = NULL;
    ck_assert (tess_healpix_from_image_write (img, &ho, to, 0, NULL,
                                              thread_progress, &tp, &error));
    tu_assert_no_error (error);
    tu_progress_check (&tp.p, (npix + (1 << 18) - 1) / (1 << 18), npix);
    tess_image_unref (img);
    tess_wcs_unref (wcs);
    g_free (to);
  }

  g_free (a);
  g_free (b);
  tess_healpix_map_unref (map);
  tess_wcs_unref (t);
  tu_rmdir (dir);
  g_free (dir);
  g_free (map_path);
  g_free (one);
  g_free (two);
  g_free (gone);
}
END_TEST

/* An output too large for memory is TESS_ERROR_NO_MEMORY, found before
 * anything is computed. */
START_TEST (test_no_memory)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, W, H, 1.0, 0.0);
  TessWcs *huge = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 2.2, 1000000, 1000000,
                          0.001, 0.0);
  TessImage *in = tu_image (wcs, 1, 0);
  GError *error = NULL;
  TessPlan *plan = tess_plan_new (in, huge, NULL, &error);

  tu_assert_no_error (error);
  ck_assert (tess_plan_run (plan, NULL, NULL, NULL, &error) == NULL);
  tu_assert_error (error, TESS_ERROR_NO_MEMORY);
  tess_plan_unref (plan);
  tess_image_unref (in);
  tess_wcs_unref (wcs);
  tess_wcs_unref (huge);
}
END_TEST

/* Every enumeration's names are read back one way: case and '-' versus
 * '_' do not matter, and an unknown name is an error naming it and the
 * choices. */
START_TEST (test_enum_names)
{
  GError *error = NULL;
  TessCombine c;
  TessFrame f;
  TessHealpixOrder o;
  TessBoundaryMode b;

  ck_assert (tess_combine_from_name ("MEDIAN", &c, NULL));
  ck_assert_int_eq (c, TESS_COMBINE_MEDIAN);
  ck_assert_str_eq (tess_combine_name (TESS_COMBINE_MAX), "max");
  ck_assert (!tess_combine_from_name ("average", &c, &error));
  ck_assert (g_error_matches (error, TESS_ERROR, TESS_ERROR_INVALID));
  ck_assert_str_eq (error->message,
                    "unknown combination 'average' (expected mean, sum, "
                    "median, first, last, min or max)");
  g_clear_error (&error);

  ck_assert (tess_frame_from_name ("FK4_no-E", &f, NULL));
  ck_assert_int_eq (f, TESS_FRAME_FK4_NO_E);
  ck_assert_str_eq (tess_frame_name (TESS_FRAME_GALACTIC), "galactic");
  ck_assert_str_eq (tess_frame_name ((TessFrame)77), "unknown");
  ck_assert (!tess_frame_from_name ("fk6", &f, &error));
  ck_assert (strstr (error->message, "'fk6'") != NULL);
  ck_assert (strstr (error->message, "galactic or ecliptic") != NULL);
  g_clear_error (&error);

  ck_assert (tess_healpix_order_from_name ("NEST", &o, NULL));
  ck_assert_int_eq (o, TESS_HEALPIX_NESTED);
  ck_assert (tess_healpix_order_from_name ("Ring", &o, NULL));
  ck_assert_int_eq (o, TESS_HEALPIX_RING);
  ck_assert_str_eq (tess_healpix_order_name (TESS_HEALPIX_NESTED), "nested");
  ck_assert (!tess_healpix_order_from_name ("", &o, &error));
  ck_assert_str_eq (error->message,
                    "unknown HEALPix ordering '' (expected ring or nested)");
  g_clear_error (&error);

  ck_assert (tess_boundary_mode_from_name ("GRID_constant", &b, NULL));
  ck_assert_int_eq (b, TESS_BOUNDARY_GRID_CONSTANT);
  ck_assert (!tess_boundary_mode_from_name ("grid", &b, &error));
  ck_assert (strstr (error->message, "boundary mode 'grid'") != NULL);
  g_clear_error (&error);

  {
    TessEngine e;
    ck_assert (tess_engine_from_name ("Processes", &e, NULL));
    ck_assert_int_eq (e, TESS_ENGINE_PROCESSES);
    ck_assert_str_eq (tess_engine_name (TESS_ENGINE_THREADS), "threads");
    ck_assert (!tess_engine_from_name ("mpi", &e, &error));
    ck_assert_str_eq (error->message, "unknown engine 'mpi' (expected auto, "
                                      "threads or processes)");
    g_clear_error (&error);
  }
}
END_TEST

static Suite *
reproject_suite (void)
{
  Suite *s = suite_create ("reproject");
  TCase *tc = tcase_create ("reproject");

  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_identity_exact);
  tcase_add_test (tc, test_enum_names);
  tcase_add_test (tc, test_no_memory);
  tcase_add_test (tc, test_integer_shift);
  tcase_add_test (tc, test_regions_bit_identical);
  tcase_add_test (tc, test_grid_matches_exact);
  tcase_add_test (tc, test_cube_broadcast);
  tcase_add_test (tc, test_frame_round_trip_image);
  tcase_add_test (tc, test_no_overlap);
  tcase_add_test (tc, test_small_input_in_large_target);
  tcase_add_test (tc, test_bad_options);
  tcase_add_test (tc, test_progress_and_cancel);
  tcase_add_test (tc, test_run_region);
  tcase_add_test (tc, test_plan_write);
  tcase_add_test (tc, test_workers_from_threads);
  tcase_add_test (tc, test_threads);
  tcase_add_test (tc, test_engine_threads);
  tcase_add_test (tc, test_healpix_engines);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tu_run (reproject_suite ());
}
