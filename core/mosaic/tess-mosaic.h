/* tess-mosaic.h — a mosaic band by band, for tess_mosaic_write() and
 * block jobs (mosaic.c). */
#ifndef TESS_MOSAIC_H
#define TESS_MOSAIC_H

#include "base/tess-private.h"
#include "io/tess-stream.h"

typedef struct _TessMosaicBands TessMosaicBands;

/* The size of the mosaic's output. */
void tess__mosaic_get_size (const TessMosaic *m, gint64 *width,
                            gint64 *height);
/* The height of the mosaic's bands under @run (NULL: defaults). */
gint64 tess__mosaic_band_height (const TessMosaic *m,
                                 const TessRunOptions *run);
/* The output image (no pixels): WCS, extra axes, HISTORY. */
TessImage *tess__mosaic_output_shell (const TessMosaic *m, GError **error);
/* Fits the background offsets unless they are fitted (or given) already
 * or not asked for. */
gboolean tess__mosaic_ensure_matched (TessMosaic *m, GCancellable *cancellable,
                                      GError **error);
/* Buffers for bands of @band_height rows, the inputs' parts computed by
 * @jobs threads (0: one per core), @cancellable (nullable) checked every
 * few rows. */
TessMosaicBands *tess__mosaic_bands_new (TessMosaic *m, gint64 band_height,
                                         int jobs, GCancellable *cancellable);
void tess__mosaic_bands_free (TessMosaicBands *b);

#endif /* TESS_MOSAIC_H */
