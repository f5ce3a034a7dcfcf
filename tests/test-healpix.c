/* test-healpix.c — the HEALPix geometry of core/healpix.c (built into this
 * test): base-pixel coordinates against chealpix's pixel centres, and the
 * bilinear weights (a partition of unity that reproduces functions linear
 * in colatitude and gives a pixel centre its own value).
 */
#include "config.h"

#include "healpix/tess-healpix.h"

#include <chealpix.h>
#include <check.h>
#include <math.h>

/* The centre of every pixel, from its base pixel and (x, y) indices, is
 * chealpix's. */
START_TEST (test_face_centres)
{
  for (gint64 N = 1; N <= 32; N *= 2)
    for (gint64 p = 0; p < 12 * N * N; p++)
      {
        int face;
        gint64 ix, iy;
        double t1, p1, t2, p2;

        tess__healpix_nest_to_xyf (N, p, &face, &ix, &iy);
        ck_assert_int_ge (ix, 0);
        ck_assert_int_lt (ix, N);
        ck_assert_int_ge (iy, 0);
        ck_assert_int_lt (iy, N);
        tess__healpix_face_to_ang (face, (ix + 0.5) / N, (iy + 0.5) / N, &t1,
                                   &p1);
        pix2ang_nest64 (N, p, &t2, &p2);
        ck_assert_double_eq_tol (t1, t2, 1e-12);
        ck_assert_double_eq_tol (fmod (p1 - p2 + 3 * G_PI, 2 * G_PI) - G_PI,
                                 0.0, 1e-12);
      }
}
END_TEST

/* A point inside a pixel's outline (between its corners in face
 * coordinates) is in that pixel by chealpix. */
START_TEST (test_face_outline)
{
  gint64 N = 16;
  for (gint64 p = 0; p < 12 * N * N; p += 7)
    {
      int face;
      gint64 ix, iy;
      int64_t q;
      double t, ph;

      tess__healpix_nest_to_xyf (N, p, &face, &ix, &iy);
      for (int k = 0; k < 4; k++)
        {
          double fx = (ix + 0.02 + 0.96 * (k % 2)) / N;
          double fy = (iy + 0.02 + 0.96 * (k / 2)) / N;
          tess__healpix_face_to_ang (face, fx, fy, &t, &ph);
          ang2pix_nest64 (N, t, ph, &q);
          ck_assert_int_eq (q, p);
        }
    }
}
END_TEST

START_TEST (test_bilinear_weights)
{
  gint64 N = 8;
  GRand *rand = g_rand_new_with_seed (3);

  for (int k = 0; k < 20000; k++)
    {
      double z = g_rand_double_range (rand, -1, 1);
      double theta = acos (z), phi = g_rand_double_range (rand, 0, 2 * G_PI);
      gint64 pix[4];
      double w[4], sum = 0, lin = 0;

      tess__healpix_bilinear_weights (N, theta, phi, pix, w);
      for (int i = 0; i < 4; i++)
        {
          double tc, pc;
          ck_assert_int_ge (pix[i], 0);
          ck_assert_int_lt (pix[i], 12 * N * N);
          ck_assert (w[i] >= -1e-12 && w[i] <= 1 + 1e-12);
          sum += w[i];
          pix2ang_ring64 (N, pix[i], &tc, &pc);
          lin += w[i] * tc;
        }
      ck_assert_double_eq_tol (sum, 1.0, 1e-12);
      /* Linear in colatitude, between the first and last rings. */
      if (z < 1 - 1.0 / (3.0 * N * N) && z > -1 + 1.0 / (3.0 * N * N))
        ck_assert_double_eq_tol (lin, theta, 1e-12);
    }
  /* A pixel centre: its own value. */
  for (gint64 p = 0; p < 12 * N * N; p++)
    {
      double tc, pc, w[4], own = 0;
      gint64 pix[4];
      pix2ang_ring64 (N, p, &tc, &pc);
      tess__healpix_bilinear_weights (N, tc, pc, pix, w);
      for (int i = 0; i < 4; i++)
        if (pix[i] == p)
          own += w[i];
      ck_assert_double_eq_tol (own, 1.0, 1e-9);
    }
  g_rand_free (rand);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("healpix");
  TCase *tc = tcase_create ("geometry");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_face_centres);
  tcase_add_test (tc, test_face_outline);
  tcase_add_test (tc, test_bilinear_weights);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
