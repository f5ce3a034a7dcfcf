/* tess-pool.h — running the blocks of a plan in worker processes
 * (pool.c). */
#ifndef TESS_POOL_H
#define TESS_POOL_H

#include "base/tess-private.h"
#include "io/tess-stream.h"

typedef struct
{
  const char *input_path; /* as given to tess_image_load() */
  int input_data_fd;      /* a scratch copy of its samples, or -1 */
  const char *cards;      /* the target header, 80-character cards */
  int ncards;
  TessOptions options;
  TessRect rect; /* the part of the target computed */
  /* Its blocks (in target coordinates), which the workers make again from
   * the block size: tasks are block numbers. */
  const TessRect *blocks;
  gint64 nblocks;
  gint64 block_width, block_height;
  int jobs; /* worker processes */
  /* The input's shape, for the spline coefficients the workers make
   * together before the blocks (spline methods). */
  TessPixelType in_type;
  gint64 in_width, in_height, nplanes; /* the input's planes */
  gint64 out_nplanes;                  /* the output's */
  /* Where blocks go: a file being written (layout.fd), or, when
   * layout.fd is -1, @data (the planes of rect) and @footprint. */
  TessStreamLayout layout;
  gpointer data;
  float *footprint;
} TessPoolJob;

/* Called in the calling thread each time a block is done. */
typedef void (*TessPoolBlockDone) (gint64 block, gint64 ndone,
                                   gpointer user_data);

gboolean tess__pool_run (const TessPoolJob *job, GCancellable *cancellable,
                         TessPoolBlockDone block_done, gpointer user_data,
                         GError **error);

/* The body of a worker process (tessera-worker, the only caller; exported
 * from libtessera for it, not part of the API): computes the tasks the
 * parent (tess__pool_run()) sends on the socket @fd, writing results into
 * the files it passed as descriptors 3 and 4.  Returns TRUE when told to
 * stop, FALSE with @error set when the parent went away or a task failed
 * (the parent has the message too). */
gboolean tess__worker_serve (int fd, GError **error);

#endif /* TESS_POOL_H */
