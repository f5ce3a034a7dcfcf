/* method-options.c — the options that choose and tune a reprojection
 * method, for every program that takes them (see method-options.h). */
#include "config.h"

#include "method-options.h"

#include <glib/gi18n.h>

#include <string.h>

void
tess_method_args_init (TessMethodArgs *a)
{
  TessOptions opt;

  memset (a, 0, sizeof *a);
  tess_options_init (&opt);
  a->tolerance = opt.transform_tolerance;
  a->grid_step = opt.grid_step;
  a->kernel_width = opt.kernel_width;
  a->sample_region_width = opt.sample_region_width;
  a->boundary_fill_value = opt.boundary_fill_value;
  a->boundary_ignore_threshold = opt.boundary_ignore_threshold;
  a->bad_fill_value = opt.bad_fill_value;
}

void
tess_method_args_clear (TessMethodArgs *a)
{
  g_free (a->method);
  g_free (a->kernel);
  g_free (a->boundary_mode);
  g_free (a->bad_value_mode);
  g_free (a->nan_mode);
  g_free (a->block);
  g_free (a->jobs);
  g_free (a->engine);
  g_free (a->main_entries);
  a->method = a->kernel = a->boundary_mode = a->bad_value_mode = NULL;
  a->nan_mode = a->block = a->jobs = a->engine = NULL;
  a->main_entries = NULL;
}

void
tess_method_args_add (TessMethodArgs *a, GOptionContext *ctx)
{
  const GOptionEntry main_entries[] = {
    { "block", 'b', 0, G_OPTION_ARG_STRING, &a->block,
      N_ ("Compute the output in blocks of this size, or auto (the default); "
          "the result does not depend on it"),
      N_ ("WIDTHxHEIGHT|auto") },
    { "jobs", 'j', 0, G_OPTION_ARG_STRING, &a->jobs,
      N_ ("Compute N blocks at once, or auto (one per core, one only for a "
          "job too small to gain); 1, the default, computes them one after "
          "the other"),
      N_ ("N|auto") },
    { "engine", 0, 0, G_OPTION_ARG_STRING, &a->engine,
      N_ ("What computes the blocks of --jobs: threads (the default) or "
          "processes (tessera-worker processes, each reading the input again "
          "from its file); auto is threads"),
      N_ ("threads|processes|auto") },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &a->method,
      N_ ("nearest, bilinear (default), biquadratic, bicubic, adaptive or "
          "exact"),
      N_ ("METHOD") },
    { "no-roundtrip", 0, 0, G_OPTION_ARG_NONE, &a->no_roundtrip,
      N_ ("Skip the check that each pixel maps back to itself"), NULL },
    { "exact-transform", 0, 0, G_OPTION_ARG_NONE, &a->exact_transform,
      N_ ("Transform every pixel exactly (no interpolated coordinate grid)"),
      NULL },
    { "transform-tolerance", 0, 0, G_OPTION_ARG_DOUBLE, &a->tolerance,
      N_ ("Largest error of the coordinate grid, in input pixels (1e-6)"),
      N_ ("PIXELS") },
    { "grid-step", 0, 0, G_OPTION_ARG_INT, &a->grid_step,
      N_ ("Spacing of the exact coordinate grid, in output pixels (16)"),
      N_ ("N") },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionEntry adaptive_entries[] = {
    { "kernel", 0, 0, G_OPTION_ARG_STRING, &a->kernel,
      N_ ("gaussian (default) or hann"), N_ ("KERNEL") },
    { "kernel-width", 0, 0, G_OPTION_ARG_DOUBLE, &a->kernel_width,
      N_ ("Width of the Gaussian kernel, ±1 sigma, in pixels (1.3)"),
      N_ ("PIXELS") },
    { "sample-region-width", 0, 0, G_OPTION_ARG_DOUBLE,
      &a->sample_region_width,
      N_ ("Width of the region sampled for the Gaussian kernel, in output "
          "pixels (4)"),
      N_ ("PIXELS") },
    { "boundary-mode", 0, 0, G_OPTION_ARG_STRING, &a->boundary_mode,
      N_ ("Samples outside the input: strict (default: NaN), constant, "
          "grid-constant, ignore, ignore_threshold or nearest"),
      N_ ("MODE") },
    { "boundary-fill-value", 0, 0, G_OPTION_ARG_DOUBLE,
      &a->boundary_fill_value,
      N_ ("Value of samples outside, for constant and "
          "grid-constant (0)"),
      N_ ("VALUE") },
    { "boundary-ignore-threshold", 0, 0, G_OPTION_ARG_DOUBLE,
      &a->boundary_ignore_threshold,
      N_ ("Largest fraction of the weight that ignore_threshold may leave out "
          "(0.5)"),
      N_ ("FRACTION") },
    { "bad-value-mode", 0, 0, G_OPTION_ARG_STRING, &a->bad_value_mode,
      N_ ("NaN and infinite samples: strict (default: they propagate), "
          "constant or ignore"),
      N_ ("MODE") },
    { "bad-fill-value", 0, 0, G_OPTION_ARG_DOUBLE, &a->bad_fill_value,
      N_ ("Value of bad samples for bad-value mode constant (0)"),
      N_ ("VALUE") },
    { "conserve-flux", 0, 0, G_OPTION_ARG_NONE, &a->conserve_flux,
      N_ ("Scale by the ratio of pixel areas, keeping sums rather than "
          "surface "
          "brightness"),
      NULL },
    { "center-jacobian", 0, 0, G_OPTION_ARG_NONE, &a->center_jacobian,
      N_ ("Jacobian from transforms half a pixel either side (slower, for "
          "maps "
          "that vary fast)"),
      NULL },
    { "despike-jacobian", 0, 0, G_OPTION_ARG_NONE, &a->despike_jacobian,
      N_ ("Replace outlying Jacobians (where the map jumps, as across the "
          "seam "
          "of an all-sky input) by their neighbours' mean"),
      NULL },
    { "x-cyclic", 0, 0, G_OPTION_ARG_NONE, &a->x_cyclic,
      N_ ("The input wraps around along x"), NULL },
    { "y-cyclic", 0, 0, G_OPTION_ARG_NONE, &a->y_cyclic,
      N_ ("The input wraps around along y"), NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionEntry exact_entries[] = {
    { "nan-mode", 0, 0, G_OPTION_ARG_STRING, &a->nan_mode,
      N_ ("NaN input pixels: skip (default: their area does not count) or "
          "propagate (any overlap makes the output pixel NaN)"),
      N_ ("MODE") },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionGroup *group;

  a->main_entries = g_memdup2 (main_entries, sizeof main_entries);
  g_option_context_add_main_entries (ctx, a->main_entries, GETTEXT_PACKAGE);
  group = g_option_group_new ("adaptive", _ ("Options of --method adaptive:"),
                              _ ("Show the options of --method adaptive"),
                              NULL, NULL);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_group_add_entries (group, adaptive_entries);
  g_option_context_add_group (ctx, group);
  group = g_option_group_new ("exact", _ ("Options of --method exact:"),
                              _ ("Show the options of --method exact"), NULL,
                              NULL);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_group_add_entries (group, exact_entries);
  g_option_context_add_group (ctx, group);
}

gboolean
tess_method_args_apply (const TessMethodArgs *a, TessOptions *opt,
                        GError **error)
{
  GError *local = NULL;

  if (a->method && !tess_method_from_name (a->method, &opt->method, &local))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID, _ ("--method: %s"),
                   local->message);
      g_error_free (local);
      return FALSE;
    }
  if (!(a->tolerance > 0.0) || a->tolerance > 10.0)
    {
      g_set_error_literal (
          error, TESS_ERROR, TESS_ERROR_INVALID,
          _ ("--transform-tolerance must be in (0, 10] pixels"));
      return FALSE;
    }
  if (a->grid_step < 1 || a->grid_step > 4096)
    {
      g_set_error_literal (error, TESS_ERROR, TESS_ERROR_INVALID,
                           _ ("--grid-step must be between 1 and 4096"));
      return FALSE;
    }
  opt->roundtrip = !a->no_roundtrip;
  opt->exact_transform = a->exact_transform;
  opt->transform_tolerance = a->tolerance;
  opt->grid_step = a->grid_step;
  if ((a->kernel && !tess_kernel_from_name (a->kernel, &opt->kernel, error))
      || (a->boundary_mode
          && !tess_boundary_mode_from_name (a->boundary_mode,
                                            &opt->boundary_mode, error))
      || (a->bad_value_mode
          && !tess_bad_value_mode_from_name (a->bad_value_mode,
                                             &opt->bad_value_mode, error))
      || (a->nan_mode
          && !tess_nan_mode_from_name (a->nan_mode, &opt->nan_mode, error)))
    return FALSE;
  opt->kernel_width = a->kernel_width;
  opt->sample_region_width = a->sample_region_width;
  opt->boundary_fill_value = a->boundary_fill_value;
  opt->boundary_ignore_threshold = a->boundary_ignore_threshold;
  opt->bad_fill_value = a->bad_fill_value;
  opt->conserve_flux = a->conserve_flux;
  opt->center_jacobian = a->center_jacobian;
  opt->despike_jacobian = a->despike_jacobian;
  opt->x_cyclic = a->x_cyclic;
  opt->y_cyclic = a->y_cyclic;
  return tess_options_check (opt, error);
}

gboolean
tess_method_args_apply_run (const TessMethodArgs *a, TessRunOptions *run,
                            GError **error)
{
  if (a->block && strcmp (a->block, "auto") != 0
      && (!tess_cli_parse_size (a->block, &run->block_width,
                                &run->block_height)
          || run->block_width < 1 || run->block_height < 1
          || run->block_width > (1 << 24) || run->block_height > (1 << 24)))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   _ ("--block '%s': expected WIDTHxHEIGHT or auto"),
                   a->block);
      return FALSE;
    }
  if (a->jobs)
    {
      char *end;
      gint64 n;

      if (strcmp (a->jobs, "auto") == 0)
        run->jobs = 0;
      else if (!g_ascii_isdigit (a->jobs[0])
               || (n = g_ascii_strtoll (a->jobs, &end, 10)) < 1 || n > 64
               || *end != '\0')
        {
          g_set_error (
              error, TESS_ERROR, TESS_ERROR_INVALID,
              _ ("--jobs '%s': expected a number from 1 to 64, or auto"),
              a->jobs);
          return FALSE;
        }
      else
        run->jobs = (int)n;
    }
  if (a->engine && !tess_engine_from_name (a->engine, &run->engine, NULL))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   _ ("--engine '%s': expected threads, processes or auto"),
                   a->engine);
      return FALSE;
    }
  return TRUE;
}

gboolean
tess_cli_parse_size (const char *text, gint64 *width, gint64 *height)
{
  char *end;
  gint64 w, h;

  if (!g_ascii_isdigit (text[0]))
    return FALSE;
  w = g_ascii_strtoll (text, &end, 10);
  if (*end != 'x' && *end != 'X')
    return FALSE;
  if (!g_ascii_isdigit (end[1]))
    return FALSE;
  h = g_ascii_strtoll (end + 1, &end, 10);
  if (*end != '\0')
    return FALSE;
  *width = w;
  *height = h;
  return TRUE;
}
