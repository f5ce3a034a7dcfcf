/* mosaic-job.c — a mosaic of DS9 frames (mosaic-job.h). */
#include "config.h"

#include "mosaic-job.h"

#include "job.h"

#include <errno.h>
#include <fitsio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* OBJECT says what the mosaic is; HISTORY cards name DS9 frames rather
 * than the temporary copies of their images. */
static gboolean
label_mosaic (const char *path, const TessDs9MosaicJob *job,
              TessDs9Source *const *src, GError **error)
{
  fitsfile *f = NULL;
  int status = 0, nkeys = 0;
  GString *list = g_string_new (NULL);
  char *text;

  for (int i = 0; i < job->nframes; i++)
    g_string_append_printf (list, "%s%d", i ? ", " : "", job->frames[i]);
  if (fits_open_file (&f, path, READWRITE, &status))
    goto fail;
  text = g_strdup_printf ("mosaic of frames %s on %s (%s, %s)", list->str,
                          job->target_desc,
                          tess_method_name (job->options.method),
                          tess_combine_name (job->mosaic.combine));
  fits_update_key_longstr (f, "OBJECT", text, "made by Tessera", &status);
  g_free (text);
  fits_get_hdrspace (f, &nkeys, NULL, &status);
  for (int k = 1; k <= nkeys && status == 0; k++)
    {
      char card[FLEN_CARD];
      fits_read_record (f, k, card, &status);
      if (strncmp (card, "HISTORY ", 8) != 0)
        continue;
      for (int i = 0; i < job->nframes; i++)
        {
          char *at = strstr (card, src[i]->path);
          if (at)
            {
              GString *c = g_string_new (card);
              g_autofree char *name
                  = g_strdup_printf ("DS9 frame %d", job->frames[i]);
              g_string_replace (c, src[i]->path, name, 1);
              fits_modify_record (f, k, c->str, &status);
              g_string_free (c, TRUE);
              break;
            }
        }
    }
  fits_close_file (f, &status);
  g_string_free (list, TRUE);
  if (status == 0)
    return TRUE;
fail:
  tess_ds9_fits_error (path, status, error);
  return FALSE;
}

gboolean
tess_ds9_mosaic_run (const TessDs9MosaicJob *job, GCancellable *cancellable,
                     TessProgressFunc progress, gpointer user_data, int *frame,
                     double **offsets, GError **error)
{
  GError *local = NULL;
  TessDs9 *ds9 = NULL;
  TessDs9Source **src = g_new0 (TessDs9Source *, job->nframes);
  TessImage **img = g_new0 (TessImage *, job->nframes);
  TessWcs **wcs = g_new0 (TessWcs *, job->nframes);
  TessWcs *target = NULL;
  TessMosaic *mosaic = NULL;
  char *result = NULL;
  gboolean ok = FALSE, written = FALSE;

  if (job->nframes < 1)
    {
      g_set_error (&local, TESS_ERROR, TESS_ERROR_INVALID,
                   _ ("choose the frames to combine"));
      goto out;
    }
  ds9 = tess_ds9_connect (job->xpa, &local);
  if (ds9 == NULL)
    goto out;
  for (int i = 0; i < job->nframes; i++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, &local))
        goto out;
      src[i] = tess_ds9_source_fetch (ds9, job->frames[i], &local);
      if (src[i] == NULL)
        goto out;
      img[i] = tess_ds9_source_open (src[i], &local);
      if (img[i] == NULL)
        goto out;
      wcs[i] = src[i]->wcs;
    }
  target = job->target
               ? tess_wcs_ref (job->target)
               : tess_optimal_wcs (wcs, job->nframes, &job->optimal, &local);
  if (target == NULL)
    goto out;
  mosaic = tess_mosaic_new (img, job->nframes, NULL, target, &job->options,
                            &job->mosaic, &local);
  if (mosaic == NULL)
    goto out;
  if (job->output)
    result = g_strdup (job->output);
  else
    {
      result = tess_ds9_result_path (src[0]->dir, "mosaic", &local);
      if (result == NULL)
        goto out;
    }
  if (!tess_mosaic_write (mosaic, result,
                          job->output ? TESS_WRITE_OVERWRITE : 0, &job->run,
                          cancellable, progress, user_data, &local))
    goto out;
  written = TRUE;
  if (!label_mosaic (result, job, src, &local))
    goto out;
  if (g_cancellable_set_error_if_cancelled (cancellable, &local))
    goto out;
  if (!tess_ds9_load_new_frame (ds9, result, frame, &local))
    goto out;
  if (job->lock && !tess_ds9_set (ds9, "lock frame wcs", NULL, 0, &local))
    goto out;
  if (offsets)
    *offsets = g_memdup2 (tess_mosaic_get_offsets (mosaic),
                          sizeof (double) * (gsize)job->nframes);
  ok = TRUE;

out:
  if (result && ((!ok && written) || !job->output))
    g_unlink (result);
  if (local)
    {
      tess_ds9_job_error (local, (const TessDs9Source *const *)src,
                          job->nframes);
      g_propagate_error (error, local);
    }
  tess_mosaic_free (mosaic);
  if (target)
    tess_wcs_unref (target);
  for (int i = 0; i < job->nframes; i++)
    {
      if (img[i])
        tess_image_unref (img[i]);
      tess_ds9_source_free (src[i]);
    }
  g_free (src);
  g_free (img);
  g_free (wcs);
  g_free (result);
  tess_ds9_free (ds9);
  return ok;
}
