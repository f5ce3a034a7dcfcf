/* tess-transform.h — the output-pixel → input-pixel map (transform.c). */
#ifndef TESS_TRANSFORM_H
#define TESS_TRANSFORM_H

#include "base/tess-private.h"

/* A private set of transforms for one thread: not thread-safe itself. */
typedef struct _TessTransform TessTransform;

/* How the map is sampled over an output of @width × @height pixels. */
typedef struct
{
  gint64 width, height;
  gint64 step;      /* grid spacing, output pixels */
  double tolerance; /* input pixels */
  gboolean exact;   /* every pixel exactly */
} TessGrid;

TessTransform *tess__transform_new (const TessWcs *out, const TessWcs *in,
                                    gboolean roundtrip, GError **error);
void tess__transform_free (TessTransform *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TessTransform, tess__transform_free)

/* Output pixels → input pixels, exactly; NaN where there is no mapping
 * (or the round trip fails, when enabled). */
void tess__transform_exact (TessTransform *t, gsize n, const double *ox,
                            const double *oy, double *ix, double *iy);
/* Pixels of the output (or, with @input, of the input) → world positions
 * in degrees in the input's frame; NaN where there is none. */
void tess__transform_sky (TessTransform *t, gboolean input, gsize n,
                          const double *x, const double *y, double *lon,
                          double *lat);
/* The rotation taking unit vectors of the output's native spherical frame
 * to the input's (through the frames' conversion); FALSE when the frames
 * differ by more than a rotation (FK4's E-terms) or are unknown. */
gboolean tess__transform_native_rotation (TessTransform *t, double m[9]);
/* Output pixels → unit vectors of the output's native frame (NaN where
 * there is none). */
void tess__transform_output_native (TessTransform *t, gsize n, const double *x,
                                    const double *y, double *vx, double *vy,
                                    double *vz);
/* Input pixels → output pixels, exactly (no round-trip check). */
gboolean tess__transform_inverse (TessTransform *t, gsize n, const double *ix,
                                  const double *iy, double *ox, double *oy);
/* The map over a region of the output, ready to be filled in tile by tile:
 * the exact nodes and test points, and how each grid cell is filled. */
typedef struct _TessGridMap TessGridMap;
TessGridMap *tess__grid_map_new (TessTransform *t, const TessGrid *g,
                                 const TessRect *region);
void tess__grid_map_free (TessGridMap *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TessGridMap, tess__grid_map_free)
/* The map over @tile (inside the region): @ix, @iy get tile->width ×
 * tile->height values, row by row. */
void tess__grid_map_fill (TessGridMap *m, TessTransform *t,
                          const TessRect *tile, double *ix, double *iy);

#endif /* TESS_TRANSFORM_H */
