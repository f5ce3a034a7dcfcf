/* reproject-dialog.h — the Reproject dialog: the user picks a target WCS
 * (a frame of the host, a header file or typed-in parameters), a method
 * and its options, block and parallel settings; sees a preview; runs the
 * job with progress and Cancel.  It knows nothing of DS9: the host gives
 * it the source, its frames and a function that runs a job. */
#ifndef TESS_UI_REPROJECT_DIALOG_H
#define TESS_UI_REPROJECT_DIALOG_H

#include "settings.h"
#include "tessera.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* What the user asked for, handed to the host's run function. */
typedef struct
{
  TessWcs *target;
  char *target_desc; /* "frame 2", "galactic-car.hdr", "parameters" */
  TessOptions options;
  TessRunOptions run;
  char *output; /* also save the result there, or NULL */
  gboolean lock;
} TessReprojectRequest;

/* Runs @request in a worker thread, reporting through @progress and
 * stopping soon after @cancellable fires; returns a line for the
 * dialog's status ("Loaded into frame 3."), or NULL with @error. */
typedef char *(*TessReprojectFunc) (const TessReprojectRequest *request,
                                    GCancellable *cancellable,
                                    TessProgressFunc progress,
                                    gpointer progress_data, gpointer user_data,
                                    GError **error);

/* A frame of the host that can serve as target. */
typedef struct
{
  int id;
  char *label;
  TessWcs *wcs;
} TessHostFrame;

void tess_host_frame_free (TessHostFrame *frame);

/* Lists the host's frames with a celestial WCS (a GPtrArray of
 * TessHostFrame, freeing them), or NULL with @error.  Main thread. */
typedef GPtrArray *(*TessFramesFunc) (gpointer user_data, GError **error);

#define TESS_TYPE_REPROJECT_DIALOG (tess_reproject_dialog_get_type ())
G_DECLARE_FINAL_TYPE (TessReprojectDialog, tess_reproject_dialog, TESS,
                      REPROJECT_DIALOG, GtkDialog)

/* @source_label names the source ("DS9 frame 1"); @source_wcs is its WCS;
 * @source_image feeds the preview and the job; NULL when it is still being
 * read (see tess_reproject_dialog_set_source_image()).  @settings_path is the
 * key file of remembered settings (NULL: none). */
TessReprojectDialog *
tess_reproject_dialog_new (const char *source_label, TessWcs *source_wcs,
                           TessImage *source_image, TessFramesFunc frames,
                           TessReprojectFunc run, gpointer user_data,
                           const char *settings_path);

/* The source image, when it was not at hand for _new(): until then the
 * dialog says it is being read, and Reproject waits. */
void tess_reproject_dialog_set_source_image (TessReprojectDialog *dialog,
                                             TessImage *image);

/* Shows @message in the dialog's error bar. */
void tess_reproject_dialog_show_error (TessReprojectDialog *dialog,
                                       const char *message);

/* Appends a line to @path for each thing the dialog does, with times:
 * for bug reports and tests. */
void tess_reproject_dialog_set_log (TessReprojectDialog *dialog,
                                    const char *path);

G_END_DECLS

#endif /* TESS_UI_REPROJECT_DIALOG_H */
