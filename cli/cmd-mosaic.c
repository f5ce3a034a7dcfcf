/* cmd-mosaic.c — `tessera mosaic`: many images into one, on a target
 * header or on the optimal WCS around them; and `tessera optimal-wcs`,
 * which prints that WCS. */
#include "config.h"

#include "cli.h"
#include "method-options.h"
#include "mosaic-options.h"
#include "target-options.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The options that choose the optimal WCS, shared by both commands. */
typedef struct
{
  gboolean optimal;
  char *frame;
  char *projection;
  double resolution; /* arcsec; 0: the finest input's */
  gboolean auto_rotate;
  char *center;
} OptimalArgs;

static void
add_optimal_entries (GOptionContext *ctx, OptimalArgs *o, gboolean with_flag)
{
  GOptionEntry entries[] = {
    { "frame", 0, 0, G_OPTION_ARG_STRING, &o->frame,
      N_ ("Optimal WCS: icrs, fk5, fk4, galactic or ecliptic (default: the "
          "first input's)"),
      N_ ("FRAME") },
    { "projection", 0, 0, G_OPTION_ARG_STRING, &o->projection,
      N_ ("Optimal WCS: projection code (default TAN)"), N_ ("CODE") },
    { "resolution", 0, 0, G_OPTION_ARG_DOUBLE, &o->resolution,
      N_ ("Optimal WCS: pixel scale in arcseconds (default: the finest "
          "input's)"),
      N_ ("ARCSEC") },
    { "auto-rotate", 0, 0, G_OPTION_ARG_NONE, &o->auto_rotate,
      N_ ("Optimal WCS: turn the grid to the smallest rectangle around the "
          "inputs (default: north up)"),
      NULL },
    { "center", 0, 0, G_OPTION_ARG_STRING, &o->center,
      N_ ("Optimal WCS: its reference position, in its frame (default: the "
          "inputs' mean position)"),
      N_ ("LON,LAT") },
    { "optimal", 0, 0, G_OPTION_ARG_NONE, &o->optimal,
      N_ ("Mosaic on the optimal WCS around the inputs (the default without "
          "--target)"),
      NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  if (!with_flag)
    entries[5] = entries[6];
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
}

/* The optimal WCS around @wcs[0..n-1]; usage errors return 2 in *ret. */
static TessWcs *
optimal_wcs (const char *command, const OptimalArgs *o, TessWcs *const *wcs,
             int n, int *ret)
{
  TessOptimalOptions opt;
  GError *error = NULL;
  TessWcs *w;
  double center[2];

  tess_optimal_options_init (&opt, wcs[0]);
  if (o->frame && !tess_frame_from_name (o->frame, &opt.frame, &error))
    {
      *ret = tess_cli_usage_error (command, "--frame: %s", error->message);
      g_error_free (error);
      return NULL;
    }
  if (o->projection)
    {
      if (strlen (o->projection) != 3)
        {
          *ret = tess_cli_usage_error (
              command,
              _ ("--projection '%s': expected a three-letter FITS code such "
                 "as TAN"),
              o->projection);
          return NULL;
        }
      for (int i = 0; i < 3; i++)
        opt.projection[i] = g_ascii_toupper (o->projection[i]);
    }
  if (o->resolution < 0.0 || !isfinite (o->resolution))
    {
      *ret = tess_cli_usage_error (
          command, _ ("--resolution must be a positive number of arcseconds"));
      return NULL;
    }
  opt.resolution = o->resolution / 3600.0;
  opt.auto_rotate = o->auto_rotate;
  if (o->center
      && !tess_parse_position ("--center", o->center, opt.frame, &center[0],
                               &center[1], &error))
    {
      *ret = tess_cli_usage_error (command, "%s", error->message);
      g_error_free (error);
      return NULL;
    }
  w = tess_optimal_wcs_about (wcs, n, &opt, o->center ? center : NULL, &error);
  if (w == NULL)
    {
      tess_cli_error ("%s", error->message);
      g_error_free (error);
      *ret = TESS_EXIT_FAILURE;
    }
  return w;
}

/* ---------------------------------------------------------------------- */

int
tess_cmd_optimal_wcs (int argc, char **argv)
{
  OptimalArgs o = { 0 };
  char *output = NULL, **rest = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_ ("Write the header to FILE rather than to standard output"),
      N_ ("FILE") },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL,
      N_ ("INPUT...") },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *wcs
      = g_ptr_array_new_with_free_func ((GDestroyNotify)tess_wcs_unref);
  TessWcs *out = NULL;
  int ret = TESS_EXIT_FAILURE;

  tess_cli_set_prgname ("optimal-wcs");
  ctx = g_option_context_new (_ ("INPUT..."));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (
      ctx, _ ("Print the header of the smallest image that covers every "
              "INPUT (FITS files\nor text headers), for `tessera mosaic "
              "--target` or any other tool."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  add_optimal_entries (ctx, &o, FALSE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      ret = tess_cli_usage_error ("optimal-wcs", "%s", error->message);
      goto out;
    }
  if (rest == NULL || rest[0] == NULL)
    {
      ret = tess_cli_usage_error ("optimal-wcs", _ ("no INPUT given"));
      goto out;
    }
  for (int i = 0; rest[i]; i++)
    {
      TessWcs *w = tess_wcs_load (rest[i], &error);
      if (w == NULL)
        {
          tess_cli_error ("%s", error->message);
          goto out;
        }
      g_ptr_array_add (wcs, w);
    }
  out = optimal_wcs ("optimal-wcs", &o, (TessWcs *const *)wcs->pdata,
                     (int)wcs->len, &ret);
  if (out == NULL)
    goto out;
  {
    g_autofree char *text = tess_wcs_to_text (out);
    if (output)
      {
        if (!g_file_set_contents (output, text, -1, &error))
          {
            tess_cli_error ("%s", error->message);
            goto out;
          }
      }
    else
      fputs (text, stdout);
  }
  ret = TESS_EXIT_OK;

out:
  if (out)
    tess_wcs_unref (out);
  g_ptr_array_unref (wcs);
  g_free (o.frame);
  g_free (o.projection);
  g_free (o.center);
  g_free (output);
  g_strfreev (rest);
  return ret;
}

/* ---------------------------------------------------------------------- */

int
tess_cmd_mosaic (int argc, char **argv)
{
  OptimalArgs o = { 0 };
  TessMethodArgs m;
  TessMosaicArgs ma;
  char *output = NULL, *target_path = NULL, *scratch_dir = NULL, **rest = NULL,
       **weight_files = NULL;
  gboolean overwrite = FALSE, quiet = FALSE, verbose = FALSE,
           no_footprint = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_ ("Write the mosaic to FILE (FITS)"), N_ ("FILE") },
    { "target", 't', 0, G_OPTION_ARG_FILENAME, &target_path,
      N_ ("Target WCS and size: a FITS file or a text header (default: the "
          "optimal WCS)"),
      N_ ("FILE") },
    { "weights", 'w', 0, G_OPTION_ARG_FILENAME_ARRAY, &weight_files,
      N_ ("A weight image for each INPUT, in the same order (give it once "
          "per input): its pixels weigh the input's"),
      N_ ("FILE") },
    { "scratch-dir", 0, 0, G_OPTION_ARG_FILENAME, &scratch_dir,
      N_ ("Where scratch copies of inputs go when their data cannot be "
          "mapped from the file; default $TMPDIR"),
      N_ ("DIR") },
    { "no-footprint", 0, 0, G_OPTION_ARG_NONE, &no_footprint,
      N_ ("Do not write the FOOTPRINT extension"), NULL },
    { "overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite,
      N_ ("Replace OUTPUT if it exists"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      N_ ("Print nothing but errors"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
      N_ ("Say what is being done, with timings"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL,
      N_ ("INPUT...") },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *inputs
      = g_ptr_array_new_with_free_func ((GDestroyNotify)tess_image_unref);
  TessOptions opt;
  TessMosaicOptions mo;
  TessRunOptions run;
  TessWcs *target = NULL;
  TessMosaic *mosaic = NULL;
  TessProgressBar *bar = NULL;
  GCancellable *cancellable = g_cancellable_new ();
  GTimer *timer = g_timer_new ();
  TessVerbosity verb;
  int n = 0, ret = TESS_EXIT_FAILURE;

  tess_options_init (&opt);
  tess_run_options_init (&run);
  tess_mosaic_options_init (&mo);
  tess_method_args_init (&m);
  tess_mosaic_args_init (&ma);
  tess_cli_set_prgname ("mosaic");
  ctx = g_option_context_new (_ ("INPUT... -o OUTPUT"));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (
      ctx, _ ("Reproject every INPUT onto one target (a header, or the "
              "optimal WCS around\nthem) and combine the overlaps into one "
              "mosaic."));
  g_option_context_set_description (
      ctx, _ ("The output's primary HDU holds the mosaic; an extension "
              "FOOTPRINT holds the\nsum of the weights (footprints) that "
              "made each pixel.  Inputs off the target\nare left out.  "
              "With --match-background the fitted offsets are printed, "
              "one\nline per input.\n\nExit status: 0 success, 1 failure, "
              "2 bad command line, 130 cancelled.\n"));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  tess_mosaic_args_add (&ma, ctx, FALSE);
  add_optimal_entries (ctx, &o, TRUE);
  tess_method_args_add (&m, ctx);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      ret = tess_cli_usage_error ("mosaic", "%s", error->message);
      goto out;
    }
  verb = tess_cli_verbosity (quiet, verbose);
  if (rest == NULL || rest[0] == NULL)
    {
      ret = tess_cli_usage_error ("mosaic", _ ("no INPUT given"));
      goto out;
    }
  n = (int)g_strv_length (rest);
  if (output == NULL)
    {
      ret = tess_cli_usage_error ("mosaic", _ ("no OUTPUT given (-o FILE)"));
      goto out;
    }
  if (weight_files && (int)g_strv_length (weight_files) != n)
    {
      ret = tess_cli_usage_error (
          "mosaic", _ ("%d --weights for %d inputs: give one per input"),
          (int)g_strv_length (weight_files), n);
      goto out;
    }
  if (target_path
      && (o.optimal || o.frame || o.projection || o.resolution || o.auto_rotate
          || o.center))
    {
      ret = tess_cli_usage_error (
          "mosaic", _ ("--target and the optimal WCS's options (--optimal, "
                       "--frame, ...) exclude each other"));
      goto out;
    }
  if (!tess_mosaic_args_apply (&ma, &mo, &error)
      || !tess_mosaic_args_apply_reference (&ma, n, &mo, &error))
    {
      ret = tess_cli_usage_error ("mosaic", "%s", error->message);
      goto out;
    }
  if (!tess_method_args_apply (&m, &opt, &error)
      || !tess_method_args_apply_run (&m, &run, &error))
    {
      ret = tess_cli_usage_error ("mosaic", "%s", error->message);
      goto out;
    }
  if (!overwrite && g_file_test (output, G_FILE_TEST_EXISTS))
    {
      tess_cli_error (_ ("%s: the file exists (use --overwrite to replace "
                         "it)"),
                      output);
      goto out;
    }
  for (int i = 0; i < n; i++)
    if (tess_cli_same_file (rest[i], output))
      {
        tess_cli_error (_ ("%s: the output would replace an input file"),
                        output);
        goto out;
      }

  tess_cli_catch_signals (cancellable);
  for (int i = 0; i < n; i++)
    {
      TessImage *img = tess_image_open (rest[i], scratch_dir, &error);
      if (img == NULL)
        goto fail;
      g_ptr_array_add (inputs, img);
    }
  if (target_path)
    {
      target = tess_wcs_load (target_path, &error);
      if (target == NULL)
        goto fail;
    }
  else
    {
      TessWcs **w = g_new (TessWcs *, inputs->len);
      for (int i = 0; i < n; i++)
        w[i] = tess_image_get_wcs (g_ptr_array_index (inputs, i));
      target = optimal_wcs ("mosaic", &o, w, n, &ret);
      g_free (w);
      if (target == NULL)
        goto out;
    }
  if (verb >= TESS_VERBOSITY_VERBOSE)
    {
      g_autofree char *d = tess_wcs_describe (target);
      tess_cli_verbose (verb, _ ("target: %s"), d);
    }
  mosaic = tess_mosaic_new ((TessImage *const *)inputs->pdata, n, NULL, target,
                            &opt, &mo, &error);
  if (mosaic == NULL)
    goto fail;
  for (int i = 0; weight_files && i < n; i++)
    {
      TessImage *wi = tess_image_open (weight_files[i], scratch_dir, &error);
      gboolean set
          = wi && tess_mosaic_set_weight_image (mosaic, i, wi, &error);
      if (wi)
        tess_image_unref (wi);
      if (!set)
        goto fail;
    }
  for (int i = 0; i < n; i++)
    if (!tess_mosaic_input_used (mosaic, i) && verb >= TESS_VERBOSITY_NORMAL)
      fprintf (stderr, _ ("%s mosaic: %s is off the target: left out\n"),
               tess_cli_engine->program, rest[i]);
  bar = tess_progress_bar_new ("mosaic", verb);
  if (!tess_cli_engine->write_mosaic (
          mosaic, output,
          (overwrite ? TESS_WRITE_OVERWRITE : 0)
              | (no_footprint ? TESS_WRITE_NO_FOOTPRINT : 0),
          &run, cancellable, tess_progress_bar_update, bar, &error))
    {
      tess_progress_bar_free (bar);
      goto fail;
    }
  tess_progress_bar_free (bar);
  if (ma.match_background && verb >= TESS_VERBOSITY_NORMAL)
    {
      const double *off = tess_mosaic_get_offsets (mosaic);
      for (int i = 0; i < n; i++)
        if (tess_mosaic_input_used (mosaic, i))
          printf ("%s\t%.9g\n", rest[i], off[i]);
    }
  tess_cli_verbose (verb, _ ("mosaic of %d inputs written to %s in %.3f s"), n,
                    output, g_timer_elapsed (timer, NULL));
  ret = TESS_EXIT_OK;
  goto out;

fail:
  if (g_error_matches (error, TESS_ERROR, TESS_ERROR_CANCELLED))
    ret = TESS_EXIT_CANCELLED;
  tess_cli_error ("%s", error->message);
out:
  tess_mosaic_free (mosaic);
  if (target)
    tess_wcs_unref (target);
  g_ptr_array_unref (inputs);
  g_object_unref (cancellable);
  g_timer_destroy (timer);
  tess_method_args_clear (&m);
  g_free (o.frame);
  g_free (o.projection);
  g_free (o.center);
  g_free (output);
  g_free (target_path);
  tess_mosaic_args_clear (&ma);
  g_free (scratch_dir);
  g_strfreev (rest);
  g_strfreev (weight_files);
  return ret;
}
