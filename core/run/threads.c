/* threads.c — the engine of threads: the calling thread and others take
 * block numbers one at a time, each computes its blocks with its own
 * runner (run.c) into the one sink, and the calling thread alone reports
 * progress.  Threads share the source: its compute must be reentrant, as
 * a plan's is (tess_plan_compute_region()).
 */
#include "config.h"

#include "run/tess-run.h"

typedef struct
{
  TessBlockSource *source;
  const TessBlockSink *sink;
  GCancellable *cancellable;
  gint64 nblocks;

  GMutex lock; /* guards what follows */
  GCond changed;
  gint64 next; /* the next block to hand out */
  gint64 blocks_done, pixels_done;
  int running;   /* threads other than the caller still at work */
  GError *error; /* the first error, which stops every thread */
} ThreadRun;

/* The next block, or FALSE when none is left or the run has stopped. */
static gboolean
take (ThreadRun *t, gint64 *i)
{
  gboolean ok;

  g_mutex_lock (&t->lock);
  ok = t->error == NULL && t->next < t->nblocks;
  if (ok)
    *i = t->next++;
  g_mutex_unlock (&t->lock);
  return ok;
}

static void
fail (ThreadRun *t, GError *error)
{
  g_mutex_lock (&t->lock);
  if (t->error == NULL)
    t->error = error;
  else
    g_error_free (error);
  g_cond_broadcast (&t->changed);
  g_mutex_unlock (&t->lock);
}

/* Takes and computes one block; FALSE when there was none to take or it
 * failed. */
static gboolean
work_one (ThreadRun *t, TessBlockRunner *r)
{
  GError *error = NULL;
  TessRect b;
  gint64 i;

  if (!take (t, &i))
    return FALSE;
  if (g_cancellable_is_cancelled (t->cancellable))
    {
      fail (t, g_error_new (TESS_ERROR, TESS_ERROR_CANCELLED, "cancelled"));
      return FALSE;
    }
  if (!tess__runner_do (r, i, &error))
    {
      fail (t, error);
      return FALSE;
    }
  b = t->source->funcs->get_block (t->source, i);
  g_mutex_lock (&t->lock);
  t->blocks_done++;
  t->pixels_done += b.width * b.height;
  g_cond_broadcast (&t->changed);
  g_mutex_unlock (&t->lock);
  return TRUE;
}

static gpointer
thread_main (gpointer data)
{
  ThreadRun *t = data;
  TessBlockRunner *r = tess__runner_new (t->source, t->sink);

  while (work_one (t, r))
    ;
  tess__runner_free (r);
  g_mutex_lock (&t->lock);
  t->running--;
  g_cond_broadcast (&t->changed);
  g_mutex_unlock (&t->lock);
  return NULL;
}

/* The counts into @meter. */
static void
report (ThreadRun *t, TessRunMeter *meter)
{
  gint64 blocks, pixels;

  g_mutex_lock (&t->lock);
  blocks = t->blocks_done;
  pixels = t->pixels_done;
  g_mutex_unlock (&t->lock);
  /* All done is reported by tess__meter_finish(), once. */
  if (blocks < t->nblocks)
    tess__meter_set (meter, blocks, pixels);
}

gboolean
tess__run_threads (TessBlockSource *source, const TessBlockSink *sink,
                   int nthreads, GCancellable *cancellable,
                   TessProgressFunc progress, gpointer user_data,
                   GError **error)
{
  ThreadRun t = { 0 };
  TessBlockSink k = *sink;
  TessBlockRunner *r;
  TessRunMeter meter;
  GThread **threads;
  int started = 0;
  gboolean ok;

  t.nblocks = source->funcs->n_blocks (source);
  nthreads = (int)MAX (1, MIN ((gint64)nthreads, t.nblocks));
  if (nthreads == 1)
    return tess__run_here (source, sink, cancellable, progress, user_data,
                           error);
  t.source = source;
  t.sink = &k;
  t.cancellable = cancellable;
  /* Blocks come in any order: each goes straight to the sink. */
  k.gather = FALSE;
  g_mutex_init (&t.lock);
  g_cond_init (&t.changed);
  tess__meter_start (&meter, progress, user_data, t.nblocks,
                     tess__block_source_pixels (source));

  threads = g_new0 (GThread *, (gsize)nthreads);
  t.running = nthreads - 1;
  for (int i = 1; i < nthreads; i++)
    {
      /* A thread that cannot start leaves its share to the others (those
       * started may be done already: @running counts down). */
      threads[started]
          = g_thread_try_new ("tessera-block", thread_main, &t, NULL);
      if (threads[started])
        started++;
      else
        {
          g_mutex_lock (&t.lock);
          t.running--;
          g_mutex_unlock (&t.lock);
        }
    }

  /* This thread computes blocks too, and reports progress between them
   * and, once none is left, while the others finish theirs. */
  r = tess__runner_new (source, &k);
  while (work_one (&t, r))
    report (&t, &meter);
  tess__runner_free (r);
  g_mutex_lock (&t.lock);
  while (t.running > 0)
    {
      g_cond_wait_until (&t.changed, &t.lock,
                         g_get_monotonic_time () + G_TIME_SPAN_SECOND / 10);
      g_mutex_unlock (&t.lock);
      report (&t, &meter);
      g_mutex_lock (&t.lock);
    }
  g_mutex_unlock (&t.lock);
  for (int i = 0; i < started; i++)
    g_thread_join (threads[i]);
  g_free (threads);

  ok = t.error == NULL;
  if (ok)
    tess__meter_finish (&meter);
  else
    g_propagate_error (error, t.error);
  g_cond_clear (&t.changed);
  g_mutex_clear (&t.lock);
  return ok;
}
