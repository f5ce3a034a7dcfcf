/* tess-plan.h — what the engines and mosaics need of a plan beyond the
 * public API (plan.c). */
#ifndef TESS_PLAN_H
#define TESS_PLAN_H

#include "base/tess-private.h"
#include "run/tess-run.h"

const TessOptions *tess__plan_get_options (const TessPlan *plan);
/* Samples the spline methods from coefficients in file @fd, laid out as
 * tess__coeffs_file_bytes() says and shared with other processes: their
 * bands made by whichever process needs them first, read from the file
 * as each region needs them.  The plan is then not to be shared between
 * threads. */
gboolean tess__plan_use_coefficient_file (TessPlan *plan, int fd,
                                          GError **error);

/* Describes @plan under @group of @d (its input, target and options,
 * and unless @d is portable a file its spline coefficients are shared
 * in), for tess__plan_rebuild(). */
gboolean tess__plan_describe (TessPlan *plan, TessDescription *d,
                              const char *group, GError **error);
/* The plan described under @group, sharing its coefficients. */
TessPlan *tess__plan_rebuild (TessDescription *d, const char *group,
                              GError **error);
/* Makes @plan (another plan of the same input, method and target) share
 * the coefficients described under @group, if any. */
gboolean tess__plan_rebuild_coefficients (TessPlan *plan, TessDescription *d,
                                          const char *group, GError **error);
/* The input of @plan. */
TessImage *tess__plan_get_input (const TessPlan *plan);

/* The blocks @run cuts @rect into, row by row. */
TessRect *tess__plan_make_blocks (const TessRunOptions *run,
                                  const TessRect *rect, gint64 *nblocks,
                                  GError **error);
/* The output image of @rect (no pixels): WCS, keywords, HISTORY. */
TessImage *tess__plan_output_shell (TessPlan *plan, const TessRect *rect,
                                    GError **error);
/* Is @rect a non-empty rectangle inside the plan's output? */
gboolean tess__plan_check_rect (const TessPlan *plan, const TessRect *rect,
                                GError **error);
/* The size of the plan's target grid. */
void tess__plan_get_size (const TessPlan *plan, gint64 *width, gint64 *height);

/* Lets go of the pages of the input and its coefficients that a block
 * read (large mapped inputs): the next block reads what it needs again
 * from the page cache. */
void tess__plan_release_pages (TessPlan *plan);

#endif /* TESS_PLAN_H */
