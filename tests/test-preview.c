/* test-preview.c — the dialog's preview (ui/preview.c): the image the
 * right way up (north at the top, as DS9 shows it), no-data pixels dark
 * blue, the stretch on the data's percentiles, a large target binned to
 * fit, and the slow methods previewed with bilinear interpolation. */
#include "config.h"

#include "preview.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

#define W 64
#define H 48

/* A W×H image of value x + 100 y on a TAN grid, with one NaN pixel. */
static TessImage *
make_image (TessWcs **wcs_out)
{
  TessWcsParams p;
  TessWcs *wcs;
  TessImage *img;
  float *d;
  GError *error = NULL;

  memset (&p, 0, sizeof p);
  p.frame = TESS_FRAME_ICRS;
  g_strlcpy (p.projection, "TAN", sizeof p.projection);
  p.lon = 150.0;
  p.lat = 2.0;
  p.crpix_x = (W - 1) / 2.0;
  p.crpix_y = (H - 1) / 2.0;
  p.scale = 1.0 / 3600.0;
  p.width = W;
  p.height = H;
  wcs = tess_wcs_new_from_params (&p, &error);
  tu_assert_no_error (error);
  img = tess_image_new (wcs, TESS_TYPE_FLOAT, W, H, 1, NULL, 0);
  d = tess_image_get_data (img);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      d[y * W + x] = (float)(x + 100 * y);
  d[5 * W + 7] = NAN;
  *wcs_out = wcs;
  return img;
}

static const guchar *
pixel (GdkPixbuf *pb, int x, int row)
{
  return gdk_pixbuf_get_pixels (pb) + row * gdk_pixbuf_get_rowstride (pb)
         + 3 * x;
}

START_TEST (test_identity)
{
  TessWcs *wcs;
  TessImage *img = make_image (&wcs);
  TessOptions o;
  TessPreviewInfo info;
  GError *error = NULL;
  GdkPixbuf *pb;

  tess_options_init (&o);
  o.method = TESS_METHOD_NEAREST;
  pb = tess_preview_render (img, wcs, &o, 256, &info, &error);
  tu_assert_no_error (error);
  ck_assert_int_eq (gdk_pixbuf_get_width (pb), W);
  ck_assert_int_eq (gdk_pixbuf_get_height (pb), H);
  ck_assert_double_eq (info.factor, 1.0);
  ck_assert_int_eq (info.method, TESS_METHOD_NEAREST);
  /* Every pixel but the NaN one has a value. */
  ck_assert_double_eq_tol (info.covered, 1.0 - 1.0 / (W * H), 1e-12);
  /* The stretch spans the data (0 .. 4763) from its 0.5 to 99.5
   * percentiles. */
  ck_assert (info.low >= 0.0 && info.low < 100.0);
  ck_assert (info.high > 4600.0 && info.high <= 4763.0);
  /* The top screen row is the image's last (northern) row: bright; the
   * bottom one dark.  Grey: r = g = b. */
  ck_assert_int_ge (pixel (pb, 10, 0)[0], 240);
  ck_assert_int_le (pixel (pb, 10, H - 1)[0], 10);
  ck_assert_int_eq (pixel (pb, 10, 20)[0], pixel (pb, 10, 20)[2]);
  /* Values grow with x along a row. */
  ck_assert_int_lt (pixel (pb, 0, 20)[0], pixel (pb, 5, 20)[0] + 1);
  /* The NaN pixel (7, 5) is dark blue, at screen row H-1-5. */
  {
    const guchar *p = pixel (pb, 7, H - 1 - 5);
    ck_assert (p[0] == 24 && p[1] == 32 && p[2] == 64);
  }
  g_object_unref (pb);
  tess_image_unref (img);
  tess_wcs_unref (wcs);
}
END_TEST

/* A target ten times the image's size is binned to fit 256 pixels; the
 * adaptive method is previewed with bilinear interpolation. */
START_TEST (test_binned)
{
  TessWcs *wcs, *big;
  TessImage *img = make_image (&wcs);
  TessOptions o;
  TessPreviewInfo info;
  GError *error = NULL;
  GdkPixbuf *pb;

  big = tess_wcs_with_size (wcs, 10 * W, 10 * H);
  tess_options_init (&o);
  o.method = TESS_METHOD_ADAPTIVE;
  pb = tess_preview_render (img, big, &o, 256, &info, &error);
  tu_assert_no_error (error);
  ck_assert_int_eq (gdk_pixbuf_get_width (pb), 256);
  ck_assert_int_eq (gdk_pixbuf_get_height (pb), 192);
  ck_assert_double_eq_tol (info.factor, 2.5, 1e-12);
  ck_assert_int_eq (info.method, TESS_METHOD_BILINEAR);
  /* The image covers pixels (0..63, 0..47) of the big grid: about
   * 64×48 / 2.5² preview pixels of 256×192. */
  ck_assert_double_eq_tol (info.covered, (W * H) / 6.25 / (256.0 * 192.0),
                           0.003);
  /* Outside it: dark blue, at the top right of the screen. */
  {
    const guchar *p = pixel (pb, 250, 5);
    ck_assert (p[0] == 24 && p[1] == 32 && p[2] == 64);
  }
  g_object_unref (pb);
  tess_wcs_unref (big);
  tess_image_unref (img);
  tess_wcs_unref (wcs);
}
END_TEST

START_TEST (test_no_overlap)
{
  TessWcs *wcs, *far;
  TessImage *img = make_image (&wcs);
  TessWcsParams p;
  TessOptions o;
  GError *error = NULL;

  ck_assert (tess_wcs_get_params (wcs, &p, NULL));
  p.lon = 20.0;
  far = tess_wcs_new_from_params (&p, NULL);
  tess_options_init (&o);
  ck_assert_ptr_null (tess_preview_render (img, far, &o, 256, NULL, &error));
  tu_assert_error (error, TESS_ERROR_NO_OVERLAP);
  tess_wcs_unref (far);
  tess_image_unref (img);
  tess_wcs_unref (wcs);
}
END_TEST

/* A 80-character card. */
static void
add_card (GString *h, const char *text)
{
  g_string_append_printf (h, "%-80.80s", text);
}

/* The header of a W×H×@n cube: TAN, and axis 3 as @ctype3 @unit3 with
 * @crval3, @cdelt3 and a rest frequency. */
static TessWcs *
cube_wcs (int n, const char *ctype3, const char *unit3, double crval3,
          double cdelt3, GString **cards)
{
  GString *h = g_string_new (NULL);
  char buf[81];
  GError *error = NULL;
  TessWcs *wcs;

  add_card (h, "NAXIS   =                    3");
  g_snprintf (buf, sizeof buf, "NAXIS1  = %20d", W);
  add_card (h, buf);
  g_snprintf (buf, sizeof buf, "NAXIS2  = %20d", H);
  add_card (h, buf);
  g_snprintf (buf, sizeof buf, "NAXIS3  = %20d", n);
  add_card (h, buf);
  add_card (h, "CTYPE1  = 'RA---TAN'");
  add_card (h, "CTYPE2  = 'DEC--TAN'");
  g_snprintf (buf, sizeof buf, "CTYPE3  = '%s'", ctype3);
  add_card (h, buf);
  g_snprintf (buf, sizeof buf, "CUNIT3  = '%s'", unit3);
  add_card (h, buf);
  add_card (h, "CRVAL1  =                150.0");
  add_card (h, "CRVAL2  =                  2.0");
  g_snprintf (buf, sizeof buf, "CRVAL3  = %20.12g", crval3);
  add_card (h, buf);
  add_card (h, "CDELT1  =     -0.0002777777778");
  add_card (h, "CDELT2  =      0.0002777777778");
  g_snprintf (buf, sizeof buf, "CDELT3  = %20.12g", cdelt3);
  add_card (h, buf);
  g_snprintf (buf, sizeof buf, "CRPIX1  = %20.1f", (W + 1) / 2.0);
  add_card (h, buf);
  g_snprintf (buf, sizeof buf, "CRPIX2  = %20.1f", (H + 1) / 2.0);
  add_card (h, buf);
  add_card (h, "CRPIX3  =                  1.0");
  add_card (h, "RESTFRQ =         1420405752.0");
  wcs = tess_wcs_new_from_header (h->str, (int)(h->len / 80), "cube", &error);
  tu_assert_no_error (error);
  *cards = h;
  return wcs;
}

/* A frequency cube previewed on a radio-velocity cube of more planes: the
 * preview computes the target's planes (not the input's count of them). */
START_TEST (test_spectral_cube)
{
  GString *hc, *ht;
  TessWcs *wcs = cube_wcs (3, "FREQ", "Hz", 1.42e9, 1e5, &hc);
  TessWcs *target = cube_wcs (5, "VRAD", "km/s", -10.0, 15.0, &ht);
  TessImage *img = tess_image_new (wcs, TESS_TYPE_FLOAT, W, H, 3, hc->str,
                                   (int)(hc->len / 80));
  float *d = tess_image_get_data (img);
  TessOptions o;
  TessPreviewInfo info;
  GError *error = NULL;
  GdkPixbuf *pb;
  TessPlan *plan;

  for (gsize k = 0; k < (gsize)W * H * 3; k++)
    d[k] = (float)(k % 97);
  tess_options_init (&o);
  plan = tess_plan_new (img, target, &o, &error);
  tu_assert_no_error (error);
  ck_assert_int_eq (tess_plan_get_nplanes (plan), 5);
  tess_plan_unref (plan);
  pb = tess_preview_render (img, target, &o, 256, &info, &error);
  tu_assert_no_error (error);
  ck_assert_int_eq (gdk_pixbuf_get_width (pb), W);
  ck_assert_int_eq (gdk_pixbuf_get_height (pb), H);
  g_object_unref (pb);
  tess_image_unref (img);
  tess_wcs_unref (target);
  tess_wcs_unref (wcs);
  g_string_free (hc, TRUE);
  g_string_free (ht, TRUE);
}
END_TEST

static Suite *
preview_suite (void)
{
  Suite *s = suite_create ("preview");
  TCase *tc = tcase_create ("preview");

  tcase_add_test (tc, test_identity);
  tcase_add_test (tc, test_binned);
  tcase_add_test (tc, test_no_overlap);
  tcase_add_test (tc, test_spectral_cube);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tu_run (preview_suite ());
}
