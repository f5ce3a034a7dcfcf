/* job.h — one reprojection of a DS9 frame: its image (saved from DS9)
 * onto a target WCS, the result loaded into a new DS9 frame whose OBJECT
 * and HISTORY say what was done.  The batch mode runs a job directly; the
 * dialog runs it in a thread, with progress and cancellation. */
#ifndef TESS_DS9_JOB_H
#define TESS_DS9_JOB_H

#include "ds9.h"
#include "tessera.h"

/* A DS9 frame's image, fetched into a private temporary folder. */
typedef struct
{
  int frame;
  char *dir;  /* private temporary folder, removed by _free() */
  char *path; /* the frame's image, as FITS */
  TessWcs *wcs;
} TessDs9Source;

/* @frame's WCS (it must be celestial) and a new temporary folder for its
 * image, not read yet. */
TessDs9Source *tess_ds9_source_new (TessDs9 *ds9, int frame, GError **error);
/* Reads the frame's image from DS9 into the folder (the longer part, for a
 * large image: run it in a thread, with a connection of its own). */
gboolean tess_ds9_source_download (const TessDs9Source *source, TessDs9 *ds9,
                                   GError **error);
/* Both. */
TessDs9Source *tess_ds9_source_fetch (TessDs9 *ds9, int frame, GError **error);
void tess_ds9_source_free (TessDs9Source *source);
/* Opens the source image (memory-mapped when it can be). */
TessImage *tess_ds9_source_open (const TessDs9Source *source, GError **error);

typedef struct
{
  const char *xpa; /* DS9's address */
  const TessDs9Source *source;
  TessImage *input;        /* the source opened, or NULL to open it */
  TessWcs *target;         /* the WCS and size to reproject onto */
  const char *target_desc; /* "frame 2", "galactic-car.hdr", ... */
  TessOptions options;
  TessRunOptions run;
  const char *output; /* also keep the result there, or NULL */
  gboolean lock;      /* lock DS9's frames on WCS afterwards */
} TessDs9Job;

/* Runs @job in the calling thread, with its own connection to DS9: on
 * success the new frame's id is in @frame.  Cancelled (TESS_ERROR_CANCELLED)
 * or failed, nothing is left behind: no new frame, no output file, no
 * temporary file.  Messages name DS9 frames, not temporary files. */
gboolean tess_ds9_job_run (const TessDs9Job *job, GCancellable *cancellable,
                           TessProgressFunc progress, gpointer user_data,
                           int *frame, GError **error);

/* For jobs: a fresh name for a result file in @dir ("STEM-XXXXXX.fits",
 * not created). */
char *tess_ds9_result_path (const char *dir, const char *stem, GError **error);
/* For jobs: cfitsio's @status on @path as a GError. */
void tess_ds9_fits_error (const char *path, int status, GError **error);
/* For jobs: a cancellation becomes TESS_ERROR_CANCELLED, and the message
 * names DS9 frames rather than the temporary copies of @sources. */
void tess_ds9_job_error (GError *error, const TessDs9Source *const *sources,
                         int n);

#endif /* TESS_DS9_JOB_H */
