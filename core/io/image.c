/* image.c — TessImage: pixel planes with a WCS and header keywords;
 * reading any FITS image HDU and writing results (primary image plus a
 * FOOTPRINT extension), complete or not at all.
 */
#include "config.h"

#include "io/tess-stream.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Objects                                                                 */

TessImage *
tess__image_alloc (TessWcs *wcs, TessPixelType type, gint64 width,
                   gint64 height, int n_extra, const gint64 *extra,
                   gboolean with_data, GError **error)
{
  TessImage *image;
  gint64 nplanes = 1;
  gsize npix,
      elem = type == TESS_TYPE_DOUBLE ? sizeof (double) : sizeof (float);

  if (width <= 0 || height <= 0 || width > TESS_MAX_SIDE
      || height > TESS_MAX_SIDE || n_extra > TESS_MAX_EXTRA_AXES)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "image size %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                   " is out of range",
                   width, height);
      return NULL;
    }
  for (int i = 0; i < n_extra; i++)
    {
      if (extra[i] <= 0 || nplanes > G_MAXINT64 / extra[i])
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       "axis %d has length %" G_GINT64_FORMAT, i + 3,
                       extra[i]);
          return NULL;
        }
      nplanes *= extra[i];
    }
  /* Overflow-safe size. */
  if ((guint64)width * (guint64)height > G_MAXSIZE / elem / (guint64)nplanes)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "image of %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                   "x%" G_GINT64_FORMAT " pixels is too large",
                   width, height, nplanes);
      return NULL;
    }
  npix = (gsize)width * (gsize)height * (gsize)nplanes;

  image = g_new0 (TessImage, 1);
  image->ref_count = 1;
  image->wcs = wcs ? tess_wcs_ref (wcs) : NULL;
  image->type = type;
  image->bitpix = type == TESS_TYPE_DOUBLE ? DOUBLE_IMG : FLOAT_IMG;
  image->width = width;
  image->height = height;
  image->nplanes = nplanes;
  image->n_extra = n_extra;
  for (int i = 0; i < n_extra; i++)
    image->extra[i] = extra[i];
  image->cards = g_string_new (NULL);
  image->scratch_fd = -1;
  g_mutex_init (&image->lock);
  if (with_data)
    image->data = tess__alloc_large (npix * elem);
  if (with_data && image->data == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_NO_MEMORY,
                   "not enough memory for an image of %" G_GSIZE_FORMAT " MiB",
                   npix * elem >> 20);
      tess_image_unref (image);
      return NULL;
    }
  return image;
}

TessImage *
tess_image_new (TessWcs *wcs, TessPixelType type, gint64 width, gint64 height,
                gint64 nplanes, const char *header_cards, int ncards)
{
  gint64 extra[1] = { nplanes };
  TessImage *image = tess__image_alloc (
      wcs, type, width, height, nplanes > 1 ? 1 : 0, extra, TRUE, NULL);
  gsize npix;

  if (image == NULL)
    return NULL;
  npix = (gsize)width * (gsize)height * (gsize)image->nplanes;
  if (type == TESS_TYPE_DOUBLE)
    for (gsize i = 0; i < npix; i++)
      ((double *)image->data)[i] = NAN;
  else
    for (gsize i = 0; i < npix; i++)
      ((float *)image->data)[i] = NAN;
  for (int i = 0; header_cards && i < ncards; i++)
    {
      const char *c = header_cards + (gsize)i * 80;
      if (!tess__is_structural_key (c))
        g_string_append_len (image->cards, c, 80);
    }
  return image;
}

TessImage *
tess_image_new_for_data (TessWcs *wcs, TessPixelType type, gint64 width,
                         gint64 height, gint64 nplanes, gconstpointer data,
                         gboolean big_endian, GDestroyNotify destroy,
                         gpointer user_data, GError **error)
{
  gint64 extra[1] = { nplanes };
  TessImage *image;

  g_return_val_if_fail (data != NULL, NULL);
  image = tess__image_alloc (wcs, type, width, height, nplanes != 1 ? 1 : 0,
                             extra, FALSE, error);
  if (image == NULL)
    return NULL;
  image->data = (gpointer)data;
  image->swapped = big_endian && G_BYTE_ORDER == G_LITTLE_ENDIAN;
  image->foreign = TRUE;
  image->data_destroy = destroy;
  image->data_owner = user_data;
  return image;
}

TessImage *
tess_image_ref (TessImage *image)
{
  g_atomic_int_inc (&image->ref_count);
  return image;
}

void
tess_image_unref (TessImage *image)
{
  if (image == NULL || !g_atomic_int_dec_and_test (&image->ref_count))
    return;
  if (image->wcs)
    tess_wcs_unref (image->wcs);
  if (image->map)
    munmap (image->map, image->map_len);
  else if (!image->foreign)
    g_free (image->data);
  else if (image->data_destroy)
    image->data_destroy (image->data_owner);
  g_free (image->native);
  g_mutex_clear (&image->lock);
  g_free (image->footprint);
  if (image->cards)
    g_string_free (image->cards, TRUE);
  g_free (image->source);
  g_free (image->data_file);
  if (image->scratch_fd >= 0)
    close (image->scratch_fd);
  g_free (image);
}

gint64
tess_image_get_width (const TessImage *image)
{
  return image->width;
}

gint64
tess_image_get_height (const TessImage *image)
{
  return image->height;
}

gint64
tess_image_get_nplanes (const TessImage *image)
{
  return image->nplanes;
}

int
tess_image_get_extra_axes (const TessImage *image, gint64 *lengths, int max)
{
  for (int i = 0; i < image->n_extra && i < max; i++)
    lengths[i] = image->extra[i];
  return image->n_extra;
}

TessPixelType
tess_image_get_pixel_type (const TessImage *image)
{
  return image->type;
}

/* Mapped inputs at least this large drop their pages after each block. */
#define DROP_PAGES_MIN_BYTES ((gsize)256 << 20)

void
tess__image_drop_pages (TessImage *image)
{
  if (image->map && image->map_len >= DROP_PAGES_MIN_BYTES)
    (void)madvise (image->map, image->map_len, MADV_DONTNEED);
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif

void
tess__image_populate (TessImage *image)
{
  if (image->map && image->map_len < DROP_PAGES_MIN_BYTES)
    (void)madvise (image->map, image->map_len, MADV_POPULATE_READ);
}

gpointer
tess_image_get_data (TessImage *image)
{
  gpointer native;

  if (!image->swapped)
    return image->data;
  /* Mapped FITS data are big-endian: make a native copy once. */
  g_mutex_lock (&image->lock);
  if (image->native == NULL)
    {
      gsize elem = image->type == TESS_TYPE_DOUBLE ? 8 : 4;
      gsize n
          = (gsize)image->width * (gsize)image->height * (gsize)image->nplanes;
      native = tess__alloc_large (n * elem);
      if (native)
        {
          memcpy (native, image->data, n * elem);
          tess__swap_to_native (native, n, elem);
        }
      image->native = native;
    }
  native = image->native;
  g_mutex_unlock (&image->lock);
  return native;
}

float *
tess_image_get_footprint (TessImage *image)
{
  return image->footprint;
}

TessWcs *
tess_image_get_wcs (const TessImage *image)
{
  return image->wcs;
}

const char *
tess_image_get_source (const TessImage *image)
{
  return image->source;
}

void
tess_image_add_history (TessImage *image, const char *text)
{
  gsize len = strlen (text);

  /* 72 characters of text fit after "HISTORY ". */
  for (gsize off = 0; off < len || off == 0; off += 72)
    {
      char card[81];
      g_snprintf (card, sizeof card, "HISTORY %-72.72s", text + off);
      g_string_append_len (image->cards, card, 80);
      if (len == 0)
        break;
    }
}

void
tess_image_set_keyword_string (TessImage *image, const char *key,
                               const char *value, const char *comment)
{
  GString *quoted = g_string_new ("'");

  /* FITS doubles single quotes inside strings; 68 characters at most. */
  for (const char *p = value; *p && quoted->len < 66; p++)
    {
      if (*p == '\'')
        g_string_append_c (quoted, '\'');
      g_string_append_c (quoted, *p);
    }
  while (quoted->len < 9)
    g_string_append_c (quoted, ' ');
  g_string_append_c (quoted, '\'');
  tess__cards_set_string (image->cards, key, quoted->str, comment);
  g_string_free (quoted, TRUE);
}

/* ---------------------------------------------------------------------- */
/* Reading                                                                 */

/* Moves to the first HDU that holds an image of two or more axes when the
 * path names none (an empty primary HDU, tables, ... are passed over). */
gboolean
tess__fits_find_image (fitsfile *fptr, const char *path, int *naxis,
                       long *naxes, GError **error)
{
  int status = 0, hdunum = 0, nhdu = 0, hdutype;
  gboolean named = strchr (path, '[') != NULL;

  fits_get_hdu_num (fptr, &hdunum);
  if (!named)
    fits_get_num_hdus (fptr, &nhdu, &status);
  for (;;)
    {
      fits_get_hdu_type (fptr, &hdutype, &status);
      if (status == 0 && hdutype == IMAGE_HDU)
        {
          fits_get_img_dim (fptr, naxis, &status);
          if (status == 0 && *naxis > 9)
            {
              g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                           "%s: image has %d axes (at most 9)", path, *naxis);
              return FALSE;
            }
          if (status == 0 && *naxis >= 2)
            {
              fits_get_img_size (fptr, 9, naxes, &status);
              if (status == 0)
                return TRUE;
            }
        }
      if (status || named || hdunum >= nhdu)
        break;
      hdunum++;
      fits_movabs_hdu (fptr, hdunum, NULL, &status);
    }
  if (status)
    tess__set_fits_error (error, status, path, "cannot read the image");
  else if (named)
    g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                 "%s: this HDU holds no image with at least two axes", path);
  else
    g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                 "%s: no image with at least two axes in the file", path);
  return FALSE;
}

/* The file on disk that holds the HDU, when cfitsio reads it as a plain
 * FITS file (not through memory, as for gzip, nor a URL); else NULL. */
static char *
plain_file (fitsfile *fptr, struct stat *st)
{
  int status = 0;
  char name[FLEN_FILENAME] = "", urltype[FLEN_FILENAME] = "";
  char magic[6];
  FILE *f;

  fits_file_name (fptr, name, &status);
  fits_url_type (fptr, urltype, &status);
  if (status || strcmp (urltype, "file://") != 0)
    return NULL;
  if (stat (name, st) != 0 || !S_ISREG (st->st_mode))
    return NULL;
  f = fopen (name, "rb");
  if (f == NULL)
    return NULL;
  if (fread (magic, 1, 6, f) != 6 || memcmp (magic, "SIMPLE", 6) != 0)
    {
      fclose (f);
      return NULL;
    }
  fclose (f);
  return g_strdup (name);
}

/* Checks that an uncompressed HDU's data are all in the file, and finds
 * whether they can be read directly (float, no scaling): then returns the
 * file's name and the data's offset.  NULL otherwise, or on error. */
static char *
check_data (fitsfile *fptr, const char *path, int bitpix, gsize npix,
            LONGLONG *datastart, GError **error)
{
  int status = 0, compressed;
  double bscale = 1.0, bzero = 0.0;
  LONGLONG headstart, dataend;
  struct stat st;
  guint64 need;
  char *name;

  compressed = fits_is_compressed_image (fptr, &status);
  if (status || compressed)
    return NULL;
  fits_get_hduaddrll (fptr, &headstart, datastart, &dataend, &status);
  if (status)
    return NULL;
  name = plain_file (fptr, &st);
  if (name == NULL)
    return NULL;
  need = (guint64)*datastart + (guint64)npix * (guint64)(ABS (bitpix) / 8);
  if ((guint64)st.st_size < need)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: the file is cut short (%" G_GUINT64_FORMAT
                   " bytes of %" G_GUINT64_FORMAT ")",
                   path, (guint64)st.st_size, need);
      g_free (name);
      return NULL;
    }
  fits_read_key (fptr, TDOUBLE, "BSCALE", &bscale, NULL, &status);
  status = 0;
  fits_read_key (fptr, TDOUBLE, "BZERO", &bzero, NULL, &status);
  if ((bitpix != FLOAT_IMG && bitpix != DOUBLE_IMG) || bscale != 1.0
      || bzero != 0.0)
    {
      g_free (name);
      return NULL;
    }
  return name;
}

/* Maps the data of a plain, uncompressed float HDU: nothing is copied,
 * and pages are read from the file (or the page cache) as they are used.
 * The samples stay big-endian (image->swapped). */
static gboolean
map_direct (TessImage *image, const char *path, const char *file,
            LONGLONG datastart, gsize bytes, GError **error)
{
  gsize page = (gsize)sysconf (_SC_PAGESIZE);
  off_t start = (off_t)((guint64)datastart / page * page);
  gsize lead = (gsize)((guint64)datastart - (guint64)start);
  int fd = open (file, O_RDONLY);
  gpointer map;

  if (fd < 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: cannot open: %s",
                   path, g_strerror (errno));
      return FALSE;
    }
  map = mmap (NULL, lead + bytes, PROT_READ, MAP_PRIVATE, fd, start);
  close (fd);
  if (map == MAP_FAILED)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "%s: cannot map the image data: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
  /* Small enough to be wanted whole: ask for it to be read ahead. */
  if (bytes <= ((gsize)1 << 30))
    (void)madvise (map, lead + bytes, MADV_WILLNEED);
  image->map = map;
  image->map_len = lead + bytes;
  image->data = (char *)map + lead;
  image->swapped = G_BYTE_ORDER == G_LITTLE_ENDIAN;
  return TRUE;
}

/* Data needing conversion (integers, scaled, compressed) at least this
 * large go to a scratch file, mapped, rather than into memory; spline
 * coefficients this large go to a file too.  TESSERA_MAP_MIN_BYTES
 * overrides the threshold (0: always). */
guint64
tess__map_threshold (void)
{
  const char *env = g_getenv ("TESSERA_MAP_MIN_BYTES");

  if (env && g_ascii_isdigit (*env))
    return g_ascii_strtoull (env, NULL, 10);
  return MIN (tess__physical_memory () / 8, (guint64)1 << 40);
}

static TessImage *load (const char *path, guint64 map_min,
                        const char *scratch_dir, int data_fd, GError **error);

TessImage *
tess_image_load (const char *path, GError **error)
{
  return load (path, tess__map_threshold (), NULL, -1, error);
}

TessImage *
tess_image_open (const char *path, const char *scratch_dir, GError **error)
{
  return load (path, 0, scratch_dir, -1, error);
}

TessImage *
tess__image_open_on (const char *path, int data_fd, GError **error)
{
  return load (path, 0, NULL, data_fd, error);
}

/* Maps @bytes of native samples from @fd (a scratch file). */
static gboolean
map_scratch (TessImage *image, const char *path, int fd, gsize bytes,
             GError **error)
{
  gpointer map = mmap (NULL, bytes, PROT_READ, MAP_SHARED, fd, 0);

  if (map == MAP_FAILED)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "%s: cannot map the scratch copy of the data: %s", path,
                   g_strerror (errno));
      return FALSE;
    }
  image->map = map;
  image->map_len = bytes;
  image->data = map;
  image->swapped = FALSE;
  return TRUE;
}

/* Data that cannot be mapped from the file (integers, scaled, compressed)
 * and are too large to be read into memory: converted once, a slice at a
 * time, into a native scratch file in @dir (or $TMPDIR), which is mapped.
 * The file has no name: it goes when the image does. */
static gboolean
read_to_scratch (TessImage *image, fitsfile *fptr, const char *path,
                 const char *dir, gsize npix, gsize elem, GError **error)
{
  const char *where = dir && *dir ? dir : g_get_tmp_dir ();
  guint64 bytes = (guint64)npix * elem;
  gsize chunk = MAX ((gsize)image->width, ((gsize)16 << 20) / elem);
  gpointer buf;
  int fd, status = 0, anynul = 0;
  gboolean ok = TRUE;

  fd = open (where, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "%s: cannot make a scratch file in %s: %s", path, where,
                   g_strerror (errno));
      return FALSE;
    }
  if (!tess__check_disk_space (fd, bytes, where, error))
    {
      g_prefix_error (error, "%s: a scratch copy of the data: ", path);
      close (fd);
      return FALSE;
    }
  if (ftruncate (fd, (off_t)bytes) != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "%s: cannot make a scratch file in %s: %s", path, where,
                   g_strerror (errno));
      close (fd);
      return FALSE;
    }
  buf = g_malloc (chunk * elem);
  for (gsize first = 0; first < npix; first += chunk)
    {
      gsize n = MIN (chunk, npix - first);
      if (elem == 8)
        {
          double nul = NAN;
          fits_read_img (fptr, TDOUBLE, (LONGLONG)first + 1, (LONGLONG)n, &nul,
                         buf, &anynul, &status);
        }
      else
        {
          float nul = NAN;
          fits_read_img (fptr, TFLOAT, (LONGLONG)first + 1, (LONGLONG)n, &nul,
                         buf, &anynul, &status);
        }
      if (status)
        {
          tess__set_fits_error (error, status, path,
                                "cannot read the image data");
          ok = FALSE;
          break;
        }
      if (!tess__write_all (fd, buf, n * elem, (guint64)first * elem, where,
                            error))
        {
          ok = FALSE;
          break;
        }
    }
  g_free (buf);
  if (!ok)
    {
      close (fd);
      return FALSE;
    }
  if (!map_scratch (image, path, fd, bytes, error))
    {
      close (fd);
      return FALSE;
    }
  image->scratch_fd = fd;
  return TRUE;
}

static TessImage *
load (const char *path, guint64 map_min, const char *scratch_dir, int data_fd,
      GError **error)
{
  fitsfile *fptr = NULL;
  int status = 0, naxis = 0, bitpix = 0, raw_bitpix = 0, nkeys = 0;
  int anynul = 0;
  long naxes[9] = { 0 };
  gint64 extra[TESS_MAX_EXTRA_AXES];
  char *header = NULL;
  g_autofree char *direct = NULL;
  TessWcs *wcs = NULL;
  TessImage *image = NULL;
  TessPixelType type;
  LONGLONG datastart = 0;
  gsize npix, elem;

  if (fits_open_file (&fptr, path, READONLY, &status))
    {
      tess__set_fits_error (error, status, path, "cannot open");
      return NULL;
    }
  if (!tess__fits_find_image (fptr, path, &naxis, naxes, error))
    goto out;
  fits_get_img_type (fptr, &raw_bitpix, &status);
  fits_get_img_equivtype (fptr, &bitpix, &status);
  /* For a tile-compressed image, the header of the image it holds. */
  fits_convert_hdr2str (fptr, 0, NULL, 0, &header, &nkeys, &status);
  if (status)
    {
      tess__set_fits_error (error, status, path, "cannot read the header");
      goto out;
    }
  wcs = tess_wcs_new_from_header (header, nkeys, path, error);
  if (wcs == NULL)
    goto out;

  type = (bitpix == DOUBLE_IMG || bitpix == LONG_IMG || bitpix == LONGLONG_IMG
          || bitpix == ULONG_IMG || bitpix == ULONGLONG_IMG)
             ? TESS_TYPE_DOUBLE
             : TESS_TYPE_FLOAT;
  for (int i = 2; i < naxis; i++)
    extra[i - 2] = naxes[i];
  image = tess__image_alloc (wcs, type, naxes[0], naxes[1], naxis - 2, extra,
                             FALSE, error);
  if (image == NULL)
    {
      if (error && *error)
        g_prefix_error (error, "%s: ", path);
      goto out;
    }
  image->source = g_strdup (path);
  image->bitpix = bitpix;
  for (int i = 0; i < nkeys; i++)
    {
      const char *c = header + (gsize)i * 80;
      if (!tess__is_structural_key (c))
        g_string_append_len (image->cards, c, 80);
    }

  npix = (gsize)image->width * (gsize)image->height * (gsize)image->nplanes;
  elem = type == TESS_TYPE_DOUBLE ? 8 : 4;
  {
    GError *local = NULL;
    direct = check_data (fptr, path, raw_bitpix, npix, &datastart, &local);
    if (local)
      {
        g_propagate_error (error, local);
        goto fail;
      }
  }
  if (direct)
    {
      image->data_file = g_strdup (direct);
      image->data_offset = (guint64)datastart;
    }
  if (data_fd >= 0)
    {
      /* A scratch copy made by another process. */
      if (direct || !map_scratch (image, path, data_fd, npix * elem, error))
        {
          if (direct)
            g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                         "%s: the data can be read directly", path);
          goto fail;
        }
    }
  else if (direct)
    {
      /* Plain float data, whatever their size: mapped.  The pages the work
       * reads come straight from the page cache, where reading them would
       * copy them into new memory, whose first touch costs more than the
       * byte swap of each sample read. */
      if (!map_direct (image, path, direct, datastart, npix * elem, error))
        goto fail;
    }
  else if (npix * elem >= map_min)
    {
      if (!read_to_scratch (image, fptr, path, scratch_dir, npix, elem, error))
        goto fail;
    }
  else
    {
      LONGLONG first[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
      image->data = tess__alloc_large (npix * elem);
      if (image->data == NULL)
        goto no_memory;
      if (type == TESS_TYPE_DOUBLE)
        {
          double nul = NAN;
          fits_read_pixll (fptr, TDOUBLE, first, (LONGLONG)npix, &nul,
                           image->data, &anynul, &status);
        }
      else
        {
          float nul = NAN;
          fits_read_pixll (fptr, TFLOAT, first, (LONGLONG)npix, &nul,
                           image->data, &anynul, &status);
        }
      if (status)
        {
          tess__set_fits_error (error, status, path,
                                "cannot read the image data");
          goto fail;
        }
    }
  goto out;

no_memory:
  g_set_error (error, TESS_ERROR, TESS_ERROR_NO_MEMORY,
               "%s: not enough memory for an image of %" G_GSIZE_FORMAT " MiB",
               path, npix * elem >> 20);
fail:
  tess_image_unref (image);
  image = NULL;
out:
  /* cfitsio calls are no-ops while status is set: clear it first. */
  status = 0;
  if (header)
    fits_free_memory (header, &status);
  status = 0;
  fits_close_file (fptr, &status);
  if (wcs)
    tess_wcs_unref (wcs);
  return image;
}

/* ---------------------------------------------------------------------- */
/* Writing                                                                 */

/* Renames @tmp to @path; without @overwrite, never replaces a file that
 * appeared meanwhile: renameat2(RENAME_NOREPLACE), or a hard link where
 * that is not supported, or (on file systems without either) a check
 * just before the rename. */
gboolean
tess__publish (const char *tmp, const char *path, gboolean overwrite)
{
  if (overwrite)
    return rename (tmp, path) == 0;
#ifdef RENAME_NOREPLACE
  if (renameat2 (AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
    return TRUE;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
    return FALSE;
#endif
  if (link (tmp, path) == 0)
    {
      g_unlink (tmp);
      return TRUE;
    }
  if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP)
    return FALSE;
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      errno = EEXIST;
      return FALSE;
    }
  return rename (tmp, path) == 0;
}

/* Rows written at a time by tess_image_save(): the samples are swapped to
 * FITS order in a copy, never in the image. */
#define SAVE_CHUNK_BYTES ((gsize)4 << 20)

gboolean
tess_image_save (TessImage *image, const char *path, TessWriteFlags flags,
                 GError **error)
{
  gsize W = (gsize)image->width, H = (gsize)image->height;
  gsize elem = image->type == TESS_TYPE_DOUBLE ? 8 : 4;
  gsize P = (gsize)image->nplanes, rows, plane = W * H;
  const char *data = tess_image_get_data (image);
  const TessStreamLayout *l;
  TessStreamWriter *w;
  char *chunk;
  float *fp = NULL;
  gboolean ok = TRUE;

  if (data == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_NO_MEMORY,
                   "%s: not enough memory", path);
      return FALSE;
    }
  /* The file the output of a run is written to (stream-writer.c), in one
   * go: one header writer for every output. */
  if (image->footprint == NULL)
    flags |= TESS_WRITE_NO_FOOTPRINT;
  w = tess__stream_writer_new (path, image, flags, error);
  if (w == NULL)
    return FALSE;
  l = tess__stream_writer_layout (w);
  rows = CLAMP (SAVE_CHUNK_BYTES / MAX (W * elem * P, 1), 1, H);
  chunk = g_malloc (rows * W * elem * P);
  if (l->footprint_offset >= 0)
    fp = g_new (float, rows *W);
  for (gsize y = 0; ok && y < H; y += rows)
    {
      gsize h = MIN (rows, H - y);
      TessRect r = { 0, (gint64)y, (gint64)W, (gint64)h };
      for (gsize p = 0; p < P; p++)
        memcpy (chunk + p * h * W * elem, data + (p * plane + y * W) * elem,
                h * W * elem);
      if (fp)
        memcpy (fp, image->footprint + y * W, h * W * sizeof (float));
      ok = tess__stream_write_block (l, &r, chunk, fp, path, error);
    }
  g_free (chunk);
  g_free (fp);
  if (!ok)
    {
      tess__stream_writer_abort (w);
      return FALSE;
    }
  return tess__stream_writer_commit (w, error);
}
