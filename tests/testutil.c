/* testutil.c — helpers shared by the unit tests. */
#include "config.h"

#include "testutil.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>

TessWcs *
tu_wcs (TessFrame frame, const char *proj, double lon, double lat, gint64 w,
        gint64 h, double scale_arcsec, double rot_deg)
{
  TessWcsParams p = { 0 };
  GError *error = NULL;
  TessWcs *wcs;

  p.frame = frame;
  g_strlcpy (p.projection, proj, sizeof p.projection);
  p.lon = lon;
  p.lat = lat;
  p.crpix_x = (double)(w - 1) / 2.0;
  p.crpix_y = (double)(h - 1) / 2.0;
  p.scale = scale_arcsec / 3600.0;
  p.rotation = rot_deg;
  p.width = w;
  p.height = h;
  wcs = tess_wcs_new_from_params (&p, &error);
  tu_assert_no_error (error);
  return wcs;
}

TessWcs *
tu_wcs_shifted (TessFrame frame, double lon, double lat, gint64 w, gint64 h,
                double scale_arcsec, double dx, double dy)
{
  TessWcsParams p = { 0 };
  GError *error = NULL;
  TessWcs *wcs;

  p.frame = frame;
  g_strlcpy (p.projection, "TAN", sizeof p.projection);
  p.lon = lon;
  p.lat = lat;
  p.crpix_x = (double)(w - 1) / 2.0 + dx;
  p.crpix_y = (double)(h - 1) / 2.0 + dy;
  p.scale = scale_arcsec / 3600.0;
  p.width = w;
  p.height = h;
  wcs = tess_wcs_new_from_params (&p, &error);
  tu_assert_no_error (error);
  return wcs;
}

TessImage *
tu_image (TessWcs *wcs, gint64 nplanes, int nnan)
{
  gint64 w = tess_wcs_get_width (wcs), h = tess_wcs_get_height (wcs);
  TessImage *img
      = tess_image_new (wcs, TESS_TYPE_FLOAT, w, h, nplanes, NULL, 0);
  float *d = tess_image_get_data (img);
  GRand *rand = g_rand_new_with_seed (42);

  for (gint64 p = 0; p < nplanes; p++)
    for (gint64 y = 0; y < h; y++)
      for (gint64 x = 0; x < w; x++)
        {
          double v = 100.0 + 20.0 * sin (x * 0.05) * cos (y * 0.07) + 3.0 * p;
          /* A few Gaussian "stars". */
          for (int s = 0; s < 5; s++)
            {
              double sx = (double)w * (0.15 + 0.17 * s);
              double sy = (double)h * (0.8 - 0.13 * s);
              double r2 = (x - sx) * (x - sx) + (y - sy) * (y - sy);
              v += 500.0 * exp (-r2 / (2.0 * 1.5 * 1.5));
            }
          d[(p * h + y) * w + x] = (float)v;
        }
  for (int k = 0; k < nnan; k++)
    {
      gint64 x = g_rand_int_range (rand, 0, (gint32)w);
      gint64 y = g_rand_int_range (rand, 0, (gint32)h);
      for (gint64 p = 0; p < nplanes; p++)
        d[(p * h + y) * w + x] = NAN;
    }
  g_rand_free (rand);
  return img;
}

/* Removes a folder and everything in it. */
static void
remove_tree (const char *path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const char *name;

  if (d != NULL)
    {
      while ((name = g_dir_read_name (d)) != NULL)
        {
          char *p = g_build_filename (path, name, NULL);
          if (g_file_test (p, G_FILE_TEST_IS_DIR)
              && !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
            remove_tree (p);
          else
            g_unlink (p);
          g_free (p);
        }
      g_dir_close (d);
    }
  g_rmdir (path);
}

/* Runs the suite with TMPDIR pointing into a fresh folder, removed at the
 * end, so that tests that fail before their clean-up leave nothing. */
int
tu_run_in_temp_root (Suite *suite, const char *prefix)
{
  const char *base = g_getenv ("TMPDIR");
  char *root = g_strdup_printf ("%s/%s-XXXXXX", base && *base ? base : "/tmp",
                                prefix);
  int rc;

  /* Before anything calls g_get_tmp_dir(), which caches TMPDIR. */
  if (g_mkdtemp (root) == NULL)
    {
      g_free (root);
      return tu_run (suite);
    }
  g_setenv ("TMPDIR", root, TRUE);
  rc = tu_run (suite);
  remove_tree (root);
  g_free (root);
  return rc;
}

char *
tu_tmpdir (void)
{
  GError *error = NULL;
  char *dir = g_dir_make_tmp ("tessera-test-XXXXXX", &error);

  tu_assert_no_error (error);
  return dir;
}

void
tu_rmdir (const char *dir)
{
  remove_tree (dir);
}

gboolean
tu_equal_f (const float *a, const float *b, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!(a[i] == b[i] || (isnan (a[i]) && isnan (b[i]))))
      return FALSE;
  return TRUE;
}

void
tu_progress_init (TuProgress *p)
{
  p->reports = g_array_new (FALSE, TRUE, sizeof (TessProgress));
}

void
tu_progress_record (const TessProgress *report, gpointer user_data)
{
  TuProgress *p = user_data;

  g_array_append_val (p->reports, *report);
}

void
tu_progress_check (TuProgress *p, gint64 blocks, gint64 pixels)
{
  guint n = p->reports->len;
  const TessProgress *r = (const TessProgress *)(gpointer)p->reports->data;

  ck_assert_uint_ge (n, 2);
  ck_assert_int_eq (r[0].blocks_done, 0);
  ck_assert_int_eq (r[0].pixels_done, 0);
  ck_assert_int_eq (r[n - 1].blocks_done, blocks);
  ck_assert_int_eq (r[n - 1].pixels_done, pixels);
  for (guint i = 0; i < n; i++)
    {
      ck_assert_int_eq (r[i].blocks_total, blocks);
      ck_assert_int_eq (r[i].pixels_total, pixels);
      if (i > 0)
        {
          ck_assert_int_ge (r[i].blocks_done, r[i - 1].blocks_done);
          ck_assert_int_ge (r[i].pixels_done, r[i - 1].pixels_done);
          ck_assert (r[i].elapsed >= r[i - 1].elapsed);
        }
      if (r[i].pixels_done * 10 >= pixels && r[i].pixels_done > 0)
        ck_assert (r[i].eta >= 0.0);
      else
        ck_assert (r[i].eta == -1.0);
    }
  /* At most one a tenth of a second between the first and the last. */
  ck_assert_msg (n <= 2 + (guint)(r[n - 1].elapsed / 0.1) + 1,
                 "%u reports in %.3f s", n, r[n - 1].elapsed);
  g_array_free (p->reports, TRUE);
  p->reports = NULL;
}

int
tu_run (Suite *s)
{
  SRunner *sr = srunner_create (s);
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
