/* tess-healpix.h — HEALPix geometry shared inside libtessera and with its
 * unit test (healpix.c). */
#ifndef TESS_HEALPIX_H
#define TESS_HEALPIX_H

#include "base/tess-private.h"

/* healpix-geometry.c */
/* Ring @r (1 … 4N−1, from the north pole): its first pixel (RING order),
 * number of pixels, the colatitude of its centres, and whether they are
 * shifted by half a pixel from longitude 0. */
void tess__healpix_ring_info (gint64 nside, gint64 r, gint64 *start, gint64 *n,
                              double *theta, gboolean *shifted);
/* The four RING pixels and weights of the bilinear interpolation at
 * colatitude @theta, longitude @phi (radians), as astropy-healpix's
 * bilinear_interpolation_weights. */
void tess__healpix_bilinear_weights (gint64 nside, double theta, double phi,
                                     gint64 pix[4], double w[4]);
/* The point (@x, @y) ∈ [0, 1]² of base pixel @face on the sphere. */
void tess__healpix_face_to_ang (int face, double x, double y, double *theta,
                                double *phi);
/* Face and (x, y) indices of a NESTED pixel. */
void tess__healpix_nest_to_xyf (gint64 nside, gint64 pix, int *face,
                                gint64 *ix, gint64 *iy);
/* healpix.c */
/* The map's value at (@lon, @lat) (degrees, the map's frame) by @method
 * (nearest or bilinear); FALSE when it is not finite. */
gboolean tess__healpix_sample (const TessHealpixMap *map, TessMethod method,
                               double lon, double lat, double *value);
/* Block @r of the exact reprojection of @map onto @target: values (@type)
 * and the covered fraction of each pixel. */
gboolean tess__healpix_exact_block (const TessHealpixMap *map, TessWcs *target,
                                    const TessRect *r, TessPixelType type,
                                    gpointer data, float *fp, GError **error);
/* Block @r by the adaptive method (kernel options of @opt). */
gboolean tess__healpix_adaptive_block (const TessHealpixMap *map,
                                       TessWcs *target, const TessOptions *opt,
                                       const TessRect *r, TessPixelType type,
                                       gpointer data, float *fp,
                                       GError **error);
/* The map's values, RING order. */
const double *tess__healpix_map_values (const TessHealpixMap *map);

#endif /* TESS_HEALPIX_H */
