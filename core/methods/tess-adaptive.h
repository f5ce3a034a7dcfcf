/* tess-adaptive.h — the adaptive method (adaptive.c). */
#ifndef TESS_ADAPTIVE_H
#define TESS_ADAPTIVE_H

#include "wcs/tess-transform.h"

/* Computes @rect of the output (all planes, @out_type, into @data) by
 * anti-aliased resampling of @in, the map sampled as @grid says. */
gboolean tess__adaptive_compute (TessTransform *t, const TessGrid *grid,
                                 const TessOptions *o, TessImage *in,
                                 TessPixelType out_type, const TessRect *rect,
                                 gpointer data, GError **error);

#endif /* TESS_ADAPTIVE_H */
