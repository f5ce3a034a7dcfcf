/* tess-combine.h — combining the inputs' parts of a mosaic's band
 * (combine.c). */
#ifndef TESS_COMBINE_H
#define TESS_COMBINE_H

#include <glib.h>

#include "tessera.h"

/* An input's part of a band. */
typedef struct
{
  TessRect r;           /* where, in the output (its rows inside the band) */
  gconstpointer data;   /* its planes, r.width × r.height values each */
  gboolean dbl;         /* double values, else float */
  const float *fp;      /* its footprint */
  const float *weights; /* its weight image there (≥ 0), or NULL */
  double weight;        /* the input's weight */
  double offset;        /* its background offset, subtracted */
} TessMosaicPiece;

/* The band of output rows @y0 … @y0 + @rows - 1 (@W wide, @P planes) from
 * @n parts, in the order of the inputs (first and last follow it), plane
 * by plane: a NaN of an input leaves it out of that plane only.  Into
 * @out_band (planes of @elem-byte values: 4 float, 8 double; @blank where
 * no input has a value in the plane) and @fp_band (nullable: the weights
 * of the inputs with a value in some plane, summed).  Scratch: @acc and
 * @pwsum (W × rows × P), @wsum (W × rows), @sorted (@n). */
void tess__mosaic_combine (TessCombine combine, double blank,
                           const TessMosaicPiece *pieces, int n, gint64 W,
                           gint64 y0, gint64 rows, gint64 P, double *acc,
                           double *wsum, double *pwsum, double *sorted,
                           gpointer out_band, gsize elem, float *fp_band);

#endif /* TESS_COMBINE_H */
