/* stream-writer.c — a FITS output file written block by block, so that an
 * output larger than memory never has to be held whole.
 *
 * The file is made under a temporary name in the output's folder: the
 * headers (the image, then its FOOTPRINT extension) are written first and
 * the file is extended to its full size; blocks are then written at their
 * place with pwrite() — by this process or by worker processes holding
 * the same file descriptor.  Committing renames the file into place, so
 * it appears whole or not at all; aborting removes it.
 */
#include "config.h"

#include "io/tess-stream.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define FITS_BLOCK 2880

struct _TessStreamWriter
{
  char *path; /* the name the file will have */
  char *tmp;  /* the name it has until committed */
  gboolean overwrite;
  TessStreamLayout layout;
  GString *ext_header; /* the FOOTPRINT extension's header, or NULL */
  guint64 ext_header_offset;
};

int
tess__output_temp (const char *path, char **tmp, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int fd;

  *tmp = g_build_filename (dir, ".tessera-XXXXXX.fits", NULL);
  fd = g_mkstemp_full (*tmp, O_RDWR | O_CLOEXEC, 0666 & ~0022);
  if (fd < 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "%s: cannot create a file in %s: %s", path, dir,
                   g_strerror (errno));
      g_clear_pointer (tmp, g_free);
    }
  return fd;
}

gboolean
tess__output_check (const char *path, TessWriteFlags flags, GError **error)
{
  if (!(flags & TESS_WRITE_OVERWRITE)
      && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "%s: the file exists (writing over it was not asked for)",
                   path);
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: is a folder", path);
      return FALSE;
    }
  return TRUE;
}

gboolean
tess__check_disk_space (int fd, guint64 bytes, const char *what,
                        GError **error)
{
  struct statvfs st;
  guint64 avail;

  if (fstatvfs (fd, &st) != 0)
    return TRUE; /* unknown: the writes will tell */
  avail = (guint64)st.f_bavail * (guint64)st.f_frsize;
  if (avail >= bytes)
    return TRUE;
  g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
               "%s: not enough disk space: %" G_GUINT64_FORMAT
               " MiB needed, %" G_GUINT64_FORMAT " MiB free",
               what, (bytes + (1 << 20) - 1) >> 20, avail >> 20);
  return FALSE;
}

/* Header cards.  Values are formatted as FITS fixed format: numbers and
 * logicals right-aligned in columns 11-30, strings from column 11. */
static void
card (GString *h, const char *key, const char *value, const char *comment)
{
  char c[81];

  g_snprintf (c, sizeof c, "%-8.8s= %20s / %-47.47s", key, value, comment);
  g_string_append_len (h, c, 80);
}

static void
card_int (GString *h, const char *key, gint64 value, const char *comment)
{
  char v[24];

  g_snprintf (v, sizeof v, "%" G_GINT64_FORMAT, value);
  card (h, key, v, comment);
}

static void
card_str (GString *h, const char *key, const char *value, const char *comment)
{
  char c[81], v[72];

  g_snprintf (v, sizeof v, "'%-8s'", value);
  g_snprintf (c, sizeof c, "%-8.8s= %-20s / %-47.47s", key, v, comment);
  g_string_append_len (h, c, 80);
}

static void
end_header (GString *h)
{
  char c[81];

  g_snprintf (c, sizeof c, "%-80s", "END");
  g_string_append_len (h, c, 80);
  while (h->len % FITS_BLOCK)
    g_string_append_c (h, ' ');
}

/* The celestial WCS cards of @wcs; WCSAXES only with @wcsaxes (a plane:
 * a cube keeps the WCS of its other axes, which WCSAXES = 2 would hide). */
static void
wcs_cards (GString *h, const TessWcs *wcs, gboolean wcsaxes)
{
  if (wcs == NULL)
    return;
  for (int i = 0; i < wcs->ncards; i++)
    {
      const char *c = wcs->cards + (gsize)i * 80;
      char buf[81];

      memcpy (buf, c, 80);
      buf[80] = '\0';
      if (tess__is_celestial_wcs_key (buf)
          && (wcsaxes || strncmp (buf, "WCSAXES", 7) != 0))
        g_string_append_len (h, c, 80);
    }
}

static guint64
padded (guint64 bytes)
{
  return (bytes + FITS_BLOCK - 1) / FITS_BLOCK * FITS_BLOCK;
}

/* The headers of @image's file: the primary HDU and, with @footprint, the
 * FOOTPRINT extension; the offsets of their data in @layout. */
static GString *
make_headers (const TessImage *image, gboolean footprint, TessStreamWriter *w,
              guint64 *file_size)
{
  TessStreamLayout *layout = &w->layout;
  GString *h = g_string_new (NULL);
  GString *x = NULL;
  int naxis = 2 + image->n_extra;
  gsize elem = image->type == TESS_TYPE_DOUBLE ? 8 : 4;
  guint64 npix = (guint64)image->width * (guint64)image->height;
  guint64 data_bytes = npix * (guint64)image->nplanes * elem;

  card (h, "SIMPLE", "T", "file does conform to FITS standard");
  card_int (h, "BITPIX", image->type == TESS_TYPE_DOUBLE ? -64 : -32,
            "number of bits per data pixel");
  card_int (h, "NAXIS", naxis, "number of data axes");
  card_int (h, "NAXIS1", image->width, "length of data axis 1");
  card_int (h, "NAXIS2", image->height, "length of data axis 2");
  for (int i = 0; i < image->n_extra; i++)
    {
      char key[9], comment[32];
      g_snprintf (key, sizeof key, "NAXIS%d", i + 3);
      g_snprintf (comment, sizeof comment, "length of data axis %d", i + 3);
      card_int (h, key, image->extra[i], comment);
    }
  card (h, "EXTEND", "T", "FITS dataset may contain extensions");
  for (gsize i = 0; i + 80 <= image->cards->len; i += 80)
    {
      char buf[81];
      memcpy (buf, image->cards->str + i, 80);
      buf[80] = '\0';
      if (!tess__is_celestial_wcs_key (buf) && !tess__is_structural_key (buf))
        g_string_append_len (h, buf, 80);
    }
  wcs_cards (h, image->wcs, image->n_extra == 0);
  end_header (h);

  layout->data_offset = h->len;
  layout->width = image->width;
  layout->height = image->height;
  layout->nplanes = image->nplanes;
  layout->elem = elem;
  layout->big_endian = TRUE;
  layout->footprint_offset = -1;
  *file_size = h->len + padded (data_bytes);
  if (footprint)
    {
      x = g_string_new (NULL);
      card_str (x, "XTENSION", "IMAGE", "IMAGE extension");
      card_int (x, "BITPIX", -32, "number of bits per data pixel");
      card_int (x, "NAXIS", 2, "number of data axes");
      card_int (x, "NAXIS1", image->width, "length of data axis 1");
      card_int (x, "NAXIS2", image->height, "length of data axis 2");
      card_int (x, "PCOUNT", 0, "required keyword; must = 0");
      card_int (x, "GCOUNT", 1, "required keyword; must = 1");
      card_str (x, "EXTNAME", "FOOTPRINT",
                "fraction of the pixel covered by the input");
      wcs_cards (x, image->wcs, FALSE);
      end_header (x);
      layout->footprint_offset = (gint64)(*file_size + x->len);
      /* The extension header goes after the padded data. */
      w->ext_header_offset = *file_size;
      *file_size += x->len + padded (npix * sizeof (float));
      w->ext_header = x;
    }
  return h;
}

gboolean
tess__read_all (int fd, gpointer buf, gsize len, guint64 offset,
                const char *what, GError **error)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n
          = pread (fd, (char *)buf + done, len - done, (off_t)(offset + done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: cannot read: %s",
                       what, n < 0 ? g_strerror (errno) : "end of file");
          return FALSE;
        }
      done += (gsize)n;
    }
  return TRUE;
}

gboolean
tess__write_all (int fd, const void *buf, gsize len, guint64 offset,
                 const char *path, GError **error)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = pwrite (fd, (const char *)buf + done, len - done,
                          (off_t)(offset + done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                       "%s: cannot write: %s", path,
                       n < 0 ? g_strerror (errno) : "no space");
          return FALSE;
        }
      done += (gsize)n;
    }
  return TRUE;
}

TessStreamWriter *
tess__stream_writer_new (const char *path, const TessImage *image,
                         TessWriteFlags flags, GError **error)
{
  TessStreamWriter *w;
  GString *h;
  guint64 size;
  gboolean footprint = !(flags & TESS_WRITE_NO_FOOTPRINT);
  int fd;

  if (!tess__output_check (path, flags, error))
    return NULL;
  w = g_new0 (TessStreamWriter, 1);
  w->path = g_strdup (path);
  w->overwrite = (flags & TESS_WRITE_OVERWRITE) != 0;
  fd = tess__output_temp (path, &w->tmp, error);
  if (fd < 0)
    {
      g_free (w->path);
      g_free (w);
      return NULL;
    }
  w->layout.fd = fd;
  h = make_headers (image, footprint, w, &size);
  if (!tess__check_disk_space (fd, size, path, error)
      || !tess__write_all (fd, h->str, h->len, 0, path, error)
      || (w->ext_header
          && !tess__write_all (fd, w->ext_header->str, w->ext_header->len,
                               w->ext_header_offset, path, error)))
    {
      g_string_free (h, TRUE);
      tess__stream_writer_abort (w);
      return NULL;
    }
  g_string_free (h, TRUE);
  /* The rest, data and padding, reads as zeros until written. */
  if (ftruncate (fd, (off_t)size) != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: cannot write: %s",
                   path, g_strerror (errno));
      tess__stream_writer_abort (w);
      return NULL;
    }
  return w;
}

const TessStreamLayout *
tess__stream_writer_layout (const TessStreamWriter *w)
{
  return &w->layout;
}

const char *
tess__stream_writer_path (const TessStreamWriter *w)
{
  return w->path;
}

gboolean
tess__stream_write_block (const TessStreamLayout *l, const TessRect *r,
                          gpointer data, float *footprint, const char *what,
                          GError **error)
{
  gsize rw = (gsize)r->width, rh = (gsize)r->height;
  gsize W = (gsize)l->width, H = (gsize)l->height, elem = l->elem;

  for (gint64 p = 0; p < l->nplanes; p++)
    {
      char *plane = (char *)data + (gsize)p * rw * rh * elem;
      guint64 base = l->data_offset + (guint64)p * W * H * elem;

      if (l->big_endian && G_BYTE_ORDER == G_LITTLE_ENDIAN)
        tess__swap_to_native (plane, rw * rh, elem); /* a swap either way */
      if (rw == W)
        {
          if (!tess__write_all (l->fd, plane, rw * rh * elem,
                                base + (guint64)r->y0 * W * elem, what, error))
            return FALSE;
          continue;
        }
      for (gsize y = 0; y < rh; y++)
        if (!tess__write_all (
                l->fd, plane + y * rw * elem, rw * elem,
                base + (((guint64)r->y0 + y) * W + (guint64)r->x0) * elem,
                what, error))
          return FALSE;
    }
  if (l->footprint_offset < 0 || footprint == NULL)
    return TRUE;
  if (l->big_endian && G_BYTE_ORDER == G_LITTLE_ENDIAN)
    tess__swap_to_native (footprint, rw * rh, sizeof (float));
  if (rw == W)
    return tess__write_all (l->fd, footprint, rw * rh * sizeof (float),
                            (guint64)l->footprint_offset
                                + (guint64)r->y0 * W * sizeof (float),
                            what, error);
  for (gsize y = 0; y < rh; y++)
    if (!tess__write_all (l->fd, footprint + y * rw, rw * sizeof (float),
                          (guint64)l->footprint_offset
                              + (((guint64)r->y0 + y) * W + (guint64)r->x0)
                                    * sizeof (float),
                          what, error))
      return FALSE;
  return TRUE;
}

/* Reads the header at @offset of @fd, up to its END card; its cards
 * in @cards, its length (padded) in @len. */
static gboolean
read_header (int fd, guint64 offset, GString *cards, guint64 *len,
             const char *what, GError **error)
{
  char block[FITS_BLOCK];

  for (guint64 at = offset;; at += FITS_BLOCK)
    {
      if (cards->len >= (gsize)TESS_MAX_CARDS * 80
          || !tess__read_all (fd, block, FITS_BLOCK, at, what, error))
        {
          if (error && *error == NULL)
            g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                         "%s: no END in the header", what);
          return FALSE;
        }
      for (int i = 0; i < FITS_BLOCK; i += 80)
        {
          if (strncmp (block + i, "END     ", 8) == 0)
            {
              *len = at + FITS_BLOCK - offset;
              return TRUE;
            }
          g_string_append_len (cards, block + i, 80);
        }
    }
}

TessStreamWriter *
tess__stream_writer_attach (const char *tmp, GError **error)
{
  g_autoptr (GString) h = g_string_new (NULL);
  g_autoptr (GString) x = g_string_new (NULL);
  TessStreamWriter *w;
  TessStreamLayout *l;
  guint64 hlen, xlen, data_bytes, npix;
  gint64 bitpix = 0, naxis = 0, v;
  char *extname = NULL;
  int fd = open (tmp, O_RDWR | O_CLOEXEC);

  if (fd < 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: cannot open: %s",
                   tmp, g_strerror (errno));
      return NULL;
    }
  w = g_new0 (TessStreamWriter, 1);
  l = &w->layout;
  l->fd = fd;
  if (!read_header (fd, 0, h, &hlen, tmp, error))
    goto fail_w;
  if (!tess__cards_get_int (h->str, (int)(h->len / 80), "BITPIX", &bitpix)
      || (bitpix != -32 && bitpix != -64)
      || !tess__cards_get_int (h->str, (int)(h->len / 80), "NAXIS", &naxis)
      || naxis < 2 || naxis > 2 + TESS_MAX_EXTRA_AXES)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "%s: not an output file being written", tmp);
      goto fail_w;
    }
  l->nplanes = 1;
  for (int i = 1; i <= naxis; i++)
    {
      char key[9];
      g_snprintf (key, sizeof key, "NAXIS%d", i);
      if (!tess__cards_get_int (h->str, (int)(h->len / 80), key, &v) || v < 1)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                       "%s: not an output file being written", tmp);
          goto fail_w;
        }
      if (i == 1)
        l->width = v;
      else if (i == 2)
        l->height = v;
      else
        l->nplanes *= v;
    }
  l->elem = bitpix == -64 ? 8 : 4;
  l->big_endian = TRUE;
  l->data_offset = hlen;
  l->footprint_offset = -1;
  npix = (guint64)l->width * (guint64)l->height;
  data_bytes = npix * (guint64)l->nplanes * l->elem;
  /* A FOOTPRINT extension after the data, if any. */
  {
    struct stat st;
    guint64 ext = hlen + padded (data_bytes);
    if (fstat (fd, &st) == 0 && (guint64)st.st_size > ext)
      {
        if (!read_header (fd, ext, x, &xlen, tmp, error))
          goto fail_w;
        extname
            = tess__cards_get_string (x->str, (int)(x->len / 80), "EXTNAME");
        if (extname && strcmp (extname, "FOOTPRINT") == 0)
          l->footprint_offset = (gint64)(ext + xlen);
        g_free (extname);
      }
  }
  return w;

fail_w:
  g_free (w);
  close (fd);
  return NULL;
}

const char *
tess__stream_writer_temp (const TessStreamWriter *w)
{
  return w->tmp;
}

gboolean
tess__stream_writer_commit (TessStreamWriter *w, GError **error)
{
  gboolean ok = TRUE;

  /* Attached: what was written must be in the file before the process
   * that made it renames it (another machine may do that). */
  if (w->tmp == NULL)
    {
      if (fsync (w->layout.fd) != 0 || close (w->layout.fd) != 0)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                       "the output: cannot write: %s", g_strerror (errno));
          ok = FALSE;
        }
      w->layout.fd = -1;
      tess__stream_writer_abort (w);
      return ok;
    }
  if (close (w->layout.fd) != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: cannot write: %s",
                   w->path, g_strerror (errno));
      ok = FALSE;
    }
  w->layout.fd = -1;
  if (ok && !tess__publish (w->tmp, w->path, w->overwrite))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: cannot write: %s",
                   w->path, g_strerror (errno));
      ok = FALSE;
    }
  if (!ok)
    g_unlink (w->tmp);
  g_clear_pointer (&w->tmp, g_free);
  tess__stream_writer_abort (w);
  return ok;
}

void
tess__stream_writer_abort (TessStreamWriter *w)
{
  if (w == NULL)
    return;
  if (w->layout.fd >= 0)
    close (w->layout.fd);
  if (w->tmp)
    g_unlink (w->tmp);
  if (w->ext_header)
    g_string_free (w->ext_header, TRUE);
  g_free (w->tmp);
  g_free (w->path);
  g_free (w);
}
