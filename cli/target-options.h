/* target-options.h — a target WCS typed on the command line (--frame,
 * --projection, --center, --scale, --rotation, with --size): what the
 * Reproject dialog's "Typed parameters" give, for `tessera reproject` and
 * `tessera-ds9 --batch`.  Parameters not given are those of a base WCS
 * (the input's). */
#ifndef TESS_TARGET_OPTIONS_H
#define TESS_TARGET_OPTIONS_H

#include "tessera.h"

typedef struct
{
  char *frame;
  char *projection;
  char *center;
  double scale;    /* arcsec; NaN: not given */
  double rotation; /* degrees; NaN: not given */
} TessTargetArgs;

void tess_target_args_init (TessTargetArgs *a);
void tess_target_args_clear (TessTargetArgs *a);
/* Adds the options to @ctx, in a group of their own (--help-target);
 * @a must live as long as @ctx. */
void tess_target_args_add (TessTargetArgs *a, GOptionContext *ctx);
/* TRUE when any of the options was given. */
gboolean tess_target_args_given (const TessTargetArgs *a);
/* The typed WCS: @base's parameters (tess_wcs_get_params()) replaced by
 * those given, centred on the image, of @width × @height pixels (0: the
 * base's size).  NULL with @error (naming the option) when one is bad. */
TessWcs *tess_target_args_build (const TessTargetArgs *a, const TessWcs *base,
                                 gint64 width, gint64 height, GError **error);
/* A sky position LON,LAT given to @option (such as "--center"): the
 * longitude in hours or degrees for the equatorial frames, degrees for
 * the others, sexagesimal or decimal.  FALSE with @error when bad. */
gboolean tess_parse_position (const char *option, const char *text,
                              TessFrame frame, double *lon, double *lat,
                              GError **error);

#endif /* TESS_TARGET_OPTIONS_H */
