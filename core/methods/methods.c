/* methods.c — the table of methods: for each, the work of an output pixel,
 * whether it interpolates spline coefficients, whether its footprint is
 * its own, and the function that computes a block (tess-methods.h).  A
 * plan looks its method up here rather than testing which it is.
 */
#include "config.h"

#include "methods/tess-methods.h"

static const TessMethodClass classes[] = {
  [TESS_METHOD_NEAREST] = { 1.0, FALSE, FALSE, tess__interp_compute },
  [TESS_METHOD_BILINEAR] = { 1.0, FALSE, FALSE, tess__interp_compute },
  [TESS_METHOD_BIQUADRATIC] = { 4.0, TRUE, FALSE, tess__interp_compute },
  [TESS_METHOD_BICUBIC] = { 4.0, TRUE, FALSE, tess__interp_compute },
  [TESS_METHOD_ADAPTIVE] = { 4.0, FALSE, FALSE, tess__adaptive_compute },
  [TESS_METHOD_EXACT] = { 8.0, FALSE, TRUE, tess__exact_compute },
};

G_STATIC_ASSERT (G_N_ELEMENTS (classes) == TESS_N_METHODS);

const TessMethodClass *
tess__method_class (TessMethod method)
{
  if ((unsigned)method >= G_N_ELEMENTS (classes)
      || classes[method].compute == NULL)
    return NULL;
  return &classes[method];
}

gboolean
tess__method_is_spline (TessMethod method)
{
  const TessMethodClass *c = tess__method_class (method);

  return c && c->spline;
}
