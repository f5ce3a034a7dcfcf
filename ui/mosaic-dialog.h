/* mosaic-dialog.h — the Mosaic dialog: the user ticks the frames to
 * combine, picks the target (the optimal WCS around them, a frame's, or a
 * header file's), the method, the combination and background matching,
 * and runs the job with progress and Cancel.  It knows nothing of DS9:
 * the host gives it the frames and a function that runs a job. */
#ifndef TESS_UI_MOSAIC_DIALOG_H
#define TESS_UI_MOSAIC_DIALOG_H

#include "reproject-dialog.h"

G_BEGIN_DECLS

typedef struct
{
  int *frames; /* the ticked frames, in the listed order */
  int nframes;
  TessWcs *target; /* NULL: the optimal WCS with @optimal */
  TessOptimalOptions optimal;
  char *target_desc;
  TessOptions options;
  TessMosaicOptions mosaic;
  TessRunOptions run;
  gboolean lock;
} TessMosaicRequest;

/* Runs @request in a worker thread (see TessReprojectFunc). */
typedef char *(*TessMosaicFunc) (const TessMosaicRequest *request,
                                 GCancellable *cancellable,
                                 TessProgressFunc progress,
                                 gpointer progress_data, gpointer user_data,
                                 GError **error);

#define TESS_TYPE_MOSAIC_DIALOG (tess_mosaic_dialog_get_type ())
G_DECLARE_FINAL_TYPE (TessMosaicDialog, tess_mosaic_dialog, TESS,
                      MOSAIC_DIALOG, GtkDialog)

/* @frames (TessHostFrame) are offered, all ticked. */
TessMosaicDialog *tess_mosaic_dialog_new (GPtrArray *frames,
                                          TessMosaicFunc run,
                                          gpointer user_data);
void tess_mosaic_dialog_set_log (TessMosaicDialog *dialog, const char *path);

G_END_DECLS

#endif /* TESS_UI_MOSAIC_DIALOG_H */
