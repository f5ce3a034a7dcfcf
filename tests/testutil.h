/* testutil.h — helpers shared by the unit tests: synthetic images with a
 * WCS, temporary folders, array comparisons. */
#ifndef TESS_TESTUTIL_H
#define TESS_TESTUTIL_H

#include "tessera.h"

#include <check.h>

/* A TAN WCS centred on (lon, lat) with the given size, scale (arcsec) and
 * rotation (degrees), reference at the image centre. */
TessWcs *tu_wcs (TessFrame frame, const char *proj, double lon, double lat,
                 gint64 w, gint64 h, double scale_arcsec, double rot_deg);
/* The same WCS with its reference pixel moved by (dx, dy). */
TessWcs *tu_wcs_shifted (TessFrame frame, double lon, double lat, gint64 w,
                         gint64 h, double scale_arcsec, double dx, double dy);
/* A float image on @wcs with a smooth pattern plus point sources; NaN at
 * @nnan pseudo-random pixels. */
TessImage *tu_image (TessWcs *wcs, gint64 nplanes, int nnan);
/* A fresh temporary folder (removed by tu_rmdir). */
char *tu_tmpdir (void);
void tu_rmdir (const char *dir);
/* TRUE when a and b are equal, NaN matching NaN. */
gboolean tu_equal_f (const float *a, const float *b, gsize n);
/* Fails the test with the error's message when @error is set. */
#define tu_assert_no_error(error)                                             \
  ck_assert_msg ((error) == NULL, "unexpected error: %s",                     \
                 (error) ? (error)->message : "")

/* Runs a suite; returns the process exit status. */
/* @error is set, in TESS_ERROR with @code; then cleared. */
#define tu_assert_error(error, want)                                          \
  do                                                                          \
    {                                                                         \
      ck_assert_msg ((error) != NULL, "no error set");                        \
      ck_assert_msg (g_error_matches ((error), TESS_ERROR, (want)),           \
                     "error %d, not %d: %s", (error)->code, (int)(want),      \
                     (error)->message);                                       \
      g_clear_error (&(error));                                               \
    }                                                                         \
  while (0)

/* The progress reports of a run (a TessProgressFunc's user data). */
typedef struct
{
  GArray *reports; /* TessProgress */
} TuProgress;
void tu_progress_init (TuProgress *p);
void tu_progress_record (const TessProgress *report, gpointer user_data);
/* Checks the reports of a complete run of @blocks blocks, @pixels pixels:
 * the first at the start, the last at the end, counts never going back,
 * no more than ten a second (plus the first and the last), and an
 * estimate of the time left exactly when a tenth of the pixels are done.
 * Frees them. */
void tu_progress_check (TuProgress *p, gint64 blocks, gint64 pixels);

int tu_run (Suite *s);
/* Runs a suite with TMPDIR pointing into a fresh folder named after
 * @prefix, removed at the end with everything in it. */
int tu_run_in_temp_root (Suite *s, const char *prefix);

#endif
