/* tess-run.h — the one way blocks are run (run.c).
 *
 * A run is a *source* of blocks (a plan's region, a mosaic's bands: a
 * table of functions), a *sink* they go to (an image in memory, or a FITS
 * file being written), and an *engine* that hands out block numbers: this
 * thread (tess__run_here()), worker processes (pool.c) or MPI ranks (block
 * jobs).  Whatever the engine, a block is computed, put into the sink and
 * its pages let go of by tess__runner_do(), and progress is counted by a
 * TessRunMeter in the calling thread.
 */
#ifndef TESS_RUN_H
#define TESS_RUN_H

#include "base/tess-private.h"
#include "io/tess-stream.h"

typedef struct _TessBlockSource TessBlockSource;

typedef struct
{
  gint64 (*n_blocks) (const TessBlockSource *source);
  /* Block @i, in the output's coordinates (0, 0 its first pixel). */
  TessRect (*get_block) (const TessBlockSource *source, gint64 i);
  /* Computes block @i: its planes, one after the other, into @data, and
   * its footprint into @footprint unless NULL. */
  gboolean (*compute) (TessBlockSource *source, gint64 i, gpointer data,
                       float *footprint, GError **error);
  /* After a block: lets go of the pages of input the next block reads
   * again from the page cache if it needs them (nullable). */
  void (*release) (TessBlockSource *source);
  /* The output image, without pixels: size, type, WCS, keywords. */
  TessImage *(*output_shell) (TessBlockSource *source, GError **error);
  void (*free) (TessBlockSource *source);
} TessBlockSourceFuncs;

/* Sources are structures beginning with this one. */
struct _TessBlockSource
{
  const TessBlockSourceFuncs *funcs;
  gint64 width, height; /* the output's */
  gint64 nplanes;       /* its planes */
  gsize elem;           /* bytes a value: 4 (float) or 8 (double) */
};

/* The blocks of @plan's region @rect (NULL: all of it) under @run
 * (block size; NULL: automatic). */
TessBlockSource *tess__plan_source_new (TessPlan *plan, const TessRect *rect,
                                        const TessRunOptions *run,
                                        GError **error);
/* The bands of @mosaic under @run (block height, threads), @cancellable
 * checked within bands. */
TessBlockSource *tess__mosaic_source_new (TessMosaic *mosaic,
                                          const TessRunOptions *run,
                                          GCancellable *cancellable,
                                          GError **error);
void tess__block_source_free (TessBlockSource *source);
gint64 tess__block_source_pixels (const TessBlockSource *source);
/* Block @i of @blocks (@n of them, in target coordinates) in those of
 * the region @rect they cut; an empty rectangle for an @i out of range. */
TessRect tess__block_in_region (const TessRect *blocks, gint64 n,
                                const TessRect *rect, gint64 i);

/* Where blocks go: @data (the source's planes, each width × height, one
 * after the other) and @footprint (width × height, or NULL for none) in
 * memory, or @layout's file (@what names it in errors).  With @gather,
 * blocks narrower than the output are gathered into full rows written
 * when complete (blocks then come row by row, in order: one engine, this
 * thread). */
typedef struct
{
  gpointer data;
  float *footprint;
  const TessStreamLayout *layout;
  const char *what;
  gboolean gather;
} TessBlockSink;

/* Runs blocks of a source into a sink, with the buffers they need. */
typedef struct _TessBlockRunner TessBlockRunner;

TessBlockRunner *tess__runner_new (TessBlockSource *source,
                                   const TessBlockSink *sink);
/* Computes block @i into the sink and lets its pages go. */
gboolean tess__runner_do (TessBlockRunner *runner, gint64 i, GError **error);
void tess__runner_free (TessBlockRunner *runner);

/* Progress of a run, reported at most ten times a second (and at the
 * start and the end), with an estimate of the time left once a tenth of
 * the pixels are done. */
typedef struct
{
  TessProgressFunc func;
  gpointer user_data;
  gint64 t0, last; /* µs, monotonic */
  gint64 blocks_total, pixels_total;
  gint64 blocks_done, pixels_done;
} TessRunMeter;

void tess__meter_start (TessRunMeter *meter, TessProgressFunc func,
                        gpointer user_data, gint64 blocks_total,
                        gint64 pixels_total);
/* A block of @pixels done. */
void tess__meter_add (TessRunMeter *meter, gint64 pixels);
/* The counts so far, counted elsewhere (other processes); reported
 * whatever the time when all blocks are done. */
void tess__meter_set (TessRunMeter *meter, gint64 blocks_done,
                      gint64 pixels_done);
/* Reports all done. */
void tess__meter_finish (TessRunMeter *meter);

/* The engine of this thread: every block of @source into @sink in turn,
 * @cancellable checked between blocks (TESS_ERROR_CANCELLED). */
gboolean tess__run_here (TessBlockSource *source, const TessBlockSink *sink,
                         GCancellable *cancellable, TessProgressFunc progress,
                         gpointer user_data, GError **error);

/* The engine of threads: @nthreads (this one among them; no more than
 * there are blocks) take the blocks of @source one at a time, compute
 * them and put them into @sink; progress is reported in the calling
 * thread, @cancellable checked before every block.  The first error stops
 * the others.  One thread is tess__run_here(). */
gboolean tess__run_threads (TessBlockSource *source, const TessBlockSink *sink,
                            int nthreads, GCancellable *cancellable,
                            TessProgressFunc progress, gpointer user_data,
                            GError **error);

#endif /* TESS_RUN_H */
