/* mosaic-job.h — a mosaic of DS9 frames: their images read from DS9,
 * reprojected onto one target (the optimal WCS around them, another
 * frame's, or a header's) and combined; the result loaded into a new
 * frame whose OBJECT and HISTORY say what was done.  Batch mode runs it
 * directly, the Mosaic dialog in a thread. */
#ifndef TESS_DS9_MOSAIC_JOB_H
#define TESS_DS9_MOSAIC_JOB_H

#include "ds9.h"
#include "tessera.h"

typedef struct
{
  const char *xpa;
  const int *frames; /* the frames to combine, in this order */
  int nframes;
  TessWcs *target; /* or NULL for the optimal WCS (with @optimal) */
  TessOptimalOptions optimal;
  const char *target_desc;
  TessOptions options;
  TessMosaicOptions mosaic;
  TessRunOptions run;
  const char *output; /* also keep the result there, or NULL */
  gboolean lock;
} TessDs9MosaicJob;

/* Runs @job in the calling thread with its own connection to DS9; the new
 * frame's id in @frame, and (when @offsets is not NULL) the background
 * offsets, one per frame (free with g_free()).  Failed or cancelled,
 * nothing is left behind. */
gboolean tess_ds9_mosaic_run (const TessDs9MosaicJob *job,
                              GCancellable *cancellable,
                              TessProgressFunc progress, gpointer user_data,
                              int *frame, double **offsets, GError **error);

#endif /* TESS_DS9_MOSAIC_JOB_H */
