/* block-job.c — the blocks of a run as jobs any engine can spread over
 * processes (see TessBlockJob in tessera.h).
 *
 * A block is a rectangle of the output: of a plan's region, computed with
 * tess_plan_compute_region(), or a band of a mosaic's rows.  Nothing in a
 * block depends on which process computes it or on the others, so the
 * file comes out the same whoever computes what; each process writes its
 * blocks into the shared file with pwrite() through its own descriptor.
 */
#include "config.h"

#include "io/tess-stream.h"
#include "mosaic/tess-mosaic.h"
#include "run/tess-plan.h"

struct _TessBlockJob
{
  /* A plan's region ... */
  TessPlan *plan;
  TessRect rect;
  TessRect *blocks;
  gpointer block;
  float *block_fp;
  /* ... or a mosaic's bands. */
  TessMosaic *mosaic;
  TessMosaicBands *bands;
  gint64 band_height;
  gint64 nblocks;
  TessStreamWriter *writer;
  char *what; /* names the file in errors */
};

TessBlockJob *
tess_block_job_new_plan (TessPlan *plan, const TessRect *rect,
                         const TessRunOptions *run, GError **error)
{
  TessBlockJob *job;
  TessRect all = { 0, 0, 0, 0 };

  tess__plan_get_size (plan, &all.width, &all.height);
  if (rect == NULL)
    rect = &all;
  if (!tess__plan_check_rect (plan, rect, error))
    return NULL;
  job = g_new0 (TessBlockJob, 1);
  job->blocks = tess__plan_make_blocks (run, rect, &job->nblocks, error);
  if (job->blocks == NULL)
    {
      g_free (job);
      return NULL;
    }
  job->plan = tess_plan_ref (plan);
  job->rect = *rect;
  return job;
}

TessBlockJob *
tess_block_job_new_mosaic (TessMosaic *mosaic, const TessRunOptions *run,
                           GCancellable *cancellable, GError **error)
{
  TessBlockJob *job;

  if (run && (run->block_width < 0 || run->block_height < 0))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "the block size must be positive (or 0 for automatic)");
      return NULL;
    }
  if (!tess__mosaic_ensure_matched (mosaic, cancellable, error))
    return NULL;
  job = g_new0 (TessBlockJob, 1);
  job->mosaic = mosaic;
  job->band_height = tess__mosaic_band_height (mosaic, run);
  tess__mosaic_get_size (mosaic, &job->rect.width, &job->rect.height);
  job->nblocks = (job->rect.height + job->band_height - 1) / job->band_height;
  job->bands = tess__mosaic_bands_new (mosaic, job->band_height,
                                       run ? run->jobs : 1, cancellable);
  return job;
}

void
tess_block_job_free (TessBlockJob *job)
{
  if (job == NULL)
    return;
  tess__stream_writer_abort (job->writer);
  if (job->plan)
    tess_plan_unref (job->plan);
  tess__mosaic_bands_free (job->bands);
  g_free (job->blocks);
  g_free (job->block);
  g_free (job->block_fp);
  g_free (job->what);
  g_free (job);
}

gint64
tess_block_job_get_n_blocks (const TessBlockJob *job)
{
  return job->nblocks;
}

TessRect
tess_block_job_get_block (const TessBlockJob *job, gint64 i)
{
  TessRect r = { 0, 0, 0, 0 };

  if (i < 0 || i >= job->nblocks)
    return r;
  if (job->plan)
    {
      r = job->blocks[i];
      r.x0 -= job->rect.x0;
      r.y0 -= job->rect.y0;
      return r;
    }
  r.y0 = i * job->band_height;
  r.width = job->rect.width;
  r.height = MIN (job->band_height, job->rect.height - r.y0);
  return r;
}

char *
tess_block_job_create (TessBlockJob *job, const char *path,
                       TessWriteFlags flags, GError **error)
{
  TessImage *shell;

  g_return_val_if_fail (job->writer == NULL, NULL);
  shell = job->plan ? tess__plan_output_shell (job->plan, &job->rect, error)
                    : tess__mosaic_output_shell (job->mosaic, error);
  if (shell == NULL)
    return NULL;
  job->writer = tess__stream_writer_new (path, shell, flags, error);
  tess_image_unref (shell);
  if (job->writer == NULL)
    return NULL;
  g_free (job->what);
  job->what = g_strdup (path);
  return g_strdup (tess__stream_writer_temp (job->writer));
}

gboolean
tess_block_job_attach (TessBlockJob *job, const char *temp_path,
                       GError **error)
{
  const TessStreamLayout *l;

  g_return_val_if_fail (job->writer == NULL, FALSE);
  job->writer = tess__stream_writer_attach (temp_path, error);
  if (job->writer == NULL)
    return FALSE;
  l = tess__stream_writer_layout (job->writer);
  if (l->width != job->rect.width || l->height != job->rect.height)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "%s: made for another job", temp_path);
      tess__stream_writer_abort (job->writer);
      job->writer = NULL;
      return FALSE;
    }
  g_free (job->what);
  job->what = g_strdup (temp_path);
  return TRUE;
}

gboolean
tess_block_job_compute (TessBlockJob *job, gint64 i, GError **error)
{
  const TessStreamLayout *l;
  TessRect local = tess_block_job_get_block (job, i);

  g_return_val_if_fail (job->writer != NULL, FALSE);
  if (local.width <= 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "no block %" G_GINT64_FORMAT, i);
      return FALSE;
    }
  l = tess__stream_writer_layout (job->writer);
  if (job->mosaic)
    return tess__mosaic_bands_write (job->bands, local.y0, l, job->what,
                                     error);
  if (job->block == NULL)
    {
      /* The first block is the largest. */
      gsize px = (gsize)job->blocks[0].width * (gsize)job->blocks[0].height;
      job->block = g_malloc (px * l->elem * (gsize)l->nplanes);
      job->block_fp = g_new (float, px);
    }
  return tess_plan_compute_region (
             job->plan, &job->blocks[i], job->block,
             l->footprint_offset >= 0 ? job->block_fp : NULL, error)
         && tess__stream_write_block (l, &local, job->block, job->block_fp,
                                      job->what, error);
}

gboolean
tess_block_job_finish (TessBlockJob *job, gboolean commit, GError **error)
{
  TessStreamWriter *w = job->writer;

  job->writer = NULL;
  if (w == NULL)
    return !commit;
  if (commit)
    return tess__stream_writer_commit (w, error);
  tess__stream_writer_abort (w);
  return TRUE;
}
