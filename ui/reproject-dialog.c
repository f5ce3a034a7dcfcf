/* reproject-dialog.c — the Reproject dialog (reproject-dialog.h).
 *
 * The layout is in reproject-dialog.ui (a GResource).  Nothing heavy runs
 * in the GTK main loop: the preview and the job each run in a GTask
 * thread and report back through the main context. */
#include "config.h"

#include "reproject-dialog.h"

#include "dialog-common.h"
#include "preview.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define PREVIEW_SIDE 256
/* Settings changes are gathered for this long before a new preview. */
#define PREVIEW_DELAY_MS 250

struct _TessReprojectDialog
{
  GtkDialog parent;

  /* From the template. */
  GtkWidget *info_bar, *info_label, *source_label;
  GtkWidget *target_frame_radio, *target_frame_combo;
  GtkWidget *target_header_radio, *target_header_chooser;
  GtkWidget *target_params_radio, *params_grid, *params_frame_combo;
  GtkWidget *params_proj_combo, *params_lon_label, *params_lat_label;
  GtkWidget *params_lon_entry, *params_lat_entry, *params_scale_spin;
  GtkWidget *params_rotation_spin, *params_width_spin, *params_height_spin;
  GtkWidget *output_label, *method_combo;
  GtkWidget *interp_expander, *roundtrip_check, *exact_transform_check;
  GtkWidget *adaptive_expander, *kernel_combo, *boundary_combo;
  GtkWidget *kernel_width_spin, *sample_width_spin, *conserve_flux_check;
  GtkWidget *center_jacobian_check, *despike_check;
  GtkWidget *exact_expander, *nan_propagate_check;
  GtkWidget *block_combo, *block_box, *block_w_spin, *block_h_spin;
  GtkWidget *jobs_combo, *jobs_spin;
  GtkWidget *save_check, *save_entry, *save_button, *lock_check;
  GtkWidget *settings_grid, *preview_image, *preview_label;
  GtkWidget *progress_box, *progress_bar, *status_label;
  GtkWidget *close_button, *cancel_button, *reproject_button;

  /* The source and the host. */
  char *source_label_text;
  TessWcs *source_wcs;
  TessImage *source_image;
  TessFramesFunc frames_func;
  TessReprojectFunc run_func;
  gpointer user_data;
  GPtrArray *frames; /* TessHostFrame */
  char *settings_path;
  char *log_path;

  gboolean filling;      /* widgets being set from code: no reactions */
  TessFrame shown_frame; /* the frame the centre entries are in */

  /* Preview. */
  guint preview_source;
  GCancellable *preview_cancel;
  guint preview_generation;

  /* Job. */
  gboolean running, close_when_done, closing;
  GCancellable *job_cancel;
  gint64 cancel_time;
};

G_DEFINE_TYPE (TessReprojectDialog, tess_reproject_dialog, GTK_TYPE_DIALOG)

void
tess_host_frame_free (TessHostFrame *f)
{
  if (f == NULL)
    return;
  g_free (f->label);
  if (f->wcs)
    tess_wcs_unref (f->wcs);
  g_free (f);
}

/* ---------------------------------------------------------------------- */
/* Log                                                                     */

/* Appends a line to the dialog's log, if any. */
#define log_line(d, ...) tess_ui_log ((d)->log_path, __VA_ARGS__)

void
tess_reproject_dialog_set_log (TessReprojectDialog *d, const char *path)
{
  g_free (d->log_path);
  d->log_path = g_strdup (path);
}

/* ---------------------------------------------------------------------- */
/* Messages                                                                */

static char *plain_message (TessReprojectDialog *d, const char *message);

void
tess_reproject_dialog_show_error (TessReprojectDialog *d, const char *message)
{
  g_autofree char *text = plain_message (d, message);

  gtk_label_set_text (GTK_LABEL (d->info_label), text);
  gtk_widget_show (d->info_bar);
  log_line (d, "error: %s", text);
}

/* A message naming the source image's file (a private copy) names the
 * source as the user knows it. */
static char *
plain_message (TessReprojectDialog *d, const char *message)
{
  const char *path
      = d->source_image ? tess_image_get_source (d->source_image) : NULL;
  GString *s = g_string_new (message);

  if (path && *path)
    g_string_replace (s, path, d->source_label_text, 0);
  return g_string_free (s, FALSE);
}

static void
hide_error (TessReprojectDialog *d)
{
  gtk_widget_hide (d->info_bar);
}

static void
on_info_response (GtkInfoBar *bar, int response, gpointer data)
{
  gtk_widget_hide (GTK_WIDGET (bar));
}

/* ---------------------------------------------------------------------- */
/* Reading the widgets                                                     */

static const char *
combo_id (GtkWidget *combo)
{
  const char *id = gtk_combo_box_get_active_id (GTK_COMBO_BOX (combo));
  return id ? id : "";
}

static gboolean
is_equatorial (TessFrame f)
{
  return f == TESS_FRAME_ICRS || f == TESS_FRAME_FK5 || f == TESS_FRAME_FK4
         || f == TESS_FRAME_FK4_NO_E;
}

static TessFrame
params_frame (TessReprojectDialog *d)
{
  TessFrame f = TESS_FRAME_ICRS;
  tess_frame_from_name (combo_id (d->params_frame_combo), &f, NULL);
  return f;
}

/* The settings as the widgets show them. */
static void
read_settings (TessReprojectDialog *d, TessDialogSettings *s)
{
  TessOptions *o = &s->options;
  const char *jobs = combo_id (d->jobs_combo);

  tess_dialog_settings_init (s);
  s->target_kind = gtk_toggle_button_get_active (
                       GTK_TOGGLE_BUTTON (d->target_header_radio))
                       ? TESS_TARGET_HEADER
                   : gtk_toggle_button_get_active (
                         GTK_TOGGLE_BUTTON (d->target_params_radio))
                       ? TESS_TARGET_PARAMS
                       : TESS_TARGET_FRAME;
  s->target_frame = atoi (combo_id (d->target_frame_combo));
  s->header_path = gtk_file_chooser_get_filename (
      GTK_FILE_CHOOSER (d->target_header_chooser));
  s->params_frame = params_frame (d);
  g_strlcpy (s->params_projection, combo_id (d->params_proj_combo),
             sizeof s->params_projection);
  tess_method_from_name (combo_id (d->method_combo), &o->method, NULL);
  o->roundtrip
      = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->roundtrip_check));
  o->exact_transform = gtk_toggle_button_get_active (
      GTK_TOGGLE_BUTTON (d->exact_transform_check));
  tess_kernel_from_name (combo_id (d->kernel_combo), &o->kernel, NULL);
  tess_boundary_mode_from_name (combo_id (d->boundary_combo),
                                &o->boundary_mode, NULL);
  o->kernel_width
      = gtk_spin_button_get_value (GTK_SPIN_BUTTON (d->kernel_width_spin));
  o->sample_region_width
      = gtk_spin_button_get_value (GTK_SPIN_BUTTON (d->sample_width_spin));
  o->conserve_flux = gtk_toggle_button_get_active (
      GTK_TOGGLE_BUTTON (d->conserve_flux_check));
  o->center_jacobian = gtk_toggle_button_get_active (
      GTK_TOGGLE_BUTTON (d->center_jacobian_check));
  o->despike_jacobian
      = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->despike_check));
  o->nan_mode = gtk_toggle_button_get_active (
                    GTK_TOGGLE_BUTTON (d->nan_propagate_check))
                    ? TESS_NAN_PROPAGATE
                    : TESS_NAN_SKIP;
  if (strcmp (combo_id (d->block_combo), "custom") == 0)
    {
      s->block_width = gtk_spin_button_get_value_as_int (
          GTK_SPIN_BUTTON (d->block_w_spin));
      s->block_height = gtk_spin_button_get_value_as_int (
          GTK_SPIN_BUTTON (d->block_h_spin));
    }
  s->jobs
      = strcmp (jobs, "all") == 0 ? 0
        : strcmp (jobs, "n") == 0
            ? gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (d->jobs_spin))
            : 1;
  s->save = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->save_check));
  {
    const char *p = gtk_entry_get_text (GTK_ENTRY (d->save_entry));
    s->save_path = p[0] ? g_strdup (p) : NULL;
  }
  s->lock = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->lock_check));
}

/* The typed-in WCS, or NULL with @error naming the bad field. */
static TessWcs *
params_wcs (TessReprojectDialog *d, GError **error)
{
  TessWcsParams p;
  TessFrame f = params_frame (d);
  const char *lon = gtk_entry_get_text (GTK_ENTRY (d->params_lon_entry));
  const char *lat = gtk_entry_get_text (GTK_ENTRY (d->params_lat_entry));
  GError *local = NULL;

  memset (&p, 0, sizeof p);
  p.frame = f;
  g_strlcpy (p.projection, combo_id (d->params_proj_combo),
             sizeof p.projection);
  if (!tess_angle_parse (lon, is_equatorial (f), &p.lon, &local)
      || !tess_angle_parse (lat, FALSE, &p.lat, &local))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID, _ ("Centre: %s"),
                   local->message);
      g_error_free (local);
      return NULL;
    }
  if (p.lat < -90.0 || p.lat > 90.0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   _ ("Centre: the latitude must be between -90° and +90°"));
      return NULL;
    }
  p.scale = gtk_spin_button_get_value (GTK_SPIN_BUTTON (d->params_scale_spin))
            / 3600.0;
  p.rotation
      = gtk_spin_button_get_value (GTK_SPIN_BUTTON (d->params_rotation_spin));
  p.width = gtk_spin_button_get_value_as_int (
      GTK_SPIN_BUTTON (d->params_width_spin));
  p.height = gtk_spin_button_get_value_as_int (
      GTK_SPIN_BUTTON (d->params_height_spin));
  p.crpix_x = (double)(p.width - 1) / 2.0;
  p.crpix_y = (double)(p.height - 1) / 2.0;
  return tess_wcs_new_from_params (&p, error);
}

/* The target WCS chosen now, and its description for the result's
 * header; NULL with @error when there is none or it is bad. */
static TessWcs *
chosen_target (TessReprojectDialog *d, char **desc, GError **error)
{
  if (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->target_frame_radio)))
    {
      int id = atoi (combo_id (d->target_frame_combo));
      for (guint i = 0; d->frames && i < d->frames->len; i++)
        {
          TessHostFrame *f = g_ptr_array_index (d->frames, i);
          if (f->id == id)
            {
              *desc = g_strdup_printf ("frame %d", id);
              return tess_wcs_ref (f->wcs);
            }
        }
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   _ ("Choose a target frame: no other frame has a WCS of the "
                      "source's kind"));
      return NULL;
    }
  if (gtk_toggle_button_get_active (
          GTK_TOGGLE_BUTTON (d->target_header_radio)))
    {
      g_autofree char *path = gtk_file_chooser_get_filename (
          GTK_FILE_CHOOSER (d->target_header_chooser));
      TessWcs *w;
      if (path == NULL)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       _ ("Choose a header file"));
          return NULL;
        }
      w = tess_wcs_load (path, error);
      if (w)
        *desc = g_path_get_basename (path);
      return w;
    }
  *desc = g_strdup ("typed-in parameters");
  return params_wcs (d, error);
}

/* ---------------------------------------------------------------------- */
/* Keeping the widgets consistent                                          */

static void schedule_preview (TessReprojectDialog *d);

static void
update_sensitivity (TessReprojectDialog *d)
{
  TessMethod m = TESS_METHOD_BILINEAR;
  gboolean idle = !d->running;

  tess_method_from_name (combo_id (d->method_combo), &m, NULL);
  gtk_widget_set_sensitive (d->settings_grid, idle);
  gtk_widget_set_sensitive (d->target_frame_combo,
                            gtk_toggle_button_get_active (
                                GTK_TOGGLE_BUTTON (d->target_frame_radio)));
  gtk_widget_set_sensitive (d->target_header_chooser,
                            gtk_toggle_button_get_active (
                                GTK_TOGGLE_BUTTON (d->target_header_radio)));
  gtk_widget_set_sensitive (d->params_grid,
                            gtk_toggle_button_get_active (
                                GTK_TOGGLE_BUTTON (d->target_params_radio)));
  gtk_widget_set_sensitive (d->interp_expander, m <= TESS_METHOD_BICUBIC);
  gtk_widget_set_sensitive (d->adaptive_expander, m == TESS_METHOD_ADAPTIVE);
  gtk_widget_set_sensitive (d->exact_expander, m == TESS_METHOD_EXACT);
  gtk_widget_set_sensitive (d->block_box,
                            strcmp (combo_id (d->block_combo), "custom") == 0);
  gtk_widget_set_sensitive (d->jobs_spin,
                            strcmp (combo_id (d->jobs_combo), "n") == 0);
  gtk_widget_set_sensitive (
      d->save_entry,
      gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->save_check)));
  gtk_widget_set_sensitive (
      d->save_button,
      gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (d->save_check)));
  gtk_widget_set_visible (d->close_button, idle);
  gtk_widget_set_visible (d->cancel_button, !idle);
  /* Reproject waits for the source image. */
  gtk_widget_set_sensitive (d->reproject_button,
                            idle && d->source_image != NULL);
}

/* Shows the output's size and WCS, or what is wrong with the target. */
static void
update_output_label (TessReprojectDialog *d)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *desc = NULL;
  TessWcs *w = chosen_target (d, &desc, &error);

  if (w == NULL)
    gtk_label_set_text (GTK_LABEL (d->output_label), error->message);
  else
    {
      g_autofree char *s = tess_wcs_describe (w);
      g_autofree char *text = g_strdup_printf (
          _ ("Output: %d × %d pixels (%s)"), (int)tess_wcs_get_width (w),
          (int)tess_wcs_get_height (w), s);
      gtk_label_set_text (GTK_LABEL (d->output_label), text);
      gtk_widget_set_tooltip_text (d->output_label, text);
      tess_wcs_unref (w);
    }
}

static void
on_settings_changed (TessReprojectDialog *d)
{
  if (d->filling)
    return;
  update_sensitivity (d);
  update_output_label (d);
  schedule_preview (d);
}

static void
on_method_changed (TessReprojectDialog *d)
{
  TessMethod m = TESS_METHOD_BILINEAR;

  if (d->filling)
    return;
  tess_method_from_name (combo_id (d->method_combo), &m, NULL);
  /* The chosen method's options open; the others close. */
  gtk_expander_set_expanded (GTK_EXPANDER (d->adaptive_expander),
                             m == TESS_METHOD_ADAPTIVE);
  gtk_expander_set_expanded (GTK_EXPANDER (d->exact_expander),
                             m == TESS_METHOD_EXACT);
  if (m != TESS_METHOD_ADAPTIVE && m != TESS_METHOD_EXACT)
    gtk_expander_set_expanded (GTK_EXPANDER (d->interp_expander), FALSE);
  on_settings_changed (d);
}

static void
on_header_chosen (TessReprojectDialog *d)
{
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->target_header_radio),
                                TRUE);
  on_settings_changed (d);
}

/* Writes a centre into the entries, in the notation of its frame. */
static void
set_centre (TessReprojectDialog *d, TessFrame f, double lon, double lat)
{
  g_autofree char *a = NULL, *b = NULL;

  if (is_equatorial (f))
    {
      a = tess_angle_format (lon, TRUE, 3);
      b = tess_angle_format (lat, FALSE, 2);
      gtk_label_set_text_with_mnemonic (GTK_LABEL (d->params_lon_label),
                                        _ ("Lo_ngitude (RA):"));
      gtk_label_set_text_with_mnemonic (GTK_LABEL (d->params_lat_label),
                                        _ ("Lat_itude (Dec):"));
    }
  else
    {
      a = g_strdup_printf ("%.6f", lon);
      b = g_strdup_printf ("%+.6f", lat);
      gtk_label_set_text_with_mnemonic (GTK_LABEL (d->params_lon_label),
                                        _ ("Lo_ngitude:"));
      gtk_label_set_text_with_mnemonic (GTK_LABEL (d->params_lat_label),
                                        _ ("Lat_itude:"));
    }
  gtk_entry_set_text (GTK_ENTRY (d->params_lon_entry), a);
  gtk_entry_set_text (GTK_ENTRY (d->params_lat_entry), b);
  d->shown_frame = f;
}

/* A new frame for the typed-in WCS: the centre, converted, stays put. */
static void
on_params_frame_changed (TessReprojectDialog *d)
{
  TessFrame to = params_frame (d);
  double lon, lat;

  if (d->filling)
    return;
  if (tess_angle_parse (gtk_entry_get_text (GTK_ENTRY (d->params_lon_entry)),
                        is_equatorial (d->shown_frame), &lon, NULL)
      && tess_angle_parse (
          gtk_entry_get_text (GTK_ENTRY (d->params_lat_entry)), FALSE, &lat,
          NULL))
    {
      tess_frame_convert (d->shown_frame, to, 1, &lon, &lat);
      d->filling = TRUE;
      set_centre (d, to, lon, lat);
      d->filling = FALSE;
    }
  d->shown_frame = to;
  on_settings_changed (d);
}

static void
on_save_chosen (GtkNativeDialog *chooser, int response, gpointer data)
{
  TessReprojectDialog *d = data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autofree char *path
          = gtk_file_chooser_get_filename (GTK_FILE_CHOOSER (chooser));
      if (path)
        gtk_entry_set_text (GTK_ENTRY (d->save_entry), path);
      gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->save_check), TRUE);
    }
  g_object_unref (chooser);
}

static void
on_save_choose (TessReprojectDialog *d)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (
      _ ("Save the Result As"), GTK_WINDOW (d), GTK_FILE_CHOOSER_ACTION_SAVE,
      _ ("_Save"), _ ("_Cancel"));

  gtk_file_chooser_set_do_overwrite_confirmation (GTK_FILE_CHOOSER (chooser),
                                                  TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser),
                                     "reprojected.fits");
  g_signal_connect (chooser, "response", G_CALLBACK (on_save_chosen), d);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---------------------------------------------------------------------- */
/* Filling the widgets                                                     */

static void
fill_frames (TessReprojectDialog *d, int select)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *frames = d->frames_func ? d->frames_func (d->user_data, &error)
                                     : g_ptr_array_new ();
  GtkComboBoxText *combo = GTK_COMBO_BOX_TEXT (d->target_frame_combo);
  gboolean any = FALSE;

  if (frames == NULL)
    {
      tess_reproject_dialog_show_error (d, error->message);
      return;
    }
  if (d->frames)
    g_ptr_array_unref (d->frames);
  d->frames = frames;
  d->filling = TRUE;
  gtk_combo_box_text_remove_all (combo);
  for (guint i = 0; i < frames->len; i++)
    {
      TessHostFrame *f = g_ptr_array_index (frames, i);
      char id[16];
      g_snprintf (id, sizeof id, "%d", f->id);
      gtk_combo_box_text_append (combo, id, f->label);
    }
  if (select > 0)
    {
      char id[16];
      g_snprintf (id, sizeof id, "%d", select);
      any = gtk_combo_box_set_active_id (GTK_COMBO_BOX (combo), id);
    }
  if (!any && frames->len > 0)
    gtk_combo_box_set_active (GTK_COMBO_BOX (combo), 0);
  d->filling = FALSE;
}

static void
apply_settings (TessReprojectDialog *d, const TessDialogSettings *s)
{
  const TessOptions *o = &s->options;

  d->filling = TRUE;
  gtk_toggle_button_set_active (
      GTK_TOGGLE_BUTTON (
          s->target_kind == TESS_TARGET_HEADER   ? d->target_header_radio
          : s->target_kind == TESS_TARGET_PARAMS ? d->target_params_radio
                                                 : d->target_frame_radio),
      TRUE);
  if (s->header_path)
    gtk_file_chooser_set_filename (GTK_FILE_CHOOSER (d->target_header_chooser),
                                   s->header_path);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (d->params_proj_combo),
                               s->params_projection);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (d->method_combo),
                               tess_method_name (o->method));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->roundtrip_check),
                                o->roundtrip);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->exact_transform_check),
                                o->exact_transform);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (d->kernel_combo),
                               tess_kernel_name (o->kernel));
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (d->boundary_combo),
                               tess_boundary_mode_name (o->boundary_mode));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (d->kernel_width_spin),
                             o->kernel_width);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (d->sample_width_spin),
                             o->sample_region_width);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->conserve_flux_check),
                                o->conserve_flux);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->center_jacobian_check),
                                o->center_jacobian);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->despike_check),
                                o->despike_jacobian);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->nan_propagate_check),
                                o->nan_mode == TESS_NAN_PROPAGATE);
  gtk_expander_set_expanded (GTK_EXPANDER (d->adaptive_expander),
                             o->method == TESS_METHOD_ADAPTIVE);
  gtk_expander_set_expanded (GTK_EXPANDER (d->exact_expander),
                             o->method == TESS_METHOD_EXACT);
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (d->block_combo),
                               s->block_width > 0 ? "custom" : "auto");
  if (s->block_width > 0)
    {
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (d->block_w_spin),
                                 (double)s->block_width);
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (d->block_h_spin),
                                 (double)s->block_height);
    }
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (d->jobs_combo),
                               s->jobs == 0   ? "all"
                               : s->jobs == 1 ? "off"
                                              : "n");
  if (s->jobs > 1)
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (d->jobs_spin), s->jobs);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->save_check), s->save);
  gtk_entry_set_text (GTK_ENTRY (d->save_entry),
                      s->save_path ? s->save_path : "");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (d->lock_check), s->lock);
  d->filling = FALSE;
}

/* The typed-in parameters start as the source's, in the remembered
 * frame. */
static void
prefill_params (TessReprojectDialog *d, TessFrame frame)
{
  TessWcsParams p;
  double lon, lat;

  if (!tess_wcs_get_params (d->source_wcs, &p, NULL))
    return;
  lon = p.lon;
  lat = p.lat;
  tess_frame_convert (p.frame, frame, 1, &lon, &lat);
  d->filling = TRUE;
  gtk_combo_box_set_active_id (GTK_COMBO_BOX (d->params_frame_combo),
                               tess_frame_name (frame));
  set_centre (d, frame, lon, lat);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (d->params_scale_spin),
                             p.scale * 3600.0);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (d->params_rotation_spin),
                             frame == p.frame ? p.rotation : 0.0);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (d->params_width_spin),
                             (double)p.width);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (d->params_height_spin),
                             (double)p.height);
  d->filling = FALSE;
}

/* ---------------------------------------------------------------------- */
/* Preview                                                                 */

typedef struct
{
  TessImage *image;
  TessWcs *target;
  TessOptions options;
  guint generation;
  TessPreviewInfo info;
} PreviewTask;

static void
preview_task_free (PreviewTask *t)
{
  tess_image_unref (t->image);
  tess_wcs_unref (t->target);
  g_free (t);
}

static void
preview_thread (GTask *task, gpointer source, gpointer data,
                GCancellable *cancellable)
{
  PreviewTask *t = data;
  GError *error = NULL;
  GdkPixbuf *pb = tess_preview_render (t->image, t->target, &t->options,
                                       PREVIEW_SIDE, &t->info, &error);

  if (pb)
    g_task_return_pointer (task, pb, g_object_unref);
  else
    g_task_return_error (task, error);
}

static void
preview_done (GObject *source, GAsyncResult *result, gpointer data)
{
  TessReprojectDialog *d = TESS_REPROJECT_DIALOG (source);
  PreviewTask *t = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  GdkPixbuf *pb = g_task_propagate_pointer (G_TASK (result), &error);

  if (t->generation != d->preview_generation)
    {
      /* Settings changed meanwhile: a newer preview is on its way. */
      g_clear_object (&pb);
      return;
    }
  if (pb == NULL)
    {
      g_autofree char *text = plain_message (d, error->message);
      gtk_image_clear (GTK_IMAGE (d->preview_image));
      gtk_label_set_text (GTK_LABEL (d->preview_label), text);
      log_line (d, "preview failed: %s", text);
      return;
    }
  {
    g_autofree char *text = g_strdup_printf (
        _ ("1 preview pixel = %.3g × %.3g output pixels, %s, %.0f%% covered; "
           "%.2f s"),
        t->info.factor, t->info.factor, tess_method_name (t->info.method),
        100.0 * t->info.covered, t->info.seconds);
    gtk_image_set_from_pixbuf (GTK_IMAGE (d->preview_image), pb);
    gtk_label_set_text (GTK_LABEL (d->preview_label), text);
    log_line (d, "preview %dx%d in %.3f s (%.0f%% covered)",
              gdk_pixbuf_get_width (pb), gdk_pixbuf_get_height (pb),
              t->info.seconds, 100.0 * t->info.covered);
  }
  g_object_unref (pb);
}

static gboolean
start_preview (gpointer data)
{
  TessReprojectDialog *d = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *desc = NULL;
  TessDialogSettings s;
  PreviewTask *t;
  GTask *task;
  TessWcs *target;

  d->preview_source = 0;
  if (d->source_image == NULL)
    {
      gtk_label_set_text (GTK_LABEL (d->preview_label),
                          _ ("No preview: the source image is not at hand."));
      return G_SOURCE_REMOVE;
    }
  target = chosen_target (d, &desc, &error);
  if (target == NULL)
    {
      gtk_image_clear (GTK_IMAGE (d->preview_image));
      gtk_label_set_text (GTK_LABEL (d->preview_label), error->message);
      return G_SOURCE_REMOVE;
    }
  read_settings (d, &s);
  t = g_new0 (PreviewTask, 1);
  t->image = tess_image_ref (d->source_image);
  t->target = target;
  t->options = s.options;
  t->generation = ++d->preview_generation;
  tess_dialog_settings_clear (&s);
  gtk_label_set_text (GTK_LABEL (d->preview_label), _ ("Computing…"));
  task = g_task_new (d, NULL, preview_done, NULL);
  g_task_set_task_data (task, t, (GDestroyNotify)preview_task_free);
  g_task_run_in_thread (task, preview_thread);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
schedule_preview (TessReprojectDialog *d)
{
  if (d->preview_source)
    g_source_remove (d->preview_source);
  d->preview_source = g_timeout_add (PREVIEW_DELAY_MS, start_preview, d);
}

/* ---------------------------------------------------------------------- */
/* The job                                                                 */

typedef struct
{
  TessReprojectRequest request;
  TessReprojectDialog *dialog;
  char *message;
  gint64 start;
} JobTask;

static void
job_task_free (JobTask *t)
{
  if (t->request.target)
    tess_wcs_unref (t->request.target);
  g_free (t->request.target_desc);
  g_free (t->request.output);
  g_free (t->message);
  g_free (t);
}

/* Called in the job's thread. */
static void
job_progress (const TessProgress *p, gpointer data)
{
  JobTask *t = data;

  tess_ui_post_progress (t->dialog->progress_bar, t->dialog->job_cancel, p);
}

static void
job_thread (GTask *task, gpointer source, gpointer data,
            GCancellable *cancellable)
{
  JobTask *t = data;
  TessReprojectDialog *d = t->dialog;
  GError *error = NULL;

  t->message = d->run_func (&t->request, cancellable, job_progress, t,
                            d->user_data, &error);
  if (t->message == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
save_settings (TessReprojectDialog *d)
{
  TessDialogSettings s;
  g_autoptr (GError) error = NULL;

  if (d->settings_path == NULL)
    return;
  read_settings (d, &s);
  if (!tess_dialog_settings_save (&s, d->settings_path, &error))
    log_line (d, "settings not saved: %s", error->message);
  tess_dialog_settings_clear (&s);
}

static void
job_done (GObject *source, GAsyncResult *result, gpointer data)
{
  TessReprojectDialog *d = TESS_REPROJECT_DIALOG (source);
  JobTask *t = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  double seconds = (double)(g_get_monotonic_time () - t->start) / 1e6;

  d->running = FALSE;
  gtk_widget_hide (d->progress_box);
  if (g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *text
          = g_strdup_printf (_ ("%s (%.1f s)."), t->message, seconds);
      gtk_label_set_text (GTK_LABEL (d->status_label), text);
      /* The frame list again (the new frame is a target too), before the
       * log says it is done: listing shows each frame in DS9 a moment. */
      int selected = atoi (combo_id (d->target_frame_combo));
      fill_frames (d, selected);
      log_line (d, "job done: %s", text);
    }
  else if (g_error_matches (error, TESS_ERROR, TESS_ERROR_CANCELLED)
           || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      double latency
          = (double)(g_get_monotonic_time () - d->cancel_time) / 1e6;
      gtk_label_set_text (GTK_LABEL (d->status_label),
                          _ ("Cancelled: nothing was loaded."));
      log_line (d, "job cancelled, stopped %.3f s after Cancel", latency);
    }
  else
    {
      gtk_label_set_text (GTK_LABEL (d->status_label), "");
      tess_reproject_dialog_show_error (d, error->message);
    }
  g_clear_object (&d->job_cancel);
  update_sensitivity (d);
  if (d->close_when_done)
    {
      d->closing = TRUE;
      gtk_widget_destroy (GTK_WIDGET (d));
    }
}

static void
start_job (TessReprojectDialog *d)
{
  g_autoptr (GError) error = NULL;
  TessDialogSettings s;
  JobTask *t;
  GTask *task;

  if (d->running || d->source_image == NULL)
    return;
  hide_error (d);
  t = g_new0 (JobTask, 1);
  t->dialog = d;
  t->request.target = chosen_target (d, &t->request.target_desc, &error);
  if (t->request.target == NULL)
    {
      tess_reproject_dialog_show_error (d, error->message);
      job_task_free (t);
      return;
    }
  read_settings (d, &s);
  if (!tess_options_check (&s.options, &error))
    {
      tess_reproject_dialog_show_error (d, error->message);
      tess_dialog_settings_clear (&s);
      job_task_free (t);
      return;
    }
  if (s.save && s.save_path == NULL)
    {
      tess_reproject_dialog_show_error (
          d, _ ("Give a file name to save the result to, or untick "
                "\"Also save to\"."));
      tess_dialog_settings_clear (&s);
      job_task_free (t);
      return;
    }
  t->request.options = s.options;
  tess_run_options_init (&t->request.run);
  t->request.run.block_width = s.block_width;
  t->request.run.block_height = s.block_height;
  t->request.run.jobs = s.jobs;
  t->request.output = s.save ? g_strdup (s.save_path) : NULL;
  t->request.lock = s.lock;
  t->start = g_get_monotonic_time ();
  tess_dialog_settings_clear (&s);
  save_settings (d);

  d->running = TRUE;
  d->job_cancel = g_cancellable_new ();
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (d->progress_bar), 0.0);
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (d->progress_bar),
                             _ ("Starting…"));
  gtk_widget_show (d->progress_box);
  gtk_label_set_text (GTK_LABEL (d->status_label), "");
  update_sensitivity (d);
  gtk_widget_grab_focus (d->cancel_button);
  log_line (d, "job started: %s onto %s, %d job(s), blocks %dx%d",
            tess_method_name (t->request.options.method),
            t->request.target_desc, t->request.run.jobs,
            (int)t->request.run.block_width, (int)t->request.run.block_height);

  task = g_task_new (d, d->job_cancel, job_done, NULL);
  /* The job says itself how it ended, cancelled or not. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, t, (GDestroyNotify)job_task_free);
  g_task_run_in_thread (task, job_thread);
  g_object_unref (task);
}

static void
cancel_job (TessReprojectDialog *d)
{
  if (!d->running || g_cancellable_is_cancelled (d->job_cancel))
    return;
  d->cancel_time = g_get_monotonic_time ();
  log_line (d, "cancel requested");
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (d->progress_bar),
                             _ ("Cancelling…"));
  g_cancellable_cancel (d->job_cancel);
}

static void
on_response (GtkDialog *dialog, int response)
{
  TessReprojectDialog *d = TESS_REPROJECT_DIALOG (dialog);

  switch (response)
    {
    case GTK_RESPONSE_APPLY:
      start_job (d);
      break;
    case GTK_RESPONSE_CANCEL:
      cancel_job (d);
      break;
    default: /* Close, Escape, the window closed (GtkDialog turns the
              * delete event into a response and keeps the window) */
      if (d->closing)
        break;
      if (d->running)
        {
          d->close_when_done = TRUE;
          cancel_job (d);
        }
      else
        {
          d->closing = TRUE;
          save_settings (d);
          gtk_widget_destroy (GTK_WIDGET (d));
        }
      break;
    }
}

/* ---------------------------------------------------------------------- */
/* Life                                                                    */

static void
tess_reproject_dialog_finalize (GObject *object)
{
  TessReprojectDialog *d = TESS_REPROJECT_DIALOG (object);

  if (d->preview_source)
    g_source_remove (d->preview_source);
  g_free (d->source_label_text);
  if (d->source_wcs)
    tess_wcs_unref (d->source_wcs);
  if (d->source_image)
    tess_image_unref (d->source_image);
  if (d->frames)
    g_ptr_array_unref (d->frames);
  g_free (d->settings_path);
  g_free (d->log_path);
  G_OBJECT_CLASS (tess_reproject_dialog_parent_class)->finalize (object);
}

/* What the dialog shows when it appears (for the log). */
static void
on_map (TessReprojectDialog *d)
{
  static const char *const kinds[] = { "frame", "header", "params" };
  TessDialogSettings s;
  GString *offered = g_string_new (NULL);

  for (guint i = 0; d->frames && i < d->frames->len; i++)
    g_string_append_printf (
        offered, " %d",
        ((TessHostFrame *)g_ptr_array_index (d->frames, i))->id);
  log_line (d, "target frames offered:%s",
            offered->len ? offered->str : " none");
  g_string_free (offered, TRUE);
  read_settings (d, &s);
  log_line (d, "shown: title '%s', target %s, frame %d, method %s, jobs %d",
            gtk_window_get_title (GTK_WINDOW (d)), kinds[s.target_kind],
            s.target_frame, tess_method_name (s.options.method), s.jobs);
  tess_dialog_settings_clear (&s);
}

static void
tess_reproject_dialog_init (TessReprojectDialog *d)
{
  gtk_widget_init_template (GTK_WIDGET (d));
  g_signal_connect (d, "map", G_CALLBACK (on_map), NULL);
  g_signal_connect (d->info_bar, "response", G_CALLBACK (on_info_response),
                    NULL);
}

#define BIND(name)                                                            \
  gtk_widget_class_bind_template_child (wc, TessReprojectDialog, name)

static void
tess_reproject_dialog_class_init (TessReprojectDialogClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = tess_reproject_dialog_finalize;
  GTK_DIALOG_CLASS (klass)->response = on_response;
  tess_ui_ensure_resources ();
  gtk_widget_class_set_template_from_resource (
      wc, "/org/tessera/ui/reproject-dialog.ui");
  BIND (info_bar);
  BIND (info_label);
  BIND (source_label);
  BIND (target_frame_radio);
  BIND (target_frame_combo);
  BIND (target_header_radio);
  BIND (target_header_chooser);
  BIND (target_params_radio);
  BIND (params_grid);
  BIND (params_frame_combo);
  BIND (params_proj_combo);
  BIND (params_lon_label);
  BIND (params_lat_label);
  BIND (params_lon_entry);
  BIND (params_lat_entry);
  BIND (params_scale_spin);
  BIND (params_rotation_spin);
  BIND (params_width_spin);
  BIND (params_height_spin);
  BIND (output_label);
  BIND (method_combo);
  BIND (interp_expander);
  BIND (roundtrip_check);
  BIND (exact_transform_check);
  BIND (adaptive_expander);
  BIND (kernel_combo);
  BIND (boundary_combo);
  BIND (kernel_width_spin);
  BIND (sample_width_spin);
  BIND (conserve_flux_check);
  BIND (center_jacobian_check);
  BIND (despike_check);
  BIND (exact_expander);
  BIND (nan_propagate_check);
  BIND (block_combo);
  BIND (block_box);
  BIND (block_w_spin);
  BIND (block_h_spin);
  BIND (jobs_combo);
  BIND (jobs_spin);
  BIND (save_check);
  BIND (save_entry);
  BIND (save_button);
  BIND (lock_check);
  BIND (settings_grid);
  BIND (preview_image);
  BIND (preview_label);
  BIND (progress_box);
  BIND (progress_bar);
  BIND (status_label);
  BIND (close_button);
  BIND (cancel_button);
  BIND (reproject_button);
  gtk_widget_class_bind_template_callback (wc, on_settings_changed);
  gtk_widget_class_bind_template_callback (wc, on_method_changed);
  gtk_widget_class_bind_template_callback (wc, on_header_chosen);
  gtk_widget_class_bind_template_callback (wc, on_params_frame_changed);
  gtk_widget_class_bind_template_callback (wc, on_save_choose);
}

TessReprojectDialog *
tess_reproject_dialog_new (const char *source_label, TessWcs *source_wcs,
                           TessImage *source_image, TessFramesFunc frames,
                           TessReprojectFunc run, gpointer user_data,
                           const char *settings_path)
{
  TessReprojectDialog *d = g_object_new (TESS_TYPE_REPROJECT_DIALOG,
                                         "use-header-bar", FALSE, NULL);
  TessDialogSettings s;
  g_autofree char *desc = tess_wcs_describe (source_wcs);
  g_autofree char *text = g_strdup_printf ("%s: %s", source_label, desc);

  d->source_label_text = g_strdup (source_label);
  d->source_wcs = tess_wcs_ref (source_wcs);
  d->source_image = source_image ? tess_image_ref (source_image) : NULL;
  d->frames_func = frames;
  d->run_func = run;
  d->user_data = user_data;
  d->settings_path = g_strdup (settings_path);
  gtk_label_set_text (GTK_LABEL (d->source_label), text);
  gtk_widget_set_tooltip_text (d->source_label, text);

  tess_dialog_settings_init (&s);
  if (settings_path)
    {
      g_autoptr (GError) error = NULL;
      if (!tess_dialog_settings_load (&s, settings_path, &error))
        tess_reproject_dialog_show_error (d, error->message);
    }
  fill_frames (d, s.target_frame);
  apply_settings (d, &s);
  prefill_params (d, s.params_frame);
  if (!tess_wcs_is_celestial (source_wcs))
    {
      /* Typed-in parameters make celestial grids: not for this source. */
      if (gtk_toggle_button_get_active (
              GTK_TOGGLE_BUTTON (d->target_params_radio)))
        gtk_toggle_button_set_active (
            GTK_TOGGLE_BUTTON (d->target_frame_radio), TRUE);
      gtk_widget_set_sensitive (d->target_params_radio, FALSE);
    }
  tess_dialog_settings_clear (&s);
  update_sensitivity (d);
  update_output_label (d);
  gtk_dialog_set_default_response (GTK_DIALOG (d), GTK_RESPONSE_APPLY);
  gtk_widget_grab_default (d->reproject_button);
  if (source_image == NULL)
    {
      gtk_label_set_text (GTK_LABEL (d->preview_label),
                          _ ("Reading the source image…"));
      gtk_label_set_text (GTK_LABEL (d->status_label),
                          _ ("Reading the source image…"));
    }
  schedule_preview (d);
  return d;
}

void
tess_reproject_dialog_set_source_image (TessReprojectDialog *d,
                                        TessImage *image)
{
  if (d->source_image)
    tess_image_unref (d->source_image);
  d->source_image = tess_image_ref (image);
  gtk_label_set_text (GTK_LABEL (d->status_label), "");
  log_line (d, "source image read");
  update_sensitivity (d);
  schedule_preview (d);
}
