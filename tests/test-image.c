/* test-image.c — TessImage: loading FITS images of every BITPIX, scaled,
 * with blanks, cubes, extensions and tile compression; broken files;
 * header keywords; saving (format, footprint, overwriting, atomicity) and
 * HISTORY cards.  The FITS files are written with cfitsio by the tests.
 */
#include "config.h"

#include "testutil.h"

#include <errno.h>
#include <fitsio.h>
#include <glib/gstdio.h>
#include <math.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Writing test files with cfitsio                                         */

static void
check_fits (int status, const char *what)
{
  char text[FLEN_STATUS] = "";

  if (status)
    fits_get_errstatus (status, text);
  ck_assert_msg (status == 0, "cfitsio: %s: %s (%d)", what, text, status);
}

/* Opens a new file (replacing any), cfitsio syntax allowed in @suffix
 * (e.g. "[compress]"). */
static fitsfile *
create_fits (const char *path, const char *suffix)
{
  fitsfile *f = NULL;
  int status = 0;
  char *url = g_strconcat ("!", path, suffix ? suffix : "", NULL);

  fits_create_file (&f, url, &status);
  check_fits (status, url);
  g_free (url);
  return f;
}

/* A small TAN WCS in the current HDU, reference at the image centre. */
static void
put_wcs (fitsfile *f, long w, long h)
{
  int status = 0;
  char t1[] = "RA---TAN", t2[] = "DEC--TAN", sys[] = "ICRS";
  double v;

  fits_write_key (f, TSTRING, "CTYPE1", t1, NULL, &status);
  fits_write_key (f, TSTRING, "CTYPE2", t2, NULL, &status);
  v = 83.6;
  fits_write_key (f, TDOUBLE, "CRVAL1", &v, NULL, &status);
  v = 22.0;
  fits_write_key (f, TDOUBLE, "CRVAL2", &v, NULL, &status);
  v = (w + 1) / 2.0;
  fits_write_key (f, TDOUBLE, "CRPIX1", &v, NULL, &status);
  v = (h + 1) / 2.0;
  fits_write_key (f, TDOUBLE, "CRPIX2", &v, NULL, &status);
  v = -1.0 / 3600.0;
  fits_write_key (f, TDOUBLE, "CDELT1", &v, NULL, &status);
  v = 1.0 / 3600.0;
  fits_write_key (f, TDOUBLE, "CDELT2", &v, NULL, &status);
  fits_write_key (f, TSTRING, "RADESYS", sys, NULL, &status);
  check_fits (status, "writing the WCS");
}

/* Writes a one-HDU image file: @bitpix, @naxis axes, pixels of cfitsio
 * type @datatype written unscaled. */
static void
write_image (const char *path, int bitpix, int naxis, long *naxes,
             int datatype, void *data)
{
  fitsfile *f = create_fits (path, NULL);
  int status = 0;
  LONGLONG n = 1;

  for (int i = 0; i < naxis; i++)
    n *= naxes[i];
  fits_create_img (f, bitpix, naxis, naxes, &status);
  check_fits (status, "fits_create_img");
  put_wcs (f, naxes[0], naxis > 1 ? naxes[1] : 1);
  fits_write_img (f, datatype, 1, n, data, &status);
  fits_close_file (f, &status);
  check_fits (status, path);
}

static TessImage *
load_ok (const char *path)
{
  GError *error = NULL;
  TessImage *img = tess_image_load (path, &error);

  tu_assert_no_error (error);
  ck_assert_ptr_nonnull (img);
  return img;
}

/* Expects tess_image_load() to fail with a message naming @path. */
static void
expect_load_error (const char *path, const char *name)
{
  GError *error = NULL;
  TessImage *img = tess_image_load (path, &error);

  ck_assert_msg (img == NULL, "%s was loaded", path);
  ck_assert_msg (error != NULL, "%s: no error set", path);
  ck_assert (error->domain == TESS_ERROR);
  ck_assert_msg (strstr (error->message, name) != NULL,
                 "message '%s' does not name %s", error->message, name);
  g_error_free (error);
}

static gboolean
equal_d (const double *a, const double *b, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (!(a[i] == b[i] || (isnan (a[i]) && isnan (b[i]))))
      return FALSE;
  return TRUE;
}

/* No temporary file of tess_image_save() is left in @dir. */
static void
assert_no_temp_files (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;

  ck_assert_ptr_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    ck_assert_msg (!g_str_has_prefix (name, ".tessera-"),
                   "temporary file %s left in %s", name, dir);
  g_dir_close (d);
}

/* ---------------------------------------------------------------------- */
/* Loading                                                                 */

START_TEST (test_load_float32)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "f32.fits", NULL);
  long naxes[2] = { 7, 5 };
  float data[35];
  TessImage *img;
  TessWcs *wcs;

  for (int i = 0; i < 35; i++)
    data[i] = (float)(i * 1.1 - 17.3);
  data[3] = NAN;
  data[4] = 1e-30f;
  data[5] = -3.4e38f;
  data[6] = 0.1f;
  data[34] = INFINITY;
  write_image (path, FLOAT_IMG, 2, naxes, TFLOAT, data);

  img = load_ok (path);
  ck_assert_int_eq (tess_image_get_pixel_type (img), TESS_TYPE_FLOAT);
  ck_assert_int_eq (tess_image_get_width (img), 7);
  ck_assert_int_eq (tess_image_get_height (img), 5);
  ck_assert_int_eq (tess_image_get_nplanes (img), 1);
  ck_assert_int_eq (tess_image_get_extra_axes (img, NULL, 0), 0);
  ck_assert_str_eq (tess_image_get_source (img), path);
  ck_assert_ptr_null (tess_image_get_footprint (img));
  ck_assert (tu_equal_f (tess_image_get_data (img), data, 35));
  wcs = tess_image_get_wcs (img);
  ck_assert_ptr_nonnull (wcs);
  ck_assert_int_eq (tess_wcs_get_width (wcs), 7);
  ck_assert_int_eq (tess_wcs_get_height (wcs), 5);
  {
    double x = 3.0, y = 2.0, lon, lat;
    ck_assert (tess_wcs_pixel_to_world (wcs, 1, &x, &y, &lon, &lat, NULL));
    ck_assert (fabs (lon - 83.6) < 1e-12 && fabs (lat - 22.0) < 1e-12);
  }
  tess_image_unref (img);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_load_float64)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "f64.fits", NULL);
  long naxes[2] = { 6, 4 };
  double data[24];
  TessImage *img;

  for (int i = 0; i < 24; i++)
    data[i] = G_PI * i - 1.0 / 3.0;
  data[0] = 0.1;
  data[1] = 1e300;
  data[2] = -1e-300;
  data[3] = NAN;
  data[23] = 123456789.123456789;
  write_image (path, DOUBLE_IMG, 2, naxes, TDOUBLE, data);

  img = load_ok (path);
  ck_assert_int_eq (tess_image_get_pixel_type (img), TESS_TYPE_DOUBLE);
  ck_assert_int_eq (tess_image_get_width (img), 6);
  ck_assert_int_eq (tess_image_get_height (img), 4);
  ck_assert (equal_d (tess_image_get_data (img), data, 24));
  tess_image_unref (img);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

/* Writes a BITPIX 16 image with BSCALE 0.5, BZERO 100, BLANK -32768. */
static void
write_int16_scaled (const char *path, const short *raw, long w, long h)
{
  fitsfile *f = create_fits (path, NULL);
  int status = 0;
  long naxes[2] = { w, h };
  double bscale = 0.5, bzero = 100.0;
  long blank = -32768;
  char object[] = "scaled";

  fits_create_img (f, SHORT_IMG, 2, naxes, &status);
  put_wcs (f, w, h);
  fits_write_key (f, TDOUBLE, "BSCALE", &bscale, NULL, &status);
  fits_write_key (f, TDOUBLE, "BZERO", &bzero, NULL, &status);
  fits_write_key (f, TLONG, "BLANK", &blank, NULL, &status);
  fits_write_key (f, TSTRING, "OBJECT", object, NULL, &status);
  /* Write the stored integers as they are. */
  fits_set_bscale (f, 1.0, 0.0, &status);
  fits_write_img (f, TSHORT, 1, w * h, (void *)raw, &status);
  fits_close_file (f, &status);
  check_fits (status, path);
}

static const short int16_raw[12]
    = { -32768, -32767, -1, 0, 1, 2, 3, 32767, -32768, 1000, -999, 7 };

START_TEST (test_load_int16_scaled)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "i16.fits", NULL);
  TessImage *img;
  const float *d;

  write_int16_scaled (path, int16_raw, 4, 3);
  img = load_ok (path);
  ck_assert_int_eq (tess_image_get_pixel_type (img), TESS_TYPE_FLOAT);
  ck_assert_int_eq (tess_image_get_width (img), 4);
  ck_assert_int_eq (tess_image_get_height (img), 3);
  d = tess_image_get_data (img);
  for (int i = 0; i < 12; i++)
    {
      if (int16_raw[i] == -32768)
        ck_assert_msg (isnan (d[i]), "BLANK pixel %d is %g", i, d[i]);
      else
        ck_assert_msg (d[i] == (float)(int16_raw[i] * 0.5 + 100.0),
                       "pixel %d: %g, expected %g", i, d[i],
                       int16_raw[i] * 0.5 + 100.0);
    }
  tess_image_unref (img);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_load_uint8)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "u8.fits", NULL);
  long naxes[2] = { 16, 16 };
  unsigned char data[256];
  TessImage *img;
  const float *d;

  for (int i = 0; i < 256; i++)
    data[i] = (unsigned char)(255 - i);
  write_image (path, BYTE_IMG, 2, naxes, TBYTE, data);
  img = load_ok (path);
  ck_assert_int_eq (tess_image_get_pixel_type (img), TESS_TYPE_FLOAT);
  d = tess_image_get_data (img);
  for (int i = 0; i < 256; i++)
    ck_assert_msg (d[i] == (float)(255 - i), "pixel %d: %g", i, d[i]);
  tess_image_unref (img);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_load_int32)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "i32.fits", NULL);
  long naxes[2] = { 3, 2 };
  int data[6] = { INT32_MIN, INT32_MAX, -1, 0, 16777217, -123456789 };
  TessImage *img;
  const double *d;

  write_image (path, LONG_IMG, 2, naxes, TINT, data);
  img = load_ok (path);
  ck_assert_int_eq (tess_image_get_pixel_type (img), TESS_TYPE_DOUBLE);
  d = tess_image_get_data (img);
  for (int i = 0; i < 6; i++)
    ck_assert_msg (d[i] == (double)data[i], "pixel %d: %.17g, expected %d", i,
                   d[i], data[i]);
  tess_image_unref (img);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_load_int64)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "i64.fits", NULL);
  long naxes[2] = { 3, 2 };
  LONGLONG data[6] = { (LONGLONG)1 << 53, -((LONGLONG)1 << 53), -1, 0,
                       123456789012345LL, (LONGLONG)1 << 40 };
  TessImage *img;
  const double *d;

  write_image (path, LONGLONG_IMG, 2, naxes, TLONGLONG, data);
  img = load_ok (path);
  ck_assert_int_eq (tess_image_get_pixel_type (img), TESS_TYPE_DOUBLE);
  d = tess_image_get_data (img);
  for (int i = 0; i < 6; i++)
    ck_assert_msg (d[i] == (double)data[i], "pixel %d: %.17g, expected %lld",
                   i, d[i], (long long)data[i]);
  tess_image_unref (img);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

/* Pixel (x, y) of plane p holds 1000 p + 10 y + x. */
START_TEST (test_load_cube)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "cube.fits", NULL);
  char *path4 = g_build_filename (dir, "cube4.fits", NULL);
  long naxes[4] = { 6, 4, 3, 1 };
  float data[6 * 4 * 3];
  gint64 extra[4] = { 0 };
  TessImage *img;
  const float *d;

  for (int p = 0; p < 3; p++)
    for (int y = 0; y < 4; y++)
      for (int x = 0; x < 6; x++)
        data[(p * 4 + y) * 6 + x] = (float)(1000 * p + 10 * y + x);
  write_image (path, FLOAT_IMG, 3, naxes, TFLOAT, data);
  img = load_ok (path);
  ck_assert_int_eq (tess_image_get_width (img), 6);
  ck_assert_int_eq (tess_image_get_height (img), 4);
  ck_assert_int_eq (tess_image_get_nplanes (img), 3);
  ck_assert_int_eq (tess_image_get_extra_axes (img, extra, 4), 1);
  ck_assert_int_eq (extra[0], 3);
  d = tess_image_get_data (img);
  for (int p = 0; p < 3; p++)
    for (int y = 0; y < 4; y++)
      for (int x = 0; x < 6; x++)
        ck_assert_msg (d[(p * 4 + y) * 6 + x] == 1000 * p + 10 * y + x,
                       "plane %d pixel (%d, %d) holds %g", p, x, y,
                       d[(p * 4 + y) * 6 + x]);
  tess_image_unref (img);

  /* Four axes, 6 × 4 × 1 × 3: three planes, extra axes [1, 3]. */
  naxes[2] = 1;
  naxes[3] = 3;
  write_image (path4, FLOAT_IMG, 4, naxes, TFLOAT, data);
  img = load_ok (path4);
  ck_assert_int_eq (tess_image_get_nplanes (img), 3);
  ck_assert_int_eq (tess_image_get_extra_axes (img, extra, 4), 2);
  ck_assert_int_eq (extra[0], 1);
  ck_assert_int_eq (extra[1], 3);
  ck_assert (tu_equal_f (tess_image_get_data (img), data, 6 * 4 * 3));
  tess_image_unref (img);

  g_free (path);
  g_free (path4);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

/* An empty primary HDU, then the image in extension 1 named SCI. */
static void
write_sci_extension (const char *path, const float *data, long w, long h)
{
  fitsfile *f = create_fits (path, NULL);
  int status = 0;
  long naxes[2] = { w, h };
  char extname[] = "SCI";

  fits_create_img (f, BYTE_IMG, 0, NULL, &status);
  fits_create_img (f, FLOAT_IMG, 2, naxes, &status);
  fits_write_key (f, TSTRING, "EXTNAME", extname, NULL, &status);
  put_wcs (f, w, h);
  fits_write_img (f, TFLOAT, 1, w * h, (void *)data, &status);
  fits_close_file (f, &status);
  check_fits (status, path);
}

START_TEST (test_load_extension)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "ext.fits", NULL);
  char *names[3];
  float data[5 * 3];

  for (int i = 0; i < 15; i++)
    data[i] = (float)(i * i) - 0.25f;
  write_sci_extension (path, data, 5, 3);
  names[0] = g_strconcat (path, "[SCI]", NULL);
  names[1] = g_strdup (path);
  names[2] = g_strconcat (path, "[1]", NULL);
  for (int k = 0; k < 3; k++)
    {
      TessImage *img = load_ok (names[k]);
      ck_assert_int_eq (tess_image_get_width (img), 5);
      ck_assert_int_eq (tess_image_get_height (img), 3);
      ck_assert_msg (tu_equal_f (tess_image_get_data (img), data, 15),
                     "%s has other pixels", names[k]);
      tess_image_unref (img);
      g_free (names[k]);
    }
  /* The empty primary HDU, when named, holds no image. */
  names[0] = g_strconcat (path, "[0]", NULL);
  expect_load_error (names[0], path);
  g_free (names[0]);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_load_compressed)
{
  char *dir = tu_tmpdir ();
  char *pf = g_build_filename (dir, "float-c.fits", NULL);
  char *pi = g_build_filename (dir, "int-c.fits", NULL);
  char *pg = g_build_filename (dir, "gzip.fits.gz", NULL);
  long naxes[2] = { 50, 40 };
  float data[50 * 40];
  short idata[50 * 40];
  fitsfile *f;
  int status = 0, hdunum, compressed;
  TessImage *img;
  const float *d;

  for (int i = 0; i < 2000; i++)
    {
      data[i] = (float)sin (i * 0.37) * 1000.0f + (float)i / 7.0f;
      idata[i] = (short)((i * 37) % 20001 - 10000);
    }
  data[10] = NAN;

  /* Float data, no quantization: lossless (GZIP; RICE needs quantized
   * floats). */
  f = create_fits (pf, "[compress GZIP]");
  fits_set_quantize_level (f, 0.0f, &status);
  fits_create_img (f, FLOAT_IMG, 2, naxes, &status);
  put_wcs (f, 50, 40);
  fits_write_img (f, TFLOAT, 1, 2000, data, &status);
  fits_close_file (f, &status);
  check_fits (status, pf);

  f = create_fits (pi, "[compress RICE]");
  fits_create_img (f, SHORT_IMG, 2, naxes, &status);
  put_wcs (f, 50, 40);
  fits_write_img (f, TSHORT, 1, 2000, idata, &status);
  fits_close_file (f, &status);
  check_fits (status, pi);

  /* They really are tile-compressed (a binary table in HDU 2). */
  fits_open_file (&f, pf, READONLY, &status);
  fits_get_num_hdus (f, &hdunum, &status);
  fits_movabs_hdu (f, 2, NULL, &status);
  compressed = fits_is_compressed_image (f, &status);
  fits_close_file (f, &status);
  check_fits (status, "reading back");
  ck_assert_int_eq (hdunum, 2);
  ck_assert (compressed);

  img = load_ok (pf);
  ck_assert_int_eq (tess_image_get_width (img), 50);
  ck_assert_int_eq (tess_image_get_height (img), 40);
  ck_assert (tu_equal_f (tess_image_get_data (img), data, 2000));
  tess_image_unref (img);

  img = load_ok (pi);
  d = tess_image_get_data (img);
  for (int i = 0; i < 2000; i++)
    ck_assert_msg (d[i] == idata[i], "pixel %d: %g, expected %d", i, d[i],
                   idata[i]);
  tess_image_unref (img);

  /* A gzipped file. */
  write_image (pg, FLOAT_IMG, 2, naxes, TFLOAT, data);
  img = load_ok (pg);
  ck_assert (tu_equal_f (tess_image_get_data (img), data, 2000));
  tess_image_unref (img);

  g_free (pf);
  g_free (pi);
  g_free (pg);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

/* A file whose data are cut short: an error naming the file. */
START_TEST (test_load_truncated)
{
  char *dir = tu_tmpdir ();
  static const int bitpixes[] = { FLOAT_IMG, DOUBLE_IMG, SHORT_IMG };
  static const int types[] = { TDOUBLE, TDOUBLE, TDOUBLE };

  for (unsigned k = 0; k < G_N_ELEMENTS (bitpixes); k++)
    {
      char *name = g_strdup_printf ("cut%d.fits", bitpixes[k]);
      char *path = g_build_filename (dir, name, NULL);
      long naxes[2] = { 100, 100 };
      double *data = g_new (double, 10000);
      GStatBuf st;

      for (int i = 0; i < 10000; i++)
        data[i] = i % 1000;
      write_image (path, bitpixes[k], 2, naxes, types[k], data);
      ck_assert_int_eq (g_stat (path, &st), 0);
      ck_assert_int_gt (st.st_size, 2880 * 3);
      /* Keep the header (one block) and a bit of the data. */
      ck_assert_int_eq (truncate (path, 2880 + 2000), 0);
      expect_load_error (path, path);
      /* Cut within the header. */
      ck_assert_int_eq (truncate (path, 1000), 0);
      expect_load_error (path, path);
      g_free (data);
      g_free (path);
      g_free (name);
    }
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
#define HAVE_MALLINFO2 1
#endif

/* Failing to read the data frees everything it allocated: repeated
 * failures do not make the heap grow. */
START_TEST (test_load_error_frees_memory)
{
#ifdef HAVE_MALLINFO2
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "cut.fits", NULL);
  long naxes[2] = { 100, 100 };
  double *data = g_new0 (double, 10000);
  size_t before, after;

  write_image (path, FLOAT_IMG, 2, naxes, TDOUBLE, data);
  ck_assert_int_eq (truncate (path, 2880 + 2000), 0);
  for (int i = 0; i < 20; i++)
    expect_load_error (path, path);
  before = mallinfo2 ().uordblks;
  for (int i = 0; i < 500; i++)
    expect_load_error (path, path);
  after = mallinfo2 ().uordblks;
  ck_assert_msg (after < before + 64 * 1024,
                 "500 failed loads leave %" G_GSIZE_FORMAT
                 " more bytes allocated",
                 (gsize)(after - before));
  g_free (data);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
#endif
}
END_TEST

START_TEST (test_load_not_fits)
{
  char *dir = tu_tmpdir ();
  char *text = g_build_filename (dir, "notes.fits", NULL);
  char *rnd = g_build_filename (dir, "random.fits", NULL);
  char *missing = g_build_filename (dir, "missing.fits", NULL);
  char bytes[5000];
  GRand *r = g_rand_new_with_seed (3);

  ck_assert (
      g_file_set_contents (text, "hello, this is not FITS\n", -1, NULL));
  expect_load_error (text, text);
  {
    /* Shorter than a FITS block: a format error, said so, not an I/O
     * one (the same as a target file). */
    GError *error = NULL;
    g_autofree char *ext = g_strdup_printf ("%s[1]", text);
    ck_assert_ptr_null (tess_image_load (text, &error));
    ck_assert (error && strstr (error->message, "not a FITS file"));
    tu_assert_error (error, TESS_ERROR_FORMAT);
    ck_assert_ptr_null (tess_image_load (ext, &error));
    ck_assert (error && strstr (error->message, "not a FITS file"));
    tu_assert_error (error, TESS_ERROR_FORMAT);
    ck_assert_ptr_null (tess_wcs_load (text, &error));
    ck_assert (error != NULL);
    g_clear_error (&error);
  }
  for (gsize i = 0; i < sizeof bytes; i++)
    bytes[i] = (char)g_rand_int_range (r, 0, 256);
  ck_assert (g_file_set_contents (rnd, bytes, sizeof bytes, NULL));
  expect_load_error (rnd, rnd);
  {
    GError *error = NULL;
    ck_assert_ptr_null (tess_image_load (missing, &error));
    ck_assert_ptr_nonnull (error);
    ck_assert_int_eq (error->code, TESS_ERROR_IO);
    ck_assert (strstr (error->message, missing) != NULL);
    g_error_free (error);
  }
  g_rand_free (r);
  g_free (text);
  g_free (rnd);
  g_free (missing);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_load_naxis1)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "spectrum.fits", NULL);
  char *nowcs = g_build_filename (dir, "nowcs.fits", NULL);
  long naxes[2] = { 100, 10 };
  float data[1000] = { 0 };

  write_image (path, FLOAT_IMG, 1, naxes, TFLOAT, data);
  expect_load_error (path, path);

  /* An image without a celestial WCS. */
  {
    fitsfile *f = create_fits (nowcs, NULL);
    int status = 0;
    fits_create_img (f, FLOAT_IMG, 2, naxes, &status);
    fits_write_img (f, TFLOAT, 1, 1000, data, &status);
    fits_close_file (f, &status);
    check_fits (status, nowcs);
    expect_load_error (nowcs, nowcs);
  }
  g_free (path);
  g_free (nowcs);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

/* An empty primary HDU, a binary table, then the image: "the first HDU
 * that holds an image is used when none is named" (tessera.h). */
START_TEST (test_load_image_after_table)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "table-first.fits", NULL);
  fitsfile *f = create_fits (path, NULL);
  int status = 0;
  long naxes[2] = { 5, 3 };
  float data[15];
  char *ttype[] = { (char *)"FLUX" }, *tform[] = { (char *)"1E" };
  TessImage *img;

  for (int i = 0; i < 15; i++)
    data[i] = (float)i * 2.5f;
  fits_create_img (f, BYTE_IMG, 0, NULL, &status);
  fits_create_tbl (f, BINARY_TBL, 0, 1, ttype, tform, NULL, "CATALOG",
                   &status);
  fits_create_img (f, FLOAT_IMG, 2, naxes, &status);
  put_wcs (f, 5, 3);
  fits_write_img (f, TFLOAT, 1, 15, data, &status);
  fits_close_file (f, &status);
  check_fits (status, path);

  img = load_ok (path);
  ck_assert_int_eq (tess_image_get_width (img), 5);
  ck_assert_int_eq (tess_image_get_height (img), 3);
  ck_assert (tu_equal_f (tess_image_get_data (img), data, 15));
  tess_image_unref (img);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* Saving                                                                  */

/* Reads a saved file: primary BITPIX, size, pixels as double. */
typedef struct
{
  int bitpix, naxis, nhdus;
  long naxes[4];
  double *data;
} Saved;

static void
read_saved (const char *path, Saved *s)
{
  fitsfile *f = NULL;
  int status = 0;
  LONGLONG n = 1;

  memset (s, 0, sizeof *s);
  fits_open_file (&f, path, READONLY, &status);
  fits_get_num_hdus (f, &s->nhdus, &status);
  fits_get_img_param (f, 4, &s->bitpix, &s->naxis, s->naxes, &status);
  check_fits (status, path);
  for (int i = 0; i < s->naxis; i++)
    n *= s->naxes[i];
  s->data = g_new (double, n);
  fits_read_img (f, TDOUBLE, 1, n, NULL, s->data, NULL, &status);
  fits_close_file (f, &status);
  check_fits (status, path);
}

/* Reads a string keyword of the primary HDU; NULL when missing. */
static char *
read_key_string (const char *path, const char *key)
{
  fitsfile *f = NULL;
  int status = 0;
  char value[FLEN_VALUE] = "";
  char *out = NULL;

  fits_open_file (&f, path, READONLY, &status);
  check_fits (status, path);
  fits_read_key (f, TSTRING, key, value, NULL, &status);
  if (status == 0)
    out = g_strdup (value);
  status = 0;
  fits_close_file (f, &status);
  return out;
}

static gboolean
has_key (const char *path, const char *key)
{
  fitsfile *f = NULL;
  int status = 0;
  char card[FLEN_CARD];
  gboolean found;

  fits_open_file (&f, path, READONLY, &status);
  check_fits (status, path);
  fits_read_card (f, key, card, &status);
  found = status == 0;
  status = 0;
  fits_close_file (f, &status);
  return found;
}

static double
max_world_difference (const TessWcs *a, const TessWcs *b)
{
  double worst = 0.0;

  for (int i = 0; i < 10; i++)
    for (int j = 0; j < 10; j++)
      {
        double x = i * 4.3 - 1.0, y = j * 3.1 - 0.5;
        double l1, b1, l2, b2;
        ck_assert (tess_wcs_pixel_to_world (a, 1, &x, &y, &l1, &b1, NULL));
        ck_assert (tess_wcs_pixel_to_world (b, 1, &x, &y, &l2, &b2, NULL));
        worst = MAX (worst, MAX (fabs (l1 - l2), fabs (b1 - b2)));
      }
  return worst;
}

START_TEST (test_save_float)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "out.fits", NULL);
  TessWcs *wcs
      = tu_wcs (TESS_FRAME_FK5, "TAN", 210.0, -40.0, 40, 30, 2.0, 15.0);
  TessImage *img = tu_image (wcs, 2, 10);
  GError *error = NULL;
  Saved s;
  const float *d = tess_image_get_data (img);
  TessWcs *back;
  char *ctype;

  ck_assert (tess_image_save (img, path, 0, &error));
  tu_assert_no_error (error);
  assert_no_temp_files (dir);

  read_saved (path, &s);
  ck_assert_int_eq (s.bitpix, FLOAT_IMG);
  ck_assert_int_eq (s.nhdus, 1); /* no footprint: none in a tu_image */
  ck_assert_int_eq (s.naxis, 3);
  ck_assert_int_eq (s.naxes[0], 40);
  ck_assert_int_eq (s.naxes[1], 30);
  ck_assert_int_eq (s.naxes[2], 2);
  for (int i = 0; i < 40 * 30 * 2; i++)
    ck_assert_msg (s.data[i] == d[i] || (isnan (s.data[i]) && isnan (d[i])),
                   "pixel %d: %g, expected %g", i, s.data[i], d[i]);
  g_free (s.data);

  /* The WCS keywords: the saved WCS is the image's. */
  ctype = read_key_string (path, "CTYPE1");
  ck_assert_ptr_nonnull (ctype);
  ck_assert_str_eq (ctype, "RA---TAN");
  g_free (ctype);
  ctype = read_key_string (path, "RADESYS");
  ck_assert_ptr_nonnull (ctype);
  ck_assert_str_eq (ctype, "FK5");
  g_free (ctype);
  back = tess_wcs_load (path, &error);
  tu_assert_no_error (error);
  ck_assert_int_eq (tess_wcs_get_frame (back), TESS_FRAME_FK5);
  ck_assert_int_eq (tess_wcs_get_width (back), 40);
  ck_assert_int_eq (tess_wcs_get_height (back), 30);
  ck_assert (max_world_difference (wcs, back) < 1e-12);
  tess_wcs_unref (back);

  /* And it loads back as the same image. */
  {
    TessImage *again = load_ok (path);
    ck_assert_int_eq (tess_image_get_nplanes (again), 2);
    ck_assert (tu_equal_f (tess_image_get_data (again), d, 40 * 30 * 2));
    tess_image_unref (again);
  }

  tess_image_unref (img);
  tess_wcs_unref (wcs);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_save_double)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "out64.fits", NULL);
  TessWcs *wcs
      = tu_wcs (TESS_FRAME_GALACTIC, "CAR", 10.0, 5.0, 9, 7, 30.0, 0.0);
  TessImage *img = tess_image_new (wcs, TESS_TYPE_DOUBLE, 9, 7, 1, NULL, 0);
  double *d = tess_image_get_data (img);
  GError *error = NULL;
  Saved s;
  char *ctype;

  ck_assert_int_eq (tess_image_get_pixel_type (img), TESS_TYPE_DOUBLE);
  /* A new image is all NaN. */
  for (int i = 0; i < 63; i++)
    ck_assert (isnan (d[i]));
  for (int i = 0; i < 63; i++)
    d[i] = i == 5 ? NAN : 1.0 / (i + 3.0) + 1e10 * i;
  ck_assert (tess_image_save (img, path, 0, &error));
  tu_assert_no_error (error);
  read_saved (path, &s);
  ck_assert_int_eq (s.bitpix, DOUBLE_IMG);
  ck_assert_int_eq (s.naxis, 2);
  ck_assert (equal_d (s.data, d, 63));
  g_free (s.data);
  ctype = read_key_string (path, "CTYPE1");
  ck_assert_str_eq (ctype, "GLON-CAR");
  g_free (ctype);
  assert_no_temp_files (dir);
  tess_image_unref (img);
  tess_wcs_unref (wcs);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

/* An image made by tess_image_new() keeps the non-structural cards it is
 * given. */
START_TEST (test_new_with_cards)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "cards.fits", NULL);
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 1.0, 2.0, 5, 4, 1.0, 0.0);
  GString *cards = g_string_new (NULL);
  TessImage *img;
  Saved s;
  char *v;

  g_string_append_printf (cards, "%-80s", "BITPIX  =                   16");
  g_string_append_printf (cards, "%-80s", "BSCALE  =                  2.0");
  g_string_append_printf (cards, "%-80s", "OBJECT  = 'NGC 1234'");
  img = tess_image_new (wcs, TESS_TYPE_FLOAT, 5, 4, 1, cards->str, 3);
  ((float *)tess_image_get_data (img))[0] = 3.0f;
  ck_assert (tess_image_save (img, path, 0, NULL));
  v = read_key_string (path, "OBJECT");
  ck_assert_ptr_nonnull (v);
  ck_assert_str_eq (v, "NGC 1234");
  g_free (v);
  ck_assert (!has_key (path, "BSCALE"));
  read_saved (path, &s);
  ck_assert_int_eq (s.bitpix, FLOAT_IMG);
  ck_assert (s.data[0] == 3.0);
  ck_assert (isnan (s.data[1]));
  g_free (s.data);
  tess_image_unref (img);
  tess_wcs_unref (wcs);
  g_string_free (cards, TRUE);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

static void
count_destroy (gpointer data)
{
  (*(int *)data)++;
}

/* tess_image_new_for_data() reads the caller's samples in place, native
 * or big-endian, for every method: the same output as an image holding a
 * copy; the caller's memory is released through @destroy once, when the
 * last reference goes (the plan's included), and left alone otherwise. */
START_TEST (test_new_for_data)
{
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 10.0, 20.0, 60, 50, 2.0, 0.0);
  TessWcs *target
      = tu_wcs (TESS_FRAME_ICRS, "TAN", 10.001, 20.002, 40, 45, 2.3, 17.0);
  TessImage *own = tu_image (wcs, 2, 5);
  gsize n = 60 * 50 * 2;
  float *native = g_new (float, n);
  guint32 *swapped = g_new (guint32, n);
  float *ref = g_new (float, 40 * 45 * 2), *got = g_new (float, 40 * 45 * 2);
  float fp_ref[40 * 45], fp_got[40 * 45];
  TessRect all = { 0, 0, 40, 45 };
  GError *error = NULL;
  int destroyed = 0;

  memcpy (native, tess_image_get_data (own), n * sizeof (float));
  for (gsize i = 0; i < n; i++)
    {
      guint32 u;
      memcpy (&u, native + i, 4);
      swapped[i] = GUINT32_TO_BE (u);
    }
  for (int m = 0; m < TESS_N_METHODS; m++)
    for (int be = 0; be < 2; be++)
      {
        TessOptions o;
        TessImage *img;
        TessPlan *plan, *plan_ref;

        tess_options_init (&o);
        o.method = (TessMethod)m;
        img = tess_image_new_for_data (wcs, TESS_TYPE_FLOAT, 60, 50, 2,
                                       be ? (gpointer)swapped : native, be,
                                       count_destroy, &destroyed, &error);
        tu_assert_no_error (error);
        ck_assert_int_eq (tess_image_get_nplanes (img), 2);
        plan = tess_plan_new (img, target, &o, &error);
        tu_assert_no_error (error);
        tess_image_unref (img);
        ck_assert_int_eq (destroyed, 0);
        plan_ref = tess_plan_new (own, target, &o, &error);
        tu_assert_no_error (error);
        ck_assert (
            tess_plan_compute_region (plan_ref, &all, ref, fp_ref, &error));
        ck_assert (tess_plan_compute_region (plan, &all, got, fp_got, &error));
        tu_assert_no_error (error);
        ck_assert_msg (tu_equal_f (ref, got, 40 * 45 * 2)
                           && tu_equal_f (fp_ref, fp_got, 40 * 45),
                       "method %s, big-endian %d differs",
                       tess_method_name ((TessMethod)m), be);
        tess_plan_unref (plan_ref);
        tess_plan_unref (plan);
        ck_assert_int_eq (destroyed, 1);
        destroyed = 0;
      }
  /* Without @destroy the memory stays the caller's. */
  {
    TessImage *img = tess_image_new_for_data (
        wcs, TESS_TYPE_FLOAT, 60, 50, 2, native, FALSE, NULL, NULL, &error);
    tu_assert_no_error (error);
    ck_assert_ptr_eq (tess_image_get_data (img), native);
    tess_image_unref (img);
    ck_assert (native[1] == ((float *)tess_image_get_data (own))[1]);
  }
  /* A bad size: an error, and @destroy is not called. */
  ck_assert_ptr_null (tess_image_new_for_data (wcs, TESS_TYPE_FLOAT, 0, 50, 1,
                                               native, FALSE, count_destroy,
                                               &destroyed, &error));
  tu_assert_error (error, TESS_ERROR_INVALID);
  ck_assert_ptr_null (tess_image_new_for_data (wcs, TESS_TYPE_FLOAT, 60, 50, 0,
                                               native, FALSE, count_destroy,
                                               &destroyed, &error));
  tu_assert_error (error, TESS_ERROR_INVALID);
  ck_assert_int_eq (destroyed, 0);
  g_free (native);
  g_free (swapped);
  g_free (ref);
  g_free (got);
  tess_image_unref (own);
  tess_wcs_unref (target);
  tess_wcs_unref (wcs);
}
END_TEST

/* A loaded image keeps its other keywords (OBJECT, ...) but not the
 * scaling, which the saved float pixels already include. */
START_TEST (test_keywords_kept)
{
  char *dir = tu_tmpdir ();
  char *in = g_build_filename (dir, "i16.fits", NULL);
  char *out = g_build_filename (dir, "saved.fits", NULL);
  TessImage *img;
  Saved s;
  char *v;
  GError *error = NULL;

  write_int16_scaled (in, int16_raw, 4, 3);
  img = load_ok (in);
  ck_assert (tess_image_save (img, out, 0, &error));
  tu_assert_no_error (error);
  v = read_key_string (out, "OBJECT");
  ck_assert_ptr_nonnull (v);
  ck_assert_str_eq (v, "scaled");
  g_free (v);
  ck_assert (!has_key (out, "BSCALE"));
  ck_assert (!has_key (out, "BZERO"));
  ck_assert (!has_key (out, "BLANK"));
  read_saved (out, &s);
  ck_assert_int_eq (s.bitpix, FLOAT_IMG);
  for (int i = 0; i < 12; i++)
    {
      if (int16_raw[i] == -32768)
        ck_assert (isnan (s.data[i]));
      else
        ck_assert_msg (s.data[i] == int16_raw[i] * 0.5 + 100.0,
                       "saved pixel %d: %g", i, s.data[i]);
    }
  g_free (s.data);
  tess_image_unref (img);
  g_free (in);
  g_free (out);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_save_footprint)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "fp.fits", NULL);
  char *nofp = g_build_filename (dir, "nofp.fits", NULL);
  TessWcs *wcs
      = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 30.0, 40, 30, 1.0, 0.0);
  TessImage *img = tu_image (wcs, 1, 0);
  GError *error = NULL;
  TessImage *out = tess_reproject (img, wcs, NULL, &error);
  const float *fp;
  fitsfile *f = NULL;
  int status = 0, nhdus = 0, naxis = 0, bitpix = 0;
  long naxes[2] = { 0, 0 };
  char extname[FLEN_VALUE] = "";
  float *back = g_new (float, 40 * 30);
  int nonzero = 0;

  tu_assert_no_error (error);
  ck_assert_ptr_nonnull (out);
  fp = tess_image_get_footprint (out);
  ck_assert_ptr_nonnull (fp);
  for (int i = 0; i < 1200; i++)
    nonzero += fp[i] != 0.0f;
  ck_assert_int_gt (nonzero, 0);

  ck_assert (tess_image_save (out, path, 0, &error));
  tu_assert_no_error (error);
  fits_open_file (&f, path, READONLY, &status);
  fits_get_num_hdus (f, &nhdus, &status);
  fits_movabs_hdu (f, 2, NULL, &status);
  fits_read_key (f, TSTRING, "EXTNAME", extname, NULL, &status);
  fits_get_img_param (f, 2, &bitpix, &naxis, naxes, &status);
  fits_read_img (f, TFLOAT, 1, 1200, NULL, back, NULL, &status);
  fits_close_file (f, &status);
  check_fits (status, path);
  ck_assert_int_eq (nhdus, 2);
  ck_assert_str_eq (extname, "FOOTPRINT");
  ck_assert_int_eq (naxis, 2);
  ck_assert_int_eq (naxes[0], 40);
  ck_assert_int_eq (naxes[1], 30);
  ck_assert (tu_equal_f (back, fp, 1200));

  /* Without the footprint: one HDU. */
  ck_assert (tess_image_save (out, nofp, TESS_WRITE_NO_FOOTPRINT, &error));
  tu_assert_no_error (error);
  f = NULL;
  fits_open_file (&f, nofp, READONLY, &status);
  fits_get_num_hdus (f, &nhdus, &status);
  fits_close_file (f, &status);
  check_fits (status, nofp);
  ck_assert_int_eq (nhdus, 1);
  assert_no_temp_files (dir);

  g_free (back);
  tess_image_unref (out);
  tess_image_unref (img);
  tess_wcs_unref (wcs);
  g_free (path);
  g_free (nofp);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_save_existing)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "exists.fits", NULL);
  TessWcs *wcs
      = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 30.0, 20, 10, 1.0, 0.0);
  TessImage *img = tu_image (wcs, 1, 0);
  GError *error = NULL;
  static const char original[] = "precious data, not to be replaced\n";
  char *contents = NULL;
  gsize len = 0;
  Saved s;

  ck_assert (g_file_set_contents (path, original, -1, NULL));
  ck_assert (!tess_image_save (img, path, 0, &error));
  ck_assert_ptr_nonnull (error);
  ck_assert (error->domain == TESS_ERROR);
  ck_assert_int_eq (error->code, TESS_ERROR_IO);
  ck_assert (strstr (error->message, path) != NULL);
  g_clear_error (&error);
  ck_assert (g_file_get_contents (path, &contents, &len, NULL));
  ck_assert_uint_eq (len, strlen (original));
  ck_assert (memcmp (contents, original, len) == 0);
  g_free (contents);
  assert_no_temp_files (dir);

  ck_assert (tess_image_save (img, path, TESS_WRITE_OVERWRITE, &error));
  tu_assert_no_error (error);
  read_saved (path, &s);
  ck_assert_int_eq (s.naxes[0], 20);
  ck_assert_int_eq (s.naxes[1], 10);
  for (int i = 0; i < 200; i++)
    ck_assert (s.data[i] == ((float *)tess_image_get_data (img))[i]);
  g_free (s.data);
  assert_no_temp_files (dir);

  tess_image_unref (img);
  tess_wcs_unref (wcs);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_save_missing_folder)
{
  char *dir = tu_tmpdir ();
  char *sub = g_build_filename (dir, "missing", NULL);
  char *path = g_build_filename (sub, "out.fits", NULL);
  TessWcs *wcs
      = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 30.0, 20, 10, 1.0, 0.0);
  TessImage *img = tu_image (wcs, 1, 0);
  GError *error = NULL;

  ck_assert (!tess_image_save (img, path, 0, &error));
  ck_assert_ptr_nonnull (error);
  ck_assert (error->domain == TESS_ERROR);
  ck_assert_int_eq (error->code, TESS_ERROR_IO);
  ck_assert_msg (strstr (error->message, path) != NULL,
                 "message '%s' does not name the file", error->message);
  g_clear_error (&error);
  ck_assert (!g_file_test (sub, G_FILE_TEST_EXISTS));
  ck_assert (!tess_image_save (img, path, TESS_WRITE_OVERWRITE, &error));
  ck_assert_ptr_nonnull (error);
  g_clear_error (&error);
  assert_no_temp_files (dir);

  /* A folder in the way of the file. */
  ck_assert_int_eq (g_mkdir (sub, 0755), 0);
  ck_assert (!tess_image_save (img, sub, TESS_WRITE_OVERWRITE, &error));
  ck_assert_ptr_nonnull (error);
  g_clear_error (&error);
  ck_assert (g_file_test (sub, G_FILE_TEST_IS_DIR));
  assert_no_temp_files (dir);
  g_rmdir (sub);

  tess_image_unref (img);
  tess_wcs_unref (wcs);
  g_free (path);
  g_free (sub);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

/* Reads the primary pixels of @path without cfitsio's file-name syntax
 * (the path may hold brackets or parentheses). */
static void
read_disk_pixels (const char *path, float *out, LONGLONG n)
{
  fitsfile *f = NULL;
  int status = 0;

  fits_open_diskfile (&f, path, READONLY, &status);
  fits_read_img (f, TFLOAT, 1, n, NULL, out, NULL, &status);
  fits_close_file (f, &status);
  check_fits (status, path);
}

/* tess_image_save() takes a plain file name: folder names with the
 * characters of cfitsio's extended syntax are folder names. */
START_TEST (test_save_folder_names)
{
  char *dir = tu_tmpdir ();
  static const char *const names[]
      = { "data (copy)", "run[2]", "a+b,c", "x{1}" };
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 30.0, 12, 9, 1.0, 0.0);
  TessImage *img = tu_image (wcs, 1, 3);
  float back[12 * 9];

  for (unsigned i = 0; i < G_N_ELEMENTS (names); i++)
    {
      char *sub = g_build_filename (dir, names[i], NULL);
      char *path = g_build_filename (sub, "out.fits", NULL);
      GError *error = NULL;

      ck_assert_int_eq (g_mkdir (sub, 0755), 0);
      ck_assert_msg (tess_image_save (img, path, 0, &error),
                     "cannot save into '%s': %s", names[i],
                     error ? error->message : "");
      read_disk_pixels (path, back, 12 * 9);
      ck_assert (tu_equal_f (back, tess_image_get_data (img), 12 * 9));
      assert_no_temp_files (sub);
      tu_rmdir (sub);
      g_free (path);
      g_free (sub);
    }
  assert_no_temp_files (dir);
  tess_image_unref (img);
  tess_wcs_unref (wcs);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

/* Saving never touches a file outside the output's folder, even one whose
 * name is a prefix of the folder's ("images" next to "images[1]"). */
START_TEST (test_save_leaves_neighbours)
{
  char *dir = tu_tmpdir ();
  char *sibling = g_build_filename (dir, "images", NULL);
  char *sibling2 = g_build_filename (dir, "notes ", NULL);
  char *sub = g_build_filename (dir, "images[1]", NULL);
  char *sub2 = g_build_filename (dir, "notes (old)", NULL);
  char *path = g_build_filename (sub, "out.fits", NULL);
  char *path2 = g_build_filename (sub2, "out.fits", NULL);
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 30.0, 12, 9, 1.0, 0.0);
  TessImage *img = tu_image (wcs, 1, 0);
  static const char keep[] = "a file that must not change\n";
  char *contents = NULL;
  gsize len = 0;

  ck_assert (g_file_set_contents (sibling, keep, -1, NULL));
  ck_assert (g_file_set_contents (sibling2, keep, -1, NULL));
  ck_assert_int_eq (g_mkdir (sub, 0755), 0);
  ck_assert_int_eq (g_mkdir (sub2, 0755), 0);
  /* Whether or not these succeed, the neighbours stay as they were. */
  tess_image_save (img, path, 0, NULL);
  tess_image_save (img, path2, 0, NULL);

  ck_assert (g_file_get_contents (sibling, &contents, &len, NULL));
  ck_assert_msg (len == strlen (keep) && memcmp (contents, keep, len) == 0,
                 "saving into %s changed %s (now %" G_GSIZE_FORMAT " bytes)",
                 sub, sibling, len);
  g_free (contents);
  ck_assert (g_file_get_contents (sibling2, &contents, &len, NULL));
  ck_assert_msg (len == strlen (keep) && memcmp (contents, keep, len) == 0,
                 "saving into %s changed '%s' (now %" G_GSIZE_FORMAT " bytes)",
                 sub2, sibling2, len);
  g_free (contents);
  assert_no_temp_files (dir);
  assert_no_temp_files (sub);
  assert_no_temp_files (sub2);

  tess_image_unref (img);
  tess_wcs_unref (wcs);
  tu_rmdir (sub);
  tu_rmdir (sub2);
  tu_rmdir (dir);
  g_free (sibling);
  g_free (sibling2);
  g_free (sub);
  g_free (sub2);
  g_free (path);
  g_free (path2);
  g_free (dir);
}
END_TEST

/* Counts the HISTORY cards of the primary HDU and joins their text. */
static int
read_history (const char *path, GString *text)
{
  fitsfile *f = NULL;
  int status = 0, nkeys = 0, count = 0;

  fits_open_file (&f, path, READONLY, &status);
  fits_get_hdrspace (f, &nkeys, NULL, &status);
  for (int i = 1; i <= nkeys; i++)
    {
      char card[FLEN_CARD];
      fits_read_record (f, i, card, &status);
      if (strncmp (card, "HISTORY ", 8) == 0)
        {
          count++;
          g_string_append (text, card + 8);
        }
    }
  fits_close_file (f, &status);
  check_fits (status, path);
  return count;
}

START_TEST (test_history)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "hist.fits", NULL);
  char *path2 = g_build_filename (dir, "hist2.fits", NULL);
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 30.0, 8, 8, 1.0, 0.0);
  TessImage *img = tu_image (wcs, 1, 0);
  GString *text = g_string_new (NULL), *back = g_string_new (NULL);
  GError *error = NULL;

  for (int i = 0; i < 200; i++)
    g_string_append_c (text, "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36]);
  ck_assert_uint_eq (text->len, 200);
  tess_image_add_history (img, text->str);
  ck_assert (tess_image_save (img, path, 0, &error));
  tu_assert_no_error (error);
  ck_assert_int_eq (read_history (path, back), 3);
  g_strchomp (back->str);
  ck_assert_str_eq (back->str, text->str);

  /* A short one more: one card. */
  tess_image_add_history (img, "short");
  ck_assert (tess_image_save (img, path2, 0, &error));
  tu_assert_no_error (error);
  g_string_truncate (back, 0);
  ck_assert_int_eq (read_history (path2, back), 4);

  g_string_free (text, TRUE);
  g_string_free (back, TRUE);
  tess_image_unref (img);
  tess_wcs_unref (wcs);
  g_free (path);
  g_free (path2);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

START_TEST (test_keyword_string)
{
  char *dir = tu_tmpdir ();
  char *path = g_build_filename (dir, "kw.fits", NULL);
  TessWcs *wcs = tu_wcs (TESS_FRAME_ICRS, "TAN", 150.0, 30.0, 8, 8, 1.0, 0.0);
  TessImage *img = tu_image (wcs, 1, 0);
  char *v;

  tess_image_set_keyword_string (img, "OBSERVER", "O'Brien", "who");
  tess_image_set_keyword_string (img, "ORIGIN", "first", NULL);
  tess_image_set_keyword_string (img, "ORIGIN", "second", NULL);
  ck_assert (tess_image_save (img, path, 0, NULL));
  v = read_key_string (path, "OBSERVER");
  ck_assert_ptr_nonnull (v);
  ck_assert_str_eq (v, "O'Brien");
  g_free (v);
  v = read_key_string (path, "ORIGIN");
  ck_assert_ptr_nonnull (v);
  ck_assert_str_eq (v, "second");
  g_free (v);
  tess_image_unref (img);
  tess_wcs_unref (wcs);
  g_free (path);
  tu_rmdir (dir);
  g_free (dir);
}
END_TEST

static Suite *
image_suite (void)
{
  Suite *s = suite_create ("image");
  TCase *tc = tcase_create ("image");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_load_float32);
  tcase_add_test (tc, test_load_float64);
  tcase_add_test (tc, test_load_int16_scaled);
  tcase_add_test (tc, test_load_uint8);
  tcase_add_test (tc, test_load_int32);
  tcase_add_test (tc, test_load_int64);
  tcase_add_test (tc, test_load_cube);
  tcase_add_test (tc, test_load_extension);
  tcase_add_test (tc, test_load_compressed);
  tcase_add_test (tc, test_load_truncated);
  tcase_add_test (tc, test_load_error_frees_memory);
  tcase_add_test (tc, test_load_not_fits);
  tcase_add_test (tc, test_load_naxis1);
  tcase_add_test (tc, test_load_image_after_table);
  tcase_add_test (tc, test_save_float);
  tcase_add_test (tc, test_save_double);
  tcase_add_test (tc, test_new_with_cards);
  tcase_add_test (tc, test_new_for_data);
  tcase_add_test (tc, test_keywords_kept);
  tcase_add_test (tc, test_save_footprint);
  tcase_add_test (tc, test_save_existing);
  tcase_add_test (tc, test_save_missing_folder);
  tcase_add_test (tc, test_save_folder_names);
  tcase_add_test (tc, test_save_leaves_neighbours);
  tcase_add_test (tc, test_history);
  tcase_add_test (tc, test_keyword_string);
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
  return tu_run_in_temp_root (image_suite (), "tessera-test-image");
}
