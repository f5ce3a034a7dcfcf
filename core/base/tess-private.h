/* tess-private.h — internals shared between the files of libtessera.
 * Never included by ui/, plugin/ or cli/.  Cross-file internal names are
 * tess__…
 */
#ifndef TESS_PRIVATE_H
#define TESS_PRIVATE_H

#include "tessera.h"

#include <fitsio.h>
#include <string.h>
#include <wcslib/wcs.h>

/* Longest header we accept, in cards (a sanity bound: 10^6 cards = 80 MB). */
#define TESS_MAX_CARDS 1000000
/* Largest image side we accept. */
#define TESS_MAX_SIDE ((gint64)1 << 24)
/* Most extra (non-celestial) axes of an image. */
#define TESS_MAX_EXTRA_AXES 7

struct _TessWcs
{
  gint ref_count;
  char *source;
  char *cards; /* the full header, 80-character cards */
  int ncards;
  gint64 width, height;
  TessFrame frame;
  char lngtyp[8]; /* "RA", "GLON", "ELON", ... */
  /* No celestial axes: axes 1 and 2 are linear (or any other non-celestial
   * type), world coordinates x, y (then @frame is -1, @lngtyp empty). */
  gboolean linear;
  /* The two celestial axes as a 2-D wcsprm, set up (wcsset) once; never
   * used for transforms directly: each user takes a copy. */
  struct wcsprm *cel;
  /* Axis 3, when the header has one with a length (NAXIS3) and a WCS that
   * wcslib sets up: a 1-D wcsprm, set up; its length (see spectral.c). */
  struct wcsprm *axis3;
  gint64 naxis3;
};

/* The world axes of a 2-D wcsprm: its longitude and latitude, or axes 1
 * and 2 when it is not celestial. */
static inline int
tess__world_x (const struct wcsprm *w)
{
  return w->lng >= 0 ? w->lng : 0;
}
static inline int
tess__world_y (const struct wcsprm *w)
{
  return w->lat >= 0 ? w->lat : 1;
}
/* Whether @target and @input can be reprojected onto one another: both
 * celestial, or both non-celestial with the same axis types and units. */
gboolean tess__wcs_compatible (const TessWcs *target, const TessWcs *input,
                               GError **error);

struct _TessImage
{
  gint ref_count;
  char *source;
  TessWcs *wcs;
  TessPixelType type;
  int bitpix; /* of the file it came from (FLOAT_IMG for new images) */
  gint64 width, height, nplanes;
  int n_extra;
  gint64 extra[TESS_MAX_EXTRA_AXES];
  gpointer data;    /* the samples, native or (swapped) big-endian */
  gboolean swapped; /* data are big-endian, as in the FITS file */
  gpointer map;     /* mapping holding data, if mapped from the file */
  /* Data of another owner (tess_image_new_for_data()), not freed here;
   * @data_destroy (if any) releases them. */
  gboolean foreign;
  GDestroyNotify data_destroy;
  gpointer data_owner;
  char *data_file; /* file holding plain float data, or NULL */
  guint64 data_offset;
  int scratch_fd; /* the scratch copy @map comes from, or -1 */
  gsize map_len;
  GMutex lock;     /* guards native */
  gpointer native; /* native copy of swapped data, made on demand */
  float *footprint;
  /* Non-structural keywords (80-character cards), input's WCS included. */
  GString *cards;
};

/* Sample @i of float or double data, big-endian when @swapped. */
static inline double
tess__load_sample (TessPixelType type, gboolean swapped, gconstpointer data,
                   gsize i)
{
  if (type == TESS_TYPE_FLOAT)
    {
      guint32 u;
      float f;
      memcpy (&u, (const float *)data + i, 4);
      if (swapped)
        u = GUINT32_SWAP_LE_BE (u);
      memcpy (&f, &u, 4);
      return f;
    }
  else
    {
      guint64 u;
      double f;
      memcpy (&u, (const double *)data + i, 8);
      if (swapped)
        u = GUINT64_SWAP_LE_BE (u);
      memcpy (&f, &u, 8);
      return f;
    }
}

/* A hot loop compiled twice, with AVX2 too, the version chosen when the
 * library is loaded (where the processor has AVX2): four doubles a vector
 * instead of two.  The same operations (no fused multiply-adds): the same
 * bits either way.  GCC on x86-64 ELF, not under AddressSanitizer. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)           \
    && defined(__ELF__) && !defined(__SANITIZE_ADDRESS__)
#define TESS__CLONES __attribute__ ((target_clones ("avx2", "default")))
#else
#define TESS__CLONES
#endif

/* Byte swaps the compiler can vectorise (GLib's are inline assembly on
 * x86). */
#if defined(__GNUC__)
#define TESS__BSWAP32(v) __builtin_bswap32 (v)
#define TESS__BSWAP64(v) __builtin_bswap64 (v)
#else
#define TESS__BSWAP32(v) GUINT32_SWAP_LE_BE (v)
#define TESS__BSWAP64(v) GUINT64_SWAP_LE_BE (v)
#endif

/* memory.c */
/* A large buffer (pixels), or NULL when there is not enough memory; free it
 * with g_free(). */
gpointer tess__alloc_large (gsize size);
/* Bytes of physical memory (G_MAXUINT64 when unknown). */
guint64 tess__physical_memory (void);
/* Data at least this large are not held in memory: mapped, or in files
 * (an eighth of the memory; TESSERA_MAP_MIN_BYTES overrides it). */
guint64 tess__map_threshold (void);
/* A file of @bytes to share between processes or to map: memory (memfd)
 * below tess__map_threshold(), else an unnamed file in $TMPDIR (its free
 * space checked first).  The fd, or -1. */
int tess__shared_file (const char *name, guint64 bytes, GError **error);
/* Big-endian samples of @elem bytes to native order, in place. */
void tess__swap_to_native (gpointer data, gsize n, gsize elem);

/* names.c */
/* The name of @value in @names (whose element i names value i), or
 * "unknown". */
const char *tess__enum_name (const char *const *names, unsigned n,
                             unsigned value);
/* The value @name names in @names (case, and '-' versus '_', do not
 * matter); else an error naming @what and the choices. */
gboolean tess__enum_parse (const char *const *names, unsigned n,
                           const char *what, const char *name, int *value,
                           GError **error);
/* Defines prefix_name() and prefix_from_name() of an enumeration from the
 * table of its names. */
#define TESS__NAMED_ENUM(Type, prefix, names, what)                           \
  const char *prefix##_name (Type value)                                      \
  {                                                                           \
    return tess__enum_name (names, G_N_ELEMENTS (names), (unsigned)value);    \
  }                                                                           \
  gboolean prefix##_from_name (const char *name, Type *value, GError **error) \
  {                                                                           \
    int v;                                                                    \
    if (!tess__enum_parse (names, G_N_ELEMENTS (names), what, name, &v,       \
                           error))                                            \
      return FALSE;                                                           \
    *value = (Type)v;                                                         \
    return TRUE;                                                              \
  }

/* options.c */
/* Appends the options as "key value" lines. */
void tess__options_to_text (const TessOptions *options, GString *out);
/* Reads one such line back (*known FALSE when @key is not an option). */
/* Checks @run (nullable: the defaults, always good): block sizes and jobs
 * not negative, a known engine; FALSE with TESS_ERROR_INVALID otherwise.
 * The one check of every engine's entry (plans, mosaics, HEALPix maps). */
gboolean tess__run_options_check (const TessRunOptions *run, GError **error);
gboolean tess__options_from_text (TessOptions *options, const char *key,
                                  const char *value, gboolean *known,
                                  GError **error);

/* errors.c */
void tess__set_fits_error (GError **error, int status, const char *path,
                           const char *what);
void tess__set_wcs_error (GError **error, const struct wcsprm *wcs, int status,
                          const char *source, const char *what);

/* frames.c */
void tess__frame_matrix (TessFrame from, TessFrame to, double m[3][3]);

/* wcs.c */
/* A private, set-up copy of the celestial transform; free with
 * tess__wcsprm_free(). */
struct wcsprm *tess__wcs_copy_cel (const TessWcs *wcs, GError **error);
void tess__wcsprm_free (struct wcsprm *wcs);
/* Frees the messages a failed transform left in the struct. */
void tess__wcsprm_clear_errors (struct wcsprm *wcs);
gboolean tess__wcs_same_frame (const TessWcs *a, const TessWcs *b);
/* TRUE when the keyword belongs to the celestial WCS of axes 1 and 2, or
 * to the WCS as a whole (WCSAXES, RADESYS, SIP, ...). */
gboolean tess__is_celestial_wcs_key (const char *card);
/* TRUE for structural keywords (SIMPLE, BITPIX, NAXISn, XTENSION, ...). */
gboolean tess__is_structural_key (const char *card);
/* Reads a card's keyword name into @name (at most 8 characters). */
void tess__card_keyword (const char *card, char name[9]);

/* header.c */
/* Reads a text header file (one card per line) into 80-character cards. */
gboolean tess__read_text_header (const char *path, char **cards, int *ncards,
                                 GError **error);
/* Looks up an integer keyword in a card string. */
gboolean tess__cards_get_int (const char *cards, int ncards, const char *key,
                              gint64 *value);
/* Looks up a numeric keyword (FITS D exponents allowed). */
gboolean tess__cards_get_double (const char *cards, int ncards,
                                 const char *key, double *value);
/* A string keyword's value (quotes undone, trailing blanks dropped), or
 * NULL; free it with g_free(). */
char *tess__cards_get_string (const char *cards, int ncards, const char *key);
/* Replaces or appends a keyword with a numeric value. */
void tess__cards_set_double (GString *cards, const char *key, double value,
                             const char *comment);
void tess__cards_set_int (GString *cards, const char *key, gint64 value,
                          const char *comment);
void tess__cards_set_string (GString *cards, const char *key,
                             const char *value, const char *comment);
void tess__cards_append (GString *cards, const char *card);

/* image.c */
/* Moves to the first HDU holding an image of two or more axes (only the
 * named one when @path names an HDU); its dimensions in @naxis, @naxes[9]. */
gboolean tess__fits_find_image (fitsfile *fptr, const char *path, int *naxis,
                                long *naxes, GError **error);
/* Lets go of the resident pages of a large mapped input (they stay in the
 * page cache); a no-op for other images. */
void tess__image_drop_pages (TessImage *image);
/* Maps all the pages of a mapped input of moderate size at once (cheaper
 * than a fault a page). */
void tess__image_populate (TessImage *image);
/* The image at @path with its samples mapped from @data_fd, a scratch
 * copy made by tess_image_open() in another process. */
TessImage *tess__image_open_on (const char *path, int data_fd, GError **error);
TessImage *tess__image_alloc (TessWcs *wcs, TessPixelType type, gint64 width,
                              gint64 height, int n_extra, const gint64 *extra,
                              gboolean with_data, GError **error);

/* interp.c: an input plane ready for interpolation. */
typedef struct _TessBandMaker TessBandMaker;
typedef struct
{
  TessMethod method;
  TessPixelType type;
  gint64 width, height;
  gsize stride;         /* elements per row of @values */
  gconstpointer values; /* the samples, or spline coefficients (see below) */
  gint64 offset;    /* 1 for spline coefficients of the edge-padded image */
  gboolean swapped; /* values are big-endian (samples mapped from FITS) */
  gpointer owned;   /* memory to free with the plane, or NULL */
  gpointer map;     /* coefficients mapped from a shared file, or NULL */
  gsize map_len;
  /* Coefficients read from a file as needed (see tess__plane_fetch()):
   * @values holds padded rows [row0, row1) of the file's at @file_offset,
   * valid in columns [col0, col1); file_fd < 0 otherwise (row0 0, all
   * rows at hand). */
  gint64 row0, row1, col0, col1;
  int file_fd;
  guint64 file_offset;
  gpointer window; /* the buffer @values points into, grown as needed */
  gsize window_bytes;
  /* Spline coefficients made a band at a time when first needed (see
   * tess__plane_fetch()), or NULL: all at hand. */
  TessBandMaker *maker;
} TessPlane;

/* Spline coefficients in bands of rows, each made on its own from the
 * input rows it needs (see interp.c). */
typedef struct
{
  gpointer data; /* free with g_free() */
  gsize bytes;
} TessScratch;

/* A buffer of at least @bytes: @scratch's, grown as needed (in huge pages
 * where possible), or with no @scratch a new one (g_malloc). */
gpointer tess__scratch_get (TessScratch *scratch, gsize bytes);

typedef struct
{
  TessMethod method;
  TessPixelType type;
  gboolean swapped;   /* @data are big-endian */
  gconstpointer data; /* the input plane, from its row @data_y0 on */
  gsize data_y0;
  gsize width, height;
  gpointer coeffs; /* (width + 2) × (height + 2) values, in memory; or */
  int coeffs_fd;   /* ≥ 0: in this file, from @coeffs_offset */
  guint64 coeffs_offset;
  /* Memory to reuse from one call to the next (the band at hand), or
   * NULL. */
  TessScratch *window;
} TessPrefilter;

gboolean tess__method_is_spline (TessMethod method);
gsize tess__coeffs_bytes (TessPixelType type, gint64 width, gint64 height);
/* The rows of a band, and the number of bands, of a plane of that type
 * and size; the number of chunks of columns its bands are cut into; and
 * the number of pieces (bands × chunks). */
gsize tess__prefilter_band_rows (TessPixelType type, gint64 width);
gsize tess__prefilter_n_bands (TessPixelType type, gint64 width,
                               gint64 height);
gsize tess__prefilter_n_chunks (gint64 width);
gsize tess__prefilter_n_pieces (TessPixelType type, gint64 width,
                                gint64 height);
/* The rows of the input that padded rows [y0, y1) need: [*s0, *s1). */
void tess__prefilter_source_rows (const TessPrefilter *pf, gsize y0, gsize y1,
                                  gsize *s0, gsize *s1);
/* The rows of the input band @b needs: [*s0, *s1). */
void tess__prefilter_band_source (const TessPrefilter *pf, gsize b, gsize *s0,
                                  gsize *s1);
/* Makes the piece of band @b and chunk @c of the coefficients, into @pf's
 * memory or file.  Errors only with a file. */
gboolean tess__prefilter_piece (const TessPrefilter *pf, gsize b, gsize c,
                                GError **error);

/* A plane on given values: the samples, or (spline methods) coefficients
 * made as above. */
void tess__plane_init (TessPlane *plane, TessMethod method, TessPixelType type,
                       gboolean swapped, gconstpointer data, gint64 width,
                       gint64 height);
/* A plane of @image's plane @p.  For the spline methods it has its own
 * coefficients (in a file when they are large), made a piece at a time
 * as tess__plane_fetch() asks for them; the input's rows are then read
 * from its file when it is mapped, rather than faulted in.  The plane may
 * be shared between threads: each piece is made once. */
gboolean tess__plane_prepare (TessPlane *plane, TessMethod method,
                              TessImage *image, gint64 p, GError **error);
void tess__plane_clear (TessPlane *plane);
/* Spline coefficients of a @width × @height plane in file @fd from
 * @offset, read a window of rows at a time: before sampling, make sure
 * the rows are at hand with tess__plane_fetch().  Such a plane is not to
 * be shared between threads. */
void tess__plane_init_file (TessPlane *plane, TessMethod method,
                            TessPixelType type, gint64 width, gint64 height,
                            int fd, guint64 offset);
/* A coefficient file shared by processes for @nplanes planes: the
 * planes' coefficients, then, from *@states_offset (page-aligned), a word
 * a piece of each plane saying whether it is made (zero: not yet). */
guint64 tess__coeffs_file_bytes (TessPixelType type, gint64 width,
                                 gint64 height, gint64 nplanes,
                                 guint64 *states_offset);
/* A plane of a shared coefficient file (tess__plane_init_file()) whose
 * pieces the processes sharing @states (its plane's words in the file,
 * mapped) make as they need them, from @image's plane @p: each piece
 * once, or again by another process if the one making it dies. */
void tess__plane_make_shared (TessPlane *plane, TessImage *image, gint64 p,
                              gint32 *states);
/* worker.c: a worker asked to die (by TESSERA_WORKER_DIE, for tests)
 * when it starts a task of this @kind ("block" or "band") exits here. */
void tess__worker_maybe_die (const char *kind);
/* Makes the coefficients of @region (padded indices) of a plane at
 * hand: makes the pieces it lies in if need be, and reads its rows when
 * the plane reads its coefficients from a file (a no-op for other
 * planes). */
gboolean tess__plane_fetch (TessPlane *plane, const TessRect *region,
                            GError **error);
/* The padded coefficients samples within [xmin, xmax] × [ymin, ymax]
 * (input pixel coordinates) may read: @r (empty if none). */
void tess__plane_region_for (const TessPlane *plane, double xmin, double xmax,
                             double ymin, double ymax, TessRect *r);
/* Lets go of the resident pages of coefficients in a file. */
void tess__plane_drop_pages (const TessPlane *plane);
/* Interpolates @n points; (x, y) NaN gives NaN.  @out has the plane's
 * type. */
void tess__plane_sample (const TessPlane *plane, gsize n, const double *x,
                         const double *y, gpointer out);

#endif /* TESS_PRIVATE_H */
