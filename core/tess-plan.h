/* tess-plan.h — what worker.c needs of a plan beyond the public API
 * (plan.c). */
#ifndef TESS_PLAN_H
#define TESS_PLAN_H

#include "tess-private.h"

const TessOptions *tess__plan_get_options (const TessPlan *plan);
/* Samples the spline methods from coefficients made elsewhere (see
 * TessPrefilter): plane p's at @base + p × @plane_bytes. */
void tess__plan_use_coefficients (TessPlan *plan, gpointer base,
                                  gsize plane_bytes);

#endif /* TESS_PLAN_H */
