/* tessera-ds9.c — the DS9 plug-in: reprojects the image of a DS9 frame
 * onto the WCS of another frame or of a header file and loads the result
 * into a new frame.  DS9 starts it from its Analysis menu
 * (plugin/tessera.ans) with its own XPA address; scripts run it with
 * --batch.
 */
#include "config.h"

#include "ds9.h"
#include "i18n.h"
#include "job.h"
#include "method-options.h"
#include "mosaic-dialog.h"
#include "mosaic-job.h"
#include "mosaic-options.h"
#include "reproject-dialog.h"
#include "single-instance.h"
#include "target-options.h"
#include "tessera.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  char *xpa;
  gboolean batch;
  int source_frame;
  int target_frame;
  char *target_header;
  char *output;
  gboolean lock;
  char *log;
  gboolean install_menu;
  gboolean version;
  char *size;
  char *mosaic;
  TessMosaicArgs mosaic_args;
  gboolean auto_rotate;
  TessMethodArgs m;
  TessTargetArgs t;
} Args;

static void error_line (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
error_line (const char *format, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  /* One line: newlines in messages become spaces. */
  g_strdelimit (msg, "\n", ' ');
  fprintf (stderr, "tessera-ds9: %s\n", msg);
  g_free (msg);
}

/* ---------------------------------------------------------------------- */
/* Batch mode                                                              */

static int
run_batch (Args *a)
{
  g_autoptr (GError) error = NULL;
  TessDs9 *ds9 = NULL;
  TessDs9Source *source = NULL;
  TessDs9Job job;
  g_autofree char *target_desc = NULL;
  int frame = 0, ret = 1, source_id = a->source_frame;
  gint64 width = 0, height = 0;

  memset (&job, 0, sizeof job);
  tess_options_init (&job.options);
  tess_run_options_init (&job.run);
  if (!tess_method_args_apply (&a->m, &job.options, &error)
      || !tess_method_args_apply_run (&a->m, &job.run, &error))
    {
      error_line ("%s", error->message);
      return 2;
    }
  if ((a->target_frame > 0) + (a->target_header != NULL)
          + tess_target_args_given (&a->t)
      != 1)
    {
      error_line (_ ("give one target: --target-frame N, --target-header FILE "
                     "or a typed target (--center, --scale, --frame, ...)"));
      return 2;
    }
  if (a->size && !tess_cli_parse_size (a->size, &width, &height))
    {
      error_line (_ ("--size '%s': expected WIDTHxHEIGHT, e.g. 2048x2048"),
                  a->size);
      return 2;
    }
  ds9 = tess_ds9_connect (a->xpa, &error);
  if (ds9 == NULL)
    goto out;
  if (source_id <= 0 && !tess_ds9_current_frame (ds9, &source_id, &error))
    goto out;
  source = tess_ds9_source_fetch (ds9, source_id, &error);
  if (source == NULL)
    goto out;
  if (a->target_frame > 0)
    {
      job.target = tess_ds9_frame_wcs (ds9, a->target_frame, &error);
      target_desc = g_strdup_printf ("frame %d", a->target_frame);
      if (job.target == NULL)
        {
          if (g_error_matches (error, TESS_ERROR, TESS_ERROR_WCS))
            {
              g_clear_error (&error);
              g_set_error (&error, TESS_ERROR, TESS_ERROR_WCS,
                           _ ("DS9 frame %d has no celestial WCS to reproject "
                              "onto"),
                           a->target_frame);
            }
          goto out;
        }
    }
  else if (a->target_header)
    {
      target_desc = g_path_get_basename (a->target_header);
      job.target = tess_wcs_load (a->target_header, &error);
      if (job.target == NULL)
        goto out;
    }
  else
    {
      target_desc = g_strdup ("typed-in parameters");
      job.target
          = tess_target_args_build (&a->t, source->wcs, width, height, &error);
      if (job.target == NULL)
        {
          /* A bad option is a usage error, as for tessera. */
          if (g_error_matches (error, TESS_ERROR, TESS_ERROR_INVALID))
            {
              error_line (_ ("%s (see 'tessera-ds9 --help')"), error->message);
              ret = 2;
              g_clear_error (&error);
            }
          goto out;
        }
    }
  if (width > 0 && !tess_target_args_given (&a->t))
    {
      TessWcs *sized = tess_wcs_with_size (job.target, width, height);
      tess_wcs_unref (job.target);
      job.target = sized;
    }
  job.xpa = a->xpa;
  job.source = source;
  job.target_desc = target_desc;
  job.output = a->output;
  job.lock = a->lock;
  if (!tess_ds9_job_run (&job, NULL, NULL, NULL, &frame, &error))
    goto out;
  printf ("%d\n", frame);
  ret = 0;

out:
  if (ret != 0 && error)
    error_line ("%s", error->message);
  if (job.target)
    tess_wcs_unref (job.target);
  tess_ds9_source_free (source);
  tess_ds9_free (ds9);
  return ret;
}

/* ---------------------------------------------------------------------- */
/* Batch mosaics                                                           */

/* "1,2,3" or "all" (every frame with a celestial WCS). */
static int *
parse_frames (TessDs9 *ds9, const char *text, int *n, GError **error)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (int));

  if (strcmp (text, "all") == 0)
    {
      g_autofree int *all = tess_ds9_frames (ds9, n, error);
      if (all == NULL)
        {
          g_array_free (ids, TRUE);
          return NULL;
        }
      for (int i = 0; i < *n; i++)
        {
          TessWcs *w = tess_ds9_frame_wcs (ds9, all[i], NULL);
          if (w)
            {
              g_array_append_val (ids, all[i]);
              tess_wcs_unref (w);
            }
        }
    }
  else
    {
      g_auto (GStrv) parts = g_strsplit (text, ",", -1);
      for (int i = 0; parts[i]; i++)
        {
          char *end;
          gint64 v = g_ascii_strtoll (parts[i], &end, 10);
          if (end == parts[i] || *end != '\0' || v < 1 || v > G_MAXINT)
            {
              g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                           _ ("--mosaic '%s': expected frame numbers such as "
                              "1,2,3, or all"),
                           text);
              g_array_free (ids, TRUE);
              return NULL;
            }
          int id = (int)v;
          g_array_append_val (ids, id);
        }
    }
  *n = (int)ids->len;
  return (int *)g_array_free (ids, FALSE);
}

static int
run_batch_mosaic (Args *a)
{
  g_autoptr (GError) error = NULL;
  g_autofree int *frames = NULL;
  g_autofree char *target_desc = NULL;
  g_autofree double *offsets = NULL;
  TessDs9MosaicJob job;
  TessDs9 *ds9 = NULL;
  int n = 0, frame = 0, ret = 1;

  memset (&job, 0, sizeof job);
  tess_options_init (&job.options);
  tess_run_options_init (&job.run);
  tess_mosaic_options_init (&job.mosaic);
  tess_optimal_options_init (&job.optimal, NULL);
  if (!tess_method_args_apply (&a->m, &job.options, &error)
      || !tess_method_args_apply_run (&a->m, &job.run, &error)
      || !tess_mosaic_args_apply (&a->mosaic_args, &job.mosaic, &error))
    {
      error_line (_ ("%s (see 'tessera-ds9 --help')"), error->message);
      return 2;
    }
  if (a->t.center || !isnan (a->t.rotation) || a->size
      || (a->target_frame > 0) + (a->target_header != NULL) > 1
      || ((a->target_frame > 0 || a->target_header)
          && (a->t.frame || a->t.projection || !isnan (a->t.scale)
              || a->auto_rotate)))
    {
      error_line (_ ("a mosaic's target: --target-frame N, --target-header "
                     "FILE, or the optimal WCS (default; --frame, "
                     "--projection, --scale, --auto-rotate)"));
      return 2;
    }
  ds9 = tess_ds9_connect (a->xpa, &error);
  if (ds9 == NULL)
    goto out;
  frames = parse_frames (ds9, a->mosaic, &n, &error);
  if (frames == NULL)
    {
      if (g_error_matches (error, TESS_ERROR, TESS_ERROR_INVALID))
        {
          error_line ("%s", error->message);
          g_clear_error (&error);
          ret = 2;
        }
      goto out;
    }
  if (!tess_mosaic_args_apply_reference (&a->mosaic_args, n, &job.mosaic,
                                         &error))
    {
      error_line ("%s", error->message);
      g_clear_error (&error);
      ret = 2;
      goto out;
    }
  if (a->target_frame > 0)
    {
      job.target = tess_ds9_frame_wcs (ds9, a->target_frame, &error);
      target_desc = g_strdup_printf ("frame %d", a->target_frame);
    }
  else if (a->target_header)
    {
      job.target = tess_wcs_load (a->target_header, &error);
      target_desc = g_path_get_basename (a->target_header);
    }
  else
    {
      target_desc = g_strdup ("the optimal WCS");
      if (a->t.frame
          && !tess_frame_from_name (a->t.frame, &job.optimal.frame, &error))
        {
          error_line ("--frame: %s", error->message);
          ret = 2;
          goto out;
        }
      if (!a->t.frame && n > 0)
        {
          TessWcs *w = tess_ds9_frame_wcs (ds9, frames[0], NULL);
          if (w)
            {
              tess_optimal_options_init (&job.optimal, w);
              tess_wcs_unref (w);
            }
        }
      if (a->t.projection)
        for (int i = 0; i < 3 && a->t.projection[i]; i++)
          job.optimal.projection[i] = g_ascii_toupper (a->t.projection[i]);
      if (!isnan (a->t.scale))
        job.optimal.resolution = a->t.scale / 3600.0;
      job.optimal.auto_rotate = a->auto_rotate;
    }
  if ((a->target_frame > 0 || a->target_header) && job.target == NULL)
    goto out;
  job.xpa = a->xpa;
  job.frames = frames;
  job.nframes = n;
  job.target_desc = target_desc;
  job.output = a->output;
  job.lock = a->lock;
  if (!tess_ds9_mosaic_run (&job, NULL, NULL, NULL, &frame,
                            a->mosaic_args.match_background ? &offsets : NULL,
                            &error))
    goto out;
  printf ("%d\n", frame);
  if (offsets)
    for (int i = 0; i < n; i++)
      fprintf (stderr, _ ("tessera-ds9: frame %d: background offset %.9g\n"),
               frames[i], offsets[i]);
  ret = 0;

out:
  if (ret == 1 && error)
    error_line ("%s", error->message);
  if (job.target)
    tess_wcs_unref (job.target);
  tess_ds9_free (ds9);
  return ret;
}

/* ---------------------------------------------------------------------- */
/* The dialog                                                              */

typedef struct
{
  const char *xpa;
  TessDs9 *ds9; /* the main thread's connection */
  TessDs9Source *source;
  TessImage *image;            /* once read */
  TessReprojectDialog *dialog; /* while it lives */
  /* Reading the source's image, in a thread. */
  GThread *download;
  TessImage *downloaded;
  GError *download_error;
} DialogHost;

/* DS9's frames with a WCS of the kind @celestial says (celestial, or
 * another kind such as linear axes), but @exclude (0: none). */
static GPtrArray *
frames_with_wcs (TessDs9 *ds9, gboolean celestial, int exclude, GError **error)
{
  GPtrArray *list
      = g_ptr_array_new_with_free_func ((GDestroyNotify)tess_host_frame_free);
  g_autofree int *ids = NULL;
  int n = 0;

  /* Each frame is read with DS9 showing it for a moment; DS9 then shows
   * again the frame it showed (tess_ds9_frame_wcs). */
  ids = tess_ds9_frames (ds9, &n, error);
  if (ids == NULL)
    {
      g_ptr_array_unref (list);
      return NULL;
    }
  for (int i = 0; i < n; i++)
    {
      GError *local = NULL;
      TessWcs *wcs;
      TessHostFrame *f;
      g_autofree char *desc = NULL;

      if (ids[i] == exclude)
        continue;
      wcs = tess_ds9_frame_wcs (ds9, ids[i], &local);
      if (wcs == NULL)
        {
          /* Frames without a celestial WCS are not offered; DS9 gone is
           * an error. */
          if (!g_error_matches (local, TESS_ERROR, TESS_ERROR_WCS))
            {
              g_propagate_error (error, local);
              g_ptr_array_unref (list);
              return NULL;
            }
          g_error_free (local);
          continue;
        }
      if (tess_wcs_is_celestial (wcs) != celestial)
        {
          tess_wcs_unref (wcs);
          continue;
        }
      desc = tess_wcs_describe (wcs);
      f = g_new0 (TessHostFrame, 1);
      f->id = ids[i];
      f->label = g_strdup_printf (_ ("Frame %d: %s"), ids[i], desc);
      f->wcs = wcs;
      g_ptr_array_add (list, f);
    }
  return list;
}

/* Frames the Reproject dialog offers as targets: all but the source. */
static GPtrArray *
host_frames (gpointer data, GError **error)
{
  DialogHost *h = data;
  return frames_with_wcs (h->ds9, tess_wcs_is_celestial (h->source->wcs),
                          h->source->frame, error);
}

/* Runs in the dialog's job thread. */
static char *
host_run (const TessReprojectRequest *r, GCancellable *cancellable,
          TessProgressFunc progress, gpointer progress_data, gpointer data,
          GError **error)
{
  DialogHost *h = data;
  TessDs9Job job;
  int frame = 0;

  memset (&job, 0, sizeof job);
  job.xpa = h->xpa;
  job.source = h->source;
  job.input = h->image;
  job.target = r->target;
  job.target_desc = r->target_desc;
  job.options = r->options;
  job.run = r->run;
  job.output = r->output;
  job.lock = r->lock;
  if (!tess_ds9_job_run (&job, cancellable, progress, progress_data, &frame,
                         error))
    return NULL;
  if (r->output)
    return g_strdup_printf (_ ("Loaded into DS9 frame %d and saved to %s"),
                            frame, r->output);
  return g_strdup_printf (_ ("Loaded into DS9 frame %d"), frame);
}

/* SIGTERM, SIGINT or SIGHUP: close as if the user had, so that temporary
 * files go. */
static gboolean
on_quit_signal (gpointer data)
{
  gtk_dialog_response (GTK_DIALOG (data), GTK_RESPONSE_CLOSE);
  return G_SOURCE_CONTINUE;
}

static void
present_dialog (gpointer data)
{
  DialogHost *h = data;
  if (h->dialog)
    gtk_window_present (GTK_WINDOW (h->dialog));
}

/* In the main thread, once the source's image is read. */
static gboolean
download_done (gpointer data)
{
  DialogHost *h = data;

  if (h->dialog == NULL)
    return G_SOURCE_REMOVE;
  if (h->downloaded)
    {
      h->image = g_steal_pointer (&h->downloaded);
      tess_reproject_dialog_set_source_image (h->dialog, h->image);
    }
  else
    tess_reproject_dialog_show_error (h->dialog, h->download_error->message);
  return G_SOURCE_REMOVE;
}

/* Reads the source's image from DS9 (the only XPA traffic meanwhile: the
 * frames are listed before it starts and jobs wait for it). */
static gpointer
download_thread (gpointer data)
{
  DialogHost *h = data;
  TessDs9 *ds9 = tess_ds9_connect (h->xpa, &h->download_error);

  if (ds9 && tess_ds9_source_download (h->source, ds9, &h->download_error))
    h->downloaded = tess_ds9_source_open (h->source, &h->download_error);
  tess_ds9_free (ds9);
  g_idle_add (download_done, h);
  return NULL;
}

static void
on_dialog_destroy (GtkWidget *w, gpointer data)
{
  DialogHost *h = data;
  h->dialog = NULL;
  gtk_main_quit ();
}

/* The dialog's log (--log, TESSERA_DS9_LOG) gets errors from before the
 * dialog too. */
static void
log_error (const Args *a, const char *message)
{
  const char *path = a->log ? a->log : g_getenv ("TESSERA_DS9_LOG");
  FILE *f;

  if (path == NULL || (f = fopen (path, "a")) == NULL)
    return;
  fprintf (f, "%.3f error: %s\n", (double)g_get_monotonic_time () / 1e6,
           message);
  fclose (f);
}

/* An error before the dialog could open still shows, in a message box. */
static void
error_box (const char *message)
{
  GtkWidget *box = gtk_message_dialog_new (
      NULL, 0, GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "%s",
      _ ("Tessera cannot reproject this frame"));
  gtk_window_set_title (GTK_WINDOW (box), _ ("Reproject"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (box), "%s",
                                            message);
  gtk_dialog_run (GTK_DIALOG (box));
  gtk_widget_destroy (box);
}

/* GTK on DS9's display; FALSE (said on stderr) without one. */
static gboolean
open_display (void)
{
  if (gtk_init_check (NULL, NULL))
    return TRUE;
  error_line (_ ("cannot open the display '%s'"),
              g_getenv ("DISPLAY") ? g_getenv ("DISPLAY") : "");
  return FALSE;
}

/* Shows @dialog and runs until it is gone; SIGTERM, SIGINT and SIGHUP
 * close it as the user would. */
static void
run_until_closed (GtkWidget *dialog)
{
  guint ids[3];

  ids[0] = g_unix_signal_add (SIGTERM, on_quit_signal, dialog);
  ids[1] = g_unix_signal_add (SIGINT, on_quit_signal, dialog);
  ids[2] = g_unix_signal_add (SIGHUP, on_quit_signal, dialog);
  gtk_widget_show (dialog);
  gtk_main ();
  for (int i = 0; i < 3; i++)
    g_source_remove (ids[i]);
}

/* An error before a dialog could open: on stderr, in the log, and in a
 * message box (stderr is lost under DS9). */
static void
start_error (const Args *a, const char *message)
{
  error_line ("%s", message);
  log_error (a, message);
  error_box (message);
}

static int
run_dialog (Args *a)
{
  g_autoptr (GError) error = NULL;
  TessSingleInstance *si = NULL;
  TessReprojectDialog *dialog = NULL;
  DialogHost h = { 0 };
  g_autofree char *settings = NULL, *label = NULL;
  gboolean other = FALSE;
  int source_id = a->source_frame, ret = 1;

  if (!open_display ())
    return 1;
  h.xpa = a->xpa;
  si = tess_single_instance_claim (a->xpa, present_dialog, &h, &other, &error);
  if (si == NULL && other)
    return 0;             /* the open dialog has been brought forward */
  g_clear_error (&error); /* without the claim, still one dialog works */

  h.ds9 = tess_ds9_connect (a->xpa, &error);
  if (h.ds9 == NULL
      || (source_id <= 0
          && !tess_ds9_current_frame (h.ds9, &source_id, &error)))
    goto fail;
  /* The source's WCS now; its pixels in the background, once the dialog
   * shows (a large frame takes a second or two). */
  h.source = tess_ds9_source_new (h.ds9, source_id, &error);
  if (h.source == NULL)
    goto fail;

  settings = g_getenv ("TESSERA_DS9_SETTINGS")
                 ? g_strdup (g_getenv ("TESSERA_DS9_SETTINGS"))
                 : tess_dialog_settings_default_path ();
  label = g_strdup_printf (_ ("DS9 frame %d"), source_id);
  dialog = tess_reproject_dialog_new (label, h.source->wcs, NULL, host_frames,
                                      host_run, &h, settings);
  h.dialog = dialog;
  /* The log can also be asked for through the environment, which DS9
   * passes on to its analysis tasks. */
  if (a->log || g_getenv ("TESSERA_DS9_LOG"))
    tess_reproject_dialog_set_log (
        dialog, a->log ? a->log : g_getenv ("TESSERA_DS9_LOG"));
  g_signal_connect (dialog, "destroy", G_CALLBACK (on_dialog_destroy), &h);
  /* The source's pixels arrive through the main loop (download_done). */
  h.download = g_thread_new ("download", download_thread, &h);
  run_until_closed (GTK_WIDGET (dialog));
  ret = 0;
  goto out;

fail:
  start_error (a, error->message);
out:
  /* Closed while the image was being read: wait for it. */
  if (h.download)
    g_thread_join (h.download);
  g_clear_error (&h.download_error);
  if (h.downloaded)
    tess_image_unref (h.downloaded);
  tess_single_instance_release (si);
  if (h.image)
    tess_image_unref (h.image);
  tess_ds9_source_free (h.source);
  tess_ds9_free (h.ds9);
  return ret;
}

/* ---------------------------------------------------------------------- */
/* Installing the menu entry                                               */

/* Adds the Analysis-menu entry to ~/.ds9.ans, which DS9 reads at start-up,
 * unless it is there already. */
static int
install_menu (void)
{
  g_autofree char *path
      = g_build_filename (g_get_home_dir (), ".ds9.ans", NULL);
  g_autofree char *old = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *entry = g_strdup_printf (
      "# Tessera's Reproject dialog (added by tessera-ds9 --install-menu)\n"
      "Reproject...\n*\nmenu\n%s/tessera-ds9 --xpa $xpa_method | $null\n",
      BINDIR);
  GString *text;

  if (!g_file_get_contents (path, &old, NULL, &error)
      && !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      error_line ("%s", error->message);
      return 1;
    }
  g_clear_error (&error);
  if (old && strstr (old, "/tessera-ds9 --xpa $xpa_method") != NULL)
    {
      printf (_ ("%s already has the Reproject entry.\n"), path);
      return 0;
    }
  text = g_string_new (old);
  if (text->len > 0 && text->str[text->len - 1] != '\n')
    g_string_append_c (text, '\n');
  g_string_append (text, entry);
  /* Mode 0644: DS9 rejects executable analysis files. */
  if (!g_file_set_contents_full (path, text->str, (gssize)text->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
    {
      error_line ("%s", error->message);
      g_string_free (text, TRUE);
      return 1;
    }
  g_string_free (text, TRUE);
  printf (_ ("Added Analysis > Reproject... to %s: DS9 shows it from its "
             "next start.\n"),
          path);
  return 0;
}

/* ---------------------------------------------------------------------- */
/* The Mosaic dialog                                                       */

typedef struct
{
  const char *xpa;
  TessMosaicDialog *dialog;
} MosaicHost;

/* Runs in the Mosaic dialog's job thread. */
static char *
host_mosaic (const TessMosaicRequest *r, GCancellable *cancellable,
             TessProgressFunc progress, gpointer progress_data, gpointer data,
             GError **error)
{
  MosaicHost *h = data;
  TessDs9MosaicJob job;
  int frame = 0;

  memset (&job, 0, sizeof job);
  job.xpa = h->xpa;
  job.frames = r->frames;
  job.nframes = r->nframes;
  job.target = r->target;
  job.optimal = r->optimal;
  job.target_desc = r->target_desc;
  job.options = r->options;
  job.mosaic = r->mosaic;
  job.run = r->run;
  job.lock = r->lock;
  if (!tess_ds9_mosaic_run (&job, cancellable, progress, progress_data, &frame,
                            NULL, error))
    return NULL;
  return g_strdup_printf (_ ("Mosaic of %d frames loaded into DS9 frame %d"),
                          r->nframes, frame);
}

static void
present_mosaic (gpointer data)
{
  MosaicHost *h = data;
  if (h->dialog)
    gtk_window_present (GTK_WINDOW (h->dialog));
}

static void
on_mosaic_destroy (GtkWidget *w, gpointer data)
{
  MosaicHost *h = data;
  h->dialog = NULL;
  gtk_main_quit ();
}

static int
run_mosaic_dialog (Args *a)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree int *wanted = NULL;
  MosaicHost h = { a->xpa, NULL };
  TessSingleInstance *si;
  GPtrArray *frames = NULL;
  TessDs9 *ds9 = NULL;
  gboolean other = FALSE;
  int nwanted = 0, ret = 1;

  if (!open_display ())
    return 1;
  key = g_strdup_printf ("%s mosaic", a->xpa);
  si = tess_single_instance_claim (key, present_mosaic, &h, &other, &error);
  if (si == NULL && other)
    return 0;
  g_clear_error (&error);
  ds9 = tess_ds9_connect (a->xpa, &error);
  if (ds9 == NULL)
    goto fail;
  frames = frames_with_wcs (ds9, TRUE, 0, &error);
  if (frames == NULL)
    goto fail;
  /* Only the frames asked for (--mosaic 1,2,3; all: every one). */
  if (strcmp (a->mosaic, "all") != 0)
    {
      wanted = parse_frames (ds9, a->mosaic, &nwanted, &error);
      if (wanted == NULL)
        goto fail;
      for (guint i = frames->len; i-- > 0;)
        {
          TessHostFrame *f = g_ptr_array_index (frames, i);
          gboolean keep = FALSE;
          for (int k = 0; k < nwanted; k++)
            keep |= wanted[k] == f->id;
          if (!keep)
            g_ptr_array_remove_index (frames, i);
        }
    }
  if (frames->len == 0)
    {
      g_set_error (&error, TESS_ERROR, TESS_ERROR_WCS,
                   _ ("no DS9 frame has a celestial WCS to make a mosaic of"));
      goto fail;
    }
  h.dialog = tess_mosaic_dialog_new (frames, host_mosaic, &h);
  if (a->log || g_getenv ("TESSERA_DS9_LOG"))
    tess_mosaic_dialog_set_log (
        h.dialog, a->log ? a->log : g_getenv ("TESSERA_DS9_LOG"));
  g_signal_connect (h.dialog, "destroy", G_CALLBACK (on_mosaic_destroy), &h);
  run_until_closed (GTK_WIDGET (h.dialog));
  ret = 0;
  goto out;

fail:
  start_error (a, error->message);
out:
  if (frames)
    g_ptr_array_unref (frames);
  tess_ds9_free (ds9);
  tess_single_instance_release (si);
  return ret;
}

int
main (int argc, char **argv)
{
  Args a = { 0 };
  GOptionEntry entries[] = {
    { "xpa", 0, 0, G_OPTION_ARG_STRING, &a.xpa,
      N_ ("The DS9 to work with: its XPA address ($xpa_method in an analysis "
          "file) or name"),
      N_ ("ADDRESS") },
    { "batch", 0, 0, G_OPTION_ARG_NONE, &a.batch,
      N_ ("Run with the options given, without the dialog"), NULL },
    { "source-frame", 0, 0, G_OPTION_ARG_INT, &a.source_frame,
      N_ ("The frame to reproject (default: the current one)"), N_ ("N") },
    { "target-frame", 0, 0, G_OPTION_ARG_INT, &a.target_frame,
      N_ ("Reproject onto this frame's WCS and size"), N_ ("N") },
    { "target-header", 0, 0, G_OPTION_ARG_FILENAME, &a.target_header,
      N_ ("Reproject onto the WCS and size of this FITS file or text header"),
      N_ ("FILE") },
    { "size", 's', 0, G_OPTION_ARG_STRING, &a.size,
      N_ ("Output size, overriding the target's"), N_ ("WIDTHxHEIGHT") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &a.output,
      N_ ("Also keep the result in this FITS file (replaced if it exists)"),
      N_ ("FILE") },
    { "mosaic", 0, 0, G_OPTION_ARG_STRING, &a.mosaic,
      N_ ("Combine these frames (1,2,3, or all) into a mosaic in a new frame, "
          "rather than reproject one"),
      N_ ("FRAMES") },
    { "auto-rotate", 0, 0, G_OPTION_ARG_NONE, &a.auto_rotate,
      N_ ("Mosaic: turn the optimal WCS to the smallest rectangle around the "
          "frames"),
      NULL },
    { "lock", 0, 0, G_OPTION_ARG_NONE, &a.lock,
      N_ ("Lock DS9's frames on WCS afterwards (for blinking)"), NULL },
    { "install-menu", 0, 0, G_OPTION_ARG_NONE, &a.install_menu,
      N_ ("Add the Analysis-menu entry to ~/.ds9.ans, and exit"), NULL },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &a.log,
      N_ ("Append what the dialog does, with times, to FILE"), N_ ("FILE") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &a.version,
      N_ ("Print the version and exit"), NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  int ret;

  tess_i18n_init ();
  /* DS9 closing a connection is an XPA error, not a reason to die. */
  signal (SIGPIPE, SIG_IGN);
  tess_method_args_init (&a.m);
  tess_target_args_init (&a.t);
  tess_mosaic_args_init (&a.mosaic_args);
  ctx = g_option_context_new (_ ("--xpa ADDRESS --batch"));
  g_option_context_set_summary (
      ctx,
      _ ("Reproject the image of a DS9 frame onto the WCS of another frame "
         "or of a header\nfile, and load the result into a new frame.  "
         "It prints the new frame's id."));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  tess_mosaic_args_add (&a.mosaic_args, ctx, TRUE);
  tess_method_args_add (&a.m, ctx);
  tess_target_args_add (&a.t, ctx);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      error_line (_ ("%s (see 'tessera-ds9 --help')"), error->message);
      ret = 2;
      goto out;
    }
  if (a.version)
    {
      printf ("tessera-ds9 %s\n", tess_version ());
      ret = 0;
      goto out;
    }
  if (a.install_menu)
    {
      ret = install_menu ();
      goto out;
    }
  if (argc > 1)
    {
      error_line (_ ("unexpected argument '%s' (see 'tessera-ds9 --help')"),
                  argv[1]);
      ret = 2;
      goto out;
    }
  if (a.xpa == NULL)
    {
      error_line (_ ("no DS9 given (--xpa ADDRESS)"));
      ret = 2;
      goto out;
    }
  if (a.batch)
    ret = a.mosaic ? run_batch_mosaic (&a) : run_batch (&a);
  else
    ret = a.mosaic ? run_mosaic_dialog (&a) : run_dialog (&a);

out:
  g_free (a.xpa);
  g_free (a.target_header);
  g_free (a.output);
  g_free (a.log);
  tess_method_args_clear (&a.m);
  tess_target_args_clear (&a.t);
  g_free (a.size);
  g_free (a.mosaic);
  tess_mosaic_args_clear (&a.mosaic_args);
  return ret;
}
