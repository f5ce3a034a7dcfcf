/* mosaic-dialog.c — the Mosaic dialog (mosaic-dialog.h); its layout is in
 * mosaic-dialog.ui.  The job runs in a GTask thread. */
#include "config.h"

#include "mosaic-dialog.h"

#include "dialog-common.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

struct _TessMosaicDialog
{
  GtkDialog parent;

  GtkWidget *info_bar, *info_label, *settings_grid, *frames_list;
  GtkWidget *optimal_radio, *optimal_grid, *frame_combo, *proj_combo;
  GtkWidget *resolution_spin, *rotate_check;
  GtkWidget *frame_radio, *target_frame_combo, *header_radio, *header_chooser;
  GtkWidget *method_combo, *combine_combo, *match_check, *reference_combo;
  GtkWidget *jobs_combo, *jobs_spin, *lock_check;
  GtkWidget *progress_bar, *status_label;
  GtkWidget *close_button, *cancel_button, *mosaic_button;

  GPtrArray *frames; /* TessHostFrame */
  GPtrArray *checks; /* the frames' check buttons */
  TessMosaicFunc run_func;
  gpointer user_data;
  char *log_path;
  gboolean running, closing, close_when_done;
  GCancellable *cancel;
  gint64 cancel_time, start_time;
};

G_DEFINE_TYPE (TessMosaicDialog, tess_mosaic_dialog, GTK_TYPE_DIALOG)

#define log_line(d, ...) tess_ui_log ((d)->log_path, __VA_ARGS__)

void
tess_mosaic_dialog_set_log (TessMosaicDialog *d, const char *path)
{
  g_free (d->log_path);
  d->log_path = g_strdup (path);
}

static void
show_error (TessMosaicDialog *d, const char *message)
{
  gtk_label_set_text (GTK_LABEL (d->info_label), message);
  gtk_widget_show (d->info_bar);
  log_line (d, "error: %s", message);
}

static const char *
combo_id (GtkWidget *combo)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (combo));
  return id ? id : "";
}

static gboolean
active (GtkWidget *toggle)
{
  return gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (toggle));
}

static void
update_sensitivity (TessMosaicDialog *d)
{
  gboolean idle = !d->running;

  gtk_widget_set_sensitive (d->settings_grid, idle);
  gtk_widget_set_sensitive (d->optimal_grid, active (d->optimal_radio));
  gtk_widget_set_sensitive (d->target_frame_combo, active (d->frame_radio));
  gtk_widget_set_sensitive (d->header_chooser, active (d->header_radio));
  gtk_widget_set_sensitive (d->reference_combo, active (d->match_check));
  gtk_widget_set_sensitive (d->jobs_spin,
                            strcmp (combo_id (d->jobs_combo), "n") == 0);
  gtk_widget_set_visible (d->close_button, idle);
  gtk_widget_set_visible (d->cancel_button, !idle);
  gtk_widget_set_sensitive (d->mosaic_button, idle);
}

static void
on_changed (TessMosaicDialog *d)
{
  update_sensitivity (d);
}

/* The request as the widgets say; FALSE with @error when incomplete. */
static gboolean
read_request (TessMosaicDialog *d, TessMosaicRequest *r, GError **error)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (int));
  const char *jobs = combo_id (d->jobs_combo);

  memset (r, 0, sizeof *r);
  for (guint i = 0; i < d->checks->len; i++)
    if (active (g_ptr_array_index (d->checks, i)))
      {
        TessHostFrame *f = g_ptr_array_index (d->frames, i);
        g_array_append_val (ids, f->id);
      }
  r->nframes = (int)ids->len;
  r->frames = (int *)g_array_free (ids, FALSE);
  if (r->nframes == 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   _ ("Tick the frames to combine."));
      return FALSE;
    }
  tess_options_init (&r->options);
  tess_method_from_name (combo_id (d->method_combo), &r->options.method, NULL);
  tess_mosaic_options_init (&r->mosaic);
  tess_combine_from_name (combo_id (d->combine_combo), &r->mosaic.combine,
                          NULL);
  r->mosaic.match_background = active (d->match_check);
  if (r->mosaic.match_background)
    {
      /* The reference: "mean", or a frame's id among those ticked. */
      int ref = atoi (combo_id (d->reference_combo));
      for (int i = 0; i < r->nframes && ref > 0; i++)
        if (r->frames[i] == ref)
          r->mosaic.background_reference = i;
    }
  tess_run_options_init (&r->run);
  r->run.jobs
      = strcmp (jobs, "all") == 0 ? 0
        : strcmp (jobs, "n") == 0
            ? gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (d->jobs_spin))
            : 1;
  r->lock = active (d->lock_check);
  if (active (d->optimal_radio))
    {
      tess_optimal_options_init (&r->optimal, NULL);
      tess_frame_from_name (combo_id (d->frame_combo), &r->optimal.frame,
                            NULL);
      g_strlcpy (r->optimal.projection, combo_id (d->proj_combo),
                 sizeof r->optimal.projection);
      r->optimal.resolution
          = gtk_spin_button_get_value (GTK_SPIN_BUTTON (d->resolution_spin))
            / 3600.0;
      r->optimal.auto_rotate = active (d->rotate_check);
      r->target_desc = g_strdup ("the optimal WCS");
      return TRUE;
    }
  if (active (d->frame_radio))
    {
      int id = atoi (combo_id (d->target_frame_combo));
      for (guint i = 0; i < d->frames->len; i++)
        {
          TessHostFrame *f = g_ptr_array_index (d->frames, i);
          if (f->id == id)
            {
              r->target = tess_wcs_ref (f->wcs);
              r->target_desc = g_strdup_printf ("frame %d", id);
              return TRUE;
            }
        }
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   _ ("Choose a target frame"));
      return FALSE;
    }
  {
    g_autofree char *path
        = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (d->header_chooser));
    if (path == NULL)
      {
        g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                     _ ("Choose a header file"));
        return FALSE;
      }
    r->target = tess_wcs_load (path, error);
    r->target_desc = g_path_get_basename (path);
    return r->target != NULL;
  }
}

static void
request_clear (TessMosaicRequest *r)
{
  g_free (r->frames);
  g_free (r->target_desc);
  if (r->target)
    tess_wcs_unref (r->target);
}

typedef struct
{
  TessMosaicRequest request;
  TessMosaicDialog *dialog;
  char *message;
} JobTask;

static void
job_task_free (JobTask *t)
{
  request_clear (&t->request);
  g_free (t->message);
  g_free (t);
}

/* Called in the job's thread. */
static void
job_progress (const TessProgress *p, gpointer data)
{
  JobTask *t = data;

  tess_ui_post_progress (t->dialog->progress_bar, t->dialog->cancel, p);
}

static void
job_thread (GTask *task, gpointer source, gpointer data,
            GCancellable *cancellable)
{
  JobTask *t = data;
  GError *error = NULL;

  t->message = t->dialog->run_func (&t->request, cancellable, job_progress, t,
                                    t->dialog->user_data, &error);
  if (t->message)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
job_done (GObject *source, GAsyncResult *result, gpointer data)
{
  TessMosaicDialog *d = TESS_MOSAIC_DIALOG (source);
  JobTask *t = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  double s = (double)(g_get_monotonic_time () - d->start_time) / 1e6;

  d->running = FALSE;
  gtk_widget_hide (d->progress_bar);
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *text
          = g_strdup_printf (_ ("%s (%.1f s)."), t->message, s);
      gtk_label_set_text (GTK_LABEL (d->status_label), text);
      log_line (d, "job done: %s", text);
    }
  else if (g_error_matches (error, TESS_ERROR, TESS_ERROR_CANCELLED)
           || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      gtk_label_set_text (GTK_LABEL (d->status_label),
                          _ ("Cancelled: nothing was loaded."));
      log_line (d, "job cancelled, stopped %.3f s after Cancel",
                (double)(g_get_monotonic_time () - d->cancel_time) / 1e6);
    }
  else
    {
      gtk_label_set_text (GTK_LABEL (d->status_label), "");
      show_error (d, error->message);
    }
  g_clear_object (&d->cancel);
  update_sensitivity (d);
  if (d->close_when_done)
    {
      d->closing = TRUE;
      gtk_widget_destroy (GTK_WIDGET (d));
    }
}

static void
start_job (TessMosaicDialog *d)
{
  g_autoptr (GError) error = NULL;
  JobTask *t = g_new0 (JobTask, 1);
  GTask *task;

  gtk_widget_hide (d->info_bar);
  t->dialog = d;
  if (!read_request (d, &t->request, &error))
    {
      show_error (d, error->message);
      job_task_free (t);
      return;
    }
  d->running = TRUE;
  d->start_time = g_get_monotonic_time ();
  d->cancel = g_cancellable_new ();
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (d->progress_bar), 0.0);
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (d->progress_bar),
                             _ ("Reading the frames…"));
  gtk_widget_show (d->progress_bar);
  gtk_label_set_text (GTK_LABEL (d->status_label), "");
  update_sensitivity (d);
  gtk_widget_grab_focus (d->cancel_button);
  log_line (d, "job started: %d frame(s), %s, %s onto %s", t->request.nframes,
            tess_method_name (t->request.options.method),
            tess_combine_name (t->request.mosaic.combine),
            t->request.target_desc);
  task = g_task_new (d, d->cancel, job_done, NULL);
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, t, (GDestroyNotify)job_task_free);
  g_task_run_in_thread (task, job_thread);
  g_object_unref (task);
}

static void
on_response (GtkDialog *dialog, int response)
{
  TessMosaicDialog *d = TESS_MOSAIC_DIALOG (dialog);

  if (response == GTK_RESPONSE_APPLY)
    {
      if (!d->running)
        start_job (d);
      return;
    }
  if (d->running)
    {
      if (response != GTK_RESPONSE_CANCEL)
        d->close_when_done = TRUE;
      if (!g_cancellable_is_cancelled (d->cancel))
        {
          d->cancel_time = g_get_monotonic_time ();
          log_line (d, "cancel requested");
          g_cancellable_cancel (d->cancel);
        }
      return;
    }
  if (response != GTK_RESPONSE_CANCEL && !d->closing)
    {
      d->closing = TRUE;
      gtk_widget_destroy (GTK_WIDGET (d));
    }
}

static void
on_map (TessMosaicDialog *d)
{
  log_line (d, "shown: title '%s', %u frame(s)",
            gtk_window_get_title (GTK_WINDOW (d)), d->checks->len);
}

static void
on_info_response (GtkInfoBar *bar, int response, gpointer data)
{
  gtk_widget_hide (GTK_WIDGET (bar));
}

static void
tess_mosaic_dialog_finalize (GObject *object)
{
  TessMosaicDialog *d = TESS_MOSAIC_DIALOG (object);

  if (d->frames)
    g_ptr_array_unref (d->frames);
  if (d->checks)
    g_ptr_array_unref (d->checks);
  g_free (d->log_path);
  G_OBJECT_CLASS (tess_mosaic_dialog_parent_class)->finalize (object);
}

static void
tess_mosaic_dialog_init (TessMosaicDialog *d)
{
  gtk_widget_init_template (GTK_WIDGET (d));
  g_signal_connect (d->info_bar, "response", G_CALLBACK (on_info_response),
                    NULL);
  g_signal_connect (d, "map", G_CALLBACK (on_map), NULL);
}

#define BIND(name)                                                            \
  gtk_widget_class_bind_template_child (wc, TessMosaicDialog, name)

static void
tess_mosaic_dialog_class_init (TessMosaicDialogClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = tess_mosaic_dialog_finalize;
  GTK_DIALOG_CLASS (klass)->response = on_response;
  tess_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (
      wc, "/org/tessera/ui/mosaic-dialog.ui");
  BIND (info_bar);
  BIND (info_label);
  BIND (settings_grid);
  BIND (frames_list);
  BIND (optimal_radio);
  BIND (optimal_grid);
  BIND (frame_combo);
  BIND (proj_combo);
  BIND (resolution_spin);
  BIND (rotate_check);
  BIND (frame_radio);
  BIND (target_frame_combo);
  BIND (header_radio);
  BIND (header_chooser);
  BIND (method_combo);
  BIND (combine_combo);
  BIND (match_check);
  BIND (reference_combo);
  BIND (jobs_combo);
  BIND (jobs_spin);
  BIND (lock_check);
  BIND (progress_bar);
  BIND (status_label);
  BIND (close_button);
  BIND (cancel_button);
  BIND (mosaic_button);
  gtk_widget_class_bind_template_callback (wc, on_changed);
}

TessMosaicDialog *
tess_mosaic_dialog_new (GPtrArray *frames, TessMosaicFunc run,
                        gpointer user_data)
{
  TessMosaicDialog *d
      = g_object_new (TESS_TYPE_MOSAIC_DIALOG, "use-header-bar", FALSE, NULL);

  d->frames = g_ptr_array_ref (frames);
  d->checks = g_ptr_array_new ();
  d->run_func = run;
  d->user_data = user_data;
  gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (d->reference_combo), "mean",
                             _ ("zero mean offset"));
  for (guint i = 0; i < frames->len; i++)
    {
      TessHostFrame *f = g_ptr_array_index (frames, i);
      GtkWidget *check = gtk_check_button_new_with_label (f->label);
      char id[16];

      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (check), TRUE);
      gtk_widget_set_margin_start (check, 6);
      gtk_widget_set_margin_end (check, 6);
      gtk_widget_show (check);
      gtk_list_box_insert (GTK_LIST_BOX (d->frames_list), check, -1);
      g_ptr_array_add (d->checks, check);
      g_snprintf (id, sizeof id, "%d", f->id);
      gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (d->target_frame_combo),
                                 id, f->label);
      {
        g_autofree char *label = g_strdup_printf (_ ("frame %d"), f->id);
        gtk_combo_box_text_append (GTK_COMBO_BOX_TEXT (d->reference_combo), id,
                                   label);
      }
    }
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->target_frame_combo), 0);
  gtk_combo_box_set_active (GTK_COMBO_BOX (d->reference_combo), 0);
  if (frames->len > 0)
    {
      /* The optimal WCS in the first frame's system. */
      TessHostFrame *f = g_ptr_array_index (frames, 0);
      gtk_combo_box_set_active_id (
          GTK_COMBO_BOX (d->frame_combo),
          tess_frame_name (tess_wcs_get_frame (f->wcs)));
    }
  update_sensitivity (d);
  gtk_dialog_set_default_response (GTK_DIALOG (d), GTK_RESPONSE_APPLY);
  gtk_widget_grab_default (d->mosaic_button);
  return d;
}
