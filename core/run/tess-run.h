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
typedef struct _TessDescription TessDescription;

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
  /* Writes into @d what another process needs to rebuild the source, the
   * same blocks in the same order (tess__block_source_rebuild()); NULL
   * for a source that cannot be described. */
  gboolean (*describe) (TessBlockSource *source, TessDescription *d,
                        GError **error);
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

/* Describes @source (TESS_ERROR_UNSUPPORTED for one that cannot be):
 * see TessDescription. */
gboolean tess__block_source_describe (TessBlockSource *source,
                                      TessDescription *d, GError **error);
/* The source @d describes, rebuilt (it needs @d no longer). */
TessBlockSource *tess__block_source_rebuild (TessDescription *d,
                                             GError **error);

/* A source's description (description.c): text, groups of "key=value"
 * lines, from which any process rebuilds the source — its inputs named
 * by their files, its target by its header, its options, its blocks —
 * and the files it shares with the processes that compute it, open
 * descriptors the text names by their index (scratch copies of inputs,
 * spline coefficients made once for all).  A portable description shares
 * no descriptors (processes on other machines): the rebuilt source reads
 * its inputs from their files and makes what it needs itself. */
TessDescription *tess__description_new (gboolean portable);
void tess__description_free (TessDescription *d);
gboolean tess__description_is_portable (const TessDescription *d);
/* The text (newly allocated, @length bytes). */
char *tess__description_to_text (const TessDescription *d, gsize *length);
/* The description in @text, sharing the @nfds descriptors @fds (in the
 * order of their indices), which it takes over and closes when freed;
 * NULL with TESS_ERROR_INVALID for text that is not a description. */
TessDescription *tess__description_from_text (const char *text, gsize length,
                                              const int *fds, int nfds,
                                              GError **error);
/* Where the inputs a portable description names put the scratch copies
 * of their samples, when they need one (NULL: $TMPDIR). */
void tess__description_set_scratch_dir (TessDescription *d, const char *dir);
/* The descriptors shared, in the order of their indices. */
const int *tess__description_get_fds (const TessDescription *d, int *nfds);

/* For the sources' describe functions and their rebuilders: values under
 * @group's @key.  The getters fail (TESS_ERROR_INVALID, naming the key)
 * when the value is missing or malformed. */
void tess__description_set_string (TessDescription *d, const char *group,
                                   const char *key, const char *value);
void tess__description_set_int64 (TessDescription *d, const char *group,
                                  const char *key, gint64 value);
/* Exactly (every double read back bit for bit, NaN and infinities too). */
void tess__description_set_double (TessDescription *d, const char *group,
                                   const char *key, double value);
void tess__description_set_rect (TessDescription *d, const char *group,
                                 const char *key, const TessRect *rect);
/* Shares @fd (taken over) under @key: its index. */
void tess__description_set_fd (TessDescription *d, const char *group,
                               const char *key, int fd);
gboolean tess__description_has (const TessDescription *d, const char *group,
                                const char *key);
char *tess__description_get_string (const TessDescription *d,
                                    const char *group, const char *key,
                                    GError **error);
gboolean tess__description_get_int64 (const TessDescription *d,
                                      const char *group, const char *key,
                                      gint64 *value, GError **error);
gboolean tess__description_get_double (const TessDescription *d,
                                       const char *group, const char *key,
                                       double *value, GError **error);
gboolean tess__description_get_rect (const TessDescription *d,
                                     const char *group, const char *key,
                                     TessRect *rect, GError **error);
/* The descriptor shared under @key (still the description's), or -1 with
 * @error set. */
int tess__description_get_fd (const TessDescription *d, const char *group,
                              const char *key, GError **error);
/* An image (its file, and the scratch copy of its samples unless
 * portable; TESS_ERROR_INVALID for an image with no file), a WCS (its
 * header) and options, and back. */
gboolean tess__description_set_image (TessDescription *d, const char *group,
                                      const char *key, TessImage *image,
                                      GError **error);
TessImage *tess__description_get_image (const TessDescription *d,
                                        const char *group, const char *key,
                                        GError **error);
void tess__description_set_wcs (TessDescription *d, const char *group,
                                const char *key, const TessWcs *wcs);
TessWcs *tess__description_get_wcs (const TessDescription *d,
                                    const char *group, const char *key,
                                    GError **error);
void tess__description_set_options (TessDescription *d, const char *group,
                                    const TessOptions *options);
gboolean tess__description_get_options (const TessDescription *d,
                                        const char *group,
                                        TessOptions *options, GError **error);

/* The rebuilders of description.c's table, a kind of source each. */
TessBlockSource *tess__plan_source_rebuild (TessDescription *d,
                                            GError **error);
TessBlockSource *tess__mosaic_source_rebuild (TessDescription *d,
                                              GError **error);

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
