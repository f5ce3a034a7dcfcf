/* tess-exact.h — the exact method (exact.c). */
#ifndef TESS_EXACT_H
#define TESS_EXACT_H

#include "wcs/tess-transform.h"

/* Computes @rect of the output (all planes, @out_type, into @data) and,
 * if @footprint is not NULL, its summed overlap fractions. */
gboolean tess__exact_compute (TessTransform *t, const TessWcs *target,
                              const TessOptions *o, TessImage *in,
                              TessPixelType out_type, const TessRect *rect,
                              gpointer data, float *footprint, GError **error);

#endif /* TESS_EXACT_H */
