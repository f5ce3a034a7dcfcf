/* cmd-reproject.c — `tessera reproject INPUT -o OUTPUT --target TARGET`:
 * reproject one FITS image onto a target WCS and write the result. */
#include "config.h"

#include "cli.h"
#include "method-options.h"
#include "target-options.h"

#include <glib/gi18n.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct
{
  char *output;
  char *target;
  char *size;
  char *region;
  char *scratch_dir;
  TessMethodArgs m;
  TessTargetArgs t;
  gboolean no_footprint;
  gboolean overwrite;
  gboolean quiet;
  gboolean verbose;
  int field;
  char **rest;
} Args;

static void
args_clear (Args *a)
{
  g_free (a->output);
  g_free (a->target);
  g_free (a->size);
  g_free (a->region);
  g_free (a->scratch_dir);
  tess_method_args_clear (&a->m);
  tess_target_args_clear (&a->t);
  g_strfreev (a->rest);
}

/* "X0:X1,Y0:Y1", half-open, 0-based. */
static gboolean
parse_region (const char *text, TessRect *r)
{
  gint64 v[4];
  const char *p = text;
  const char seps[4] = { ':', ',', ':', '\0' };

  for (int i = 0; i < 4; i++)
    {
      char *end;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      v[i] = g_ascii_strtoll (p, &end, 10);
      if (*end != seps[i] || v[i] > (1 << 24))
        return FALSE;
      p = end + 1;
    }
  if (v[1] <= v[0] || v[3] <= v[2])
    return FALSE;
  r->x0 = v[0];
  r->width = v[1] - v[0];
  r->y0 = v[2];
  r->height = v[3] - v[2];
  return TRUE;
}

int
tess_cmd_reproject (int argc, char **argv)
{
  Args a = { 0 };
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &a.output,
      N_ ("Write the result to FILE (FITS)"), N_ ("FILE") },
    { "target", 't', 0, G_OPTION_ARG_FILENAME, &a.target,
      N_ ("Target WCS and size: a FITS file or a text header"), N_ ("FILE") },
    { "size", 's', 0, G_OPTION_ARG_STRING, &a.size,
      N_ ("Output size, overriding the target's NAXIS1/NAXIS2"),
      N_ ("WIDTHxHEIGHT") },
    { "region", 'r', 0, G_OPTION_ARG_STRING, &a.region,
      N_ ("Compute only columns X0..X1-1 and rows Y0..Y1-1 of the target "
          "(0-based); the output WCS is shifted accordingly"),
      N_ ("X0:X1,Y0:Y1") },
    { "scratch-dir", 0, 0, G_OPTION_ARG_FILENAME, &a.scratch_dir,
      N_ ("Where a scratch copy of the input goes when its data cannot be "
          "mapped from the file (integer, scaled or compressed data that are "
          "large, or read by several jobs); default $TMPDIR"),
      N_ ("DIR") },
    { "field", 0, 0, G_OPTION_ARG_INT, &a.field,
      N_ ("HEALPix input: the column to read, 0-based, not counting a PIXEL "
          "column (default 0)"),
      N_ ("N") },
    { "no-footprint", 0, 0, G_OPTION_ARG_NONE, &a.no_footprint,
      N_ ("Do not write the FOOTPRINT extension"), NULL },
    { "overwrite", 0, 0, G_OPTION_ARG_NONE, &a.overwrite,
      N_ ("Replace OUTPUT if it exists"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &a.quiet,
      N_ ("Print nothing but errors"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &a.verbose,
      N_ ("Say what is being done, with timings"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &a.rest, NULL,
      N_ ("INPUT") },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  TessOptions opt;
  TessVerbosity verb;
  TessWcs *target = NULL;
  TessImage *input = NULL;
  TessHealpixMap *map = NULL;
  gboolean ok;
  TessWriteFlags flags;
  TessPlan *plan = NULL;
  TessProgressBar *bar = NULL;
  gint64 width = 0, height = 0;
  TessRect region = { 0, 0, 0, 0 };
  TessRunOptions run;
  GTimer *timer = g_timer_new ();
  GCancellable *cancellable = g_cancellable_new ();
  const char *in_path;
  int ret = TESS_EXIT_FAILURE;

  tess_options_init (&opt);
  tess_run_options_init (&run);
  tess_method_args_init (&a.m);
  tess_target_args_init (&a.t);

  tess_cli_set_prgname ("reproject");
  ctx = g_option_context_new (_ ("-o OUTPUT --target TARGET"));
  g_option_context_set_summary (
      ctx,
      _ ("Reproject a FITS image (any image HDU; cfitsio syntax such as "
         "file.fits[1] or\nfile.fits[SCI] names one) onto the WCS and size "
         "of TARGET.  A HEALPix map (a binary\ntable with PIXTYPE = "
         "'HEALPIX', RING or NESTED, full-sky or explicitly indexed) is\n"
         "recognised as such: methods nearest, bilinear (as "
         "reproject_from_healpix), adaptive\nand exact; --field chooses "
         "its column."));
  g_option_context_set_description (
      ctx,
      _ ("The output's primary HDU holds the reprojected image (float32, "
         "or float64 for a\nfloat64 input) with the target WCS; an "
         "extension named FOOTPRINT is 1 where the\noutput has a value and "
         "0 elsewhere (for --method exact, the fraction of the\npixel "
         "covered).  Pixels the input does not cover are NaN.  "
         "--help-all lists\nthe options of the adaptive and exact "
         "methods.\n\nExit "
         "status: 0 success, 1 failure, 2 bad command line, 130 "
         "cancelled.\n"));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  tess_method_args_add (&a.m, ctx);
  tess_target_args_add (&a.t, ctx);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      ret = tess_cli_usage_error ("reproject", "%s", error->message);
      goto out;
    }
  verb = tess_cli_verbosity (a.quiet, a.verbose);

  if (a.rest == NULL || a.rest[0] == NULL)
    {
      ret = tess_cli_usage_error ("reproject", _ ("no INPUT file given"));
      goto out;
    }
  if (a.rest[1] != NULL)
    {
      ret = tess_cli_usage_error ("reproject", _ ("unexpected argument '%s'"),
                                  a.rest[1]);
      goto out;
    }
  in_path = a.rest[0];
  if (a.output == NULL)
    {
      ret = tess_cli_usage_error ("reproject",
                                  _ ("no OUTPUT given (-o FILE)"));
      goto out;
    }
  if (a.target == NULL && !tess_target_args_given (&a.t))
    {
      ret = tess_cli_usage_error (
          "reproject", _ ("no TARGET given (--target FILE, or a typed target: "
                          "--center, --scale, --frame, ...)"));
      goto out;
    }
  if (a.target != NULL && tess_target_args_given (&a.t))
    {
      ret = tess_cli_usage_error (
          "reproject", _ ("--target and a typed target (--center, --scale, "
                          "--frame, ...) exclude each other"));
      goto out;
    }
  if (a.size)
    {
      if (!tess_cli_parse_size (a.size, &width, &height))
        {
          ret = tess_cli_usage_error (
              "reproject",
              _ ("--size '%s': expected WIDTHxHEIGHT, e.g. 2048x2048"),
              a.size);
          goto out;
        }
      if (width < 1 || height < 1 || width > (1 << 24) || height > (1 << 24))
        {
          ret = tess_cli_usage_error ("reproject",
                                      _ ("--size '%s': each side must be "
                                         "between 1 and 16777216 pixels"),
                                      a.size);
          goto out;
        }
    }
  if (!tess_method_args_apply_run (&a.m, &run, &error))
    {
      ret = tess_cli_usage_error ("reproject", "%s", error->message);
      goto out;
    }
  if (a.region && !parse_region (a.region, &region))
    {
      ret = tess_cli_usage_error (
          "reproject",
          _ ("--region '%s': expected X0:X1,Y0:Y1 with X0 < X1 and Y0 < Y1, "
             "e.g. 0:512,256:768"),
          a.region);
      goto out;
    }
  if (!tess_method_args_apply (&a.m, &opt, &error))
    {
      ret = tess_cli_usage_error ("reproject", "%s", error->message);
      goto out;
    }

  if (!a.overwrite && g_file_test (a.output, G_FILE_TEST_EXISTS))
    {
      tess_cli_error (
          _ ("%s: the file exists (use --overwrite to replace it)"), a.output);
      goto out;
    }
  flags = (a.overwrite ? TESS_WRITE_OVERWRITE : 0)
          | (a.no_footprint ? TESS_WRITE_NO_FOOTPRINT : 0);
  if (tess_cli_same_file (in_path, a.output)
      || (a.target && tess_cli_same_file (a.target, a.output)))
    {
      tess_cli_error (_ ("%s: the output would replace an input file"),
                      a.output);
      goto out;
    }

  if (a.field < 0)
    {
      ret = tess_cli_usage_error (
          "reproject", _ ("--field %d: expected 0 or more"), a.field);
      goto out;
    }
  if (tess_healpix_file_is_map (in_path))
    {
      if (tess_cli_engine != &tess_cli_local_engine)
        {
          tess_cli_error (_ ("%s: HEALPix maps are reprojected by 'tessera "
                             "reproject', not by %s"),
                          in_path, tess_cli_engine->program);
          goto out;
        }
      map = tess_healpix_map_load (in_path, a.field, &error);
      if (map == NULL)
        goto fail;
    }

  if (a.target)
    target = tess_wcs_load (a.target, &error);
  else
    {
      /* Typed: what is not given is the input's (for a HEALPix map, an
       * all-sky plate carrée at its resolution). */
      TessWcs *base = map ? tess_healpix_map_default_target (map, &error)
                          : tess_wcs_load (in_path, &error);
      if (base == NULL)
        goto fail;
      target = tess_target_args_build (&a.t, base, width, height, &error);
      tess_wcs_unref (base);
      if (target == NULL)
        {
          ret = tess_cli_usage_error ("reproject", "%s", error->message);
          goto out;
        }
    }
  if (target == NULL)
    goto fail;
  if (a.size && a.target)
    {
      TessWcs *sized = tess_wcs_with_size (target, width, height);
      tess_wcs_unref (target);
      target = sized;
    }
  if (verb >= TESS_VERBOSITY_VERBOSE)
    {
      g_autofree char *d = tess_wcs_describe (target);
      tess_cli_verbose (verb, _ ("target: %s"), d);
    }

  tess_cli_catch_signals (cancellable);
  g_timer_start (timer);
  if (map)
    {
      if (a.region
          && (region.x0 + region.width > tess_wcs_get_width (target)
              || region.y0 + region.height > tess_wcs_get_height (target)))
        {
          ret = tess_cli_usage_error (
              "reproject", _ ("--region '%s' is not inside the %dx%d target"),
              a.region, (int)tess_wcs_get_width (target),
              (int)tess_wcs_get_height (target));
          goto out;
        }
      if (!a.region)
        {
          region.width = tess_wcs_get_width (target);
          region.height = tess_wcs_get_height (target);
        }
      tess_cli_verbose (
          verb, _ ("input: HEALPix map, NSIDE %d, %s, %s, column %s"),
          (int)tess_healpix_map_get_nside (map),
          tess_healpix_order_name (tess_healpix_map_get_order (map)),
          tess_frame_name (tess_healpix_map_get_frame (map)),
          tess_healpix_map_get_column (map));
      bar = tess_progress_bar_new ("reproject", verb);
      ok = tess_healpix_reproject_write (
          map, target, &region, &opt, &run, a.output, flags, cancellable,
          tess_progress_bar_update, bar, &error);
      goto written;
    }
  /* With worker processes (or other processes), they read the pixels:
   * here they are only mapped (or converted once to a scratch file the
   * workers share). */
  input = (run.jobs == 1 || run.engine != TESS_ENGINE_PROCESSES)
                  && a.scratch_dir == NULL && !tess_cli_engine->map_inputs
              ? tess_image_load (in_path, &error)
              : tess_image_open (in_path, a.scratch_dir, &error);
  if (input == NULL)
    goto fail;
  if (verb >= TESS_VERBOSITY_VERBOSE)
    {
      g_autofree char *d = tess_wcs_describe (tess_image_get_wcs (input));
      tess_cli_verbose (verb, _ ("input: %s, %d plane(s)"), d,
                        (int)tess_image_get_nplanes (input));
      tess_cli_verbose (verb, _ ("read in %.3f s"),
                        g_timer_elapsed (timer, NULL));
    }

  if (a.region)
    {
      if (region.x0 + region.width > tess_wcs_get_width (target)
          || region.y0 + region.height > tess_wcs_get_height (target))
        {
          ret = tess_cli_usage_error (
              "reproject", _ ("--region '%s' is not inside the %dx%d target"),
              a.region, (int)tess_wcs_get_width (target),
              (int)tess_wcs_get_height (target));
          goto out;
        }
    }
  else
    {
      region.width = tess_wcs_get_width (target);
      region.height = tess_wcs_get_height (target);
    }

  g_timer_start (timer);
  plan = tess_plan_new (input, target, &opt, &error);
  if (plan == NULL)
    goto fail;
  bar = tess_progress_bar_new ("reproject", verb);
  /* Blocks go to the file as they are done: the output is never held
   * whole. */
  ok = tess_cli_engine->write_plan (plan, &region, &run, a.output, flags,
                                    cancellable, tess_progress_bar_update, bar,
                                    &error);
written:
  tess_progress_bar_free (bar);
  if (!ok)
    goto fail;
  tess_cli_verbose (verb, _ ("%s reprojection written to %s in %.3f s"),
                    tess_method_name (opt.method), a.output,
                    g_timer_elapsed (timer, NULL));
  ret = TESS_EXIT_OK;
  goto out;

fail:
  if (g_error_matches (error, TESS_ERROR, TESS_ERROR_CANCELLED))
    ret = TESS_EXIT_CANCELLED;
  tess_cli_error ("%s", error->message);
out:
  if (plan)
    tess_plan_unref (plan);
  if (input)
    tess_image_unref (input);
  tess_healpix_map_unref (map);
  if (target)
    tess_wcs_unref (target);
  g_timer_destroy (timer);
  /* The signal thread keeps its own reference. */
  g_object_unref (cancellable);
  args_clear (&a);
  return ret;
}
