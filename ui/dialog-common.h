/* dialog-common.h — what the Reproject and Mosaic dialogs share: the text
 * of a job's progress, and their log. */
#ifndef TESS_UI_DIALOG_COMMON_H
#define TESS_UI_DIALOG_COMMON_H

#include "tessera.h"

#include <gtk/gtk.h>

/* "12 of 64 blocks, 19%, about 3 s left". */
char *tess_ui_progress_text (const TessProgress *progress);
/* From a job's thread: shows @progress in @bar, in the main loop, if the
 * bar is still shown and @cancel not cancelled by then. */
void tess_ui_post_progress (GtkWidget *bar, GCancellable *cancel,
                            const TessProgress *progress);
/* Appends a line, with the time, to the log at @path (NULL: none). */
void tess_ui_log (const char *path, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

/* The dialogs' layouts (.ui files), registered once. */
void tess_ui_ensure_resources (void);

#endif /* TESS_UI_DIALOG_COMMON_H */
