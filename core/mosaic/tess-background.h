/* tess-background.h — matching the backgrounds of a mosaic's inputs:
 * the differences measured on their overlaps (background.c), the
 * offsets fitted to them (background-fit.c). */
#ifndef TESS_BACKGROUND_H
#define TESS_BACKGROUND_H

#include <glib.h>

#include "tessera.h"

/* The offsets c_i of @n inputs from the differences D[i n + j] ≈ c_i − c_j
 * measured on N[i n + j] common pixels (0: no overlap; both symmetric,
 * D antisymmetric): least squares weighted by N within each connected
 * group of overlapping inputs, c_@reference = 0 in its group (-1: none)
 * and the mean at 0 in the others.  Inputs not @present are left out
 * (their offsets untouched).  FALSE with an error (TESS_ERROR_INVALID)
 * when a present input overlaps none of the others while some do
 * (*@isolated is then its index, else -1), or when the overlaps do not
 * determine the offsets. */
gboolean tess__background_fit (int n, const gboolean *present, const double *N,
                               const double *D, int reference, double *offsets,
                               int *isolated, GError **error);

#endif /* TESS_BACKGROUND_H */
