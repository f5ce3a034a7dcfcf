/* target-options.c — a target WCS typed on the command line
 * (target-options.h). */
#include "config.h"

#include "target-options.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

void
tess_target_args_init (TessTargetArgs *a)
{
  memset (a, 0, sizeof *a);
  a->scale = NAN;
  a->rotation = NAN;
}

void
tess_target_args_clear (TessTargetArgs *a)
{
  g_clear_pointer (&a->frame, g_free);
  g_clear_pointer (&a->projection, g_free);
  g_clear_pointer (&a->center, g_free);
}

void
tess_target_args_add (TessTargetArgs *a, GOptionContext *ctx)
{
  GOptionEntry entries[] = {
    { "frame", 0, 0, G_OPTION_ARG_STRING, &a->frame,
      N_ ("Typed target: celestial frame, icrs, fk5, fk4, galactic or "
          "ecliptic (default: the input's)"),
      N_ ("FRAME") },
    { "projection", 0, 0, G_OPTION_ARG_STRING, &a->projection,
      N_ ("Typed target: projection code, TAN, SIN, CAR, AIT, ... (default: "
          "the input's)"),
      N_ ("CODE") },
    { "center", 0, 0, G_OPTION_ARG_STRING, &a->center,
      N_ ("Typed target: centre, in degrees or sexagesimal (hours for a right "
          "ascension), e.g. 05:34:31.9,+22:00:52 (default: the input's)"),
      N_ ("LON,LAT") },
    { "scale", 0, 0, G_OPTION_ARG_DOUBLE, &a->scale,
      N_ ("Typed target: pixel scale in arcseconds (default: the input's)"),
      N_ ("ARCSEC") },
    { "rotation", 0, 0, G_OPTION_ARG_DOUBLE, &a->rotation,
      N_ ("Typed target: rotation of north from +y towards -x, in degrees, "
          "as CROTA2 (default: the input's)"),
      N_ ("DEG") },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionGroup *group = g_option_group_new (
      "target", _ ("Typed target WCS (instead of --target; with --size):"),
      _ ("Show the options of a typed target WCS"), NULL, NULL);

  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_group_add_entries (group, entries);
  g_option_context_add_group (ctx, group);
}

gboolean
tess_target_args_given (const TessTargetArgs *a)
{
  return a->frame || a->projection || a->center || !isnan (a->scale)
         || !isnan (a->rotation);
}

gboolean
tess_parse_position (const char *option, const char *text, TessFrame frame,
                     double *lon, double *lat, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);
  gboolean hours = frame == TESS_FRAME_ICRS || frame == TESS_FRAME_FK5
                   || frame == TESS_FRAME_FK4 || frame == TESS_FRAME_FK4_NO_E;
  GError *local = NULL;

  if (g_strv_length (parts) != 2)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   _ ("%s '%s': expected LON,LAT, e.g. "
                      "05:34:31.9,+22:00:52 or 83.633,22.014"),
                   option, text);
      return FALSE;
    }
  if (!tess_angle_parse (parts[0], hours, lon, &local)
      || !tess_angle_parse (parts[1], FALSE, lat, &local))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID, "%s: %s", option,
                   local->message);
      g_error_free (local);
      return FALSE;
    }
  if (*lat < -90.0 || *lat > 90.0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   _ ("%s '%s': the latitude must be between -90 and +90 "
                      "degrees"),
                   option, text);
      return FALSE;
    }
  return TRUE;
}

TessWcs *
tess_target_args_build (const TessTargetArgs *a, const TessWcs *base,
                        gint64 width, gint64 height, GError **error)
{
  TessWcsParams p;
  GError *local = NULL;
  TessFrame base_frame;

  if (!tess_wcs_get_params (base, &p, error))
    return NULL;
  base_frame = p.frame;
  if (a->frame && !tess_frame_from_name (a->frame, &p.frame, &local))
    goto bad_option;
  if (p.frame != base_frame)
    {
      /* The same centre, in the new frame; north-up. */
      tess_frame_convert (base_frame, p.frame, 1, &p.lon, &p.lat);
      p.rotation = 0.0;
    }
  if (a->projection)
    {
      if (strlen (a->projection) != 3)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       _ ("--projection '%s': expected a three-letter FITS "
                          "code such as TAN"),
                       a->projection);
          return NULL;
        }
      for (int i = 0; i < 3; i++)
        p.projection[i] = g_ascii_toupper (a->projection[i]);
      p.projection[3] = '\0';
    }
  if (a->center
      && !tess_parse_position ("--center", a->center, p.frame, &p.lon, &p.lat,
                               error))
    return NULL;
  if (!isnan (a->scale))
    {
      if (!(a->scale > 0.0) || !isfinite (a->scale))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       _ ("--scale must be a positive number of arcseconds"));
          return NULL;
        }
      p.scale = a->scale / 3600.0;
    }
  if (!isnan (a->rotation))
    {
      if (!isfinite (a->rotation))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       _ ("--rotation must be a number of degrees"));
          return NULL;
        }
      p.rotation = a->rotation;
    }
  if (width > 0)
    {
      p.width = width;
      p.height = height;
    }
  p.crpix_x = (double)(p.width - 1) / 2.0;
  p.crpix_y = (double)(p.height - 1) / 2.0;
  return tess_wcs_new_from_params (&p, error);

bad_option:
  g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID, _ ("--frame: %s"),
               local->message);
  g_error_free (local);
  return NULL;
}
