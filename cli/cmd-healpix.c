/* cmd-healpix.c — `tessera to-healpix IMAGE -o MAP --nside N`: make a
 * HEALPix map of a FITS image. */
#include "config.h"

#include "cli.h"

#include <glib/gi18n.h>

#include <stdlib.h>
#include <string.h>

int
tess_cmd_to_healpix (int argc, char **argv)
{
  char *output = NULL, *order = NULL, *frame = NULL, *method = NULL;
  gint64 nside = 0;
  gboolean no_footprint = FALSE, overwrite = FALSE, quiet = FALSE,
           verbose = FALSE;
  char **rest = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_ ("Write the HEALPix map to FILE (FITS binary table)"), N_ ("FILE") },
    { "nside", 'n', 0, G_OPTION_ARG_INT64, &nside,
      N_ ("NSIDE of the map, a power of 2 from 1 to 536870912 (2^29)"),
      N_ ("N") },
    { "order", 0, 0, G_OPTION_ARG_STRING, &order,
      N_ ("Pixel ordering: ring (default) or nested"), N_ ("ORDER") },
    { "frame", 0, 0, G_OPTION_ARG_STRING, &frame,
      N_ ("Celestial frame of the map: icrs, fk5, fk4, galactic or ecliptic "
          "(default: the image's)"),
      N_ ("FRAME") },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method,
      N_ ("nearest, bilinear (default; the image at each pixel centre, as "
          "reproject_to_healpix) or exact (flux-conserving: the mean of the "
          "image weighted by the area it shares with each pixel)"),
      N_ ("METHOD") },
    { "no-footprint", 0, 0, G_OPTION_ARG_NONE, &no_footprint,
      N_ ("Do not write the FOOTPRINT column"), NULL },
    { "overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite,
      N_ ("Replace OUTPUT if it exists"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      N_ ("Print nothing but errors"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
      N_ ("Say what is being done, with timings"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL,
      N_ ("IMAGE") },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  TessHealpixOptions opt;
  TessVerbosity verb;
  TessImage *input = NULL;
  TessProgressBar *bar = NULL;
  GTimer *timer = g_timer_new ();
  GCancellable *cancellable = g_cancellable_new ();
  const char *in_path;
  int ret = TESS_EXIT_FAILURE;
  gboolean ok;

  tess_healpix_options_init (&opt);
  tess_cli_set_prgname ("to-healpix");
  ctx = g_option_context_new (_ ("-o MAP --nside N"));
  g_option_context_set_summary (
      ctx, _ ("Make a full-sky HEALPix map of a FITS image (any image HDU; "
              "cfitsio syntax such\nas file.fits[1] names one), as "
              "reproject_to_healpix does."));
  g_option_context_set_description (
      ctx,
      _ ("The map is a binary table (PIXTYPE = 'HEALPIX', ORDERING, NSIDE, "
         "COORDSYS,\nINDXSCHM = 'IMPLICIT') with one value per row in "
         "column SIGNAL and the covered\nfraction in FOOTPRINT, as healpy "
         "and astropy-healpix read it; pixels the image\ndoes not cover are "
         "NaN.  It is written a chunk at a time, never held whole.\n\nExit "
         "status: 0 success, 1 failure, 2 bad command line, 130 "
         "cancelled.\n"));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      ret = tess_cli_usage_error ("to-healpix", "%s", error->message);
      goto out;
    }
  verb = tess_cli_verbosity (quiet, verbose);
  if (rest == NULL || rest[0] == NULL)
    {
      ret = tess_cli_usage_error ("to-healpix", _ ("no IMAGE file given"));
      goto out;
    }
  if (rest[1] != NULL)
    {
      ret = tess_cli_usage_error ("to-healpix", _ ("unexpected argument '%s'"),
                                  rest[1]);
      goto out;
    }
  in_path = rest[0];
  if (output == NULL)
    {
      ret = tess_cli_usage_error ("to-healpix",
                                  _ ("no OUTPUT given (-o FILE)"));
      goto out;
    }
  if (nside == 0)
    {
      ret = tess_cli_usage_error ("to-healpix",
                                  _ ("no NSIDE given (--nside N)"));
      goto out;
    }
  if (!tess_healpix_nside_valid (nside))
    {
      ret = tess_cli_usage_error (
          "to-healpix",
          _ ("--nside %lld: expected a power of 2 from 1 to 536870912"),
          (long long)nside);
      goto out;
    }
  opt.nside = nside;
  if (order && !tess_healpix_order_from_name (order, &opt.order, NULL))
    {
      ret = tess_cli_usage_error (
          "to-healpix", _ ("--order '%s': expected ring or nested"), order);
      goto out;
    }
  if (method)
    {
      if (!tess_method_from_name (method, &opt.method, NULL)
          || (opt.method != TESS_METHOD_NEAREST
              && opt.method != TESS_METHOD_BILINEAR
              && opt.method != TESS_METHOD_EXACT))
        {
          ret = tess_cli_usage_error (
              "to-healpix",
              _ ("--method '%s': expected nearest, bilinear or exact"),
              method);
          goto out;
        }
    }
  if (frame && !tess_frame_from_name (frame, &opt.frame, NULL))
    {
      ret = tess_cli_usage_error (
          "to-healpix",
          _ ("--frame '%s': expected icrs, fk5, fk4, galactic or ecliptic"),
          frame);
      goto out;
    }
  if (!overwrite && g_file_test (output, G_FILE_TEST_EXISTS))
    {
      tess_cli_error (
          _ ("%s: the file exists (use --overwrite to replace it)"), output);
      goto out;
    }
  if (tess_cli_same_file (in_path, output))
    {
      tess_cli_error (_ ("%s: the output would replace an input file"),
                      output);
      goto out;
    }

  tess_cli_catch_signals (cancellable);
  g_timer_start (timer);
  input = tess_image_load (in_path, &error);
  if (input == NULL)
    goto fail;
  if (frame == NULL)
    opt.frame = tess_wcs_get_frame (tess_image_get_wcs (input));
  tess_cli_verbose (verb, _ ("map: NSIDE %d, %s, %s, %s"), (int)opt.nside,
                    tess_healpix_order_name (opt.order),
                    tess_frame_name (opt.frame),
                    tess_method_name (opt.method));
  bar = tess_progress_bar_new ("to-healpix", verb);
  ok = tess_healpix_from_image_write (
      input, &opt, output,
      (overwrite ? TESS_WRITE_OVERWRITE : 0)
          | (no_footprint ? TESS_WRITE_NO_FOOTPRINT : 0),
      cancellable, tess_progress_bar_update, bar, &error);
  tess_progress_bar_free (bar);
  if (!ok)
    goto fail;
  tess_cli_verbose (verb, _ ("%s HEALPix map written to %s in %.3f s"),
                    tess_method_name (opt.method), output,
                    g_timer_elapsed (timer, NULL));
  ret = TESS_EXIT_OK;
  goto out;

fail:
  if (g_error_matches (error, TESS_ERROR, TESS_ERROR_CANCELLED))
    ret = TESS_EXIT_CANCELLED;
  tess_cli_error ("%s", error->message);
out:
  if (input)
    tess_image_unref (input);
  g_timer_destroy (timer);
  g_object_unref (cancellable);
  g_free (output);
  g_free (order);
  g_free (frame);
  g_free (method);
  g_strfreev (rest);
  return ret;
}
