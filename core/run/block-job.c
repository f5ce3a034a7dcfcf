/* block-job.c — the blocks of a run as jobs any engine can spread over
 * processes (see TessBlockJob in tessera.h).
 *
 * A block job is a source of blocks (a plan's region, a mosaic's bands;
 * see tess-run.h) and the FITS file they go to.  Nothing in a block
 * depends on which process computes it or on the others, so the file
 * comes out the same whoever computes what; each process writes its
 * blocks into the shared file with pwrite() through its own descriptor.
 */
#include "config.h"

#include "run/tess-run.h"

struct _TessBlockJob
{
  TessBlockSource *source;
  TessStreamWriter *writer;
  TessBlockSink sink;
  TessBlockRunner *runner;
  TessRunMeter meter;
  char *what; /* names the file in errors */
};

static TessBlockJob *
job_new (TessBlockSource *source)
{
  TessBlockJob *job;

  if (source == NULL)
    return NULL;
  job = g_new0 (TessBlockJob, 1);
  job->source = source;
  return job;
}

TessBlockJob *
tess_block_job_new_plan (TessPlan *plan, const TessRect *rect,
                         const TessRunOptions *run, GError **error)
{
  return job_new (tess__plan_source_new (plan, rect, run, error));
}

TessBlockJob *
tess_block_job_new_mosaic (TessMosaic *mosaic, const TessRunOptions *run,
                           GCancellable *cancellable, GError **error)
{
  return job_new (tess__mosaic_source_new (mosaic, run, cancellable, error));
}

char *
tess_block_job_describe (TessBlockJob *job, gsize *length, GError **error)
{
  TessDescription *d = tess__description_new (TRUE);
  char *text = NULL;
  gsize len = 0;

  if (tess__block_source_describe (job->source, d, error))
    text = tess__description_to_text (d, &len);
  tess__description_free (d);
  if (length)
    *length = len;
  return text;
}

TessBlockJob *
tess_block_job_new_from_description (const char *text, gsize length,
                                     const char *scratch_dir, GError **error)
{
  TessDescription *d
      = tess__description_from_text (text, length, NULL, 0, error);
  TessBlockSource *source;

  if (d == NULL)
    return NULL;
  tess__description_set_scratch_dir (d, scratch_dir);
  source = tess__block_source_rebuild (d, error);
  tess__description_free (d);
  return job_new (source);
}

static void
close_writer (TessBlockJob *job, gboolean commit, gboolean *ok, GError **error)
{
  TessStreamWriter *w = job->writer;

  tess__runner_free (job->runner);
  job->runner = NULL;
  job->writer = NULL;
  if (w == NULL)
    return;
  if (commit)
    *ok = tess__stream_writer_commit (w, error);
  else
    tess__stream_writer_abort (w);
}

void
tess_block_job_free (TessBlockJob *job)
{
  gboolean ok;

  if (job == NULL)
    return;
  close_writer (job, FALSE, &ok, NULL);
  tess__block_source_free (job->source);
  g_free (job->what);
  g_free (job);
}

gint64
tess_block_job_get_n_blocks (const TessBlockJob *job)
{
  return job->source->funcs->n_blocks (job->source);
}

TessRect
tess_block_job_get_block (const TessBlockJob *job, gint64 i)
{
  return job->source->funcs->get_block (job->source, i);
}

/* Blocks go to @w's file from now on. */
static void
use_writer (TessBlockJob *job, TessStreamWriter *w, const char *what)
{
  job->writer = w;
  g_free (job->what);
  job->what = g_strdup (what);
  job->sink.layout = tess__stream_writer_layout (w);
  job->sink.what = job->what;
  /* Blocks may come in any order, from any process: each written
   * whole. */
  job->sink.gather = FALSE;
  job->runner = tess__runner_new (job->source, &job->sink);
}

char *
tess_block_job_create (TessBlockJob *job, const char *path,
                       TessWriteFlags flags, GError **error)
{
  TessImage *shell;
  TessStreamWriter *w;

  g_return_val_if_fail (job->writer == NULL, NULL);
  shell = job->source->funcs->output_shell (job->source, error);
  if (shell == NULL)
    return NULL;
  w = tess__stream_writer_new (path, shell, flags, error);
  tess_image_unref (shell);
  if (w == NULL)
    return NULL;
  use_writer (job, w, path);
  return g_strdup (tess__stream_writer_temp (w));
}

gboolean
tess_block_job_attach (TessBlockJob *job, const char *temp_path,
                       GError **error)
{
  const TessStreamLayout *l;
  TessStreamWriter *w;

  g_return_val_if_fail (job->writer == NULL, FALSE);
  w = tess__stream_writer_attach (temp_path, error);
  if (w == NULL)
    return FALSE;
  l = tess__stream_writer_layout (w);
  if (l->width != job->source->width || l->height != job->source->height
      || l->nplanes != job->source->nplanes || l->elem != job->source->elem)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "%s: made for another job", temp_path);
      tess__stream_writer_abort (w);
      return FALSE;
    }
  use_writer (job, w, temp_path);
  return TRUE;
}

gboolean
tess_block_job_compute (TessBlockJob *job, gint64 i, GError **error)
{
  g_return_val_if_fail (job->writer != NULL, FALSE);
  return tess__runner_do (job->runner, i, error);
}

gboolean
tess_block_job_finish (TessBlockJob *job, gboolean commit, GError **error)
{
  gboolean ok = TRUE;

  if (job->writer == NULL)
    {
      /* Nothing to commit: not started, or already finished. */
      if (commit)
        g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                     "the block job has no output to commit");
      return !commit;
    }
  close_writer (job, commit, &ok, error);
  return ok;
}

void
tess_block_job_start_progress (TessBlockJob *job, TessProgressFunc progress,
                               gpointer user_data)
{
  tess__meter_start (&job->meter, progress, user_data,
                     tess_block_job_get_n_blocks (job),
                     tess__block_source_pixels (job->source));
}

void
tess_block_job_report_progress (TessBlockJob *job, gint64 blocks_done,
                                gint64 pixels_done)
{
  tess__meter_set (&job->meter, blocks_done, pixels_done);
}

void
tess_block_job_finish_progress (TessBlockJob *job)
{
  tess__meter_finish (&job->meter);
}
