/* ds9.h — talking to a running SAOImage DS9 over XPA (libxpa): its frames,
 * their pixels and headers, and new frames for results.  Every XPA error
 * (DS9 silences them: XPA_VERBOSITY=0) comes back as a GError naming DS9's
 * address and what was asked. */
#ifndef TESS_DS9_H
#define TESS_DS9_H

#include "tessera.h"

#include <glib.h>

typedef struct _TessDs9 TessDs9;

/* A connection to the DS9 at @address (its $xpa_method, "host:port" or a
 * socket path, or an XPA name such as "ds9"); checks that it answers. */
TessDs9 *tess_ds9_connect (const char *address, GError **error);
void tess_ds9_free (TessDs9 *ds9);

/* "xpaget ADDRESS @what": the reply, trailing white space removed. */
char *tess_ds9_get (TessDs9 *ds9, const char *what, gsize *length,
                    GError **error);
/* "xpaset -p ADDRESS @what", or with @data sent as the command's input. */
gboolean tess_ds9_set (TessDs9 *ds9, const char *what, gconstpointer data,
                       gsize length, GError **error);

/* The current frame's id. */
gboolean tess_ds9_current_frame (TessDs9 *ds9, int *frame, GError **error);
/* The ids of every frame, in DS9's order (free with g_free()). */
int *tess_ds9_frames (TessDs9 *ds9, int *n, GError **error);
/* Makes @frame current (it must exist: DS9 would create it). */
gboolean tess_ds9_show_frame (TessDs9 *ds9, int frame, GError **error);
/* Writes @frame's image, as DS9 holds it, to the FITS file @path. */
gboolean tess_ds9_save_frame (TessDs9 *ds9, int frame, const char *path,
                              GError **error);
/* @frame's header (one card a line), and whether it has a celestial WCS. */
char *tess_ds9_frame_header (TessDs9 *ds9, int frame, gboolean *celestial,
                             GError **error);
/* @frame's WCS (named "DS9 frame N"); an error when it has no celestial
 * WCS. */
TessWcs *tess_ds9_frame_wcs (TessDs9 *ds9, int frame, GError **error);
/* Loads the FITS file @path into a new frame (which becomes current); on
 * failure the empty frame DS9 leaves is deleted. */
gboolean tess_ds9_load_new_frame (TessDs9 *ds9, const char *path, int *frame,
                                  GError **error);

#endif /* TESS_DS9_H */
