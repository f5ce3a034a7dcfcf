/* tess-spectral.h — the third axis of a cube (spectral.c). */
#ifndef TESS_SPECTRAL_H
#define TESS_SPECTRAL_H

#include "base/tess-private.h"

/* Reads axis 3 of @primary (the header's WCS, set up) into @wcs->axis3
 * when the header gives it a length; FALSE with @error when it is coupled
 * to the celestial axes. */
gboolean tess__axis3_from_header (TessWcs *wcs, const struct wcsprm *primary,
                                  const char *cards, int ncards,
                                  GError **error);
/* Whether @card is a keyword of axis 3's WCS (or of the spectral axis:
 * RESTFRQ, SPECSYS, ...). */
gboolean tess__is_axis3_wcs_key (const char *card);

/* The weights of the input's planes for each output plane, when the
 * target's axis 3 differs from the input's; NULL (without error) when the
 * planes are simply broadcast. */
typedef struct _TessSpecMap TessSpecMap;
TessSpecMap *tess__spec_map_new (const TessWcs *target, const TessImage *input,
                                 TessMethod method, GError **error);
void tess__spec_map_free (TessSpecMap *m);
gint64 tess__spec_map_nout (const TessSpecMap *m);
/* @in: the input's planes reprojected (nin × @npix of @type); @out: the
 * output's (nout × @npix). */
gboolean tess__spec_map_combine (const TessSpecMap *m, TessPixelType type,
                                 gconstpointer in, gsize npix, gpointer out,
                                 GError **error);
/* Appends the target's axis-3 cards to @cards; removes them from @cards. */
void tess__spec_axis_cards (const TessWcs *target, GString *cards);
void tess__drop_axis3_cards (GString *cards);

/* From interp.c: the spline prefilter of one line of @n samples (mirror
 * boundary), and the spline weights at position @pos of a padded line:
 * *k weights from index *i0. */
void tess__spline_filter_line (TessMethod method, double *c, gsize n);
void tess__spline_weights (TessMethod method, double pos, gint64 *i0, int *k,
                           double w[4]);

#endif /* TESS_SPECTRAL_H */
