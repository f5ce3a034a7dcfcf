/* floor.c — tessera-bench-floor INPUT TARGET OUTPUT: what a reprojection
 * costs with no computation, for bench/run.  It reads every sample of
 * INPUT's image (mapped from the file, as tessera maps plain float
 * inputs: each sample is loaded, byte-swapped and summed) and writes an
 * output of TARGET's size as tessera writes one: the target's header, a
 * float32 image (NaN) and a FOOTPRINT extension (zeros), each written in
 * one call to cfitsio, under a temporary name, and renamed.  Its time is
 * the floor each tessera time is compared with. */
#include "config.h"

#include "tessera.h"

#include <fcntl.h>
#include <fitsio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int
die (const char *what, const char *detail)
{
  fprintf (stderr, "tessera-bench-floor: %s: %s\n", what, detail);
  return 1;
}

/* Sums the samples of the first image HDU's data (BITPIX -32 or -64). */
static int
read_input (const char *path, double *sum)
{
  fitsfile *f = NULL;
  int status = 0, bitpix = 0, naxis = 0, fd;
  long naxes[9] = { 0 };
  LONGLONG head = 0, start = 0, end = 0;
  gsize n = 1, elem;
  struct stat st;
  const unsigned char *map;
  char msg[81];

  if (fits_open_image (&f, path, READONLY, &status)
      || fits_get_img_param (f, 9, &bitpix, &naxis, naxes, &status)
      || fits_get_hduaddrll (f, &head, &start, &end, &status))
    {
      fits_get_errstatus (status, msg);
      return die (path, msg);
    }
  fits_close_file (f, &status);
  if (bitpix != FLOAT_IMG && bitpix != DOUBLE_IMG)
    return die (path, "the floor reads float images only");
  for (int i = 0; i < naxis; i++)
    n *= (gsize)naxes[i];
  elem = bitpix == FLOAT_IMG ? 4 : 8;
  fd = open (path, O_RDONLY);
  if (fd < 0 || fstat (fd, &st) != 0)
    return die (path, "cannot open");
  map = mmap (NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close (fd);
  if (map == MAP_FAILED)
    return die (path, "cannot map");
  *sum = 0.0;
  for (gsize k = 0; k < n; k++)
    {
      const unsigned char *p = map + start + k * elem;
      if (elem == 4)
        {
          guint32 u = GUINT32_FROM_BE (*(const guint32 *)(const void *)p);
          float v;
          memcpy (&v, &u, 4);
          if (isfinite (v))
            *sum += v;
        }
      else
        {
          guint64 u = GUINT64_FROM_BE (*(const guint64 *)(const void *)p);
          double v;
          memcpy (&v, &u, 8);
          if (isfinite (v))
            *sum += v;
        }
    }
  munmap ((void *)map, (size_t)st.st_size);
  return 0;
}

static int
write_output (TessWcs *target, const char *path)
{
  long w = (long)tess_wcs_get_width (target),
       h = (long)tess_wcs_get_height (target);
  long naxes[2] = { w, h };
  char *tmp = g_strdup_printf ("%s.floor-tmp", path);
  char *text = tess_wcs_to_text (target);
  char **lines = g_strsplit (text, "\n", -1);
  gsize npix = (gsize)w * (gsize)h;
  float *data = g_new (float, npix);
  fitsfile *f = NULL;
  int status = 0;
  char msg[81];

  unlink (tmp);
  fits_create_file (&f, tmp, &status);
  fits_create_img (f, FLOAT_IMG, 2, naxes, &status);
  for (int i = 0; lines[i] && status == 0; i++)
    if (strncmp (lines[i], "CTYPE", 5) == 0
        || strncmp (lines[i], "CRVAL", 5) == 0
        || strncmp (lines[i], "CRPIX", 5) == 0
        || strncmp (lines[i], "CDELT", 5) == 0
        || strncmp (lines[i], "CUNIT", 5) == 0
        || strncmp (lines[i], "PC", 2) == 0
        || strncmp (lines[i], "CD", 2) == 0)
      fits_write_record (f, lines[i], &status);
  for (gsize k = 0; k < npix; k++)
    data[k] = NAN;
  fits_write_img (f, TFLOAT, 1, (LONGLONG)npix, data, &status);
  fits_create_img (f, FLOAT_IMG, 2, naxes, &status);
  fits_write_key_str (f, "EXTNAME", "FOOTPRINT", NULL, &status);
  memset (data, 0, npix * sizeof (float));
  fits_write_img (f, TFLOAT, 1, (LONGLONG)npix, data, &status);
  fits_close_file (f, &status);
  g_free (data);
  g_strfreev (lines);
  g_free (text);
  if (status == 0 && rename (tmp, path) != 0)
    status = FILE_NOT_CREATED;
  if (status)
    {
      unlink (tmp);
      fits_get_errstatus (status, msg);
      g_free (tmp);
      return die (path, msg);
    }
  g_free (tmp);
  return 0;
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  TessWcs *target;
  double sum = 0.0;
  int rc;

  if (argc != 4)
    {
      fprintf (stderr, "usage: tessera-bench-floor INPUT TARGET OUTPUT\n");
      return 2;
    }
  target = tess_wcs_load (argv[2], &error);
  if (target == NULL)
    return die (argv[2], error->message);
  rc = read_input (argv[1], &sum);
  if (rc == 0)
    rc = write_output (target, argv[3]);
  tess_wcs_unref (target);
  if (rc == 0)
    printf ("sum of the input's samples: %.17g\n", sum);
  return rc;
}
