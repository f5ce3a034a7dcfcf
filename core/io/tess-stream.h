/* tess-stream.h — writing an output FITS file block by block
 * (stream-writer.c). */
#ifndef TESS_STREAM_H
#define TESS_STREAM_H

#include "base/tess-private.h"

/* Where blocks of an output go in a file (a FITS file, or a shared memory
 * file): the planes, each width × height values of @elem bytes, from
 * @data_offset; the footprint (float) from @footprint_offset, or -1 for
 * none. */
typedef struct
{
  int fd;
  guint64 data_offset;
  gint64 footprint_offset;
  gint64 width, height, nplanes;
  gsize elem;
  gboolean big_endian; /* FITS order, else native */
} TessStreamLayout;

typedef struct _TessStreamWriter TessStreamWriter;

/* Creates the file for @image (its metadata only: size, type, WCS, cards)
 * under a temporary name, headers written. */
TessStreamWriter *tess__stream_writer_new (const char *path,
                                           const TessImage *image,
                                           TessWriteFlags flags,
                                           GError **error);
const TessStreamLayout *tess__stream_writer_layout (const TessStreamWriter *w);
const char *tess__stream_writer_path (const TessStreamWriter *w);
/* The file another process made with tess__stream_writer_new(), under its
 * temporary name @tmp, opened to write blocks into: its layout read from
 * its headers.  Committing such a writer only closes it (making sure what
 * was written reached the file); aborting leaves the file alone. */
TessStreamWriter *tess__stream_writer_attach (const char *tmp, GError **error);
/* The file's temporary name (NULL when attached). */
const char *tess__stream_writer_temp (const TessStreamWriter *w);
/* Renames the complete file into place and frees @w. */
gboolean tess__stream_writer_commit (TessStreamWriter *w, GError **error);
/* Removes the file and frees @w. */
void tess__stream_writer_abort (TessStreamWriter *w);

/* Writes the block @r (in the layout's coordinates) of @data (its planes)
 * and @footprint; both may be byte-swapped on the way.  @what names the
 * file in errors. */
gboolean tess__stream_write_block (const TessStreamLayout *layout,
                                   const TessRect *r, gpointer data,
                                   float *footprint, const char *what,
                                   GError **error);

/* Output files in general (also used by tess_image_save()). */
gboolean tess__output_check (const char *path, TessWriteFlags flags,
                             GError **error);
/* A new temporary file beside @path (its name in @tmp); the fd, or -1. */
int tess__output_temp (const char *path, char **tmp, GError **error);
/* Renames @tmp to @path, never replacing a file unless @overwrite. */
gboolean tess__publish (const char *tmp, const char *path, gboolean overwrite);
/* pread() of @len bytes at @offset (the end of the file is an error);
 * @what names the file in errors. */
gboolean tess__read_all (int fd, gpointer buf, gsize len, guint64 offset,
                         const char *what, GError **error);
/* pwrite() of all of @buf at @offset; @what names the file in errors. */
gboolean tess__write_all (int fd, const void *buf, gsize len, guint64 offset,
                          const char *what, GError **error);
/* Is there room for @bytes more on @fd's file system?  @what names it in
 * the error. */
gboolean tess__check_disk_space (int fd, guint64 bytes, const char *what,
                                 GError **error);

#endif /* TESS_STREAM_H */
