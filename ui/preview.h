/* preview.h — a quick, low-resolution rendering of a reprojection for the
 * dialog: the target WCS binned to fit a small square, computed with the
 * lazy plan, stretched to 8-bit grey. */
#ifndef TESS_UI_PREVIEW_H
#define TESS_UI_PREVIEW_H

#include "tessera.h"

#include <gdk-pixbuf/gdk-pixbuf.h>

typedef struct
{
  double factor;     /* target pixels per preview pixel */
  TessMethod method; /* the method used for the preview */
  double low, high;  /* the stretch: values shown black and white */
  double covered;    /* fraction of preview pixels with a value */
  double seconds;    /* time taken */
} TessPreviewInfo;

/* Renders @image reprojected onto @target with @options, binned so that
 * it fits @max_side × @max_side (never enlarged).  Interpolating methods
 * are used as chosen; the adaptive and exact methods, whose cost grows
 * with the binning, are previewed with bilinear interpolation.  Pixels
 * with no value are dark blue.  Safe to call from any thread. */
GdkPixbuf *tess_preview_render (TessImage *image, TessWcs *target,
                                const TessOptions *options, int max_side,
                                TessPreviewInfo *info, GError **error);

#endif /* TESS_UI_PREVIEW_H */
