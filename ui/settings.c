/* settings.c — the Reproject dialog's remembered settings (settings.h). */
#include "config.h"

#include "settings.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define GROUP "reproject"

void
tess_dialog_settings_init (TessDialogSettings *s)
{
  memset (s, 0, sizeof *s);
  s->target_kind = TESS_TARGET_FRAME;
  s->params_frame = TESS_FRAME_ICRS;
  g_strlcpy (s->params_projection, "TAN", sizeof s->params_projection);
  tess_options_init (&s->options);
  s->jobs = 1;
}

void
tess_dialog_settings_clear (TessDialogSettings *s)
{
  g_clear_pointer (&s->header_path, g_free);
  g_clear_pointer (&s->save_path, g_free);
}

char *
tess_dialog_settings_default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "tessera",
                           "ds9-dialog.ini", NULL);
}

static const char *const target_kinds[] = { "frame", "header", "params" };

/* Each reader changes *out only when the key holds a good value. */
static void
get_string (GKeyFile *kf, const char *key, char **out)
{
  char *v = g_key_file_get_string (kf, GROUP, key, NULL);
  if (v != NULL)
    {
      g_free (*out);
      *out = v[0] ? v : NULL;
      if (*out == NULL)
        g_free (v);
    }
}

static void
get_bool (GKeyFile *kf, const char *key, gboolean *out)
{
  GError *e = NULL;
  gboolean v = g_key_file_get_boolean (kf, GROUP, key, &e);
  if (e == NULL)
    *out = v;
  g_clear_error (&e);
}

static void
get_double (GKeyFile *kf, const char *key, double lo, double hi, double *out)
{
  GError *e = NULL;
  double v = g_key_file_get_double (kf, GROUP, key, &e);
  if (e == NULL && isfinite (v) && v >= lo && v <= hi)
    *out = v;
  g_clear_error (&e);
}

static void
get_int64 (GKeyFile *kf, const char *key, gint64 lo, gint64 hi, gint64 *out)
{
  GError *e = NULL;
  gint64 v = g_key_file_get_int64 (kf, GROUP, key, &e);
  if (e == NULL && v >= lo && v <= hi)
    *out = v;
  g_clear_error (&e);
}

/* Reads an enumerated value by name with one of the parsers of
 * tessera.h. */
#define GET_ENUM(kf, key, parse, type, out)                                   \
  do                                                                          \
    {                                                                         \
      g_autofree char *name_ = g_key_file_get_string (kf, GROUP, key, NULL);  \
      type v_;                                                                \
      if (name_ && parse (name_, &v_, NULL))                                  \
        *(out) = v_;                                                          \
    }                                                                         \
  while (0)

gboolean
tess_dialog_settings_load (TessDialogSettings *s, const char *path,
                           GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  GError *local = NULL;
  TessOptions o = s->options;
  gint64 v;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_error_free (local);
          return TRUE;
        }
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: %s", path,
                   local->message);
      g_error_free (local);
      return FALSE;
    }
  {
    g_autofree char *k = g_key_file_get_string (kf, GROUP, "target", NULL);
    for (unsigned i = 0; k && i < G_N_ELEMENTS (target_kinds); i++)
      if (strcmp (k, target_kinds[i]) == 0)
        s->target_kind = (TessTargetKind)i;
  }
  v = s->target_frame;
  get_int64 (kf, "target-frame", 0, G_MAXINT, &v);
  s->target_frame = (int)v;
  get_string (kf, "header-file", &s->header_path);
  GET_ENUM (kf, "frame", tess_frame_from_name, TessFrame, &s->params_frame);
  {
    g_autofree char *p = g_key_file_get_string (kf, GROUP, "projection", NULL);
    if (p && strlen (p) == 3 && g_ascii_isalpha (p[0])
        && g_ascii_isalpha (p[1]) && g_ascii_isalpha (p[2]))
      g_strlcpy (s->params_projection, p, sizeof s->params_projection);
  }
  GET_ENUM (kf, "method", tess_method_from_name, TessMethod, &o.method);
  get_bool (kf, "roundtrip", &o.roundtrip);
  get_bool (kf, "exact-transform", &o.exact_transform);
  GET_ENUM (kf, "kernel", tess_kernel_from_name, TessKernel, &o.kernel);
  get_double (kf, "kernel-width", 0.01, 100.0, &o.kernel_width);
  get_double (kf, "sample-region-width", 0.01, 100.0, &o.sample_region_width);
  GET_ENUM (kf, "boundary-mode", tess_boundary_mode_from_name,
            TessBoundaryMode, &o.boundary_mode);
  get_bool (kf, "conserve-flux", &o.conserve_flux);
  get_bool (kf, "center-jacobian", &o.center_jacobian);
  get_bool (kf, "despike-jacobian", &o.despike_jacobian);
  GET_ENUM (kf, "nan-mode", tess_nan_mode_from_name, TessNanMode, &o.nan_mode);
  /* Each value was checked on its own; the set is checked as a whole. */
  if (tess_options_check (&o, NULL))
    s->options = o;
  {
    gint64 bw = s->block_width, bh = s->block_height;
    get_int64 (kf, "block-width", 0, 1 << 24, &bw);
    get_int64 (kf, "block-height", 0, 1 << 24, &bh);
    if ((bw == 0) == (bh == 0))
      {
        s->block_width = bw;
        s->block_height = bh;
      }
  }
  v = s->jobs;
  get_int64 (kf, "jobs", 0, 64, &v);
  s->jobs = (int)v;
  get_bool (kf, "save", &s->save);
  get_string (kf, "save-file", &s->save_path);
  get_bool (kf, "lock", &s->lock);
  return TRUE;
}

gboolean
tess_dialog_settings_save (const TessDialogSettings *s, const char *path,
                           GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *data = NULL;
  const TessOptions *o = &s->options;
  GError *local = NULL;
  gsize len;

  g_key_file_set_comment (
      kf, NULL, NULL, " Settings of Tessera's Reproject dialog in DS9", NULL);
  g_key_file_set_string (kf, GROUP, "target", target_kinds[s->target_kind]);
  g_key_file_set_integer (kf, GROUP, "target-frame", s->target_frame);
  g_key_file_set_string (kf, GROUP, "header-file",
                         s->header_path ? s->header_path : "");
  g_key_file_set_string (kf, GROUP, "frame",
                         tess_frame_name (s->params_frame));
  g_key_file_set_string (kf, GROUP, "projection", s->params_projection);
  g_key_file_set_string (kf, GROUP, "method", tess_method_name (o->method));
  g_key_file_set_boolean (kf, GROUP, "roundtrip", o->roundtrip);
  g_key_file_set_boolean (kf, GROUP, "exact-transform", o->exact_transform);
  g_key_file_set_string (kf, GROUP, "kernel", tess_kernel_name (o->kernel));
  g_key_file_set_double (kf, GROUP, "kernel-width", o->kernel_width);
  g_key_file_set_double (kf, GROUP, "sample-region-width",
                         o->sample_region_width);
  g_key_file_set_string (kf, GROUP, "boundary-mode",
                         tess_boundary_mode_name (o->boundary_mode));
  g_key_file_set_boolean (kf, GROUP, "conserve-flux", o->conserve_flux);
  g_key_file_set_boolean (kf, GROUP, "center-jacobian", o->center_jacobian);
  g_key_file_set_boolean (kf, GROUP, "despike-jacobian", o->despike_jacobian);
  g_key_file_set_string (kf, GROUP, "nan-mode",
                         tess_nan_mode_name (o->nan_mode));
  g_key_file_set_int64 (kf, GROUP, "block-width", s->block_width);
  g_key_file_set_int64 (kf, GROUP, "block-height", s->block_height);
  g_key_file_set_integer (kf, GROUP, "jobs", s->jobs);
  g_key_file_set_boolean (kf, GROUP, "save", s->save);
  g_key_file_set_string (kf, GROUP, "save-file",
                         s->save_path ? s->save_path : "");
  g_key_file_set_boolean (kf, GROUP, "lock", s->lock);

  data = g_key_file_to_data (kf, &len, NULL);
  if (g_mkdir_with_parents (dir, 0700) != 0
      || !g_file_set_contents (path, data, (gssize)len, &local))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: %s", path,
                   local ? local->message : g_strerror (errno));
      g_clear_error (&local);
      return FALSE;
    }
  return TRUE;
}
