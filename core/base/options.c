/* options.c — TessOptions: the names of methods and modes, defaults,
 * validation, and the text form in which a run hands its options to its
 * worker processes.
 */
#include "config.h"

#include "base/tess-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const method_names[] = {
  [TESS_METHOD_NEAREST] = "nearest",
  [TESS_METHOD_BILINEAR] = "bilinear",
  [TESS_METHOD_BIQUADRATIC] = "biquadratic",
  [TESS_METHOD_BICUBIC] = "bicubic",
  [TESS_METHOD_ADAPTIVE] = "adaptive",
  [TESS_METHOD_EXACT] = "exact",
};

static const char *const kernel_names[] = {
  [TESS_KERNEL_GAUSSIAN] = "gaussian",
  [TESS_KERNEL_HANN] = "hann",
};

static const char *const boundary_names[] = {
  [TESS_BOUNDARY_STRICT] = "strict",
  [TESS_BOUNDARY_CONSTANT] = "constant",
  [TESS_BOUNDARY_GRID_CONSTANT] = "grid-constant",
  [TESS_BOUNDARY_IGNORE] = "ignore",
  [TESS_BOUNDARY_IGNORE_THRESHOLD] = "ignore_threshold",
  [TESS_BOUNDARY_NEAREST] = "nearest",
};

static const char *const bad_value_names[] = {
  [TESS_BAD_VALUE_STRICT] = "strict",
  [TESS_BAD_VALUE_CONSTANT] = "constant",
  [TESS_BAD_VALUE_IGNORE] = "ignore",
};

static const char *const nan_names[] = {
  [TESS_NAN_SKIP] = "skip",
  [TESS_NAN_PROPAGATE] = "propagate",
};

TESS__NAMED_ENUM (TessMethod, tess_method, method_names, "method")
TESS__NAMED_ENUM (TessKernel, tess_kernel, kernel_names, "kernel")
TESS__NAMED_ENUM (TessBoundaryMode, tess_boundary_mode, boundary_names,
                  "boundary mode")
TESS__NAMED_ENUM (TessBadValueMode, tess_bad_value_mode, bad_value_names,
                  "bad-value mode")
TESS__NAMED_ENUM (TessNanMode, tess_nan_mode, nan_names, "NaN mode")

static const char *const engine_names[] = {
  [TESS_ENGINE_AUTO] = "auto",
  [TESS_ENGINE_THREADS] = "threads",
  [TESS_ENGINE_PROCESSES] = "processes",
};

TESS__NAMED_ENUM (TessEngine, tess_engine, engine_names, "engine")

void
tess_run_options_init (TessRunOptions *options)
{
  memset (options, 0, sizeof *options);
  options->jobs = 1;
}

/* The public option structures keep their size from release to release
 * (tessera.h): fields added later take the place of the padding.  The
 * sizes as on LP64 systems (Linux, macOS on 64 bits). */
#if GLIB_SIZEOF_VOID_P == 8 && GLIB_SIZEOF_LONG == 8
G_STATIC_ASSERT (sizeof (TessOptions) == 256);
G_STATIC_ASSERT (sizeof (TessRunOptions) == 64);
G_STATIC_ASSERT (sizeof (TessMosaicOptions) == 64);
G_STATIC_ASSERT (sizeof (TessOptimalOptions) == 64);
G_STATIC_ASSERT (sizeof (TessHealpixOptions) == 64);
G_STATIC_ASSERT (sizeof (TessWcsParams) == 128);
#endif

void
tess_options_init (TessOptions *options)
{
  memset (options, 0, sizeof *options);
  options->method = TESS_METHOD_BILINEAR;
  options->roundtrip = TRUE;
  options->exact_transform = FALSE;
  options->transform_tolerance = 1e-6;
  options->grid_step = 16;
  options->kernel = TESS_KERNEL_GAUSSIAN;
  options->kernel_width = 1.3;
  options->sample_region_width = 4.0;
  options->boundary_mode = TESS_BOUNDARY_STRICT;
  options->boundary_fill_value = 0.0;
  options->boundary_ignore_threshold = 0.5;
  options->bad_value_mode = TESS_BAD_VALUE_STRICT;
  options->bad_fill_value = 0.0;
  options->nan_mode = TESS_NAN_SKIP;
}

static gboolean
invalid (GError **error, const char *message)
{
  g_set_error_literal (error, TESS_ERROR, TESS_ERROR_INVALID, message);
  return FALSE;
}

gboolean
tess_options_check (const TessOptions *o, GError **error)
{
  if ((unsigned)o->method >= TESS_N_METHODS)
    return invalid (error, "unknown method");
  if (!(o->transform_tolerance > 0.0) || !isfinite (o->transform_tolerance))
    return invalid (error,
                    "the transform tolerance must be a positive number");
  if (o->grid_step < 1 || o->grid_step > 4096)
    return invalid (error, "the grid step must be between 1 and 4096 pixels");
  if ((unsigned)o->kernel >= G_N_ELEMENTS (kernel_names))
    return invalid (error, "unknown kernel");
  if ((unsigned)o->boundary_mode >= G_N_ELEMENTS (boundary_names))
    return invalid (error, "unknown boundary mode");
  if ((unsigned)o->bad_value_mode >= G_N_ELEMENTS (bad_value_names))
    return invalid (error, "unknown bad-value mode");
  if ((unsigned)o->nan_mode >= G_N_ELEMENTS (nan_names))
    return invalid (error, "unknown NaN mode");
  /* Widths beyond these bounds only make a run that never ends. */
  if (!(o->kernel_width > 0.0 && o->kernel_width <= 100.0))
    return invalid (error, "the kernel width must be above 0 and at most 100 "
                           "pixels");
  if (!(o->sample_region_width > 0.0 && o->sample_region_width <= 100.0))
    return invalid (error, "the sample region width must be above 0 and at "
                           "most 100 pixels");
  if (!(o->boundary_ignore_threshold >= 0.0
        && o->boundary_ignore_threshold <= 1.0))
    return invalid (error,
                    "the boundary ignore threshold must be between 0 and 1");
  if (!isfinite (o->boundary_fill_value) || !isfinite (o->bad_fill_value))
    return invalid (error, "fill values must be finite numbers");
  return TRUE;
}

/* The text form: one "key value" line per option.  Numbers are written
 * with 17 significant digits, so that they read back exactly. */
void
tess__options_to_text (const TessOptions *o, GString *out)
{
  g_string_append_printf (
      out,
      "method %s\nroundtrip %d\nexact %d\ntolerance %.17g\nstep %d\n"
      "kernel %s\nkernel-width %.17g\nsample-region-width %.17g\n"
      "boundary-mode %s\nboundary-fill-value %.17g\n"
      "boundary-ignore-threshold %.17g\nbad-value-mode %s\n"
      "bad-fill-value %.17g\nconserve-flux %d\ncenter-jacobian %d\n"
      "despike-jacobian %d\nx-cyclic %d\ny-cyclic %d\nnan-mode %s\n",
      tess_method_name (o->method), o->roundtrip != 0, o->exact_transform != 0,
      o->transform_tolerance, o->grid_step, tess_kernel_name (o->kernel),
      o->kernel_width, o->sample_region_width,
      tess_boundary_mode_name (o->boundary_mode), o->boundary_fill_value,
      o->boundary_ignore_threshold,
      tess_bad_value_mode_name (o->bad_value_mode), o->bad_fill_value,
      o->conserve_flux != 0, o->center_jacobian != 0, o->despike_jacobian != 0,
      o->x_cyclic != 0, o->y_cyclic != 0, tess_nan_mode_name (o->nan_mode));
}

gboolean
tess__options_from_text (TessOptions *o, const char *key, const char *value,
                         gboolean *known, GError **error)
{
  struct
  {
    const char *key;
    double *d;
    gboolean *b;
  } simple[] = {
    { "tolerance", &o->transform_tolerance, NULL },
    { "kernel-width", &o->kernel_width, NULL },
    { "sample-region-width", &o->sample_region_width, NULL },
    { "boundary-fill-value", &o->boundary_fill_value, NULL },
    { "boundary-ignore-threshold", &o->boundary_ignore_threshold, NULL },
    { "bad-fill-value", &o->bad_fill_value, NULL },
    { "roundtrip", NULL, &o->roundtrip },
    { "exact", NULL, &o->exact_transform },
    { "conserve-flux", NULL, &o->conserve_flux },
    { "center-jacobian", NULL, &o->center_jacobian },
    { "despike-jacobian", NULL, &o->despike_jacobian },
    { "x-cyclic", NULL, &o->x_cyclic },
    { "y-cyclic", NULL, &o->y_cyclic },
  };

  *known = TRUE;
  for (unsigned i = 0; i < G_N_ELEMENTS (simple); i++)
    if (strcmp (key, simple[i].key) == 0)
      {
        if (simple[i].d)
          *simple[i].d = g_ascii_strtod (value, NULL);
        else
          *simple[i].b = atoi (value) != 0;
        return TRUE;
      }
  if (strcmp (key, "step") == 0)
    {
      o->grid_step = atoi (value);
      return TRUE;
    }
  if (strcmp (key, "method") == 0)
    return tess_method_from_name (value, &o->method, error);
  if (strcmp (key, "kernel") == 0)
    return tess_kernel_from_name (value, &o->kernel, error);
  if (strcmp (key, "boundary-mode") == 0)
    return tess_boundary_mode_from_name (value, &o->boundary_mode, error);
  if (strcmp (key, "bad-value-mode") == 0)
    return tess_bad_value_mode_from_name (value, &o->bad_value_mode, error);
  if (strcmp (key, "nan-mode") == 0)
    return tess_nan_mode_from_name (value, &o->nan_mode, error);
  *known = FALSE;
  return TRUE;
}

gboolean
tess__run_options_check (const TessRunOptions *run, GError **error)
{
  if (run == NULL)
    return TRUE;
  if (run->block_width < 0 || run->block_height < 0)
    return invalid (error,
                    "the block size must be positive (or 0 for automatic)");
  if (run->jobs < 0)
    return invalid (error,
                    "the number of jobs must be positive (or 0 for one a "
                    "core)");
  if ((unsigned)run->engine > TESS_ENGINE_PROCESSES)
    return invalid (error, "unknown engine");
  return TRUE;
}
