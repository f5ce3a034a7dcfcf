/* spectral.c — the third axis of a cube: read from the header, and mapped
 * from the target's grid onto the input's.
 *
 * A cube's celestial planes are reprojected as any image is; when the
 * target has a third axis of its own that differs from the input's
 * (another spectral grid, or another spectral type: frequency onto radio
 * velocity, wavelength onto frequency, ...), each output plane is then a
 * weighted sum of the reprojected input planes.  Output plane s sits at
 * world coordinate w(s) of the target's axis; wcslib converts w(s) into
 * the input's spectral type (wcssptr, with the target's rest frequency or
 * wavelength), and the input's axis gives the input plane z(s) there.
 * The weights along the axis are those of the method, as if the whole
 * cube were interpolated at once: nearest plane, linear (bilinear, and the
 * adaptive and exact methods, which are planar), or the quadratic and
 * cubic B-splines (with their prefilter along the axis: since splines are
 * separable, a spline of the planes is the weighted sum of the planes'
 * own splines, with weights from the impulse responses of the prefilter;
 * those below 1e-13 are dropped).  Edges as on the celestial axes: planes
 * within half a plane of the ends repeat the end, further out is NaN.
 *
 * NaN: an output value is NaN when a NaN lies in its stencil along the
 * axis (the planes the nearest, linear, 3- or 4-point spline weights
 * touch); a NaN further away, which only the spline prefilter reaches, is
 * left out and the other weights are scaled up to the same sum.
 */
#include "config.h"

#include "wcs/tess-spectral.h"

#include <math.h>
#include <wcslib/wcs.h>
#include <wcslib/wcserr.h>

/* Weights smaller than this are dropped (they sum to 1). */
#define MIN_WEIGHT 1e-13
/* Positions this close to a plane are taken as on it (as in interp.c). */
#define SNAP 1e-9

struct _TessSpecMap
{
  gint64 nin, nout;
  gsize *start;    /* row s: entries start[s] … start[s+1]-1 */
  gint64 *plane;   /* input plane of each entry */
  double *w;       /* its weight */
  gint64 *lo, *hi; /* row s: its stencil, planes lo[s] … hi[s] */
};

static gboolean
is_axis3_key (const char *card)
{
  static const char *const globals[]
      = { "RESTFRQ", "RESTFREQ", "RESTWAV", "SPECSYS", "SSYSOBS", "SSYSSRC",
          "VELOSYS", "ZSOURCE",  "VELREF",  "VELANGL", "MJD-AVG", "DATE-AVG" };
  static const char *const axis[]
      = { "CTYPE3", "CRVAL3", "CRPIX3", "CDELT3", "CUNIT3",
          "CROTA3", "CRDER3", "CSYER3", "CNAME3" };
  char name[9];

  tess__card_keyword (card, name);
  for (unsigned k = 0; k < G_N_ELEMENTS (globals); k++)
    if (strcmp (name, globals[k]) == 0)
      return TRUE;
  for (unsigned k = 0; k < G_N_ELEMENTS (axis); k++)
    if (strcmp (name, axis[k]) == 0)
      return TRUE;
  /* PC3_j, PCi_3, CD…, PV3_m, PS3_m */
  if ((strncmp (name, "PC", 2) == 0 || strncmp (name, "CD", 2) == 0)
      && strchr (name, '_') && (name[2] == '3' || strstr (name, "_3")))
    return TRUE;
  if ((strncmp (name, "PV3_", 4) == 0 || strncmp (name, "PS3_", 4) == 0))
    return TRUE;
  return FALSE;
}

gboolean
tess__is_axis3_wcs_key (const char *card)
{
  return is_axis3_key (card);
}

gboolean
tess__axis3_from_header (TessWcs *wcs, const struct wcsprm *primary,
                         const char *cards, int ncards, GError **error)
{
  int n = primary->naxis, nsub = 1, axes[1] = { 3 }, status;
  const double *pc = primary->pc;
  gint64 v;
  struct wcsprm *w;

  if (n < 3)
    return TRUE;
  if (!tess__cards_get_int (cards, ncards, "NAXIS3", &v) || v <= 0)
    return TRUE;
  if (pc[0 * n + 2] != 0.0 || pc[1 * n + 2] != 0.0 || pc[2 * n + 0] != 0.0
      || pc[2 * n + 1] != 0.0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                   "%s: axis 3 is coupled to the celestial axes (PC or CD "
                   "matrix): not supported",
                   wcs->source);
      return FALSE;
    }
  w = g_new0 (struct wcsprm, 1);
  w->flag = -1;
  status = wcssub (1, primary, &nsub, axes, w);
  if (status == 0)
    status = wcsset (w);
  if (status)
    {
      /* Left out: such an axis is broadcast, as it always was. */
      tess__wcsprm_free (w);
      return TRUE;
    }
  wcs->axis3 = w;
  wcs->naxis3 = v;
  return TRUE;
}

static char *
axis_type (const struct wcsprm *w)
{
  char *t = g_strndup (w->ctype[0], 8);
  g_strstrip (t);
  return t;
}

/* Whether two 1-D axes are the same grid. */
static gboolean
same_axis (const struct wcsprm *a, gint64 na, const struct wcsprm *b,
           gint64 nb)
{
  return na == nb && strcmp (a->ctype[0], b->ctype[0]) == 0
         && strcmp (a->cunit[0], b->cunit[0]) == 0
         && a->crval[0] == b->crval[0]
         && a->cdelt[0] * a->pc[0] == b->cdelt[0] * b->pc[0]
         && a->crpix[0] == b->crpix[0] && a->restfrq == b->restfrq
         && a->restwav == b->restwav;
}

/* The input's axis, in the target's spectral type: a set-up copy. */
static struct wcsprm *
converted_input_axis (const TessWcs *target, const TessWcs *in, GError **error)
{
  const struct wcsprm *t = target->axis3, *s = in->axis3;
  g_autofree char *tt = axis_type (t), *st = axis_type (s);
  struct wcsprm *w = g_new0 (struct wcsprm, 1);
  int status, i = 0;

  w->flag = -1;
  status = wcssub (1, s, NULL, NULL, w);
  if (status == 0)
    status = wcsset (w);
  if (status)
    goto fail;
  if (strncmp (tt, st, 4) == 0)
    {
      if (strcmp (t->cunit[0], w->cunit[0]) != 0)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                       "%s: axis 3 of the input is in '%s' and the target's "
                       "in '%s'",
                       in->source, w->cunit[0], t->cunit[0]);
          tess__wcsprm_free (w);
          return NULL;
        }
      return w;
    }
  if (t->spec < 0 || w->spec < 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                   "%s: axis 3 is %s in the input and %s in the target: only "
                   "spectral axes convert into one another",
                   in->source, st[0] ? st : "(untyped)",
                   tt[0] ? tt : "(untyped)");
      tess__wcsprm_free (w);
      return NULL;
    }
  /* The target's velocities are relative to its own rest frequency. */
  if (t->restfrq != 0.0)
    {
      w->restfrq = t->restfrq;
      w->restwav = 0.0;
    }
  else if (t->restwav != 0.0)
    {
      w->restwav = t->restwav;
      w->restfrq = 0.0;
    }
  w->flag = 0;
  {
    char ctype[9];
    g_snprintf (ctype, sizeof ctype, "%.4s-???", tt);
    status = wcssptr (w, &i, ctype);
  }
  if (status == 0)
    status = wcsset (w);
  if (status)
    {
      if (w->restfrq == 0.0 && w->restwav == 0.0)
        g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                     "%s: cannot convert axis 3 from %s into the target's %s: "
                     "neither header has a rest frequency (RESTFRQ) or "
                     "wavelength (RESTWAV)",
                     in->source, st, tt);
      else
        g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                     "%s: cannot convert axis 3 from %s into the target's %s "
                     "(%s)",
                     in->source, st, tt,
                     w->err && w->err->msg[0] ? w->err->msg : "wcslib");
      tess__wcsprm_free (w);
      return NULL;
    }
  return w;

fail:
  tess__set_wcs_error (error, w, status, in->source,
                       "axis 3 cannot be set up");
  tess__wcsprm_free (w);
  return NULL;
}

static gboolean
specsys_differ (const TessWcs *a, const TessWcs *b, char *sa, char *sb)
{
  g_strlcpy (sa, a->axis3->specsys, 72);
  g_strlcpy (sb, b->axis3->specsys, 72);
  g_strstrip (sa);
  g_strstrip (sb);
  return sa[0] && sb[0] && strcmp (sa, sb) != 0;
}

static inline gint64
clampi (gint64 v, gint64 lo, gint64 hi)
{
  return v < lo ? lo : (v > hi ? hi : v);
}

/* Row s of the weights: the planes and weights of position @z. */
static void
add_row (TessSpecMap *m, GArray *planes, GArray *weights, gsize s, double z,
         TessMethod method, const double *coeffs)
{
  gint64 n = m->nin;

  m->lo[s] = 0;
  m->hi[s] = -1;
  if (!(z >= -0.5 && z <= (double)n - 0.5))
    return;
  if (method == TESS_METHOD_NEAREST)
    {
      gint64 i = clampi ((gint64)floor (z + 0.5), 0, n - 1);
      double one = 1.0;
      g_array_append_val (planes, i);
      g_array_append_val (weights, one);
      m->lo[s] = m->hi[s] = i;
      return;
    }
  if (!tess__method_is_spline (method))
    {
      double f0 = floor (z), f = z - f0;
      gint64 i0 = (gint64)f0, i1;
      double w0;

      if (f < SNAP)
        f = 0.0;
      else if (f > 1.0 - SNAP)
        {
          f = 0.0;
          i0++;
        }
      i1 = clampi (i0 + 1, 0, n - 1);
      i0 = clampi (i0, 0, n - 1);
      w0 = 1.0 - f;
      g_array_append_val (planes, i0);
      g_array_append_val (weights, w0);
      if (f != 0.0 && i1 != i0)
        {
          g_array_append_val (planes, i1);
          g_array_append_val (weights, f);
        }
      m->lo[s] = i0;
      m->hi[s] = f != 0.0 ? i1 : i0;
      return;
    }
  {
    /* Spline: padded positions, as interp.c samples planes. */
    gint64 i0;
    int k;
    double wz[4];
    gint64 np = n + 2;

    tess__spline_weights (method, z + 1.0, &i0, &k, wz);
    m->lo[s] = clampi (i0 - 1, 0, n - 1);
    m->hi[s] = clampi (i0 + k - 2, 0, n - 1);
    for (gint64 p = 0; p < n; p++)
      {
        const double *c = coeffs + (gsize)p * (gsize)np;
        double w = 0.0;
        for (int a = 0; a < k; a++)
          {
            gint64 j = i0 + a;
            if (j < 0)
              j = -j;
            if (j >= np)
              j = 2 * (np - 1) - j;
            w += wz[a] * c[clampi (j, 0, np - 1)];
          }
        if (fabs (w) >= MIN_WEIGHT)
          {
            g_array_append_val (planes, p);
            g_array_append_val (weights, w);
          }
      }
  }
}

TessSpecMap *
tess__spec_map_new (const TessWcs *target, const TessImage *input,
                    TessMethod method, GError **error)
{
  const TessWcs *in = input->wcs;
  struct wcsprm *tw = NULL, *iw = NULL;
  TessSpecMap *m = NULL;
  double *coeffs = NULL;
  char sa[72], sb[72];
  GArray *planes, *weights;
  gint64 nout;

  if (target->axis3 == NULL || target->naxis3 <= 0 || input->n_extra == 0)
    return NULL;
  if (in->axis3 == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   "%s: the target has a third axis (%.8s) but the input's "
                   "has no WCS",
                   input->source, target->axis3->ctype[0]);
      return NULL;
    }
  if (same_axis (target->axis3, target->naxis3, in->axis3, input->extra[0]))
    return NULL;
  if (input->n_extra > 1)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                   "%s: axis 3 can be reprojected only in a cube of three "
                   "axes (this one has %d)",
                   input->source, 2 + input->n_extra);
      return NULL;
    }
  if (specsys_differ (target, in, sa, sb))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                   "%s: the spectral reference frames differ (SPECSYS %s in "
                   "the input, %s in the target): not converted",
                   input->source, sb, sa);
      return NULL;
    }
  iw = converted_input_axis (target, in, error);
  if (iw == NULL)
    return NULL;
  tw = g_new0 (struct wcsprm, 1);
  tw->flag = -1;
  if (wcssub (1, target->axis3, NULL, NULL, tw) != 0 || wcsset (tw) != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   "%s: axis 3 cannot be set up", target->source);
      goto out;
    }

  nout = target->naxis3;
  m = g_new0 (TessSpecMap, 1);
  m->nin = input->extra[0];
  m->nout = nout;
  m->start = g_new (gsize, (gsize)nout + 1);
  m->lo = g_new (gint64, (gsize)nout);
  m->hi = g_new (gint64, (gsize)nout);
  planes = g_array_new (FALSE, FALSE, sizeof (gint64));
  weights = g_array_new (FALSE, FALSE, sizeof (double));

  if (tess__method_is_spline (method))
    {
      /* The prefilter's impulse responses: the coefficients of each plane
       * alone, edge-padded as interp.c pads its planes. */
      gsize np = (gsize)m->nin + 2;
      coeffs = g_new0 (double, (gsize)m->nin *np);
      for (gint64 p = 0; p < m->nin; p++)
        {
          double *c = coeffs + (gsize)p * np;
          c[p + 1] = 1.0;
          c[0] = c[1];
          c[np - 1] = c[np - 2];
          tess__spline_filter_line (method, c, np);
        }
    }
  for (gint64 s = 0; s < nout; s++)
    {
      double pix = (double)s + 1.0, img, phi, theta, world, z = NAN;
      int stat = 0;

      m->start[s] = planes->len;
      if (wcsp2s (tw, 1, 1, &pix, &img, &phi, &theta, &world, &stat) == 0
          && stat == 0 && isfinite (world))
        {
          double p2;
          if (wcss2p (iw, 1, 1, &world, &phi, &theta, &img, &p2, &stat) == 0
              && stat == 0)
            z = p2 - 1.0;
        }
      tess__wcsprm_clear_errors (tw);
      tess__wcsprm_clear_errors (iw);
      add_row (m, planes, weights, (gsize)s, z, method, coeffs);
    }
  m->start[nout] = planes->len;
  m->plane = (gint64 *)(void *)g_array_free (planes, FALSE);
  m->w = (double *)(void *)g_array_free (weights, FALSE);
  if (m->start[nout] == 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_NO_OVERLAP,
                   "%s: axis 3 of the target does not overlap the input's %s",
                   target->source, input->source ? input->source : "image");
      tess__spec_map_free (m);
      m = NULL;
    }

out:
  g_free (coeffs);
  tess__wcsprm_free (iw);
  tess__wcsprm_free (tw);
  return m;
}

void
tess__spec_map_free (TessSpecMap *m)
{
  if (m == NULL)
    return;
  g_free (m->start);
  g_free (m->plane);
  g_free (m->w);
  g_free (m->lo);
  g_free (m->hi);
  g_free (m);
}

gint64
tess__spec_map_nout (const TessSpecMap *m)
{
  return m->nout;
}

#define DEFINE_COMBINE(T, SUFFIX)                                             \
  static void combine_##SUFFIX (const TessSpecMap *m, const T *in,            \
                                gsize npix, T *out, double *acc,              \
                                double *skip)                                 \
  {                                                                           \
    for (gint64 s = 0; s < m->nout; s++)                                      \
      {                                                                       \
        T *o = out + (gsize)s * npix;                                         \
        double total = 0.0;                                                   \
        if (m->start[s] == m->start[s + 1])                                   \
          {                                                                   \
            for (gsize k = 0; k < npix; k++)                                  \
              o[k] = (T)NAN;                                                  \
            continue;                                                         \
          }                                                                   \
        for (gsize k = 0; k < npix; k++)                                      \
          acc[k] = skip[k] = 0.0;                                             \
        for (gsize e = m->start[s]; e < m->start[s + 1]; e++)                 \
          {                                                                   \
            gint64 p = m->plane[e];                                           \
            const T *v = in + (gsize)p * npix;                                \
            double w = m->w[e];                                               \
            gboolean stencil = p >= m->lo[s] && p <= m->hi[s];                \
            total += w;                                                       \
            for (gsize k = 0; k < npix; k++)                                  \
              {                                                               \
                double x = (double)v[k];                                      \
                if (!isnan (x))                                               \
                  acc[k] += w * x;                                            \
                else if (stencil)                                             \
                  acc[k] = NAN;                                               \
                else                                                          \
                  skip[k] += w;                                               \
              }                                                               \
          }                                                                   \
        for (gsize k = 0; k < npix; k++)                                      \
          o[k] = (T)(skip[k] == 0.0 ? acc[k]                                  \
                                    : acc[k] * total / (total - skip[k]));    \
      }                                                                       \
  }

DEFINE_COMBINE (float, f)
DEFINE_COMBINE (double, d)

gboolean
tess__spec_map_combine (const TessSpecMap *m, TessPixelType type,
                        gconstpointer in, gsize npix, gpointer out,
                        GError **error)
{
  double *acc = g_try_new (double, 2 * MAX (npix, 1));

  if (acc == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_NO_MEMORY,
                   "not enough memory to combine the planes");
      return FALSE;
    }
  if (type == TESS_TYPE_DOUBLE)
    combine_d (m, in, npix, out, acc, acc + npix);
  else
    combine_f (m, in, npix, out, acc, acc + npix);
  g_free (acc);
  return TRUE;
}

void
tess__spec_axis_cards (const TessWcs *target, GString *cards)
{
  for (int i = 0; i < target->ncards; i++)
    {
      const char *c = target->cards + (gsize)i * 80;
      char buf[81];

      memcpy (buf, c, 80);
      buf[80] = '\0';
      if (is_axis3_key (buf))
        g_string_append_len (cards, c, 80);
    }
}

void
tess__drop_axis3_cards (GString *cards)
{
  gsize o = 0;

  for (gsize i = 0; i + 80 <= cards->len; i += 80)
    {
      char buf[81];

      memcpy (buf, cards->str + i, 80);
      buf[80] = '\0';
      if (is_axis3_key (buf))
        continue;
      memmove (cards->str + o, cards->str + i, 80);
      o += 80;
    }
  g_string_truncate (cards, o);
}
