/* tess-mosaic.h — the mosaic object (mosaic.c), shared with its
 * background matching (background.c). */
#ifndef TESS_MOSAIC_H
#define TESS_MOSAIC_H

#include "base/tess-private.h"
#include "io/tess-stream.h"
#include "mosaic/tess-combine.h"

struct _TessMosaic
{
  int n;
  TessImage **inputs;
  TessPlan **plans;  /* NULL for an input that misses the target */
  TessPlan **wplans; /* the inputs' weight images, or NULL */
  TessRect *boxes;   /* where each input lands on the target */
  double *weights;
  double *offsets; /* background offsets subtracted, or 0 */
  TessWcs *target;
  TessOptions options;
  TessMosaicOptions mo;
  gint64 width, height, nplanes;
  TessPixelType type;
  int used;
  gboolean matched; /* offsets fitted (or given) */
};

#endif /* TESS_MOSAIC_H */
