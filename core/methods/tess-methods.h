/* tess-methods.h — the table of methods (methods.c): what a plan needs to
 * know of each, and the one call that computes a block of output with it.
 * interp.c (nearest, bilinear, biquadratic, bicubic), adaptive.c and
 * exact.c implement them.
 */
#ifndef TESS_METHODS_H
#define TESS_METHODS_H

#include "wcs/tess-transform.h"

/* The input's plane @p ready to sample (interpolation): prepared on first
 * use by whoever owns the planes (a plan). */
typedef TessPlane *(*TessPlaneGetter) (gpointer owner, gint64 p,
                                       GError **error);

/* A block of output to compute: every plane of @input over @rect. */
typedef struct
{
  TessTransform *transform; /* target pixel → input pixel */
  const TessGrid *grid;     /* how the map is sampled */
  const TessWcs *target;
  const TessOptions *options;
  TessImage *input;
  TessPixelType out_type;
  const TessRect *rect;
  gpointer data;    /* input->nplanes planes of rect, of @out_type */
  float *footprint; /* (nullable) for methods with their own footprint */
  TessPlaneGetter get_plane; /* interpolation */
  gpointer owner;
} TessMethodBlock;

/* A method's entry; the table is indexed by TessMethod. */
typedef struct
{
  /* The work of an output pixel, relative to bilinear's (--jobs auto). */
  double weight;
  /* Interpolates spline coefficients made from the input first. */
  gboolean spline;
  /* The footprint is computed by the method (the covered fraction), not
   * read off which values are defined. */
  gboolean own_footprint;
  gboolean (*compute) (const TessMethodBlock *block, GError **error);
} TessMethodClass;

/* @method's entry, or NULL for a value that names none. */
const TessMethodClass *tess__method_class (TessMethod method);

/* The methods' computations. */
gboolean tess__interp_compute (const TessMethodBlock *block, GError **error);
gboolean tess__adaptive_compute (const TessMethodBlock *block, GError **error);
gboolean tess__exact_compute (const TessMethodBlock *block, GError **error);

#endif /* TESS_METHODS_H */
