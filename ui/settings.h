/* settings.h — what the Reproject dialog remembers between uses: the
 * target kind, method and its options, block and parallel settings, and
 * what to do with the result, kept in a key file in the user's
 * configuration folder.  GLib only: no widgets here. */
#ifndef TESS_UI_SETTINGS_H
#define TESS_UI_SETTINGS_H

#include "tessera.h"

typedef enum
{
  TESS_TARGET_FRAME,
  TESS_TARGET_HEADER,
  TESS_TARGET_PARAMS,
} TessTargetKind;

typedef struct
{
  TessTargetKind target_kind;
  int target_frame; /* 0: the first one listed */
  char *header_path;
  TessFrame params_frame;
  char params_projection[4];
  TessOptions options;
  gint64 block_width, block_height; /* 0 × 0: automatic */
  int jobs;                         /* 1: in this process; 0: all cores */
  gboolean save;
  char *save_path;
  gboolean lock;
} TessDialogSettings;

void tess_dialog_settings_init (TessDialogSettings *s);
void tess_dialog_settings_clear (TessDialogSettings *s);

/* $XDG_CONFIG_HOME/tessera/ds9-dialog.ini */
char *tess_dialog_settings_default_path (void);

/* Reads @path over the values in @s.  A missing file is no error; values
 * that are missing, unknown or out of range keep those in @s. */
gboolean tess_dialog_settings_load (TessDialogSettings *s, const char *path,
                                    GError **error);
/* Writes @s to @path (atomically), making its folder if needed. */
gboolean tess_dialog_settings_save (const TessDialogSettings *s,
                                    const char *path, GError **error);

#endif /* TESS_UI_SETTINGS_H */
