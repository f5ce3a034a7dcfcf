/* test-settings.c — the Reproject dialog's remembered settings
 * (ui/settings.c): saved and read back whole, a missing file gives the
 * defaults, bad or unknown values keep the current ones, an unreadable
 * file is an error naming it. */
#include "config.h"

#include "settings.h"
#include "testutil.h"

#include <glib/gstdio.h>
#include <string.h>

START_TEST (test_roundtrip)
{
  g_autofree char *dir = tu_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "sub", "d.ini", NULL);
  TessDialogSettings s, r;
  GError *error = NULL;

  tess_dialog_settings_init (&s);
  s.target_kind = TESS_TARGET_PARAMS;
  s.target_frame = 7;
  s.header_path = g_strdup ("/data/target header.hdr");
  s.params_frame = TESS_FRAME_GALACTIC;
  g_strlcpy (s.params_projection, "CAR", sizeof s.params_projection);
  s.options.method = TESS_METHOD_ADAPTIVE;
  s.options.roundtrip = FALSE;
  s.options.exact_transform = TRUE;
  s.options.kernel = TESS_KERNEL_HANN;
  s.options.kernel_width = 2.25;
  s.options.sample_region_width = 6.5;
  s.options.boundary_mode = TESS_BOUNDARY_NEAREST;
  s.options.conserve_flux = TRUE;
  s.options.center_jacobian = TRUE;
  s.options.despike_jacobian = TRUE;
  s.options.nan_mode = TESS_NAN_PROPAGATE;
  s.block_width = 300;
  s.block_height = 200;
  s.jobs = 0;
  s.save = TRUE;
  s.save_path = g_strdup ("/data/out.fits");
  s.lock = TRUE;
  ck_assert (tess_dialog_settings_save (&s, path, &error));
  tu_assert_no_error (error);

  tess_dialog_settings_init (&r);
  ck_assert (tess_dialog_settings_load (&r, path, &error));
  tu_assert_no_error (error);
  ck_assert_int_eq (r.target_kind, TESS_TARGET_PARAMS);
  ck_assert_int_eq (r.target_frame, 7);
  ck_assert_str_eq (r.header_path, "/data/target header.hdr");
  ck_assert_int_eq (r.params_frame, TESS_FRAME_GALACTIC);
  ck_assert_str_eq (r.params_projection, "CAR");
  ck_assert_int_eq (r.options.method, TESS_METHOD_ADAPTIVE);
  ck_assert (!r.options.roundtrip);
  ck_assert (r.options.exact_transform);
  ck_assert_int_eq (r.options.kernel, TESS_KERNEL_HANN);
  ck_assert_double_eq (r.options.kernel_width, 2.25);
  ck_assert_double_eq (r.options.sample_region_width, 6.5);
  ck_assert_int_eq (r.options.boundary_mode, TESS_BOUNDARY_NEAREST);
  ck_assert (r.options.conserve_flux && r.options.center_jacobian
             && r.options.despike_jacobian);
  ck_assert_int_eq (r.options.nan_mode, TESS_NAN_PROPAGATE);
  ck_assert_int_eq (r.block_width, 300);
  ck_assert_int_eq (r.block_height, 200);
  ck_assert_int_eq (r.jobs, 0);
  ck_assert (r.save && r.lock);
  ck_assert_str_eq (r.save_path, "/data/out.fits");
  tess_dialog_settings_clear (&s);
  tess_dialog_settings_clear (&r);
  tu_rmdir (dir);
}
END_TEST

START_TEST (test_missing_file)
{
  TessDialogSettings s, d;
  GError *error = NULL;

  tess_dialog_settings_init (&s);
  tess_dialog_settings_init (&d);
  ck_assert (
      tess_dialog_settings_load (&s, "/nonexistent/tessera/d.ini", &error));
  tu_assert_no_error (error);
  ck_assert (memcmp (&s.options, &d.options, sizeof s.options) == 0);
  ck_assert_int_eq (s.jobs, 1);
  ck_assert_int_eq (s.target_kind, TESS_TARGET_FRAME);
  ck_assert_ptr_null (s.header_path);
}
END_TEST

/* Values that are bad, out of range or unknown keep the current ones; a
 * set of options that does not hold together is not taken. */
START_TEST (test_bad_values)
{
  g_autofree char *dir = tu_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "d.ini", NULL);
  TessDialogSettings s;
  GError *error = NULL;
  const char *text = "[reproject]\n"
                     "target=somewhere\n"
                     "method=cubic-spline\n"
                     "jobs=999\n"
                     "block-width=100\n" /* without a height */
                     "projection=T4N\n"
                     "frame=supergalactic\n"
                     "lock=perhaps\n"
                     "save-file=\n";

  ck_assert (g_file_set_contents (path, text, -1, NULL));
  tess_dialog_settings_init (&s);
  s.options.method = TESS_METHOD_BICUBIC;
  s.jobs = 3;
  s.lock = TRUE;
  s.save_path = g_strdup ("keep.fits");
  ck_assert (tess_dialog_settings_load (&s, path, &error));
  tu_assert_no_error (error);
  ck_assert_int_eq (s.target_kind, TESS_TARGET_FRAME);
  ck_assert_int_eq (s.options.method, TESS_METHOD_BICUBIC);
  ck_assert_int_eq (s.jobs, 3);
  ck_assert_int_eq (s.block_width, 0);
  ck_assert_int_eq (s.block_height, 0);
  ck_assert_str_eq (s.params_projection, "TAN");
  ck_assert_int_eq (s.params_frame, TESS_FRAME_ICRS);
  ck_assert (s.lock);
  /* An empty file name is no file name. */
  ck_assert_ptr_null (s.save_path);
  tess_dialog_settings_clear (&s);

  /* A kernel width out of range keeps the default; the rest is read. */
  ck_assert (g_file_set_contents (
      path, "[reproject]\nmethod=adaptive\nkernel-width=0.001\n", -1, NULL));
  tess_dialog_settings_init (&s);
  ck_assert (tess_dialog_settings_load (&s, path, NULL));
  ck_assert_int_eq (s.options.method, TESS_METHOD_ADAPTIVE);
  {
    TessOptions d;
    tess_options_init (&d);
    ck_assert_double_eq (s.options.kernel_width, d.kernel_width);
  }
  tess_dialog_settings_clear (&s);
  tu_rmdir (dir);
}
END_TEST

START_TEST (test_unreadable)
{
  g_autofree char *dir = tu_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "garbage.ini", NULL);
  TessDialogSettings s;
  GError *error = NULL;

  ck_assert (
      g_file_set_contents (path, "this is [not a key file\n", -1, NULL));
  tess_dialog_settings_init (&s);
  ck_assert (!tess_dialog_settings_load (&s, path, &error));
  ck_assert_ptr_nonnull (error);
  ck_assert_ptr_nonnull (strstr (error->message, path));
  g_clear_error (&error);
  /* Saving where a folder cannot be made fails with the path. */
  {
    g_autofree char *bad = g_build_filename (path, "sub", "d.ini", NULL);
    ck_assert (!tess_dialog_settings_save (&s, bad, &error));
    ck_assert_ptr_nonnull (error);
    ck_assert_ptr_nonnull (strstr (error->message, bad));
    g_clear_error (&error);
  }
  tess_dialog_settings_clear (&s);
  tu_rmdir (dir);
}
END_TEST

static Suite *
settings_suite (void)
{
  Suite *s = suite_create ("settings");
  TCase *tc = tcase_create ("settings");

  tcase_add_test (tc, test_roundtrip);
  tcase_add_test (tc, test_missing_file);
  tcase_add_test (tc, test_bad_values);
  tcase_add_test (tc, test_unreadable);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tu_run (settings_suite ());
}
