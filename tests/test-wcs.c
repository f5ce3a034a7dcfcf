/* test-wcs.c — TessWcs: parsing headers, frames, resizing and cropping,
 * WCS from parameters, loading headers from text and FITS files,
 * distortions (SIP, TPV), description, and concurrent use.
 */
#include "config.h"

#include "testutil.h"

#include <fitsio.h>
#include <glib/gstdio.h>
#include <math.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <string.h>

#define DEG (G_PI / 180.0)

/* ---------------------------------------------------------------------- */
/* Headers                                                                 */

/* Appends one card, padded with spaces to 80 characters. */
static void card (GString *h, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
card (GString *h, const char *fmt, ...)
{
  va_list ap;
  char *text;

  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  ck_assert_msg (strlen (text) <= 80, "card too long: %s", text);
  g_string_append_printf (h, "%-80s", text);
  g_free (text);
}

static void
key_d (GString *h, const char *key, double v)
{
  card (h, "%-8s= %24.17E", key, v);
}

static void
key_i (GString *h, const char *key, gint64 v)
{
  card (h, "%-8s= %20" G_GINT64_FORMAT, key, v);
}

static void
key_s (GString *h, const char *key, const char *v)
{
  card (h, "%-8s= '%-8s'", key, v);
}

static int
ncards (const GString *h)
{
  ck_assert_uint_eq (h->len % 80, 0);
  return (int)(h->len / 80);
}

/* The reference TAN WCS of these tests. */
#define W 200
#define H 150
#define CRPIX1 100.5
#define CRPIX2 75.5
#define CRVAL1 150.0
#define CRVAL2 30.0
#define SCALE 1e-3
#define ROT 20.0

/* The primary-HDU cards of a 2-D image. */
static GString *
image_cards (gint64 w, gint64 h)
{
  GString *s = g_string_new (NULL);

  card (s, "SIMPLE  =                    T");
  key_i (s, "BITPIX", -32);
  key_i (s, "NAXIS", 2);
  key_i (s, "NAXIS1", w);
  key_i (s, "NAXIS2", h);
  return s;
}

/* "RA" + "TAN" → "RA---TAN", "GLON" + "CAR" → "GLON-CAR". */
static char *
make_ctype (const char *axis, const char *proj)
{
  GString *t = g_string_new (axis);

  while (t->len < 4)
    g_string_append_c (t, '-');
  g_string_append_c (t, '-');
  g_string_append (t, proj);
  return g_string_free (t, FALSE);
}

/* Celestial WCS keywords: projection @proj, CDELT/PC form (or CD form
 * when @cd), rotated by ROT. */
static void
wcs_cards (GString *s, const char *lng, const char *lat, const char *proj,
           gboolean cd)
{
  double c = cos (ROT * DEG), sn = sin (ROT * DEG);
  double cdelt1 = -SCALE, cdelt2 = SCALE;
  double pc[2][2]
      = { { c, -sn * cdelt2 / cdelt1 }, { sn * cdelt1 / cdelt2, c } };

  char *ctype;

  ctype = make_ctype (lng, proj);
  key_s (s, "CTYPE1", ctype);
  g_free (ctype);
  ctype = make_ctype (lat, proj);
  key_s (s, "CTYPE2", ctype);
  g_free (ctype);
  key_d (s, "CRVAL1", CRVAL1);
  key_d (s, "CRVAL2", CRVAL2);
  key_d (s, "CRPIX1", CRPIX1);
  key_d (s, "CRPIX2", CRPIX2);
  if (cd)
    {
      key_d (s, "CD1_1", cdelt1 * pc[0][0]);
      key_d (s, "CD1_2", cdelt1 * pc[0][1]);
      key_d (s, "CD2_1", cdelt2 * pc[1][0]);
      key_d (s, "CD2_2", cdelt2 * pc[1][1]);
    }
  else
    {
      key_d (s, "CDELT1", cdelt1);
      key_d (s, "CDELT2", cdelt2);
      key_d (s, "PC1_1", pc[0][0]);
      key_d (s, "PC1_2", pc[0][1]);
      key_d (s, "PC2_1", pc[1][0]);
      key_d (s, "PC2_2", pc[1][1]);
    }
}

static GString *
tan_header (void)
{
  GString *s = image_cards (W, H);

  wcs_cards (s, "RA", "DEC", "TAN", FALSE);
  key_s (s, "RADESYS", "ICRS");
  return s;
}

static TessWcs *
wcs_from (const GString *h, const char *source)
{
  GError *error = NULL;
  TessWcs *wcs = tess_wcs_new_from_header (h->str, ncards (h), source, &error);

  tu_assert_no_error (error);
  ck_assert_ptr_nonnull (wcs);
  return wcs;
}

/* Expects tess_wcs_new_from_header() to fail with @code, the message
 * containing @source and @text (when not NULL). */
static void
expect_header_error (const GString *h, const char *source, int code,
                     const char *text)
{
  GError *error = NULL;
  TessWcs *wcs = tess_wcs_new_from_header (h->str, ncards (h), source, &error);

  ck_assert_msg (wcs == NULL, "header accepted; expected error %d", code);
  ck_assert_ptr_nonnull (error);
  ck_assert (error->domain == TESS_ERROR);
  ck_assert_msg (error->code == code, "error %d (%s), expected %d",
                 error->code, error->message, code);
  ck_assert_msg (strstr (error->message, source) != NULL,
                 "message '%s' does not name '%s'", error->message, source);
  if (text)
    ck_assert_msg (strstr (error->message, text) != NULL,
                   "message '%s' does not contain '%s'", error->message, text);
  g_error_free (error);
}

/* A grid of pixel positions over (and a little beyond) the image. */
static gsize
pixel_grid (double **x, double **y)
{
  gsize n = 0;

  *x = g_new (double, 21 * 21);
  *y = g_new (double, 21 * 21);
  for (int i = 0; i < 21; i++)
    for (int j = 0; j < 21; j++)
      {
        (*x)[n] = -20.0 + i * (W + 40.0) / 20.0 + 0.123;
        (*y)[n] = -15.0 + j * (H + 30.0) / 20.0 - 0.377;
        n++;
      }
  return n;
}

static double
sep_deg (double lon1, double lat1, double lon2, double lat2)
{
  double a[3], b[3], c[3];

  a[0] = cos (lat1 * DEG) * cos (lon1 * DEG);
  a[1] = cos (lat1 * DEG) * sin (lon1 * DEG);
  a[2] = sin (lat1 * DEG);
  b[0] = cos (lat2 * DEG) * cos (lon2 * DEG);
  b[1] = cos (lat2 * DEG) * sin (lon2 * DEG);
  b[2] = sin (lat2 * DEG);
  c[0] = a[1] * b[2] - a[2] * b[1];
  c[1] = a[2] * b[0] - a[0] * b[2];
  c[2] = a[0] * b[1] - a[1] * b[0];
  return atan2 (sqrt (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]),
                a[0] * b[0] + a[1] * b[1] + a[2] * b[2])
         / DEG;
}

/* Largest pixel→world→pixel error over the grid, in pixels. */
static double
closure_error (const TessWcs *wcs)
{
  double *x, *y;
  gsize n = pixel_grid (&x, &y);
  double *lon = g_new (double, n), *lat = g_new (double, n);
  double *x2 = g_new (double, n), *y2 = g_new (double, n);
  double worst = 0.0;
  GError *error = NULL;

  ck_assert (tess_wcs_pixel_to_world (wcs, n, x, y, lon, lat, &error));
  tu_assert_no_error (error);
  ck_assert (tess_wcs_world_to_pixel (wcs, n, lon, lat, x2, y2, &error));
  tu_assert_no_error (error);
  for (gsize k = 0; k < n; k++)
    {
      double e = hypot (x2[k] - x[k], y2[k] - y[k]);
      ck_assert_msg (isfinite (e), "pixel (%g, %g) did not come back", x[k],
                     y[k]);
      worst = MAX (worst, e);
    }
  g_free (x);
  g_free (y);
  g_free (lon);
  g_free (lat);
  g_free (x2);
  g_free (y2);
  return worst;
}

/* Largest separation (degrees) between the world positions that two WCSs
 * give pixels of the grid, the second shifted by (dx, dy). */
static double
world_difference (const TessWcs *a, const TessWcs *b, double dx, double dy)
{
  double *x, *y;
  gsize n = pixel_grid (&x, &y);
  double *lon1 = g_new (double, n), *lat1 = g_new (double, n);
  double *lon2 = g_new (double, n), *lat2 = g_new (double, n);
  double *xb = g_new (double, n), *yb = g_new (double, n);
  double worst = 0.0;

  for (gsize k = 0; k < n; k++)
    {
      xb[k] = x[k] - dx;
      yb[k] = y[k] - dy;
    }
  ck_assert (tess_wcs_pixel_to_world (a, n, x, y, lon1, lat1, NULL));
  ck_assert (tess_wcs_pixel_to_world (b, n, xb, yb, lon2, lat2, NULL));
  for (gsize k = 0; k < n; k++)
    {
      double s = sep_deg (lon1[k], lat1[k], lon2[k], lat2[k]);
      ck_assert_msg (isfinite (s), "pixel (%g, %g) has no world position",
                     x[k], y[k]);
      worst = MAX (worst, s);
    }
  g_free (x);
  g_free (y);
  g_free (xb);
  g_free (yb);
  g_free (lon1);
  g_free (lat1);
  g_free (lon2);
  g_free (lat2);
  return worst;
}

static void
pix2world1 (const TessWcs *wcs, double x, double y, double *lon, double *lat)
{
  GError *error = NULL;

  ck_assert (tess_wcs_pixel_to_world (wcs, 1, &x, &y, lon, lat, &error));
  tu_assert_no_error (error);
}

static void
world2pix1 (const TessWcs *wcs, double lon, double lat, double *x, double *y)
{
  GError *error = NULL;

  ck_assert (tess_wcs_world_to_pixel (wcs, 1, &lon, &lat, x, y, &error));
  tu_assert_no_error (error);
}

/* ---------------------------------------------------------------------- */
/* Parsing                                                                 */

START_TEST (test_tan_closure)
{
  GString *h = tan_header ();
  TessWcs *wcs = wcs_from (h, "tan");
  double e = closure_error (wcs);

  ck_assert_msg (e < 1e-9, "TAN closes to %g px", e);
  tess_wcs_unref (wcs);
  g_string_free (h, TRUE);
}
END_TEST

/* The reference pixel maps to the reference value, whatever the
 * projection. */
START_TEST (test_crpix_is_crval)
{
  static const char *const projs[] = { "TAN", "SIN", "ARC", "ZEA", "STG",
                                       "CAR", "CEA", "MER", "AIT", "MOL" };
  static const char *const frames[][2]
      = { { "RA", "DEC" }, { "GLON", "GLAT" }, { "ELON", "ELAT" } };

  for (unsigned f = 0; f < G_N_ELEMENTS (frames); f++)
    for (unsigned p = 0; p < G_N_ELEMENTS (projs); p++)
      {
        GString *h = image_cards (W, H);
        TessWcs *wcs;
        double lon, lat, x, y;

        wcs_cards (h, frames[f][0], frames[f][1], projs[p], FALSE);
        wcs = wcs_from (h, projs[p]);
        pix2world1 (wcs, CRPIX1 - 1.0, CRPIX2 - 1.0, &lon, &lat);
        ck_assert_msg (fabs (lon - CRVAL1) < 1e-12
                           && fabs (lat - CRVAL2) < 1e-12,
                       "%s-%s: reference pixel at (%.17g, %.17g)",
                       frames[f][0], projs[p], lon, lat);
        world2pix1 (wcs, CRVAL1, CRVAL2, &x, &y);
        ck_assert_msg (fabs (x - (CRPIX1 - 1.0)) < 1e-9
                           && fabs (y - (CRPIX2 - 1.0)) < 1e-9,
                       "%s-%s: reference value at pixel (%.17g, %.17g)",
                       frames[f][0], projs[p], x, y);
        ck_assert_msg (closure_error (wcs) < 1e-8, "%s-%s does not close",
                       frames[f][0], projs[p]);
        tess_wcs_unref (wcs);
        g_string_free (h, TRUE);
      }
}
END_TEST

/* North is along +y rotated by ROT, east to the left: one pixel is SCALE
 * degrees (checks the matrix is used as FITS defines it). */
START_TEST (test_tan_orientation)
{
  GString *h = tan_header ();
  TessWcs *wcs = wcs_from (h, "tan");
  double x, y, d = 10.0 * SCALE;
  double x0 = CRPIX1 - 1.0, y0 = CRPIX2 - 1.0;

  /* North: from +y towards -x by ROT (the PC matrix is CROTA2 = ROT). */
  world2pix1 (wcs, CRVAL1, CRVAL2 + d, &x, &y);
  ck_assert_msg (fabs (x - (x0 - 10.0 * sin (ROT * DEG))) < 1e-3
                     && fabs (y - (y0 + 10.0 * cos (ROT * DEG))) < 1e-3,
                 "north at (%g, %g)", x - x0, y - y0);
  /* East: from -x towards -y by ROT. */
  world2pix1 (wcs, CRVAL1 + d / cos (CRVAL2 * DEG), CRVAL2, &x, &y);
  ck_assert_msg (fabs (x - (x0 - 10.0 * cos (ROT * DEG))) < 1e-3
                     && fabs (y - (y0 - 10.0 * sin (ROT * DEG))) < 1e-3,
                 "east at (%g, %g)", x - x0, y - y0);
  tess_wcs_unref (wcs);
  g_string_free (h, TRUE);
}
END_TEST

START_TEST (test_cd_equals_pc)
{
  GString *a = image_cards (W, H), *b = image_cards (W, H);
  TessWcs *wa, *wb;
  double d;

  wcs_cards (a, "RA", "DEC", "TAN", FALSE);
  wcs_cards (b, "RA", "DEC", "TAN", TRUE);
  wa = wcs_from (a, "pc");
  wb = wcs_from (b, "cd");
  d = world_difference (wa, wb, 0.0, 0.0);
  ck_assert_msg (d < 1e-12, "CD and PC headers differ by %g deg", d);
  tess_wcs_unref (wa);
  tess_wcs_unref (wb);
  g_string_free (a, TRUE);
  g_string_free (b, TRUE);
}
END_TEST

START_TEST (test_size)
{
  GString *h = tan_header ();
  TessWcs *wcs = wcs_from (h, "tan");
  GString *nosize = g_string_new (NULL);

  ck_assert_int_eq (tess_wcs_get_width (wcs), W);
  ck_assert_int_eq (tess_wcs_get_height (wcs), H);
  ck_assert_str_eq (tess_wcs_get_source (wcs), "tan");
  tess_wcs_unref (wcs);

  /* No NAXISn: size 0. */
  wcs_cards (nosize, "RA", "DEC", "TAN", FALSE);
  wcs = wcs_from (nosize, "nosize");
  ck_assert_int_eq (tess_wcs_get_width (wcs), 0);
  ck_assert_int_eq (tess_wcs_get_height (wcs), 0);
  tess_wcs_unref (wcs);
  g_string_free (nosize, TRUE);
  g_string_free (h, TRUE);
}
END_TEST

START_TEST (test_ref_counting)
{
  GString *h = tan_header ();
  TessWcs *wcs = wcs_from (h, "tan");
  double lon, lat;

  ck_assert_ptr_eq (tess_wcs_ref (wcs), wcs);
  tess_wcs_unref (wcs);
  /* Still alive. */
  pix2world1 (wcs, CRPIX1 - 1.0, CRPIX2 - 1.0, &lon, &lat);
  ck_assert (fabs (lon - CRVAL1) < 1e-12);
  tess_wcs_unref (wcs);
  g_string_free (h, TRUE);
}
END_TEST

START_TEST (test_linear_only)
{
  GString *h = image_cards (10, 10), *empty = image_cards (10, 10);

  key_s (h, "CTYPE1", "LINEAR");
  key_s (h, "CTYPE2", "LINEAR");
  key_d (h, "CRVAL1", 1.0);
  key_d (h, "CRVAL2", 2.0);
  key_d (h, "CRPIX1", 1.0);
  key_d (h, "CRPIX2", 1.0);
  key_d (h, "CDELT1", 0.5);
  key_d (h, "CDELT2", 0.5);
  /* A non-celestial WCS: accepted as such, world coordinates its own. */
  {
    GError *error = NULL;
    TessWcs *wcs = tess_wcs_new_from_header (h->str, ncards (h),
                                             "linear-source", &error);
    double x = 4.0, y = 2.0, wx, wy;
    char *d;

    ck_assert_msg (wcs != NULL, "%s", error ? error->message : "");
    ck_assert (!tess_wcs_is_celestial (wcs));
    ck_assert ((int)tess_wcs_get_frame (wcs) < 0);
    ck_assert (tess_wcs_pixel_to_world (wcs, 1, &x, &y, &wx, &wy, NULL));
    ck_assert (fabs (wx - (1.0 + 0.5 * 4.0)) < 1e-12);
    ck_assert (fabs (wy - (2.0 + 0.5 * 2.0)) < 1e-12);
    d = tess_wcs_describe (wcs);
    ck_assert_msg (strstr (d, "non-celestial LINEAR/LINEAR") != NULL, "%s", d);
    g_free (d);
    {
      TessWcsParams p;
      ck_assert (!tess_wcs_get_params (wcs, &p, &error));
      ck_assert (strstr (error->message, "not celestial") != NULL);
      g_clear_error (&error);
    }
    tess_wcs_unref (wcs);
  }

  /* No WCS keywords at all. */
  card (empty, "OBJECT  = 'nothing'");
  expect_header_error (empty, "plain-source", TESS_ERROR_WCS,
                       "no celestial WCS");
  g_string_free (h, TRUE);
  g_string_free (empty, TRUE);
}
END_TEST

START_TEST (test_unknown_projection)
{
  GString *h = image_cards (W, H);

  wcs_cards (h, "RA", "DEC", "XYZ", FALSE);
  expect_header_error (h, "xyz-source", TESS_ERROR_WCS, NULL);
  g_string_free (h, TRUE);
}
END_TEST

/* Celestial axes 3 and 4 behind a spectral and a Stokes axis. */
START_TEST (test_celestial_axes_3_4)
{
  GString *h = g_string_new (NULL);

  card (h, "SIMPLE  =                    T");
  key_i (h, "BITPIX", -32);
  key_i (h, "NAXIS", 4);
  key_i (h, "NAXIS1", 16);
  key_i (h, "NAXIS2", 1);
  key_i (h, "NAXIS3", 50);
  key_i (h, "NAXIS4", 40);
  key_s (h, "CTYPE1", "FREQ");
  key_d (h, "CRVAL1", 1.4e9);
  key_d (h, "CDELT1", 1e6);
  key_d (h, "CRPIX1", 1.0);
  key_s (h, "CUNIT1", "Hz");
  key_s (h, "CTYPE2", "STOKES");
  key_d (h, "CRVAL2", 1.0);
  key_d (h, "CDELT2", 1.0);
  key_d (h, "CRPIX2", 1.0);
  key_s (h, "CTYPE3", "RA---SIN");
  key_d (h, "CRVAL3", 150.0);
  key_d (h, "CDELT3", -1e-3);
  key_d (h, "CRPIX3", 25.0);
  key_s (h, "CTYPE4", "DEC--SIN");
  key_d (h, "CRVAL4", 30.0);
  key_d (h, "CDELT4", 1e-3);
  key_d (h, "CRPIX4", 20.0);
  /* The message says where the celestial axes are. */
  expect_header_error (h, "axes-source", TESS_ERROR_UNSUPPORTED, "3 and 4");
  g_string_free (h, TRUE);
}
END_TEST

/* A cube with RA, Dec and frequency: the celestial part is the 2-D WCS. */
START_TEST (test_cube_header)
{
  GString *h = g_string_new (NULL), *flat = tan_header ();
  TessWcs *wcs, *ref;

  card (h, "SIMPLE  =                    T");
  key_i (h, "BITPIX", -32);
  key_i (h, "NAXIS", 3);
  key_i (h, "NAXIS1", W);
  key_i (h, "NAXIS2", H);
  key_i (h, "NAXIS3", 5);
  wcs_cards (h, "RA", "DEC", "TAN", FALSE);
  key_s (h, "RADESYS", "ICRS");
  key_s (h, "CTYPE3", "FREQ");
  key_d (h, "CRVAL3", 1.4e9);
  key_d (h, "CDELT3", 1e6);
  key_d (h, "CRPIX3", 1.0);
  wcs = wcs_from (h, "cube");
  ref = wcs_from (flat, "flat");
  ck_assert_int_eq (tess_wcs_get_width (wcs), W);
  ck_assert_int_eq (tess_wcs_get_height (wcs), H);
  ck_assert (world_difference (wcs, ref, 0.0, 0.0) < 1e-12);
  tess_wcs_unref (wcs);
  tess_wcs_unref (ref);
  g_string_free (h, TRUE);
  g_string_free (flat, TRUE);
}
END_TEST

/* Latitude on axis 1 and longitude on axis 2: still the celestial pair. */
START_TEST (test_swapped_axes)
{
  GString *h = image_cards (W, H);
  TessWcs *wcs;
  double lon, lat, x, y;

  key_s (h, "CTYPE1", "DEC--TAN");
  key_s (h, "CTYPE2", "RA---TAN");
  key_d (h, "CRVAL1", CRVAL2);
  key_d (h, "CRVAL2", CRVAL1);
  key_d (h, "CRPIX1", CRPIX1);
  key_d (h, "CRPIX2", CRPIX2);
  key_d (h, "CDELT1", SCALE);
  key_d (h, "CDELT2", SCALE);
  wcs = wcs_from (h, "swapped");
  pix2world1 (wcs, CRPIX1 - 1.0, CRPIX2 - 1.0, &lon, &lat);
  ck_assert_msg (fabs (lon - CRVAL1) < 1e-12 && fabs (lat - CRVAL2) < 1e-12,
                 "reference at (%.17g, %.17g)", lon, lat);
  /* North is +x now. */
  world2pix1 (wcs, CRVAL1, CRVAL2 + 10.0 * SCALE, &x, &y);
  ck_assert_msg (fabs (x - (CRPIX1 - 1.0 + 10.0)) < 1e-3
                     && fabs (y - (CRPIX2 - 1.0)) < 1e-3,
                 "north at (%g, %g)", x, y);
  ck_assert (closure_error (wcs) < 1e-9);
  tess_wcs_unref (wcs);
  g_string_free (h, TRUE);
}
END_TEST

START_TEST (test_fk5_equinox_1975)
{
  GString *h = image_cards (W, H);

  wcs_cards (h, "RA", "DEC", "TAN", FALSE);
  key_s (h, "RADESYS", "FK5");
  key_d (h, "EQUINOX", 1975.0);
  expect_header_error (h, "fk5-1975", TESS_ERROR_UNSUPPORTED, NULL);
  g_string_free (h, TRUE);
}
END_TEST

START_TEST (test_frame_detection)
{
  static const struct
  {
    const char *lng, *lat, *radesys;
    double equinox; /* 0: none */
    TessFrame frame;
  } cases[] = {
    { "RA", "DEC", "ICRS", 0.0, TESS_FRAME_ICRS },
    { "RA", "DEC", "FK5", 0.0, TESS_FRAME_FK5 },
    { "RA", "DEC", "FK5", 2000.0, TESS_FRAME_FK5 },
    { "RA", "DEC", "FK4", 0.0, TESS_FRAME_FK4 },
    { "RA", "DEC", "FK4", 1950.0, TESS_FRAME_FK4 },
    { "RA", "DEC", "FK4-NO-E", 1950.0, TESS_FRAME_FK4_NO_E },
    { "RA", "DEC", NULL, 1950.0, TESS_FRAME_FK4 },
    { "RA", "DEC", NULL, 2000.0, TESS_FRAME_FK5 },
    { "RA", "DEC", NULL, 0.0, TESS_FRAME_ICRS },
    { "GLON", "GLAT", NULL, 0.0, TESS_FRAME_GALACTIC },
    { "ELON", "ELAT", NULL, 0.0, TESS_FRAME_ECLIPTIC },
    { "ELON", "ELAT", NULL, 2000.0, TESS_FRAME_ECLIPTIC },
  };

  for (unsigned i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GString *h = image_cards (W, H);
      TessWcs *wcs;

      wcs_cards (h, cases[i].lng, cases[i].lat, "TAN", FALSE);
      if (cases[i].radesys)
        key_s (h, "RADESYS", cases[i].radesys);
      if (cases[i].equinox != 0.0)
        key_d (h, "EQUINOX", cases[i].equinox);
      wcs = wcs_from (h, "frame");
      ck_assert_msg (
          tess_wcs_get_frame (wcs) == cases[i].frame,
          "case %u (%s %s equinox %g): frame %d, expected %d", i, cases[i].lng,
          cases[i].radesys ? cases[i].radesys : "(no RADESYS)",
          cases[i].equinox, tess_wcs_get_frame (wcs), cases[i].frame);
      tess_wcs_unref (wcs);
      g_string_free (h, TRUE);
    }
}
END_TEST

/* A celestial system without a name in the library (supergalactic) goes
 * onto itself, and onto any other system is an error, not a crash. */
START_TEST (test_unnamed_system)
{
  GString *hs = image_cards (W, H), *hg = image_cards (W, H);
  TessWcs *sg, *gal, *sg2;
  TessImage *in;
  TessPlan *plan;
  GError *error = NULL;

  wcs_cards (hs, "SLON", "SLAT", "TAN", FALSE);
  wcs_cards (hg, "GLON", "GLAT", "TAN", FALSE);
  sg = wcs_from (hs, "supergalactic.hdr");
  gal = wcs_from (hg, "galactic.hdr");
  ck_assert_int_lt ((int)tess_wcs_get_frame (sg), 0);
  in = tess_image_new (sg, TESS_TYPE_FLOAT, W, H, 1, NULL, 0);
  memset (tess_image_get_data (in), 0, (gsize)W * H * sizeof (float));

  plan = tess_plan_new (in, gal, NULL, &error);
  ck_assert_ptr_null (plan);
  ck_assert (g_error_matches (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED));
  ck_assert_msg (strstr (error->message, "supergalactic.hdr") != NULL
                     && strstr (error->message, "SLON") != NULL
                     && strstr (error->message, "GLON") != NULL,
                 "%s", error->message);
  g_clear_error (&error);

  sg2 = tess_wcs_crop (sg, 3, 4, 50, 60);
  plan = tess_plan_new (in, sg2, NULL, &error);
  tu_assert_no_error (error);
  ck_assert_ptr_nonnull (plan);
  tess_plan_unref (plan);

  tess_image_unref (in);
  tess_wcs_unref (sg);
  tess_wcs_unref (sg2);
  tess_wcs_unref (gal);
  g_string_free (hs, TRUE);
  g_string_free (hg, TRUE);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Resizing and cropping                                                   */

START_TEST (test_with_size)
{
  GString *h = tan_header ();
  TessWcs *wcs = wcs_from (h, "tan");
  TessWcs *r = tess_wcs_with_size (wcs, 64, 48);

  ck_assert_ptr_nonnull (r);
  ck_assert_int_eq (tess_wcs_get_width (r), 64);
  ck_assert_int_eq (tess_wcs_get_height (r), 48);
  ck_assert_int_eq (tess_wcs_get_width (wcs), W);
  ck_assert_int_eq (tess_wcs_get_height (wcs), H);
  ck_assert_int_eq (tess_wcs_get_frame (r), tess_wcs_get_frame (wcs));
  ck_assert (world_difference (wcs, r, 0.0, 0.0) < 1e-12);
  tess_wcs_unref (r);
  tess_wcs_unref (wcs);
  g_string_free (h, TRUE);
}
END_TEST

static void
check_crop (const TessWcs *wcs, gint64 x0, gint64 y0)
{
  TessWcs *c = tess_wcs_crop (wcs, x0, y0, 40, 30);
  double d;

  ck_assert_ptr_nonnull (c);
  ck_assert_int_eq (tess_wcs_get_width (c), 40);
  ck_assert_int_eq (tess_wcs_get_height (c), 30);
  ck_assert_int_eq (tess_wcs_get_frame (c), tess_wcs_get_frame (wcs));
  /* Pixel (x, y) of the crop is pixel (x + x0, y + y0) of the original:
   * world_difference compares a at (x, y) with b at (x - dx, y - dy). */
  d = world_difference (wcs, c, (double)x0, (double)y0);
  ck_assert_msg (d < 1e-12,
                 "crop at (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                 ") differs by %g deg",
                 x0, y0, d);
  tess_wcs_unref (c);
}

START_TEST (test_crop)
{
  GString *h = tan_header ();
  TessWcs *wcs = wcs_from (h, "tan");

  check_crop (wcs, 17, 23);
  check_crop (wcs, 0, 0);
  check_crop (wcs, -10, 5);
  check_crop (wcs, 150, 120);
  tess_wcs_unref (wcs);
  g_string_free (h, TRUE);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* From parameters                                                         */

static TessWcsParams
default_params (void)
{
  TessWcsParams p;

  memset (&p, 0, sizeof p);
  p.frame = TESS_FRAME_ICRS;
  g_strlcpy (p.projection, "TAN", sizeof p.projection);
  p.lon = 10.0;
  p.lat = 20.0;
  p.crpix_x = 50.0;
  p.crpix_y = 40.0;
  p.scale = 1.0 / 3600.0;
  p.rotation = 0.0;
  p.width = 101;
  p.height = 81;
  return p;
}

static TessWcs *
wcs_from_params (const TessWcsParams *p)
{
  GError *error = NULL;
  TessWcs *wcs = tess_wcs_new_from_params (p, &error);

  tu_assert_no_error (error);
  ck_assert_ptr_nonnull (wcs);
  return wcs;
}

START_TEST (test_params_basic)
{
  TessWcsParams p = default_params ();
  TessWcs *wcs = wcs_from_params (&p);
  double lon, lat, x, y;

  ck_assert_int_eq (tess_wcs_get_width (wcs), 101);
  ck_assert_int_eq (tess_wcs_get_height (wcs), 81);
  ck_assert_int_eq (tess_wcs_get_frame (wcs), TESS_FRAME_ICRS);
  /* The reference point is at the 0-based crpix. */
  pix2world1 (wcs, 50.0, 40.0, &lon, &lat);
  ck_assert (fabs (lon - 10.0) < 1e-12 && fabs (lat - 20.0) < 1e-12);
  /* Unrotated: north is +y, east is -x, one pixel per arcsecond. */
  world2pix1 (wcs, 10.0, 20.0 + 10.0 / 3600.0, &x, &y);
  ck_assert_msg (fabs (x - 50.0) < 1e-3 && fabs (y - 50.0) < 1e-3,
                 "north at (%g, %g)", x, y);
  world2pix1 (wcs, 10.0 + 10.0 / 3600.0 / cos (20.0 * DEG), 20.0, &x, &y);
  ck_assert_msg (fabs (x - 40.0) < 1e-3 && fabs (y - 40.0) < 1e-3,
                 "east at (%g, %g)", x, y);
  tess_wcs_unref (wcs);

  for (TessFrame f = TESS_FRAME_ICRS; f <= TESS_FRAME_ECLIPTIC; f++)
    {
      p.frame = f;
      wcs = wcs_from_params (&p);
      ck_assert_int_eq (tess_wcs_get_frame (wcs), f);
      tess_wcs_unref (wcs);
    }
}
END_TEST

/* A rotation of 30°: north is turned from +y towards -x (as CROTA2). */
START_TEST (test_params_rotation)
{
  TessWcsParams p = default_params ();
  TessWcs *wcs;
  double x, y, rho = 30.0 * DEG;

  p.rotation = 30.0;
  wcs = wcs_from_params (&p);
  world2pix1 (wcs, 10.0, 20.0 + 10.0 / 3600.0, &x, &y);
  ck_assert_msg (fabs (x - (50.0 - 10.0 * sin (rho))) < 1e-3
                     && fabs (y - (40.0 + 10.0 * cos (rho))) < 1e-3,
                 "rotation 30: north at (%+.4f, %+.4f) from the centre, "
                 "expected (%+.4f, %+.4f)",
                 x - 50.0, y - 40.0, -10.0 * sin (rho), 10.0 * cos (rho));
  /* East is then turned from -x towards -y. */
  world2pix1 (wcs, 10.0 + 10.0 / 3600.0 / cos (20.0 * DEG), 20.0, &x, &y);
  ck_assert_msg (fabs (x - (50.0 - 10.0 * cos (rho))) < 1e-3
                     && fabs (y - (40.0 - 10.0 * sin (rho))) < 1e-3,
                 "rotation 30: east at (%+.4f, %+.4f) from the centre, "
                 "expected (%+.4f, %+.4f)",
                 x - 50.0, y - 40.0, -10.0 * cos (rho), -10.0 * sin (rho));
  tess_wcs_unref (wcs);
}
END_TEST

/* The same as a header with CROTA2, as wcslib reads it. */
START_TEST (test_params_equal_crota2)
{
  TessWcsParams p = default_params ();
  GString *h = g_string_new (NULL);
  TessWcs *a, *b;
  double d;

  p.rotation = 30.0;
  a = wcs_from_params (&p);
  key_i (h, "NAXIS", 2);
  key_i (h, "NAXIS1", 101);
  key_i (h, "NAXIS2", 81);
  key_s (h, "CTYPE1", "RA---TAN");
  key_s (h, "CTYPE2", "DEC--TAN");
  key_d (h, "CRVAL1", 10.0);
  key_d (h, "CRVAL2", 20.0);
  key_d (h, "CRPIX1", 51.0);
  key_d (h, "CRPIX2", 41.0);
  key_d (h, "CDELT1", -1.0 / 3600.0);
  key_d (h, "CDELT2", 1.0 / 3600.0);
  key_d (h, "CROTA2", 30.0);
  key_s (h, "RADESYS", "ICRS");
  b = wcs_from (h, "crota2");
  d = world_difference (a, b, 0.0, 0.0);
  ck_assert_msg (d < 1e-12,
                 "rotation 30 differs from CROTA2 = 30 by up to %g arcsec",
                 d * 3600.0);
  tess_wcs_unref (a);
  tess_wcs_unref (b);
  g_string_free (h, TRUE);
}
END_TEST

static void
expect_params_error (const TessWcsParams *p, const char *what)
{
  GError *error = NULL;
  TessWcs *wcs = tess_wcs_new_from_params (p, &error);

  ck_assert_msg (wcs == NULL, "%s accepted", what);
  ck_assert_msg (error != NULL, "%s: no error set", what);
  ck_assert (error->domain == TESS_ERROR);
  ck_assert_msg (error->code == TESS_ERROR_INVALID, "%s: error %d (%s)", what,
                 error->code, error->message);
  g_error_free (error);
}

START_TEST (test_params_reject)
{
  TessWcsParams p;

  p = default_params ();
  p.scale = 0.0;
  expect_params_error (&p, "scale 0");
  p = default_params ();
  p.scale = -1.0 / 3600.0;
  expect_params_error (&p, "negative scale");
  p = default_params ();
  p.scale = NAN;
  expect_params_error (&p, "NaN scale");
  p = default_params ();
  p.lon = NAN;
  expect_params_error (&p, "NaN longitude");
  p = default_params ();
  p.lat = NAN;
  expect_params_error (&p, "NaN latitude");
  p = default_params ();
  p.width = 0;
  expect_params_error (&p, "width 0");
  p = default_params ();
  p.height = 0;
  expect_params_error (&p, "height 0");
  p = default_params ();
  p.width = -5;
  expect_params_error (&p, "negative width");
  p = default_params ();
  g_strlcpy (p.projection, "TA", sizeof p.projection);
  expect_params_error (&p, "projection TA");
  p = default_params ();
  g_strlcpy (p.projection, "XYZ", sizeof p.projection);
  expect_params_error (&p, "projection XYZ");
  /* Not a code, though inside the list's text. */
  p = default_params ();
  g_strlcpy (p.projection, "P T", sizeof p.projection);
  expect_params_error (&p, "projection 'P T'");
  /* Every known code is accepted. */
  {
    const char *codes[] = { "AZP", "SIN", "ZEA", "CAR", "AIT",
                            "MOL", "PCO", "QSC", "HPX", "XPH" };
    for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
      {
        GError *error = NULL;
        TessWcs *w;
        p = default_params ();
        g_strlcpy (p.projection, codes[i], sizeof p.projection);
        w = tess_wcs_new_from_params (&p, &error);
        ck_assert_msg (w != NULL, "%s: %s", codes[i],
                       error ? error->message : "");
        tess_wcs_unref (w);
      }
  }
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */

static char *
write_file (const char *dir, const char *name, const char *data, gsize len)
{
  char *path = g_build_filename (dir, name, NULL);
  GError *error = NULL;

  g_file_set_contents (path, data, (gssize)len, &error);
  tu_assert_no_error (error);
  return path;
}

/* The header as text: one card per line, trailing blanks trimmed unless
 * @full, lines ended by @eol, with an END card if @end. */
static GString *
header_text (const GString *h, gboolean full, const char *eol, gboolean end)
{
  GString *t = g_string_new (NULL);

  for (int i = 0; i < ncards (h); i++)
    {
      char c[81];
      memcpy (c, h->str + (gsize)i * 80, 80);
      c[80] = '\0';
      if (!full)
        g_strchomp (c);
      g_string_append (t, c);
      g_string_append (t, eol);
    }
  if (end)
    {
      g_string_append (t, full ? "END                                     "
                                 "                                        "
                               : "END");
      g_string_append (t, eol);
    }
  return t;
}

static void
check_loaded (const char *path, const TessWcs *ref)
{
  GError *error = NULL;
  TessWcs *wcs = tess_wcs_load (path, &error);

  tu_assert_no_error (error);
  ck_assert_ptr_nonnull (wcs);
  ck_assert_int_eq (tess_wcs_get_width (wcs), tess_wcs_get_width (ref));
  ck_assert_int_eq (tess_wcs_get_height (wcs), tess_wcs_get_height (ref));
  ck_assert_int_eq (tess_wcs_get_frame (wcs), tess_wcs_get_frame (ref));
  ck_assert_str_eq (tess_wcs_get_source (wcs), path);
  ck_assert (world_difference (wcs, ref, 0.0, 0.0) < 1e-12);
  tess_wcs_unref (wcs);
}

typedef struct
{
  gboolean full;   /* whole 80-character lines, else trailing blanks cut */
  const char *eol; /* line end */
  gboolean end;    /* with an END card */
} TextVariant;

/* Writes the reference header as text in each variant (and again without
 * the last line end) and loads it. */
static void
check_text_variants (const TextVariant *variants, unsigned n)
{
  char *dir = tu_tmpdir ();
  GString *h = tan_header ();
  TessWcs *ref = wcs_from (h, "ref");

  for (unsigned i = 0; i < n; i++)
    {
      GString *t = header_text (h, variants[i].full, variants[i].eol,
                                variants[i].end);
      char *name = g_strdup_printf ("header-%s-%s-%s.hdr",
                                    variants[i].full ? "80col" : "trimmed",
                                    variants[i].eol[0] == '\r' ? "crlf" : "lf",
                                    variants[i].end ? "end" : "noend");
      char *path = write_file (dir, name, t->str, t->len);

      check_loaded (path, ref);
      g_free (path);
      g_free (name);
      name = g_strdup_printf ("header-%u-no-final-eol.hdr", i);
      path = write_file (dir, name, t->str, t->len - strlen (variants[i].eol));
      check_loaded (path, ref);
      g_free (path);
      g_free (name);
      g_string_free (t, TRUE);
    }
  tess_wcs_unref (ref);
  g_string_free (h, TRUE);
  tu_rmdir (dir);
  g_free (dir);
}

START_TEST (test_load_text)
{
  static const TextVariant variants[] = {
    { FALSE, "\n", TRUE }, { FALSE, "\n", FALSE },  { TRUE, "\n", TRUE },
    { TRUE, "\n", FALSE }, { FALSE, "\r\n", TRUE }, { FALSE, "\r\n", FALSE },
  };

  check_text_variants (variants, G_N_ELEMENTS (variants));
}
END_TEST

/* Whole 80-character cards with CRLF line ends (a DS9 header saved on
 * Windows): the first line end is at byte 81 (0-based). */
START_TEST (test_load_text_crlf_cards)
{
  static const TextVariant variants[] = {
    { TRUE, "\r\n", TRUE },
    { TRUE, "\r\n", FALSE },
  };

  check_text_variants (variants, G_N_ELEMENTS (variants));
}
END_TEST

/* Writes a 2-D FITS image with the reference WCS, using cfitsio's
 * keyword routines. */
static void
write_fits_wcs (fitsfile *f, double crval1, double crval2, int *status)
{
  char ctype1[] = "RA---TAN", ctype2[] = "DEC--TAN", radesys[] = "ICRS";
  double c = cos (ROT * DEG), sn = sin (ROT * DEG);
  double v;

  fits_write_key (f, TSTRING, "CTYPE1", ctype1, NULL, status);
  fits_write_key (f, TSTRING, "CTYPE2", ctype2, NULL, status);
  fits_write_key (f, TDOUBLE, "CRVAL1", &crval1, NULL, status);
  fits_write_key (f, TDOUBLE, "CRVAL2", &crval2, NULL, status);
  v = CRPIX1;
  fits_write_key (f, TDOUBLE, "CRPIX1", &v, NULL, status);
  v = CRPIX2;
  fits_write_key (f, TDOUBLE, "CRPIX2", &v, NULL, status);
  v = -SCALE;
  fits_write_key (f, TDOUBLE, "CDELT1", &v, NULL, status);
  v = SCALE;
  fits_write_key (f, TDOUBLE, "CDELT2", &v, NULL, status);
  /* CDELT1 = -CDELT2: PC1_2 = sin, PC2_1 = -sin. */
  fits_write_key (f, TDOUBLE, "PC1_1", &c, NULL, status);
  fits_write_key (f, TDOUBLE, "PC1_2", &sn, NULL, status);
  v = -sn;
  fits_write_key (f, TDOUBLE, "PC2_1", &v, NULL, status);
  fits_write_key (f, TDOUBLE, "PC2_2", &c, NULL, status);
  fits_write_key (f, TSTRING, "RADESYS", radesys, NULL, status);
}

static void
write_fits_image (fitsfile *f, gboolean with_wcs, double crval1, double crval2,
                  int *status)
{
  long naxes[2] = { W, H };
  float *data = g_new0 (float, W *H);

  fits_create_img (f, FLOAT_IMG, 2, naxes, status);
  if (with_wcs)
    write_fits_wcs (f, crval1, crval2, status);
  fits_write_img (f, TFLOAT, 1, W * H, data, status);
  g_free (data);
}

START_TEST (test_load_fits)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "image.fits", NULL);
  char *url = g_strconcat ("!", path, NULL);
  GString *h = tan_header ();
  TessWcs *ref = wcs_from (h, "ref");
  fitsfile *f = NULL;
  int status = 0;

  fits_create_file (&f, url, &status);
  write_fits_image (f, TRUE, CRVAL1, CRVAL2, &status);
  fits_close_file (f, &status);
  ck_assert_int_eq (status, 0);
  check_loaded (path, ref);

  tess_wcs_unref (ref);
  g_string_free (h, TRUE);
  g_free (url);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_load_fits_extension)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "multi.fits", NULL);
  char *url = g_strconcat ("!", path, NULL);
  char *ext1 = g_strconcat (path, "[1]", NULL);
  char *ext2 = g_strconcat (path, "[2]", NULL);
  char *extsci = g_strconcat (path, "[SCI]", NULL);
  char extname[] = "SCI";
  fitsfile *f = NULL;
  int status = 0;
  GError *error = NULL;
  TessWcs *wcs;
  double lon, lat;

  /* Primary: a WCS at (150, 30); extension 1 (SCI): at (33, -12);
   * extension 2: at (200, 60). */
  fits_create_file (&f, url, &status);
  write_fits_image (f, TRUE, CRVAL1, CRVAL2, &status);
  write_fits_image (f, TRUE, 33.0, -12.0, &status);
  fits_write_key (f, TSTRING, "EXTNAME", extname, NULL, &status);
  write_fits_image (f, TRUE, 200.0, 60.0, &status);
  fits_close_file (f, &status);
  ck_assert_int_eq (status, 0);

  wcs = tess_wcs_load (ext1, &error);
  tu_assert_no_error (error);
  pix2world1 (wcs, CRPIX1 - 1.0, CRPIX2 - 1.0, &lon, &lat);
  ck_assert_msg (fabs (lon - 33.0) < 1e-12 && fabs (lat + 12.0) < 1e-12,
                 "[1] has its reference at (%g, %g)", lon, lat);
  tess_wcs_unref (wcs);

  wcs = tess_wcs_load (extsci, &error);
  tu_assert_no_error (error);
  pix2world1 (wcs, CRPIX1 - 1.0, CRPIX2 - 1.0, &lon, &lat);
  ck_assert_msg (fabs (lon - 33.0) < 1e-12 && fabs (lat + 12.0) < 1e-12,
                 "[SCI] has its reference at (%g, %g)", lon, lat);
  tess_wcs_unref (wcs);

  wcs = tess_wcs_load (ext2, &error);
  tu_assert_no_error (error);
  pix2world1 (wcs, CRPIX1 - 1.0, CRPIX2 - 1.0, &lon, &lat);
  ck_assert (fabs (lon - 200.0) < 1e-12 && fabs (lat - 60.0) < 1e-12);
  tess_wcs_unref (wcs);

  wcs = tess_wcs_load (path, &error);
  tu_assert_no_error (error);
  pix2world1 (wcs, CRPIX1 - 1.0, CRPIX2 - 1.0, &lon, &lat);
  ck_assert (fabs (lon - CRVAL1) < 1e-12 && fabs (lat - CRVAL2) < 1e-12);
  tess_wcs_unref (wcs);

  g_free (ext1);
  g_free (ext2);
  g_free (extsci);
  g_free (url);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

/* Expects tess_wcs_load() to fail with a message naming @path; returns
 * the error code. */
static int
expect_load_error (const char *path)
{
  GError *error = NULL;
  TessWcs *wcs = tess_wcs_load (path, &error);
  int code;

  ck_assert_msg (wcs == NULL, "%s was accepted", path);
  ck_assert_msg (error != NULL, "%s: no error set", path);
  ck_assert (error->domain == TESS_ERROR);
  ck_assert_msg (strstr (error->message, path) != NULL,
                 "message '%s' does not name %s", error->message, path);
  code = error->code;
  g_error_free (error);
  return code;
}

START_TEST (test_load_missing)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "no-such-file.fits", NULL);
  char *hdr = g_build_filename (dir, "no-such-header.hdr", NULL);
  char *ext = g_build_filename (dir, "no-such-file.fits[1]", NULL);

  ck_assert_int_eq (expect_load_error (path), TESS_ERROR_IO);
  ck_assert_int_eq (expect_load_error (hdr), TESS_ERROR_IO);
  ck_assert_int_eq (expect_load_error (ext), TESS_ERROR_IO);
  g_free (path);
  g_free (hdr);
  g_free (ext);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_load_random_bytes)
{
  char *dir = tu_tmpdir ();

  for (int variant = 0; variant < 3; variant++)
    {
      GRand *r = g_rand_new_with_seed (7 + variant);
      gsize len = 6000;
      char *data = g_malloc (len);
      char *name, *path;

      for (gsize i = 0; i < len; i++)
        {
          data[i] = (char)g_rand_int_range (r, 0, 256);
          /* Variant 1: no line ends (read as FITS); variant 2: no NUL
           * and a line end early (read as text). */
          if (variant == 1 && data[i] == '\n')
            data[i] = 'x';
          if (variant == 2 && data[i] == '\0')
            data[i] = 'y';
        }
      if (variant == 2)
        data[40] = '\n';
      name = g_strdup_printf ("random-%d.fits", variant);
      path = write_file (dir, name, data, len);
      expect_load_error (path);
      g_free (path);
      g_free (name);
      g_free (data);
      g_rand_free (r);
    }
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_load_garbage_text)
{
  char *dir = tu_tmpdir ();
  GString *h = tan_header ();
  GString *t = header_text (h, FALSE, "\n", TRUE);
  char *path;
  static const char garbage[]
      = "this is not a FITS header\nbut some notes: {\"a\": 1}\n";

  path = write_file (dir, "notes.txt", garbage, strlen (garbage));
  expect_load_error (path);
  g_free (path);

  /* Good cards, then a garbage line. */
  g_string_insert (t, 0, "<?xml version=\"1.0\"?>\n");
  path = write_file (dir, "mixed.hdr", t->str, t->len);
  expect_load_error (path);
  g_free (path);

  /* An empty file. */
  path = write_file (dir, "empty.hdr", "\n\n", 2);
  expect_load_error (path);
  g_free (path);

  g_string_free (t, TRUE);
  g_string_free (h, TRUE);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Distortions                                                             */

/* SIP: u, v from CRPIX (1-based pixels); x = u + f(u,v), y = v + g(u,v). */
static const double sip_a[3][3] = { { 0.0, 0.0, 2e-6 },   /* A_0_q */
                                    { 0.0, -4e-6, 0.0 },  /* A_1_q */
                                    { 1e-5, 0.0, 0.0 } }; /* A_2_q */
static const double sip_b[3][3]
    = { { 0.0, 0.0, -7e-6 }, { 0.0, 5e-6, 0.0 }, { 3e-6, 0.0, 0.0 } };

static GString *
sip_header (void)
{
  GString *h = image_cards (W, H);

  wcs_cards (h, "RA", "DEC", "TAN-SIP", FALSE);
  key_s (h, "RADESYS", "ICRS");
  key_i (h, "A_ORDER", 2);
  key_i (h, "B_ORDER", 2);
  for (int p = 0; p <= 2; p++)
    for (int q = 0; q <= 2 - p; q++)
      {
        char key[16];
        if (sip_a[p][q] != 0.0)
          {
            g_snprintf (key, sizeof key, "A_%d_%d", p, q);
            key_d (h, key, sip_a[p][q]);
          }
        if (sip_b[p][q] != 0.0)
          {
            g_snprintf (key, sizeof key, "B_%d_%d", p, q);
            key_d (h, key, sip_b[p][q]);
          }
      }
  return h;
}

START_TEST (test_sip)
{
  GString *h = sip_header (), *lin_h = image_cards (W, H);
  TessWcs *sip = wcs_from (h, "sip"), *lin;
  double *x, *y;
  gsize n = pixel_grid (&x, &y);
  double e, worst = 0.0, largest = 0.0;

  e = closure_error (sip);
  ck_assert_msg (e < 1e-6, "SIP closes to %g px", e);

  /* The definition: SIP pixel p is linear pixel p + (f, g). */
  wcs_cards (lin_h, "RA", "DEC", "TAN", FALSE);
  key_s (lin_h, "RADESYS", "ICRS");
  lin = wcs_from (lin_h, "linear");
  for (gsize k = 0; k < n; k++)
    {
      double u = x[k] + 1.0 - CRPIX1, v = y[k] + 1.0 - CRPIX2;
      double f = 0.0, g = 0.0, lon1, lat1, lon2, lat2;
      for (int p = 0; p <= 2; p++)
        for (int q = 0; q <= 2; q++)
          {
            f += sip_a[p][q] * pow (u, p) * pow (v, q);
            g += sip_b[p][q] * pow (u, p) * pow (v, q);
          }
      pix2world1 (sip, x[k], y[k], &lon1, &lat1);
      pix2world1 (lin, x[k] + f, y[k] + g, &lon2, &lat2);
      worst = MAX (worst, sep_deg (lon1, lat1, lon2, lat2));
      largest = MAX (largest, hypot (f, g));
    }
  ck_assert_msg (largest > 0.1, "the distortion is too small to test");
  ck_assert_msg (worst < 1e-10, "SIP differs from its definition by %g deg",
                 worst);
  tess_wcs_unref (sip);
  tess_wcs_unref (lin);
  g_string_free (h, TRUE);
  g_string_free (lin_h, TRUE);
  g_free (x);
  g_free (y);
}
END_TEST

/* Cropping a SIP WCS keeps the distortion where it was. */
START_TEST (test_sip_crop)
{
  GString *h = sip_header ();
  TessWcs *sip = wcs_from (h, "sip");

  check_crop (sip, 17, 23);
  check_crop (sip, -10, 5);
  tess_wcs_unref (sip);
  g_string_free (h, TRUE);
}
END_TEST

#define TPV1_4 0.02
#define TPV2_4 (-0.015)
#define TPV1_5 0.01

START_TEST (test_tpv)
{
  GString *h = image_cards (W, H), *lin_h = image_cards (W, H);
  TessWcs *tpv, *lin;
  double *x, *y;
  gsize n = pixel_grid (&x, &y);
  double e, worst = 0.0, largest = 0.0;

  key_s (h, "CTYPE1", "RA---TPV");
  key_s (h, "CTYPE2", "DEC--TPV");
  key_s (lin_h, "CTYPE1", "RA---TAN");
  key_s (lin_h, "CTYPE2", "DEC--TAN");
  for (int i = 0; i < 2; i++)
    {
      GString *s = i ? lin_h : h;
      key_d (s, "CRVAL1", CRVAL1);
      key_d (s, "CRVAL2", CRVAL2);
      key_d (s, "CRPIX1", CRPIX1);
      key_d (s, "CRPIX2", CRPIX2);
      key_d (s, "CD1_1", -SCALE);
      key_d (s, "CD1_2", 0.0);
      key_d (s, "CD2_1", 0.0);
      key_d (s, "CD2_2", SCALE);
      key_s (s, "RADESYS", "ICRS");
    }
  key_d (h, "PV1_0", 0.0);
  key_d (h, "PV1_1", 1.0);
  key_d (h, "PV1_2", 0.0);
  key_d (h, "PV1_4", TPV1_4);
  key_d (h, "PV1_5", TPV1_5);
  key_d (h, "PV2_0", 0.0);
  key_d (h, "PV2_1", 1.0);
  key_d (h, "PV2_2", 0.0);
  key_d (h, "PV2_4", TPV2_4);
  tpv = wcs_from (h, "tpv");
  lin = wcs_from (lin_h, "tan");

  e = closure_error (tpv);
  ck_assert_msg (e < 1e-6, "TPV closes to %g px", e);

  /* The definition: xi' = xi + PV1_4 xi^2 + PV1_5 xi eta,
   * eta' = eta + PV2_4 eta^2, in degrees, then TAN. */
  for (gsize k = 0; k < n; k++)
    {
      double xi = -SCALE * (x[k] + 1.0 - CRPIX1);
      double eta = SCALE * (y[k] + 1.0 - CRPIX2);
      double xi2 = xi + TPV1_4 * xi * xi + TPV1_5 * xi * eta;
      double eta2 = eta + TPV2_4 * eta * eta;
      double xl = CRPIX1 - 1.0 + xi2 / -SCALE;
      double yl = CRPIX2 - 1.0 + eta2 / SCALE;
      double lon1, lat1, lon2, lat2;

      pix2world1 (tpv, x[k], y[k], &lon1, &lat1);
      pix2world1 (lin, xl, yl, &lon2, &lat2);
      worst = MAX (worst, sep_deg (lon1, lat1, lon2, lat2));
      largest = MAX (largest, hypot (xl - x[k], yl - y[k]));
    }
  ck_assert_msg (largest > 0.1, "the distortion is too small to test");
  ck_assert_msg (worst < 1e-10, "TPV differs from its definition by %g deg",
                 worst);
  tess_wcs_unref (tpv);
  tess_wcs_unref (lin);
  g_string_free (h, TRUE);
  g_string_free (lin_h, TRUE);
  g_free (x);
  g_free (y);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Undefined positions, description                                        */

START_TEST (test_undefined_positions)
{
  GString *h = image_cards (W, H);
  TessWcs *wcs;
  double x[3] = { CRPIX1 - 1.0, 1e6, NAN }, y[3] = { CRPIX2 - 1.0, 1e6, 0.0 };
  double lon[3], lat[3], px[3], py[3];
  double wl[3] = { CRVAL1 + 180.0, NAN, CRVAL1 };
  double wb[3] = { -CRVAL2, 0.0, CRVAL2 };

  /* SIN: the image is a disc of radius 1/SCALE pixels; the far side of the
   * sphere has no pixel. */
  wcs_cards (h, "RA", "DEC", "SIN", FALSE);
  wcs = wcs_from (h, "sin");
  ck_assert (tess_wcs_pixel_to_world (wcs, 3, x, y, lon, lat, NULL));
  ck_assert (isfinite (lon[0]) && isfinite (lat[0]));
  ck_assert_msg (isnan (lon[1]) && isnan (lat[1]),
                 "pixel outside the SIN disc at (%g, %g)", lon[1], lat[1]);
  ck_assert (isnan (lon[2]) && isnan (lat[2]));
  ck_assert (tess_wcs_world_to_pixel (wcs, 3, wl, wb, px, py, NULL));
  ck_assert_msg (isnan (px[0]) && isnan (py[0]),
                 "far side of the sphere at pixel (%g, %g)", px[0], py[0]);
  ck_assert (isnan (px[1]) && isnan (py[1]));
  ck_assert (fabs (px[2] - (CRPIX1 - 1.0)) < 1e-9
             && fabs (py[2] - (CRPIX2 - 1.0)) < 1e-9);
  tess_wcs_unref (wcs);
  g_string_free (h, TRUE);
}
END_TEST

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
#define HAVE_MALLINFO2 1
#endif

/* Positions without a pixel (or pixels without a position) cost no
 * memory: transforming many of them leaves the heap as it was. */
START_TEST (test_undefined_positions_no_leak)
{
#ifdef HAVE_MALLINFO2
  GString *h = image_cards (W, H);
  TessWcs *wcs;
  const gsize n = 20000;
  double *x = g_new (double, n), *y = g_new (double, n);
  double *lon = g_new (double, n), *lat = g_new (double, n);
  size_t before, after_p2w, after_w2p;

  wcs_cards (h, "RA", "DEC", "SIN", FALSE);
  wcs = wcs_from (h, "sin");
  for (gsize k = 0; k < n; k++)
    {
      x[k] = 1e6 + (double)k;
      y[k] = 1e6;
    }
  /* Warm up: one-time allocations. */
  ck_assert (tess_wcs_pixel_to_world (wcs, 10, x, y, lon, lat, NULL));
  before = mallinfo2 ().uordblks;
  ck_assert (tess_wcs_pixel_to_world (wcs, n, x, y, lon, lat, NULL));
  after_p2w = mallinfo2 ().uordblks;
  for (gsize k = 0; k < n; k++)
    {
      ck_assert (isnan (lon[k]));
      lon[k] = CRVAL1 + 180.0;
      lat[k] = -CRVAL2;
    }
  ck_assert (tess_wcs_world_to_pixel (wcs, n, lon, lat, x, y, NULL));
  after_w2p = mallinfo2 ().uordblks;
  ck_assert (isnan (x[0]) && isnan (x[n - 1]));
  ck_assert_msg (after_p2w < before + 256 * 1024,
                 "%" G_GSIZE_FORMAT " pixels outside the projection leave "
                 "%" G_GSIZE_FORMAT " more bytes allocated",
                 n, (gsize)(after_p2w - before));
  ck_assert_msg (after_w2p < after_p2w + 256 * 1024,
                 "%" G_GSIZE_FORMAT " positions without a pixel leave "
                 "%" G_GSIZE_FORMAT " more bytes allocated",
                 n, (gsize)(after_w2p - after_p2w));
  g_free (x);
  g_free (y);
  g_free (lon);
  g_free (lat);
  tess_wcs_unref (wcs);
  g_string_free (h, TRUE);
#endif
}
END_TEST

START_TEST (test_describe)
{
  GString *h = tan_header ();
  TessWcs *wcs = wcs_from (h, "tan");
  TessWcsParams p = default_params ();
  char *d, *size;

  d = tess_wcs_describe (wcs);
  size = g_strdup_printf ("%dx%d", W, H);
  ck_assert_msg (strstr (d, tess_frame_name (TESS_FRAME_ICRS)) != NULL,
                 "'%s' does not name the frame", d);
  ck_assert_msg (strstr (d, size) != NULL, "'%s' does not give the size", d);
  ck_assert_msg (strstr (d, "TAN") != NULL, "'%s' does not name TAN", d);
  g_free (size);
  g_free (d);
  tess_wcs_unref (wcs);

  p.frame = TESS_FRAME_GALACTIC;
  g_strlcpy (p.projection, "CAR", sizeof p.projection);
  wcs = wcs_from_params (&p);
  d = tess_wcs_describe (wcs);
  ck_assert_msg (strstr (d, tess_frame_name (TESS_FRAME_GALACTIC)) != NULL,
                 "'%s' does not name the frame", d);
  ck_assert_msg (strstr (d, "101x81") != NULL, "'%s' does not give the size",
                 d);
  g_free (d);
  tess_wcs_unref (wcs);
  g_string_free (h, TRUE);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Threads                                                                 */

#define NPOINTS 10000
#define NTHREADS 4

typedef struct
{
  const TessWcs *wcs;
  const double *x, *y;
  double lon[NPOINTS], lat[NPOINTS];
  gboolean ok;
} Job;

static gpointer
run_job (gpointer data)
{
  Job *job = data;

  job->ok = tess_wcs_pixel_to_world (job->wcs, NPOINTS, job->x, job->y,
                                     job->lon, job->lat, NULL);
  return NULL;
}

START_TEST (test_threads)
{
  GString *h = sip_header ();
  TessWcs *wcs = wcs_from (h, "sip");
  double *x = g_new (double, NPOINTS), *y = g_new (double, NPOINTS);
  Job *serial = g_new0 (Job, 1), *jobs = g_new0 (Job, NTHREADS);
  GThread *threads[NTHREADS];
  GRand *r = g_rand_new_with_seed (5);

  for (int k = 0; k < NPOINTS; k++)
    {
      x[k] = g_rand_double_range (r, -0.5, W - 0.5);
      y[k] = g_rand_double_range (r, -0.5, H - 0.5);
    }
  serial->wcs = wcs;
  serial->x = x;
  serial->y = y;
  run_job (serial);
  ck_assert (serial->ok);

  for (int t = 0; t < NTHREADS; t++)
    {
      jobs[t].wcs = wcs;
      jobs[t].x = x;
      jobs[t].y = y;
      threads[t] = g_thread_new ("wcs", run_job, &jobs[t]);
    }
  for (int t = 0; t < NTHREADS; t++)
    g_thread_join (threads[t]);
  for (int t = 0; t < NTHREADS; t++)
    {
      ck_assert (jobs[t].ok);
      for (int k = 0; k < NPOINTS; k++)
        ck_assert_msg (jobs[t].lon[k] == serial->lon[k]
                           && jobs[t].lat[k] == serial->lat[k],
                       "thread %d, point %d: (%.17g, %.17g) instead of "
                       "(%.17g, %.17g)",
                       t, k, jobs[t].lon[k], jobs[t].lat[k], serial->lon[k],
                       serial->lat[k]);
    }
  g_rand_free (r);
  g_free (serial);
  g_free (jobs);
  g_free (x);
  g_free (y);
  tess_wcs_unref (wcs);
  g_string_free (h, TRUE);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Binning, simple description, angles                                     */

/* Pixel q of the binned WCS is pixel (q + 1/2) f - 1/2 of the original
 * (0-based centres), everywhere on the binned image. */
static void
check_binned (const TessWcs *wcs, double f)
{
  GError *error = NULL;
  TessWcs *b = tess_wcs_binned (wcs, f, &error);
  gint64 bw, bh;
  double worst = 0.0;

  tu_assert_no_error (error);
  bw = tess_wcs_get_width (b);
  bh = tess_wcs_get_height (b);
  ck_assert_int_eq (bw, (gint64)ceil (tess_wcs_get_width (wcs) / f - 1e-9));
  ck_assert_int_eq (bh, (gint64)ceil (tess_wcs_get_height (wcs) / f - 1e-9));
  for (gint64 j = 0; j < bh; j += 3)
    for (gint64 i = 0; i < bw; i += 3)
      {
        double x = (double)i, y = (double)j, l1, b1, l2, b2;
        double xf = (x + 0.5) * f - 0.5, yf = (y + 0.5) * f - 0.5;
        ck_assert (tess_wcs_pixel_to_world (b, 1, &x, &y, &l1, &b1, NULL));
        ck_assert (tess_wcs_pixel_to_world (wcs, 1, &xf, &yf, &l2, &b2, NULL));
        worst = MAX (worst, sep_deg (l1, b1, l2, b2));
      }
  /* 1e-9 deg: a few microarcseconds. */
  ck_assert_msg (worst < 1e-9, "binned by %g: off by %g deg", f, worst);
  tess_wcs_unref (b);
}

START_TEST (test_binned)
{
  GString *h = tan_header (), *sip_h = sip_header ();
  TessWcs *tan = wcs_from (h, "tan"), *sip = wcs_from (sip_h, "sip");
  GError *error = NULL;

  check_binned (tan, 1.0);
  check_binned (tan, 2.0);
  check_binned (tan, 3.7);
  check_binned (tan, 0.5);
  check_binned (sip, 4.0);
  check_binned (sip, 2.5);
  ck_assert_ptr_null (tess_wcs_binned (tan, 0.0, &error));
  tu_assert_error (error, TESS_ERROR_INVALID);
  ck_assert_ptr_null (tess_wcs_binned (tan, NAN, &error));
  tu_assert_error (error, TESS_ERROR_INVALID);
  tess_wcs_unref (tan);
  tess_wcs_unref (sip);
  g_string_free (h, TRUE);
  g_string_free (sip_h, TRUE);
}
END_TEST

/* tess_wcs_get_params() inverts tess_wcs_new_from_params(). */
START_TEST (test_get_params_roundtrip)
{
  static const double rotations[] = { 0.0, 30.0, -120.0, 179.0 };
  static const TessFrame frames[]
      = { TESS_FRAME_ICRS, TESS_FRAME_GALACTIC, TESS_FRAME_ECLIPTIC };

  for (unsigned r = 0; r < G_N_ELEMENTS (rotations); r++)
    for (unsigned k = 0; k < G_N_ELEMENTS (frames); k++)
      {
        TessWcsParams p = default_params (), q;
        TessWcs *wcs;
        GError *error = NULL;
        p.rotation = rotations[r];
        p.frame = frames[k];
        /* The reference point at the centre, as get_params reports it. */
        p.crpix_x = (double)(p.width - 1) / 2.0;
        p.crpix_y = (double)(p.height - 1) / 2.0;
        g_strlcpy (p.projection, k == 1 ? "CAR" : "SIN", sizeof p.projection);
        p.lat = k == 1 ? 0.0 : 20.0;
        wcs = wcs_from_params (&p);
        ck_assert (tess_wcs_get_params (wcs, &q, &error));
        tu_assert_no_error (error);
        ck_assert_int_eq (q.frame, p.frame);
        ck_assert_str_eq (q.projection, p.projection);
        ck_assert_msg (fabs (q.lon - p.lon) < 1e-9
                           && fabs (q.lat - p.lat) < 1e-9,
                       "centre %.12g %.12g", q.lon, q.lat);
        ck_assert_msg (fabs (q.scale / p.scale - 1.0) < 1e-6, "scale %g",
                       q.scale * 3600.0);
        ck_assert_msg (fabs (remainder (q.rotation - p.rotation, 360.0))
                           < 1e-4,
                       "rotation %g for %g", q.rotation, p.rotation);
        ck_assert_int_eq (q.width, p.width);
        ck_assert_int_eq (q.height, p.height);
        tess_wcs_unref (wcs);
      }
}
END_TEST

static void
expect_angle (const char *text, gboolean hours, double want)
{
  GError *error = NULL;
  double v = NAN;

  ck_assert_msg (tess_angle_parse (text, hours, &v, &error),
                 "'%s' refused: %s", text, error ? error->message : "");
  ck_assert_msg (fabs (v - want) < 1e-10, "'%s' read as %.12g, not %.12g",
                 text, v, want);
}

static void
expect_not_angle (const char *text)
{
  GError *error = NULL;
  double v;

  ck_assert_msg (!tess_angle_parse (text, TRUE, &v, &error),
                 "'%s' accepted as %g", text, v);
  ck_assert_ptr_nonnull (error);
  ck_assert_ptr_nonnull (strstr (error->message, text));
  tu_assert_error (error, TESS_ERROR_INVALID);
}

START_TEST (test_angles)
{
  char *s;

  expect_angle ("187.5", TRUE, 187.5);
  expect_angle (" -12.25 ", FALSE, -12.25);
  expect_angle ("12:30:00", TRUE, 187.5);
  expect_angle ("12 30 00", TRUE, 187.5);
  expect_angle ("12h30m00s", TRUE, 187.5);
  expect_angle ("12h30m", TRUE, 187.5);
  expect_angle ("12d30m00s", TRUE, 12.5);
  expect_angle ("-00:30:00", FALSE, -0.5);
  expect_angle ("-0d30m", FALSE, -0.5);
  expect_angle ("+12:23:28.8", FALSE, 12.0 + 23.0 / 60 + 28.8 / 3600);
  expect_angle ("05:34:31.94", TRUE, 15.0 * (5.0 + 34.0 / 60 + 31.94 / 3600));
  expect_not_angle ("");
  expect_not_angle ("abc");
  expect_not_angle ("12:61:00");
  expect_not_angle ("12:30:");
  expect_not_angle ("12.5:30");
  expect_not_angle ("1e3");
  expect_not_angle ("12h30x");

  s = tess_angle_format (187.5, TRUE, 2);
  ck_assert_str_eq (s, "12:30:00.00");
  g_free (s);
  s = tess_angle_format (-0.5, FALSE, 1);
  ck_assert_str_eq (s, "-00:30:00.0");
  g_free (s);
  /* 59.9999 s rounds up into the next minute. */
  s = tess_angle_format (12.0 + 29.0 / 60 + 59.9999 / 3600, FALSE, 1);
  ck_assert_str_eq (s, "+12:30:00.0");
  g_free (s);
  s = tess_angle_format (359.99999999, TRUE, 0);
  ck_assert_str_eq (s, "24:00:00");
  g_free (s);
  /* Formatting and parsing close. */
  for (double d = -89.5; d < 90.0; d += 7.3)
    {
      double v;
      s = tess_angle_format (d, FALSE, 3);
      ck_assert (tess_angle_parse (s, FALSE, &v, NULL));
      ck_assert_msg (fabs (v - d) < 0.0006 / 3600.0, "%s is not %g", s, d);
      g_free (s);
    }
}
END_TEST

static Suite *
wcs_suite (void)
{
  Suite *s = suite_create ("wcs");
  TCase *tc = tcase_create ("wcs");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_tan_closure);
  tcase_add_test (tc, test_crpix_is_crval);
  tcase_add_test (tc, test_tan_orientation);
  tcase_add_test (tc, test_cd_equals_pc);
  tcase_add_test (tc, test_size);
  tcase_add_test (tc, test_ref_counting);
  tcase_add_test (tc, test_linear_only);
  tcase_add_test (tc, test_unknown_projection);
  tcase_add_test (tc, test_celestial_axes_3_4);
  tcase_add_test (tc, test_cube_header);
  tcase_add_test (tc, test_swapped_axes);
  tcase_add_test (tc, test_fk5_equinox_1975);
  tcase_add_test (tc, test_frame_detection);
  tcase_add_test (tc, test_unnamed_system);
  tcase_add_test (tc, test_with_size);
  tcase_add_test (tc, test_crop);
  tcase_add_test (tc, test_params_basic);
  tcase_add_test (tc, test_params_rotation);
  tcase_add_test (tc, test_params_equal_crota2);
  tcase_add_test (tc, test_params_reject);
  tcase_add_test (tc, test_load_text);
  tcase_add_test (tc, test_load_text_crlf_cards);
  tcase_add_test (tc, test_load_fits);
  tcase_add_test (tc, test_load_fits_extension);
  tcase_add_test (tc, test_load_missing);
  tcase_add_test (tc, test_load_random_bytes);
  tcase_add_test (tc, test_load_garbage_text);
  tcase_add_test (tc, test_sip);
  tcase_add_test (tc, test_sip_crop);
  tcase_add_test (tc, test_tpv);
  tcase_add_test (tc, test_undefined_positions);
  tcase_add_test (tc, test_undefined_positions_no_leak);
  tcase_add_test (tc, test_describe);
  tcase_add_test (tc, test_threads);
  tcase_add_test (tc, test_binned);
  tcase_add_test (tc, test_get_params_roundtrip);
  tcase_add_test (tc, test_angles);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
#ifdef __GLIBC__
  /* Fill freed (and fresh) heap memory with a pattern, so that reading
   * memory after freeing it gives garbage rather than the old values. */
  mallopt (M_PERTURB, 0xa5);
#endif
  return tu_run_in_temp_root (wcs_suite (), "tessera-test-wcs");
}
