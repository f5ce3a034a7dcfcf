/* mosaic-options.c — a mosaic's combination options on the command line
 * (mosaic-options.h). */
#include "config.h"

#include "mosaic-options.h"

#include <glib/gi18n.h>
#include <string.h>

void
tess_mosaic_args_init (TessMosaicArgs *a)
{
  memset (a, 0, sizeof *a);
  a->background_reference = G_MININT;
}

void
tess_mosaic_args_clear (TessMosaicArgs *a)
{
  g_clear_pointer (&a->combine, g_free);
  g_clear_pointer (&a->blank, g_free);
}

void
tess_mosaic_args_add (TessMosaicArgs *a, GOptionContext *ctx, gboolean frames)
{
  GOptionEntry inputs[] = {
    { "combine", 'c', 0, G_OPTION_ARG_STRING, &a->combine,
      N_ ("mean (default, weighted by the footprints), sum, median, first, "
          "last, min or max"),
      N_ ("HOW") },
    { "match-background", 0, 0, G_OPTION_ARG_NONE, &a->match_background,
      N_ ("Subtract from each input an offset fitted on the overlaps"), NULL },
    { "background-reference", 0, 0, G_OPTION_ARG_INT, &a->background_reference,
      N_ ("The input (counted from 0) whose offset is 0 (default: offsets "
          "of zero mean)"),
      N_ ("N") },
    { "blank", 0, 0, G_OPTION_ARG_STRING, &a->blank,
      N_ ("Value of pixels no input covers (default NaN)"), N_ ("VALUE") },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionEntry ds9_frames[] = {
    { "combine", 0, 0, G_OPTION_ARG_STRING, &a->combine,
      N_ ("Mosaic: mean (default), sum, median, first, last, min or max"),
      N_ ("HOW") },
    { "match-background", 0, 0, G_OPTION_ARG_NONE, &a->match_background,
      N_ ("Mosaic: subtract from each frame an offset fitted on the "
          "overlaps"),
      NULL },
    { "background-reference", 0, 0, G_OPTION_ARG_INT, &a->background_reference,
      N_ ("Mosaic: the frame (counted from 0 in --mosaic) whose offset is 0"),
      N_ ("N") },
    { "blank", 0, 0, G_OPTION_ARG_STRING, &a->blank,
      N_ ("Mosaic: value of pixels no frame covers (default NaN)"),
      N_ ("VALUE") },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };

  g_option_context_add_main_entries (ctx, frames ? ds9_frames : inputs,
                                     GETTEXT_PACKAGE);
}

gboolean
tess_mosaic_args_apply (const TessMosaicArgs *a, TessMosaicOptions *mo,
                        GError **error)
{
  GError *local = NULL;

  if (a->combine && !tess_combine_from_name (a->combine, &mo->combine, &local))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID, "--combine: %s",
                   local->message);
      g_error_free (local);
      return FALSE;
    }
  if (a->blank)
    {
      char *end;
      double v = g_ascii_strtod (a->blank, &end);

      if (end == a->blank || *end != '\0')
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       _ ("--blank '%s': expected a number or nan"), a->blank);
          return FALSE;
        }
      mo->blank = v;
    }
  mo->match_background = a->match_background;
  return TRUE;
}

gboolean
tess_mosaic_args_apply_reference (const TessMosaicArgs *a, int n,
                                  TessMosaicOptions *mo, GError **error)
{
  if (a->background_reference == G_MININT)
    return TRUE;
  if (!a->match_background || a->background_reference < 0
      || a->background_reference >= n)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   _ ("--background-reference %d: expected an input from 0 "
                      "to %d, with --match-background"),
                   a->background_reference, n - 1);
      return FALSE;
    }
  mo->background_reference = a->background_reference;
  return TRUE;
}
