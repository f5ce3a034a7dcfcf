/* job.c — one reprojection of a DS9 frame (see job.h). */
#include "config.h"

#include <glib/gi18n.h>

#include "job.h"

#include <errno.h>
#include <fitsio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

/* Removes a private temporary folder and what is in it. */
static void
remove_tmpdir (const char *dir)
{
  GDir *d;
  const char *name;

  if (dir == NULL || (d = g_dir_open (dir, 0, NULL)) == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_dir_close (d);
  g_rmdir (dir);
}

TessDs9Source *
tess_ds9_source_new (TessDs9 *ds9, int frame, GError **error)
{
  TessDs9Source *s = g_new0 (TessDs9Source, 1);

  s->frame = frame;
  s->wcs = tess_ds9_frame_wcs (ds9, frame, error);
  if (s->wcs == NULL)
    goto fail;
  s->dir = g_dir_make_tmp ("tessera-ds9-XXXXXX", error);
  if (s->dir == NULL)
    goto fail;
  s->path = g_build_filename (s->dir, "source.fits", NULL);
  return s;

fail:
  tess_ds9_source_free (s);
  return NULL;
}

gboolean
tess_ds9_source_download (const TessDs9Source *s, TessDs9 *ds9, GError **error)
{
  return tess_ds9_save_frame (ds9, s->frame, s->path, error);
}

TessDs9Source *
tess_ds9_source_fetch (TessDs9 *ds9, int frame, GError **error)
{
  TessDs9Source *s = tess_ds9_source_new (ds9, frame, error);

  if (s && !tess_ds9_source_download (s, ds9, error))
    g_clear_pointer (&s, tess_ds9_source_free);
  return s;
}

void
tess_ds9_source_free (TessDs9Source *s)
{
  if (s == NULL)
    return;
  remove_tmpdir (s->dir);
  g_free (s->dir);
  g_free (s->path);
  if (s->wcs)
    tess_wcs_unref (s->wcs);
  g_free (s);
}

/* Errors about the temporary copy name the DS9 frame instead. */
static void
name_frame_in_error (const TessDs9Source *s, GError *error)
{
  GString *msg;
  g_autofree char *f = NULL;

  if (error == NULL || strstr (error->message, s->path) == NULL)
    return;
  f = g_strdup_printf ("DS9 frame %d", s->frame);
  msg = g_string_new (error->message);
  g_string_replace (msg, s->path, f, 0);
  g_free (error->message);
  error->message = g_string_free (msg, FALSE);
}

TessImage *
tess_ds9_source_open (const TessDs9Source *s, GError **error)
{
  TessImage *image = tess_image_open (s->path, s->dir, error);

  if (image == NULL && error)
    name_frame_in_error (s, *error);
  return image;
}

char *
tess_ds9_result_path (const char *dir, const char *stem, GError **error)
{
  g_autofree char *name = g_strdup_printf ("%s-XXXXXX.fits", stem);
  char *path = g_build_filename (dir, name, NULL);
  int fd = g_mkstemp (path);

  if (fd < 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: %s", path,
                   g_strerror (errno));
      g_free (path);
      return NULL;
    }
  close (fd);
  /* Only the name is wanted: the result is written under it at once. */
  g_unlink (path);
  return path;
}

void
tess_ds9_job_error (GError *error, const TessDs9Source *const *sources, int n)
{
  if (g_error_matches (error, TESS_ERROR, TESS_ERROR_CANCELLED))
    {
      /* The library's messages are English; this one is shown. */
      g_free (error->message);
      error->message = g_strdup (_ ("cancelled"));
    }
  for (int i = 0; i < n; i++)
    if (sources[i])
      name_frame_in_error (sources[i], error);
}

void
tess_ds9_fits_error (const char *path, int status, GError **error)
{
  char msg[FLEN_STATUS];

  fits_get_errstatus (status, msg);
  g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: %s", path, msg);
}

/* Says in the result's header what was done. */
static gboolean
label_result (const char *path, const TessDs9Job *job, GError **error)
{
  const char *source_path = job->source->path;
  fitsfile *f = NULL;
  int status = 0;
  char object[72] = "", *text;

  if (fits_open_file (&f, path, READWRITE, &status))
    goto fail;
  if (fits_read_key_str (f, "OBJECT", object, NULL, &status))
    {
      status = 0;
      object[0] = '\0';
    }
  text = g_strdup_printf ("%s%sframe %d on %s (%s)", object,
                          object[0] ? ", " : "", job->source->frame,
                          job->target_desc,
                          tess_method_name (job->options.method));
  fits_update_key_str (f, "OBJECT", text, "reprojected by Tessera", &status);
  g_free (text);
  /* The HISTORY that names our temporary copy of the frame (a card,
   * continued on the next ones up to the file's name) names the frame. */
  {
    int nkeys = 0, first = 0, last = 0;
    GString *joined = g_string_new (NULL);
    fits_get_hdrspace (f, &nkeys, NULL, &status);
    for (int k = 1; k <= nkeys && status == 0 && last == 0; k++)
      {
        char card[FLEN_CARD];
        fits_read_record (f, k, card, &status);
        if (strncmp (card, "HISTORY ", 8) != 0)
          continue;
        if (first == 0 && strstr (card, "Reprojected by Tessera") == NULL)
          continue;
        if (first == 0)
          first = k;
        g_string_append (joined, g_strchomp (card + 8));
        if (g_str_has_suffix (joined->str, source_path))
          last = k;
      }
    g_string_free (joined, TRUE);
    for (int k = last; first > 0 && k >= first && status == 0; k--)
      fits_delete_record (f, k, &status);
  }
  text = g_strdup_printf ("Reprojected by Tessera %s (%s) from DS9 frame %d "
                          "onto %s",
                          tess_version (),
                          tess_method_name (job->options.method),
                          job->source->frame, job->target_desc);
  fits_write_history (f, text, &status);
  g_free (text);
  fits_close_file (f, &status);
  if (status == 0)
    return TRUE;
fail:
  tess_ds9_fits_error (path, status, error);
  return FALSE;
}

gboolean
tess_ds9_job_run (const TessDs9Job *job, GCancellable *cancellable,
                  TessProgressFunc progress, gpointer user_data, int *frame,
                  GError **error)
{
  GError *local = NULL;
  TessDs9 *ds9 = NULL;
  TessImage *input = NULL;
  TessPlan *plan = NULL;
  char *result = NULL;
  gboolean ok = FALSE, written = FALSE;

  ds9 = tess_ds9_connect (job->xpa, &local);
  if (ds9 == NULL)
    goto out;
  input = job->input ? tess_image_ref (job->input)
                     : tess_ds9_source_open (job->source, &local);
  if (input == NULL)
    goto out;
  plan = tess_plan_new (input, job->target, &job->options, &local);
  if (plan == NULL)
    goto out;
  /* The result goes to a temporary file unless it is to be kept: then
   * it goes there directly (written whole, or not at all). */
  if (job->output)
    result = g_strdup (job->output);
  else
    {
      /* Beside the source, in its private folder. */
      result = tess_ds9_result_path (job->source->dir, "result", &local);
      if (result == NULL)
        goto out;
    }
  if (!tess_plan_write (plan, NULL, &job->run, result,
                        job->output ? TESS_WRITE_OVERWRITE : 0, cancellable,
                        progress, user_data, &local))
    goto out;
  written = TRUE;
  if (!label_result (result, job, &local))
    goto out;
  if (g_cancellable_set_error_if_cancelled (cancellable, &local))
    goto out;
  if (!tess_ds9_load_new_frame (ds9, result, frame, &local))
    goto out;
  if (job->lock && !tess_ds9_set (ds9, "lock frame wcs", NULL, 0, &local))
    goto out;
  ok = TRUE;

out:
  if (!ok && written)
    g_unlink (result);
  if (!job->output && result)
    g_unlink (result);
  if (local)
    {
      tess_ds9_job_error (local, &job->source, 1);
      g_propagate_error (error, local);
    }
  if (plan)
    tess_plan_unref (plan);
  if (input)
    tess_image_unref (input);
  tess_ds9_free (ds9);
  g_free (result);
  return ok;
}
