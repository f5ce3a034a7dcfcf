/* mosaic-options.h — how a mosaic combines its inputs, on the command line
 * (--combine, --match-background, --background-reference, --blank): the
 * same options, parsed and checked the same way, for `tessera mosaic` and
 * `tessera-ds9 --batch --mosaic`, whose inputs are DS9 frames. */
#ifndef TESS_MOSAIC_OPTIONS_H
#define TESS_MOSAIC_OPTIONS_H

#include "tessera.h"

typedef struct
{
  char *combine;
  gboolean match_background;
  int background_reference; /* G_MININT: not given (0 is a choice) */
  char *blank;
} TessMosaicArgs;

void tess_mosaic_args_init (TessMosaicArgs *a);
void tess_mosaic_args_clear (TessMosaicArgs *a);
/* Adds the options to @ctx's main group, their help speaking of "frames"
 * rather than "inputs" when @frames; @a must live as long as @ctx. */
void tess_mosaic_args_add (TessMosaicArgs *a, GOptionContext *ctx,
                           gboolean frames);
/* Sets @mo's combination, blank value and background matching from the
 * options given (the others keep their values).  FALSE with @error
 * (TESS_ERROR_INVALID, naming the option) when one is bad. */
gboolean tess_mosaic_args_apply (const TessMosaicArgs *a,
                                 TessMosaicOptions *mo, GError **error);
/* Once the number of inputs @n is known: checks --background-reference
 * (an input from 0 to n − 1, with --match-background) and sets @mo's. */
gboolean tess_mosaic_args_apply_reference (const TessMosaicArgs *a, int n,
                                           TessMosaicOptions *mo,
                                           GError **error);

#endif /* TESS_MOSAIC_OPTIONS_H */
