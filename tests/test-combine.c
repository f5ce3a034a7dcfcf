/* test-combine.c — a mosaic's combinations of its inputs' parts of a band
 * (combine.c) against their definitions, pixel by pixel, and the fit of
 * background offsets (background-fit.c) against exact and least-squares
 * solutions worked out by hand.  Both are internal: built into this
 * test. */
#include "config.h"

#include "mosaic/tess-background.h"
#include "mosaic/tess-combine.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The band: 4 × 2 pixels, output rows 10 and 11, two planes. */
#define W 4
#define ROWS 2
#define Y0 10
#define P 2
#define NPARTS 3

typedef struct
{
  TessMosaicPiece piece;
  float values[P * W * ROWS]; /* its planes, one after the other */
  float fp[W * ROWS];
  float weights[W * ROWS];
} Part;

/* A: columns 0-2 of both rows, value 1 (plane 1: 10), weight 1.
 * B: columns 1-2 of both rows, value 3 (30), NaN at (1, 10) in plane 0,
 *    input weight 2, weight image 0.5.
 * C: columns 2-3 of row 11, value 8 (80) less an offset of 4,
 *    footprint 0.25.
 * Pixel (3, 10) has no input. */
static void
make_parts (Part *parts)
{
  static const TessRect r[NPARTS]
      = { { 0, 10, 3, 2 }, { 1, 10, 2, 2 }, { 2, 11, 2, 1 } };
  static const float v[NPARTS] = { 1, 3, 8 };

  for (int i = 0; i < NPARTS; i++)
    {
      Part *p = &parts[i];
      gsize n = (gsize)(r[i].width * r[i].height);
      for (gsize k = 0; k < n; k++)
        {
          p->values[k] = v[i];
          p->values[n + k] = 10 * v[i];
          p->fp[k] = i == 2 ? 0.25f : 1.0f;
          p->weights[k] = 0.5f;
        }
      p->piece.r = r[i];
      p->piece.data = p->values;
      p->piece.dbl = FALSE;
      p->piece.fp = p->fp;
      p->piece.weights = i == 1 ? p->weights : NULL;
      p->piece.weight = i == 1 ? 2.0 : 1.0;
      p->piece.offset = i == 2 ? 4.0 : 0.0;
    }
  parts[1].values[0] = NAN;
}

/* The values and weights the inputs give at (x, y) in plane @p, in the
 * order of the inputs; their number. */
static int
gather (const Part *parts, gint64 x, gint64 y, int p, double *v, double *w)
{
  int c = 0;

  for (int i = 0; i < NPARTS; i++)
    {
      const TessMosaicPiece *pc = &parts[i].piece;
      gint64 lx = x - pc->r.x0, ly = y - pc->r.y0;
      gsize k, n = (gsize)(pc->r.width * pc->r.height);
      double value, weight;
      if (lx < 0 || ly < 0 || lx >= pc->r.width || ly >= pc->r.height)
        continue;
      k = (gsize)(ly * pc->r.width + lx);
      value = ((const float *)pc->data)[(gsize)p * n + k] - pc->offset;
      weight = pc->fp[k] * pc->weight * (pc->weights ? pc->weights[k] : 1.0);
      if (!isfinite (value) || !(weight > 0))
        continue;
      v[c] = value;
      w[c] = weight;
      c++;
    }
  return c;
}

static int
cmp (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* What @combine makes of @c values @v weighted @w, by its definition. */
static double
expected (TessCombine combine, const double *v, const double *w, int c)
{
  double s = 0, sw = 0, sorted[NPARTS], best;

  if (c == 0)
    return -999.0; /* the blank */
  switch (combine)
    {
    case TESS_COMBINE_MEAN:
    case TESS_COMBINE_SUM:
      for (int i = 0; i < c; i++)
        s += w[i] * v[i], sw += w[i];
      return combine == TESS_COMBINE_SUM ? s : s / sw;
    case TESS_COMBINE_MEDIAN:
      memcpy (sorted, v, (gsize)c * sizeof *v);
      qsort (sorted, (gsize)c, sizeof *sorted, cmp);
      return c % 2 ? sorted[c / 2] : 0.5 * (sorted[c / 2 - 1] + sorted[c / 2]);
    case TESS_COMBINE_FIRST:
      return v[0];
    case TESS_COMBINE_LAST:
      return v[c - 1];
    case TESS_COMBINE_MIN:
    case TESS_COMBINE_MAX:
      best = v[0];
      for (int i = 1; i < c; i++)
        best = combine == TESS_COMBINE_MIN ? MIN (best, v[i])
                                           : MAX (best, v[i]);
      return best;
    }
  return NAN;
}

static void
run_combine (TessCombine combine, const Part *parts, double *out, float *fp)
{
  TessMosaicPiece pieces[NPARTS];
  double acc[W * ROWS * P], wsum[W * ROWS], pwsum[W * ROWS * P];
  double sorted[NPARTS];

  for (int i = 0; i < NPARTS; i++)
    pieces[i] = parts[i].piece;
  tess__mosaic_combine (combine, -999.0, pieces, NPARTS, W, Y0, ROWS, P, acc,
                        wsum, pwsum, sorted, out, sizeof (double), fp);
}

START_TEST (test_combinations)
{
  Part parts[NPARTS];
  TessCombine combine = (TessCombine)_i;
  double out[W * ROWS * P];
  float fp[W * ROWS];

  make_parts (parts);
  run_combine (combine, parts, out, fp);
  for (int p = 0; p < P; p++)
    for (gint64 y = 0; y < ROWS; y++)
      for (gint64 x = 0; x < W; x++)
        {
          double v[NPARTS], w[NPARTS], want, sw = 0;
          int c = gather (parts, x, Y0 + y, p, v, w);
          gsize k = (gsize)(y * W + x);
          want = expected (combine, v, w, c);
          ck_assert_msg (fabs (out[(gsize)p * W * ROWS + k] - want)
                             <= 1e-12 * fabs (want),
                         "%s, plane %d, (%d, %d): %.17g, not %.17g",
                         tess_combine_name (combine), p, (int)x, (int)y,
                         out[(gsize)p * W * ROWS + k], want);
          /* The coverage: the weights of the inputs with a value in
           * some plane. */
          if (p == 0)
            {
              double v1[NPARTS], w1[NPARTS];
              int c1 = gather (parts, x, Y0 + y, 1, v1, w1);
              /* Only B has a NaN, in plane 0 only: plane 1 has them all. */
              for (int i = 0; i < c1; i++)
                sw += w1[i];
              ck_assert_msg (fabs (fp[k] - sw) <= 1e-6, "(%d, %d): %g, not %g",
                             (int)x, (int)y, fp[k], sw);
            }
        }
}
END_TEST

/* A few pixels worked out by hand, so that the definitions above are
 * checked too. */
START_TEST (test_by_hand)
{
  Part parts[NPARTS];
  double out[W * ROWS * P];
  float fp[W * ROWS];
  const gsize at_2_11 = 1 * W + 2, at_3_10 = 3, at_1_10 = 1, at_2_10 = 2;

  make_parts (parts);
  /* (2, 11): 1 (weight 1), 3 (2 × 0.5), 8 - 4 (0.25). */
  run_combine (TESS_COMBINE_MEAN, parts, out, fp);
  ck_assert (fabs (out[at_2_11] - 5.0 / 2.25) < 1e-12);
  ck_assert (fabs (fp[at_2_11] - 2.25f) < 1e-6);
  /* (1, 10): B's NaN left out of plane 0, A alone there; plane 1 has
   * both, and so has the coverage. */
  ck_assert (out[at_1_10] == 1.0);
  ck_assert (fabs (out[W * ROWS + at_1_10] - 40.0 / 2) < 1e-12);
  ck_assert (fp[at_1_10] == 2.0f);
  /* (3, 10): nobody. */
  ck_assert (out[at_3_10] == -999.0);
  ck_assert (fp[at_3_10] == 0.0f);
  /* Plane 1 of (2, 11): 10, 30, 80 - 4. */
  ck_assert (fabs (out[W * ROWS + at_2_11] - (10 + 30 + 0.25 * 76) / 2.25)
             < 1e-12);
  run_combine (TESS_COMBINE_SUM, parts, out, fp);
  ck_assert (fabs (out[at_2_11] - 5.0) < 1e-12);
  run_combine (TESS_COMBINE_MEDIAN, parts, out, fp);
  ck_assert (out[at_2_11] == 3.0);
  ck_assert (out[at_2_10] == 2.0); /* 1 and 3 */
  run_combine (TESS_COMBINE_FIRST, parts, out, fp);
  ck_assert (out[at_2_11] == 1.0);
  run_combine (TESS_COMBINE_LAST, parts, out, fp);
  ck_assert (out[at_2_11] == 4.0);
  run_combine (TESS_COMBINE_MIN, parts, out, fp);
  ck_assert (out[W * ROWS + at_2_11] == 10.0);
  run_combine (TESS_COMBINE_MAX, parts, out, fp);
  ck_assert (out[W * ROWS + at_2_11] == 76.0);
}
END_TEST

/* Float output, no footprint wanted. */
START_TEST (test_float_out)
{
  Part parts[NPARTS];
  TessMosaicPiece pieces[NPARTS];
  double acc[W * ROWS * P], wsum[W * ROWS], pwsum[W * ROWS * P];
  double sorted[NPARTS], ref[W * ROWS * P];
  float out[W * ROWS * P], fp[W * ROWS];

  make_parts (parts);
  for (int i = 0; i < NPARTS; i++)
    pieces[i] = parts[i].piece;
  run_combine (TESS_COMBINE_MEAN, parts, ref, fp);
  tess__mosaic_combine (TESS_COMBINE_MEAN, -999.0, pieces, NPARTS, W, Y0, ROWS,
                        P, acc, wsum, pwsum, sorted, out, sizeof (float),
                        NULL);
  for (int k = 0; k < W * ROWS * P; k++)
    ck_assert (out[k] == (float)ref[k]);
}
END_TEST

/* Pairwise differences D = c_i - c_j of offsets @c on the overlaps @pairs
 * (N = 100 pixels each). */
static void
differences (int n, const double *c, const int (*pairs)[2], int npairs,
             double *N, double *D)
{
  memset (N, 0, sizeof (double) * (gsize)(n * n));
  memset (D, 0, sizeof (double) * (gsize)(n * n));
  for (int k = 0; k < npairs; k++)
    {
      int i = pairs[k][0], j = pairs[k][1];
      N[i * n + j] = N[j * n + i] = 100;
      D[i * n + j] = c[i] - c[j];
      D[j * n + i] = c[j] - c[i];
    }
}

START_TEST (test_fit_exact)
{
  const double c[4] = { 10, 13, 8, 15 };
  const int chain[3][2] = { { 0, 1 }, { 1, 2 }, { 2, 3 } };
  const gboolean all[4] = { TRUE, TRUE, TRUE, TRUE };
  double N[16], D[16], off[4];
  int isolated;
  GError *error = NULL;

  differences (4, c, chain, 3, N, D);
  /* No reference: the mean at 0. */
  ck_assert (tess__background_fit (4, all, N, D, -1, off, &isolated, &error));
  for (int i = 0; i < 4; i++)
    ck_assert (fabs (off[i] - (c[i] - 11.5)) < 1e-9);
  /* Input 2 the reference. */
  ck_assert (tess__background_fit (4, all, N, D, 2, off, &isolated, &error));
  for (int i = 0; i < 4; i++)
    ck_assert (fabs (off[i] - (c[i] - 8)) < 1e-9);
  ck_assert (error == NULL);
}
END_TEST

START_TEST (test_fit_least_squares)
{
  /* c0 - c1 = 1, c1 - c2 = 1, c0 - c2 = 3, c0 = 0: the least-squares
   * solution c1 = -4/3, c2 = -8/3 (each difference off by 1/3). */
  const gboolean all[3] = { TRUE, TRUE, TRUE };
  double N[9] = { 0, 100, 100, 100, 0, 100, 100, 100, 0 };
  double D[9] = { 0, 1, 3, -1, 0, 1, -3, -1, 0 };
  double off[3];
  int isolated;

  ck_assert (tess__background_fit (3, all, N, D, 0, off, &isolated, NULL));
  ck_assert (fabs (off[0]) < 1e-12);
  ck_assert (fabs (off[1] + 4.0 / 3) < 1e-9);
  ck_assert (fabs (off[2] + 8.0 / 3) < 1e-9);
}
END_TEST

START_TEST (test_fit_groups)
{
  /* Two groups, {0, 1} with the reference 0 and {2, 3} about its mean; 4
   * is absent and keeps its offset. */
  const double c[5] = { 2, 7, 1, 4, 0 };
  const int pairs[2][2] = { { 0, 1 }, { 2, 3 } };
  const gboolean present[5] = { TRUE, TRUE, TRUE, TRUE, FALSE };
  double N[25], D[25], off[5] = { 0, 0, 0, 0, 42 };
  int isolated;

  differences (5, c, pairs, 2, N, D);
  ck_assert (tess__background_fit (5, present, N, D, 0, off, &isolated, NULL));
  ck_assert (fabs (off[0]) < 1e-9 && fabs (off[1] - 5) < 1e-9);
  ck_assert (fabs (off[2] + 1.5) < 1e-9 && fabs (off[3] - 1.5) < 1e-9);
  ck_assert (off[4] == 42);
}
END_TEST

START_TEST (test_fit_isolated)
{
  const double c[3] = { 0, 1, 2 };
  const int pairs[1][2] = { { 0, 1 } };
  const gboolean all[3] = { TRUE, TRUE, TRUE },
                 one[3] = { TRUE, FALSE, FALSE };
  double N[9], D[9], off[3];
  int isolated;
  GError *error = NULL;

  differences (3, c, pairs, 1, N, D);
  ck_assert (!tess__background_fit (3, all, N, D, -1, off, &isolated, &error));
  ck_assert_int_eq (isolated, 2);
  ck_assert (g_error_matches (error, TESS_ERROR, TESS_ERROR_INVALID));
  ck_assert (strstr (error->message, "overlaps no other input") != NULL);
  g_clear_error (&error);
  /* One input alone: nothing to match it with, offset 0. */
  memset (N, 0, sizeof N);
  ck_assert (tess__background_fit (3, one, N, D, -1, off, &isolated, &error));
  ck_assert (off[0] == 0.0);
  ck_assert_int_eq (isolated, -1);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("combine");
  TCase *tc = tcase_create ("combine");
  SRunner *sr;
  int failed;

  tcase_add_loop_test (tc, test_combinations, TESS_COMBINE_MEAN,
                       TESS_COMBINE_MAX + 1);
  tcase_add_test (tc, test_by_hand);
  tcase_add_test (tc, test_float_out);
  tcase_add_test (tc, test_fit_exact);
  tcase_add_test (tc, test_fit_least_squares);
  tcase_add_test (tc, test_fit_groups);
  tcase_add_test (tc, test_fit_isolated);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
