/* tess-pool.h — the engine of worker processes (pool.c, worker.c). */
#ifndef TESS_POOL_H
#define TESS_POOL_H

#include "run/tess-run.h"

/* The engine of worker processes: @jobs of them (no more than there are
 * blocks) rebuild @source from its description and compute the blocks
 * it hands out one at a time, writing them straight into @sink (its file,
 * or shared memory copied into its buffers at the end).  Progress is
 * reported in the calling thread, @cancellable checked every 50 ms
 * (killing the workers); the block of a worker that dies goes to another
 * one, once.  TESS_ERROR_UNSUPPORTED for a source that cannot be
 * described. */
gboolean tess__run_processes (TessBlockSource *source,
                              const TessBlockSink *sink, int jobs,
                              GCancellable *cancellable,
                              TessProgressFunc progress, gpointer user_data,
                              GError **error);

/* @jobs blocks of @source at once: in worker processes
 * (tess__run_processes()) when @engine is TESS_ENGINE_PROCESSES and
 * there are several jobs, else in threads (tess__run_threads()). */
gboolean tess__run_jobs (TessBlockSource *source, const TessBlockSink *sink,
                         TessEngine engine, int jobs,
                         GCancellable *cancellable, TessProgressFunc progress,
                         gpointer user_data, GError **error);

/* The body of a worker process (tessera-worker, the only caller; exported
 * from libtessera for it, not part of the API): rebuilds the source the
 * parent (tess__run_processes()) describes on the socket @fd and computes
 * the blocks it asks for, writing them into the output it passed as
 * descriptor 3.  Returns TRUE when told to stop, FALSE with @error set
 * when the parent went away or a block failed (the parent has the message
 * too). */
gboolean tess__worker_serve (int fd, GError **error);

#endif /* TESS_POOL_H */
