/* healpix.c — HEALPix maps: reading them from FITS binary tables,
 * reprojecting them onto an image WCS (nearest and bilinear as
 * astropy-healpix interpolates, adaptive, exact by pixel overlap) and
 * images onto them (nearest, bilinear, exact).  chealpix does the
 * pixelisation (position ↔ pixel); the ring geometry and the pixel
 * outlines are in healpix-geometry.c (Górski et al. 2005).
 */
#include "config.h"

#include "healpix/tess-healpix.h"
#include "io/tess-stream.h"
#include "run/tess-plan.h"
#include "run/tess-run.h"

#include <chealpix.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wcslib/sph.h>

#define HEALPIX_UNSEEN (-1.6375e30)
/* Rows of output computed and written at a time by to-healpix. */
#define TO_HEALPIX_CHUNK ((gint64)1 << 18)

struct _TessHealpixMap
{
  gint ref_count;
  char *source;
  gint64 nside, npix;
  TessHealpixOrder order; /* of the file; @values are in RING order */
  TessFrame frame;
  char *column; /* the column read */
  TessPixelType type;
  double *values; /* npix values, RING order, NaN where missing */
};

static const char *const order_names[] = {
  [TESS_HEALPIX_RING] = "ring",
  [TESS_HEALPIX_NESTED] = "nested",
};

const char *
tess_healpix_order_name (TessHealpixOrder order)
{
  return tess__enum_name (order_names, G_N_ELEMENTS (order_names),
                          (unsigned)order);
}

gboolean
tess_healpix_order_from_name (const char *name, TessHealpixOrder *order,
                              GError **error)
{
  int v;

  /* ORDERING = 'NEST' is common in HEALPix files. */
  if (name && g_ascii_strcasecmp (name, "nest") == 0)
    name = "nested";
  if (!tess__enum_parse (order_names, G_N_ELEMENTS (order_names),
                         "HEALPix ordering", name, &v, error))
    return FALSE;
  *order = (TessHealpixOrder)v;
  return TRUE;
}

gboolean
tess_healpix_nside_valid (gint64 nside)
{
  return nside >= 1 && nside <= TESS_HEALPIX_MAX_NSIDE
         && (nside & (nside - 1)) == 0;
}

/* The frame of a COORDSYS value: HEALPix's one-letter codes and their
 * longer forms, or a frame name. */
static gboolean
frame_from_coordsys (const char *s, TessFrame *frame)
{
  static const struct
  {
    const char *name;
    TessFrame frame;
  } codes[] = {
    { "C", TESS_FRAME_ICRS },     { "CEL", TESS_FRAME_ICRS },
    { "Q", TESS_FRAME_ICRS },     { "EQU", TESS_FRAME_ICRS },
    { "G", TESS_FRAME_GALACTIC }, { "GAL", TESS_FRAME_GALACTIC },
    { "E", TESS_FRAME_ECLIPTIC }, { "ECL", TESS_FRAME_ECLIPTIC },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    if (g_ascii_strcasecmp (s, codes[i].name) == 0)
      {
        *frame = codes[i].frame;
        return TRUE;
      }
  return tess_frame_from_name (s, frame, NULL);
}

/* ---------------------------------------------------------------------- */
/* Geometry (see also healpix-geometry.c)                                  */

static inline double
lat_to_theta (double lat_deg)
{
  return (90.0 - lat_deg) * (G_PI / 180.0);
}

static inline double
lon_to_phi (double lon_deg)
{
  double phi = fmod (lon_deg * (G_PI / 180.0), 2.0 * G_PI);
  return phi < 0 ? phi + 2.0 * G_PI : phi;
}

/* ---------------------------------------------------------------------- */
/* Reading maps                                                            */

TessHealpixMap *
tess_healpix_map_ref (TessHealpixMap *map)
{
  g_atomic_int_inc (&map->ref_count);
  return map;
}

void
tess_healpix_map_unref (TessHealpixMap *map)
{
  if (map == NULL || !g_atomic_int_dec_and_test (&map->ref_count))
    return;
  g_free (map->source);
  g_free (map->column);
  g_free (map->values);
  g_free (map);
}

gint64
tess_healpix_map_get_nside (const TessHealpixMap *map)
{
  return map->nside;
}

TessHealpixOrder
tess_healpix_map_get_order (const TessHealpixMap *map)
{
  return map->order;
}

TessFrame
tess_healpix_map_get_frame (const TessHealpixMap *map)
{
  return map->frame;
}

const char *
tess_healpix_map_get_source (const TessHealpixMap *map)
{
  return map->source;
}

const char *
tess_healpix_map_get_column (const TessHealpixMap *map)
{
  return map->column;
}

TessPixelType
tess_healpix_map_get_pixel_type (const TessHealpixMap *map)
{
  return map->type;
}

const double *
tess__healpix_map_values (const TessHealpixMap *map)
{
  return map->values;
}

/* Whether the cfitsio name @path names an HDU ("f.fits[1]"). */
static gboolean
names_hdu (const char *path)
{
  const char *b = strrchr (path, '[');
  return b != NULL && strchr (b, ']') != NULL;
}

gboolean
tess_healpix_file_is_map (const char *path)
{
  fitsfile *f = NULL;
  int status = 0, type = 0, naxis = 0, nhdu = 0;
  gboolean is = FALSE;

  if (fits_open_file (&f, path, READONLY, &status))
    return FALSE;
  fits_get_hdu_type (f, &type, &status);
  if (names_hdu (path))
    is = status == 0 && type == BINARY_TBL;
  else
    {
      /* An empty primary HDU followed by a binary table. */
      fits_get_img_dim (f, &naxis, &status);
      fits_get_num_hdus (f, &nhdu, &status);
      if (status == 0 && naxis == 0 && nhdu >= 2)
        {
          fits_movabs_hdu (f, 2, &type, &status);
          is = status == 0 && type == BINARY_TBL;
        }
    }
  status = 0;
  fits_close_file (f, &status);
  return is;
}

static char *
read_key_string (fitsfile *f, const char *key)
{
  char value[FLEN_VALUE];
  int status = 0;

  if (fits_read_key_str (f, key, value, NULL, &status))
    return NULL;
  return g_strstrip (g_strdup (value));
}

static gboolean
is_unseen (double v)
{
  return fabs (v / HEALPIX_UNSEEN - 1.0) < 1e-5;
}

TessHealpixMap *
tess_healpix_map_load (const char *path, int field, GError **error)
{
  fitsfile *f = NULL;
  int status = 0, type, ncols = 0, pixel_col = 0, col = 0, typecode;
  long nrows = 0, repeat = 1, width;
  LONGLONG nside = 0, firstpix = -1, lastpix = -1;
  g_autofree char *pixtype = NULL, *ordering = NULL, *coordsys = NULL,
                  *indxschm = NULL, *object = NULL;
  gboolean explicit_index;
  TessHealpixMap *map = NULL;
  double *values = NULL, *buf = NULL;
  gint64 *pixels = NULL;
  gint64 nvalues, npix;
  char ttype[FLEN_VALUE], key[FLEN_KEYWORD];

  if (fits_open_file (&f, path, READONLY, &status))
    {
      tess__set_fits_error (error, status, path, "cannot open the file");
      return NULL;
    }
  if (!names_hdu (path))
    fits_movabs_hdu (f, 2, &type, &status);
  fits_get_hdu_type (f, &type, &status);
  if (status || type != BINARY_TBL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: not a HEALPix map (no binary table)", path);
      goto out;
    }
  pixtype = read_key_string (f, "PIXTYPE");
  if (pixtype == NULL || g_ascii_strcasecmp (pixtype, "HEALPIX") != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: not a HEALPix map (the table has no PIXTYPE = "
                   "'HEALPIX')",
                   path);
      goto out;
    }
  map = g_new0 (TessHealpixMap, 1);
  map->ref_count = 1;
  map->source = g_strdup (path);

  ordering = read_key_string (f, "ORDERING");
  if (ordering == NULL)
    ordering = read_key_string (f, "ORDSCHEM");
  if (ordering == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: HEALPix map without ORDERING (RING or NESTED)", path);
      goto fail;
    }
  if (!tess_healpix_order_from_name (ordering, &map->order, NULL))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: unknown HEALPix ORDERING '%s' (RING or NESTED)", path,
                   ordering);
      goto fail;
    }
  coordsys = read_key_string (f, "COORDSYS");
  if (coordsys == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: HEALPix map without COORDSYS (C, G or E)", path);
      goto fail;
    }
  if (!frame_from_coordsys (coordsys, &map->frame))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: unknown HEALPix COORDSYS '%s' (C or CEL, G or GAL, "
                   "E or ECL)",
                   path, coordsys);
      goto fail;
    }
  status = 0;
  if (fits_read_key_lnglng (f, "NSIDE", &nside, NULL, &status))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: HEALPix map without NSIDE", path);
      goto fail;
    }
  if (!tess_healpix_nside_valid (nside))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: bad NSIDE %lld (a power of 2 up to 2^29)", path,
                   (long long)nside);
      goto fail;
    }
  map->nside = nside;
  map->npix = npix = 12 * (gint64)nside * (gint64)nside;
  if ((guint64)npix > G_MAXSIZE / sizeof (double) / 2)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                   "%s: NSIDE %lld is too large to hold the map", path,
                   (long long)nside);
      goto fail;
    }
  indxschm = read_key_string (f, "INDXSCHM");
  object = read_key_string (f, "OBJECT");
  explicit_index = (indxschm && g_ascii_strcasecmp (indxschm, "EXPLICIT") == 0)
                   || (indxschm == NULL && object
                       && g_ascii_strcasecmp (object, "PARTIAL") == 0);
  if (indxschm && !explicit_index
      && g_ascii_strcasecmp (indxschm, "IMPLICIT") != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: unknown INDXSCHM '%s' (IMPLICIT or EXPLICIT)", path,
                   indxschm);
      goto fail;
    }

  status = 0;
  fits_get_num_rows (f, &nrows, &status);
  fits_get_num_cols (f, &ncols, &status);
  if (status)
    {
      tess__set_fits_error (error, status, path, "cannot read the table");
      goto fail;
    }
  if (explicit_index)
    {
      /* The PIXEL column, or the first. */
      status = 0;
      if (fits_get_colnum (f, CASEINSEN, (char *)"PIXEL", &pixel_col, &status))
        pixel_col = 1;
      status = 0;
    }
  /* The field-th column that is not the pixel index. */
  for (int c = 1, k = 0; c <= ncols; c++)
    {
      if (c == pixel_col)
        continue;
      if (k++ == field)
        {
          col = c;
          break;
        }
    }
  if (field < 0 || col == 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "%s: the HEALPix table has no field %d (it has %d)", path,
                   field, ncols - (pixel_col ? 1 : 0));
      goto fail;
    }
  fits_get_coltype (f, col, &typecode, &repeat, &width, &status);
  snprintf (key, sizeof key, "TTYPE%d", col);
  if (fits_read_key_str (f, key, ttype, NULL, &status))
    {
      status = 0;
      snprintf (ttype, sizeof ttype, "column %d", col);
    }
  if (status || typecode < 0 || typecode == TSTRING || typecode == TLOGICAL
      || typecode == TCOMPLEX || typecode == TDBLCOMPLEX)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: HEALPix column %d is not numeric", path, col);
      goto fail;
    }
  map->column = g_strdup (ttype);
  map->type = typecode == TDOUBLE || typecode == TLONG || typecode == TLONGLONG
                      || typecode == TINT32BIT
                  ? TESS_TYPE_DOUBLE
                  : TESS_TYPE_FLOAT;
  if (explicit_index)
    {
      int ptype;
      long prepeat, pwidth;
      fits_get_coltype (f, pixel_col, &ptype, &prepeat, &pwidth, &status);
      if (status || prepeat != repeat)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                       "%s: the PIXEL column and the values do not match",
                       path);
          goto fail;
        }
    }
  nvalues = (gint64)nrows * (gint64)repeat;
  status = 0;
  fits_read_key_lnglng (f, "FIRSTPIX", &firstpix, NULL, &status);
  status = 0;
  fits_read_key_lnglng (f, "LASTPIX", &lastpix, NULL, &status);
  status = 0;
  if (!explicit_index)
    {
      if (firstpix < 0)
        firstpix = 0;
      if (lastpix < 0)
        lastpix = npix - 1;
      if (firstpix > lastpix || lastpix >= npix)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                       "%s: FIRSTPIX %lld and LASTPIX %lld are not pixels of "
                       "NSIDE %lld",
                       path, (long long)firstpix, (long long)lastpix,
                       (long long)nside);
          goto fail;
        }
      if (nvalues != lastpix - firstpix + 1)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                       "%s: the table holds %" G_GINT64_FORMAT
                       " values (%ld rows of %ld) where NSIDE %lld needs "
                       "%lld",
                       path, nvalues, nrows, repeat, (long long)nside,
                       (long long)(lastpix - firstpix + 1));
          goto fail;
        }
    }
  else if (nvalues > npix)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: the table holds %" G_GINT64_FORMAT
                   " values, more than the %" G_GINT64_FORMAT
                   " pixels of NSIDE %lld",
                   path, nvalues, npix, (long long)nside);
      goto fail;
    }

  values = tess__alloc_large ((gsize)npix * sizeof (double));
  buf = nvalues > 0 ? tess__alloc_large ((gsize)nvalues * sizeof (double))
                    : NULL;
  if (values == NULL || (nvalues > 0 && buf == NULL))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_NO_MEMORY,
                   "%s: not enough memory for the map", path);
      goto fail;
    }
  for (gint64 i = 0; i < npix; i++)
    values[i] = NAN;
  if (nvalues > 0)
    {
      double nulval = NAN;
      int anynul = 0;
      fits_read_col (f, TDOUBLE, col, 1, 1, nvalues, &nulval, buf, &anynul,
                     &status);
      if (status)
        {
          tess__set_fits_error (error, status, path,
                                "cannot read the HEALPix values");
          goto fail;
        }
    }
  if (explicit_index && nvalues > 0)
    {
      LONGLONG nulpix = -1;
      int anynul = 0;
      pixels = g_new (gint64, nvalues);
      fits_read_col (f, TLONGLONG, pixel_col, 1, 1, nvalues, &nulpix, pixels,
                     &anynul, &status);
      if (status)
        {
          tess__set_fits_error (error, status, path,
                                "cannot read the PIXEL column");
          goto fail;
        }
    }
  /* Into RING order. */
  for (gint64 i = 0; i < nvalues; i++)
    {
      gint64 p = explicit_index ? pixels[i] : firstpix + i;
      double v = buf[i];

      if (p < 0 || p >= npix)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                       "%s: pixel %" G_GINT64_FORMAT
                       " is not one of NSIDE %lld",
                       path, p, (long long)nside);
          goto fail;
        }
      if (map->order == TESS_HEALPIX_NESTED)
        {
          int64_t r;
          nest2ring64 (nside, p, &r);
          p = r;
        }
      values[p] = is_unseen (v) ? NAN : v;
    }
  map->values = values;
  values = NULL;
  goto out;

fail:
  tess_healpix_map_unref (map);
  map = NULL;
out:
  g_free (values);
  g_free (buf);
  g_free (pixels);
  status = 0;
  if (f)
    fits_close_file (f, &status);
  return map;
}

/* ---------------------------------------------------------------------- */
/* From HEALPix onto an image                                              */

gboolean
tess__healpix_sample (const TessHealpixMap *map, TessMethod method, double lon,
                      double lat, double *value)
{
  double theta, phi;

  if (!isfinite (lon) || !isfinite (lat))
    {
      *value = NAN;
      return FALSE;
    }
  theta = CLAMP (lat_to_theta (lat), 0.0, G_PI);
  phi = lon_to_phi (lon);
  if (method == TESS_METHOD_NEAREST)
    {
      int64_t p;
      ang2pix_ring64 (map->nside, theta, phi, &p);
      *value = map->values[p];
    }
  else
    {
      gint64 pix[4];
      double w[4], s = 0.0, sw = 0.0;
      tess__healpix_bilinear_weights (map->nside, theta, phi, pix, w);
      /* Neighbours of (rounding-level) zero weight do not count: a NaN
       * there does not make the value NaN. */
      for (int k = 0; k < 4; k++)
        if (w[k] > 1e-9)
          {
            s += w[k] * map->values[pix[k]];
            sw += w[k];
          }
      *value = s / sw;
    }
  return isfinite (*value);
}

TessWcs *
tess_healpix_map_default_target (const TessHealpixMap *map, GError **error)
{
  TessWcsParams p = { 0 };
  /* About the map's pixel size, a whole number of pixels on 180°. */
  gint64 h = MAX (
      4, (gint64)ceil (
             180.0 / (sqrt (4.0 * G_PI / (double)map->npix) * 180.0 / G_PI)));

  p.frame = map->frame;
  memcpy (p.projection, "CAR", 4);
  p.scale = 180.0 / (double)h;
  p.width = 2 * h;
  p.height = h;
  p.crpix_x = (double)p.width / 2.0 - 0.5;
  p.crpix_y = (double)p.height / 2.0 - 0.5;
  return tess_wcs_new_from_params (&p, error);
}

static gboolean
check_method (const TessHealpixMap *map, TessMethod m, GError **error)
{
  if (m == TESS_METHOD_NEAREST || m == TESS_METHOD_BILINEAR
      || m == TESS_METHOD_ADAPTIVE || m == TESS_METHOD_EXACT)
    return TRUE;
  g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
               "%s: the %s method is not available for HEALPix maps "
               "(nearest, bilinear, adaptive or exact)",
               map->source, tess_method_name (m));
  return FALSE;
}

/* Block @r of the output: values (@type) and footprint. */
static gboolean
from_healpix_block (const TessHealpixMap *map, TessWcs *target,
                    const TessOptions *opt, const TessRect *r,
                    TessPixelType type, gpointer data, float *fp,
                    GError **error)
{
  gsize w = (gsize)r->width;
  double *x = g_new (double, w), *y = g_new (double, w),
         *lon = g_new (double, w), *lat = g_new (double, w);
  TessFrame tf = tess_wcs_get_frame (target);
  gboolean ok = TRUE;

  gboolean sampled = opt->method == TESS_METHOD_NEAREST
                     || opt->method == TESS_METHOD_BILINEAR;

  if (opt->method == TESS_METHOD_EXACT)
    ok = tess__healpix_exact_block (map, target, r, type, data, fp, error);
  else if (opt->method == TESS_METHOD_ADAPTIVE)
    ok = tess__healpix_adaptive_block (map, target, opt, r, type, data, fp,
                                       error);
  for (gint64 j = 0; j < r->height && ok && sampled; j++)
    {
      for (gsize i = 0; i < w; i++)
        {
          x[i] = (double)(r->x0 + (gint64)i);
          y[i] = (double)(r->y0 + j);
        }
      ok = tess_wcs_pixel_to_world (target, w, x, y, lon, lat, error);
      if (!ok)
        break;
      if (tf != map->frame)
        tess_frame_convert (tf, map->frame, w, lon, lat);
      for (gsize i = 0; i < w; i++)
        {
          double v;
          gsize o = (gsize)j * w + i;
          gboolean valid
              = tess__healpix_sample (map, opt->method, lon[i], lat[i], &v);
          if (type == TESS_TYPE_FLOAT)
            ((float *)data)[o] = (float)v;
          else
            ((double *)data)[o] = v;
          if (fp)
            fp[o] = valid ? 1.0f : 0.0f;
        }
    }
  g_free (x);
  g_free (y);
  g_free (lon);
  g_free (lat);
  return ok;
}

/* A map reprojected onto a target's region, as a source of blocks
 * (tess-run.h): any engine of run.c runs them. */
typedef struct
{
  TessBlockSource base;
  const TessHealpixMap *map;
  TessWcs *target;
  const TessOptions *opt;
  TessRect rect;    /* the part of the target computed */
  TessRect *blocks; /* in target coordinates */
  gint64 nblocks;
  TessImage *shell; /* the output, without pixels */
} HealpixSource;

static gint64
healpix_n_blocks (const TessBlockSource *s)
{
  return ((const HealpixSource *)s)->nblocks;
}

static TessRect
healpix_get_block (const TessBlockSource *s, gint64 i)
{
  const HealpixSource *hs = (const HealpixSource *)s;

  return tess__block_in_region (hs->blocks, hs->nblocks, &hs->rect, i);
}

static gboolean
healpix_compute (TessBlockSource *s, gint64 i, gpointer data, float *footprint,
                 GError **error)
{
  HealpixSource *hs = (HealpixSource *)s;

  return from_healpix_block (hs->map, hs->target, hs->opt, &hs->blocks[i],
                             hs->map->type, data, footprint, error);
}

static TessImage *
healpix_output_shell (TessBlockSource *s, GError **error)
{
  (void)error;
  return tess_image_ref (((HealpixSource *)s)->shell);
}

static void
healpix_free (TessBlockSource *s)
{
  HealpixSource *hs = (HealpixSource *)s;

  g_free (hs->blocks);
  if (hs->shell)
    tess_image_unref (hs->shell);
  g_free (hs);
}

static const TessBlockSourceFuncs healpix_source_funcs
    = { healpix_n_blocks,     healpix_get_block,
        healpix_compute,      NULL,
        healpix_output_shell, NULL,
        healpix_free };

gboolean
tess_healpix_reproject_write (TessHealpixMap *map, TessWcs *target,
                              const TessRect *rect, const TessOptions *options,
                              const TessRunOptions *run, const char *path,
                              TessWriteFlags flags, GCancellable *cancellable,
                              TessProgressFunc progress, gpointer user_data,
                              GError **error)
{
  TessOptions defaults;
  TessRect all
      = { 0, 0, tess_wcs_get_width (target), tess_wcs_get_height (target) };
  TessWcs *wcs;
  TessImage *shell;
  TessStreamWriter *w;
  HealpixSource *hs;
  TessBlockSink sink = { 0 };
  char *history;
  int jobs = run ? run->jobs : 1;
  gboolean ok;

  if (options == NULL)
    {
      tess_options_init (&defaults);
      options = &defaults;
    }
  if (!check_method (map, options->method, error))
    return FALSE;
  if (!tess__run_options_check (run, error))
    return FALSE;
  if (run && run->engine == TESS_ENGINE_PROCESSES && jobs != 1)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                   "%s: a HEALPix map is reprojected in threads, not in "
                   "worker processes",
                   tess_healpix_map_get_source (map));
      return FALSE;
    }
  if (!tess_wcs_is_celestial (target))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   "%s: the target's WCS is not celestial: a HEALPix map "
                   "reprojects only onto the sky",
                   tess_wcs_get_source (target));
      return FALSE;
    }
  if (rect == NULL)
    rect = &all;
  if (all.width <= 0 || all.height <= 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "%s: the target has no size (NAXIS1, NAXIS2)",
                   tess_wcs_get_source (target));
      return FALSE;
    }
  if (rect->x0 < 0 || rect->y0 < 0 || rect->width <= 0 || rect->height <= 0
      || rect->x0 + rect->width > all.width
      || rect->y0 + rect->height > all.height)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "the region is not inside the %" G_GINT64_FORMAT
                   "x%" G_GINT64_FORMAT " target",
                   all.width, all.height);
      return FALSE;
    }
  hs = g_new0 (HealpixSource, 1);
  hs->base.funcs = &healpix_source_funcs;
  hs->base.width = rect->width;
  hs->base.height = rect->height;
  hs->base.nplanes = 1;
  hs->base.elem = map->type == TESS_TYPE_DOUBLE ? 8 : 4;
  hs->map = map;
  hs->target = target;
  hs->opt = options;
  hs->rect = *rect;
  hs->blocks = tess__plan_make_blocks (run, rect, &hs->nblocks, error);
  if (hs->blocks == NULL)
    {
      tess__block_source_free (&hs->base);
      return FALSE;
    }

  wcs = tess_wcs_crop (target, rect->x0, rect->y0, rect->width, rect->height);
  shell = tess__image_alloc (wcs, map->type, rect->width, rect->height, 0,
                             NULL, FALSE, error);
  tess_wcs_unref (wcs);
  if (shell == NULL)
    {
      tess__block_source_free (&hs->base);
      return FALSE;
    }
  history = g_strdup_printf (
      "Reprojected by Tessera %s (%s) from the HEALPix map %s (NSIDE "
      "%" G_GINT64_FORMAT ", %s, %s, column %s)",
      PACKAGE_VERSION, tess_method_name (options->method), map->source,
      map->nside, tess_healpix_order_name (map->order),
      tess_frame_name (map->frame), map->column);
  tess_image_add_history (shell, history);
  g_free (history);
  history
      = g_strdup_printf ("Target WCS from %s", tess_wcs_get_source (target));
  tess_image_add_history (shell, history);
  g_free (history);
  hs->shell = shell;
  w = tess__stream_writer_new (path, shell, flags, error);
  if (w == NULL)
    {
      tess__block_source_free (&hs->base);
      return FALSE;
    }

  sink.layout = tess__stream_writer_layout (w);
  sink.what = path;
  if (jobs == 0)
    jobs = (int)g_get_num_processors ();
  ok = tess__run_threads (&hs->base, &sink, MIN (jobs, 64), cancellable,
                          progress, user_data, error);
  tess__block_source_free (&hs->base);
  if (ok)
    return tess__stream_writer_commit (w, error);
  tess__stream_writer_abort (w);
  return FALSE;
}

/* ---------------------------------------------------------------------- */
/* Pixel outlines and their overlaps with a pixel grid                     */

/* Points along each side of a pixel outline: its sides are curves on the
 * sphere, followed by this many chords. */
#define OUTLINE_STEPS 8
#define OUTLINE_POINTS (4 * OUTLINE_STEPS)
/* Room for a clipped outline. */
#define CLIP_MAX (4 * OUTLINE_POINTS + 16)

/* The outline of the square [fx0, fx0 + size]² of face coordinates of
 * base pixel @face: OUTLINE_POINTS positions (degrees, the map's
 * frame). */
static void
face_outline (int face, double fx0, double fy0, double size, double *lon,
              double *lat)
{
  /* Corners (0,0) (1,0) (1,1) (0,1) of the square. */
  static const double cx[5] = { 0, 1, 1, 0, 0 }, cy[5] = { 0, 0, 1, 1, 0 };

  for (int s = 0; s < 4; s++)
    for (int k = 0; k < OUTLINE_STEPS; k++)
      {
        double t = (double)k / OUTLINE_STEPS;
        double fx = fx0 + size * (cx[s] + t * (cx[s + 1] - cx[s]));
        double fy = fy0 + size * (cy[s] + t * (cy[s + 1] - cy[s]));
        double theta, phi;
        int i = s * OUTLINE_STEPS + k;

        tess__healpix_face_to_ang (face, fx, fy, &theta, &phi);
        lon[i] = phi * (180.0 / G_PI);
        lat[i] = 90.0 - theta * (180.0 / G_PI);
      }
}

/* Base pixel and face coordinates of the corner of RING pixel @p. */
static void
pixel_square (gint64 N, gint64 p, int *face, double *fx0, double *fy0)
{
  int64_t nest;
  gint64 ix, iy;

  ring2nest64 (N, p, &nest);
  tess__healpix_nest_to_xyf (N, nest, face, &ix, &iy);
  *fx0 = (double)ix / (double)N;
  *fy0 = (double)iy / (double)N;
}

static void
pixel_outline (gint64 N, gint64 p, double *lon, double *lat)
{
  int face;
  double fx0, fy0;

  pixel_square (N, p, &face, &fx0, &fy0);
  face_outline (face, fx0, fy0, 1.0 / (double)N, lon, lat);
}

/* Keeps the part of polygon @in (@n points) where ±coordinate @axis is at
 * most @c (@sign +1: x ≤ c; -1: x ≥ c). */
static int
clip_half (const double (*in)[2], int n, double (*out)[2], int axis, double c,
           double sign)
{
  int m = 0;

  for (int i = 0; i < n; i++)
    {
      const double *a = in[i], *b = in[(i + 1) % n];
      double da = sign * (a[axis] - c), db = sign * (b[axis] - c);

      if (da <= 0)
        {
          out[m][0] = a[0];
          out[m][1] = a[1];
          m++;
        }
      if ((da < 0 && db > 0) || (da > 0 && db < 0))
        {
          double t = da / (da - db);
          out[m][0] = a[0] + t * (b[0] - a[0]);
          out[m][1] = a[1] + t * (b[1] - a[1]);
          out[m][axis] = c;
          m++;
        }
      if (m >= CLIP_MAX - 2)
        break;
    }
  return m;
}

/* Signed area and centroid of a polygon. */
static double
polygon_area (const double (*p)[2], int n, double *cx, double *cy)
{
  double a = 0, sx = 0, sy = 0;

  for (int i = 0; i < n; i++)
    {
      const double *u = p[i], *v = p[(i + 1) % n];
      double c = u[0] * v[1] - v[0] * u[1];
      a += c;
      sx += (u[0] + v[0]) * c;
      sy += (u[1] + v[1]) * c;
    }
  a *= 0.5;
  if (a != 0)
    {
      *cx = sx / (6.0 * a);
      *cy = sy / (6.0 * a);
    }
  else
    *cx = *cy = 0;
  return a;
}

typedef void (*CellFunc) (gint64 i, gint64 j, double area, double cx,
                          double cy, gpointer user);

/* Calls @func for every pixel (i, j) of the grid (pixel (i, j) is the
 * square [i−½, i+½] × [j−½, j+½]) with i in [x0, x1), j in [y0, y1) that
 * polygon @p shares area with: the area (of the unit square) and the
 * centroid of the piece. */
static void
polygon_cells (const double (*p)[2], int n, gint64 x0, gint64 x1, gint64 y0,
               gint64 y1, CellFunc func, gpointer user)
{
  double xmin = p[0][0], xmax = p[0][0], ymin = p[0][1], ymax = p[0][1];
  double strip[CLIP_MAX][2], tmp[CLIP_MAX][2], cell[CLIP_MAX][2];
  gint64 i0, i1, j0, j1;

  for (int k = 1; k < n; k++)
    {
      xmin = MIN (xmin, p[k][0]);
      xmax = MAX (xmax, p[k][0]);
      ymin = MIN (ymin, p[k][1]);
      ymax = MAX (ymax, p[k][1]);
    }
  i0 = MAX (x0, (gint64)floor (xmin + 0.5));
  i1 = MIN (x1 - 1, (gint64)floor (xmax + 0.5));
  j0 = MAX (y0, (gint64)floor (ymin + 0.5));
  j1 = MIN (y1 - 1, (gint64)floor (ymax + 0.5));
  for (gint64 i = i0; i <= i1; i++)
    {
      int ns = clip_half (p, n, tmp, 0, (double)i - 0.5, -1.0);
      ns = clip_half ((const double (*)[2])tmp, ns, strip, 0, (double)i + 0.5,
                      1.0);
      if (ns < 3)
        continue;
      for (gint64 j = j0; j <= j1; j++)
        {
          double cx, cy, a;
          int nc = clip_half ((const double (*)[2])strip, ns, tmp, 1,
                              (double)j - 0.5, -1.0);
          nc = clip_half ((const double (*)[2])tmp, nc, cell, 1,
                          (double)j + 0.5, 1.0);
          if (nc < 3)
            continue;
          a = fabs (polygon_area ((const double (*)[2])cell, nc, &cx, &cy));
          if (a > 0)
            func (i, j, a, cx, cy, user);
        }
    }
}

/* Solid angle (steradians) of the spherical triangle of unit vectors a, b,
 * c (Van Oosterom and Strackee 1983). */
static double
triangle_solid_angle (const double a[3], const double b[3], const double c[3])
{
  double bc[3] = { b[1] * c[2] - b[2] * c[1], b[2] * c[0] - b[0] * c[2],
                   b[0] * c[1] - b[1] * c[0] };
  double num = a[0] * bc[0] + a[1] * bc[1] + a[2] * bc[2];
  double den = 1.0 + (a[0] * b[0] + a[1] * b[1] + a[2] * b[2])
               + (b[0] * c[0] + b[1] * c[1] + b[2] * c[2])
               + (c[0] * a[0] + c[1] * a[1] + c[2] * a[2]);
  return fabs (2.0 * atan2 (num, den));
}

static void
unit_vector (double lon, double lat, double v[3])
{
  double l = lon * (G_PI / 180.0), b = lat * (G_PI / 180.0);
  v[0] = cos (b) * cos (l);
  v[1] = cos (b) * sin (l);
  v[2] = sin (b);
}

/* Solid angles of the pixels [x0, x0+w) × [y0, y0+h) of @wcs (quadrilaterals
 * with great-circle sides between their corners), row by row; NaN where a
 * corner has no position. */
static gboolean
pixel_solid_angles (TessWcs *wcs, gint64 x0, gint64 y0, gint64 w, gint64 h,
                    double *omega, GError **error)
{
  gsize nc = (gsize)(w + 1);
  double *x = g_new (double, nc), *y = g_new (double, nc);
  double *lon = g_new (double, 2 * nc), *lat = g_new (double, 2 * nc);
  gboolean ok = TRUE;

  for (gint64 j = 0; j <= h && ok; j++)
    {
      double *rl = lon + (j % 2) * nc, *rb = lat + (j % 2) * nc;
      double *pl = lon + ((j + 1) % 2) * nc, *pb = lat + ((j + 1) % 2) * nc;
      for (gsize i = 0; i < nc; i++)
        {
          x[i] = (double)(x0 + (gint64)i) - 0.5;
          y[i] = (double)(y0 + j) - 0.5;
        }
      ok = tess_wcs_pixel_to_world (wcs, nc, x, y, rl, rb, error);
      if (!ok || j == 0)
        continue;
      for (gint64 i = 0; i < w; i++)
        {
          double a[3], b[3], c[3], d[3];
          double *o = omega + (gsize)(j - 1) * (gsize)w + (gsize)i;
          if (!isfinite (pl[i]) || !isfinite (pl[i + 1]) || !isfinite (rl[i])
              || !isfinite (rl[i + 1]))
            {
              *o = NAN;
              continue;
            }
          unit_vector (pl[i], pb[i], a);
          unit_vector (pl[i + 1], pb[i + 1], b);
          unit_vector (rl[i + 1], rb[i + 1], c);
          unit_vector (rl[i], rb[i], d);
          *o = triangle_solid_angle (a, b, c) + triangle_solid_angle (a, c, d);
        }
    }
  g_free (x);
  g_free (y);
  g_free (lon);
  g_free (lat);
  return ok;
}

/* The outline @lon, @lat (@w's frame) in @w's pixel plane (@x, @y) and
 * native coordinates (@phi, @theta; NaN where none).  TRUE when it is an
 * outline there as it is: every point has a position, and it neither
 * crosses the projection's seam (native longitude ±180°) nor touches or
 * goes round a native pole. */
static gboolean
outline_to_plane (struct wcsprm *w, const double *lon, const double *lat,
                  double *x, double *y, double *phi, double *theta)
{
  gboolean clean = TRUE;
  double winding = 0;

  for (int i = 0; i < OUTLINE_POINTS; i++)
    {
      double world[2], img[2], pix[2], p = 0, t = 0;
      int stat = 0;
      world[w->lng] = lon[i];
      world[w->lat] = lat[i];
      img[0] = img[1] = pix[0] = pix[1] = 0;
      if (!isfinite (lon[i]) || !isfinite (lat[i])
          || wcss2p (w, 1, 2, world, &p, &t, img, pix, &stat) || stat)
        {
          tess__wcsprm_clear_errors (w);
          x[i] = y[i] = phi[i] = theta[i] = NAN;
          clean = FALSE;
          continue;
        }
      x[i] = pix[0] - 1.0;
      y[i] = pix[1] - 1.0;
      phi[i] = p;
      theta[i] = t;
      if (fabs (t) > 90.0 - 1e-9)
        clean = FALSE;
    }
  for (int i = 0; i < OUTLINE_POINTS && clean; i++)
    {
      double d = phi[(i + 1) % OUTLINE_POINTS] - phi[i];
      if (fabs (d) > 180.0)
        clean = FALSE;
      winding += d;
    }
  return clean && fabs (winding) < 180.0;
}

/* Outlines of @n RING pixels carried into @wcs's pixel plane:
 * OUTLINE_POINTS points each in @px, @py; @valid FALSE for a pixel whose
 * outline is not one as it is (see outline_to_plane()). */
static gboolean
outlines_in_plane (gint64 N, TessFrame map_frame, TessWcs *wcs,
                   const gint64 *pix, gsize n, double *px, double *py,
                   gboolean *valid, GError **error)
{
  gsize np = n * OUTLINE_POINTS;
  double *lon = g_new (double, np), *lat = g_new (double, np);
  double phi[OUTLINE_POINTS], theta[OUTLINE_POINTS];
  TessFrame wf = tess_wcs_get_frame (wcs);
  struct wcsprm *w = tess__wcs_copy_cel (wcs, error);

  if (w == NULL)
    {
      g_free (lon);
      g_free (lat);
      return FALSE;
    }
  for (gsize k = 0; k < n; k++)
    pixel_outline (N, pix[k], lon + k * OUTLINE_POINTS,
                   lat + k * OUTLINE_POINTS);
  if (wf != map_frame)
    tess_frame_convert (map_frame, wf, np, lon, lat);
  for (gsize k = 0; k < n; k++)
    valid[k] = outline_to_plane (
        w, lon + k * OUTLINE_POINTS, lat + k * OUTLINE_POINTS,
        px + k * OUTLINE_POINTS, py + k * OUTLINE_POINTS, phi, theta);
  tess__wcsprm_free (w);
  g_free (lon);
  g_free (lat);
  return TRUE;
}

typedef void (*PolygonFunc) (const double (*poly)[2], int n, gpointer user);

/* Pixel position of native (@phi, @theta) of @w: NaN when none. */
static void
native_to_pixel (struct wcsprm *w, double phi, double theta, double *x,
                 double *y)
{
  double lng, lat, world[2], img[2], pix[2], p = 0, t = 0;
  int stat = 0;

  sphx2s (w->cel.euler, 1, 1, 1, 1, &phi, &theta, &lng, &lat);
  world[w->lng] = lng;
  world[w->lat] = lat;
  img[0] = img[1] = pix[0] = pix[1] = 0;
  if (wcss2p (w, 1, 2, world, &p, &t, img, pix, &stat) || stat)
    {
      tess__wcsprm_clear_errors (w);
      *x = *y = NAN;
      return;
    }
  *x = pix[0] - 1.0;
  *y = pix[1] - 1.0;
}

#define SPLIT_MAX (8 * OUTLINE_POINTS)

/* An outline that crosses the seam of @w's projection (native longitude
 * ±180°), touches a native pole or goes round one, given by its native
 * coordinates @phi, @theta: cut at the seam into the pieces either side,
 * a pole touched or gone round followed along its native latitude ±90°,
 * each piece handed to @func in the pixel plane; the cut sides are
 * followed with 8 points each.  FALSE when a point has no pixel. */
static gboolean
split_at_seam (struct wcsprm *w, const double *phi, const double *theta,
               PolygonFunc func, gpointer user)
{
  double ring[2 * OUTLINE_POINTS + 4][2], a[CLIP_MAX][2], b[CLIP_MAX][2];
  double poly[SPLIT_MAX][2];
  int n = 0, first = -1, last, pending = 0;
  double u, u0, winding, pole_lat = 90.0;

  for (int i = 0; i < OUTLINE_POINTS && first < 0; i++)
    if (fabs (theta[i]) <= 90.0 - 1e-9)
      first = i;
  if (first < 0)
    return FALSE;
  /* Native longitudes made continuous along the outline; a point at a
   * pole becomes the pole's stretch between its neighbours' longitudes. */
  u = u0 = phi[first];
  last = first;
  ring[n][0] = u;
  ring[n++][1] = theta[first];
  for (int i = 1; i <= OUTLINE_POINTS; i++)
    {
      int k = (first + i) % OUTLINE_POINTS;
      double d;
      if (i < OUTLINE_POINTS && fabs (theta[k]) > 90.0 - 1e-9)
        {
          pending = 1;
          pole_lat = theta[k] > 0 ? 90.0 : -90.0;
          continue;
        }
      d = fmod (phi[k] - phi[last] + 540.0, 360.0) - 180.0;
      if (pending)
        {
          ring[n][0] = u;
          ring[n++][1] = pole_lat;
          ring[n][0] = u + d;
          ring[n++][1] = pole_lat;
          pending = 0;
        }
      u += d;
      last = k;
      if (i < OUTLINE_POINTS)
        {
          ring[n][0] = u;
          ring[n++][1] = theta[k];
        }
    }
  winding = u - u0;
  if (fabs (winding) > 180.0)
    {
      /* Round a native pole: closed along the pole's latitude. */
      double tp = 0;
      for (int i = 0; i < OUTLINE_POINTS; i++)
        if (isfinite (theta[i]))
          tp += theta[i];
      pole_lat = tp > 0 ? 90.0 : -90.0;
      ring[n][0] = u0 + winding;
      ring[n++][1] = ring[0][1];
      ring[n][0] = u0 + winding;
      ring[n++][1] = pole_lat;
      ring[n][0] = u0;
      ring[n++][1] = pole_lat;
    }
  for (int k = -2; k <= 2; k++)
    {
      double lo = -180.0 + 360.0 * k, hi = 180.0 + 360.0 * k;
      int na = clip_half ((const double (*)[2])ring, n, a, 0, lo, -1.0);
      int nb = clip_half ((const double (*)[2])a, na, b, 0, hi, 1.0);
      int m = 0;
      if (nb < 3)
        continue;
      /* Back into [-180, 180] (just inside), the seam and pole sides
       * followed closely. */
      for (int i = 0; i < nb && m < SPLIT_MAX - 9; i++)
        {
          const double *p = b[i], *q = b[(i + 1) % nb];
          gboolean along
              = (fabs (p[0] - lo) < 1e-9 && fabs (q[0] - lo) < 1e-9)
                || (fabs (p[0] - hi) < 1e-9 && fabs (q[0] - hi) < 1e-9)
                || (fabs (fabs (p[1]) - 90.0) < 1e-9
                    && fabs (fabs (q[1]) - 90.0) < 1e-9);
          int steps = along ? 8 : 1;
          for (int t = 0; t < steps; t++)
            {
              double f = (double)t / steps;
              double ph = p[0] + f * (q[0] - p[0]) - 360.0 * k;
              double th = p[1] + f * (q[1] - p[1]);
              ph = CLAMP (ph, -180.0 + 1e-9, 180.0 - 1e-9);
              native_to_pixel (w, ph, th, &poly[m][0], &poly[m][1]);
              if (!isfinite (poly[m][0]))
                return FALSE;
              m++;
            }
        }
      func ((const double (*)[2])poly, m, user);
    }
  return TRUE;
}

/* Hands the outline of the face square [fx0, fx0 + size]² in @wcs's pixel
 * plane to @func: as it is where it is an outline there, else cut at the
 * seam of the projection; where it has no position, its four quarters,
 * down to squares 1/64 of a pixel's side (what is left out is off the
 * projection). */
static gboolean
square_in_plane (int face, double fx0, double fy0, double size, int depth,
                 TessFrame map_frame, TessWcs *wcs, struct wcsprm *w,
                 PolygonFunc func, gpointer user, GError **error)
{
  double lon[OUTLINE_POINTS], lat[OUTLINE_POINTS];
  double x[OUTLINE_POINTS], y[OUTLINE_POINTS], poly[OUTLINE_POINTS][2];
  TessFrame wf = tess_wcs_get_frame (wcs);

  double phi[OUTLINE_POINTS], theta[OUTLINE_POINTS];
  gboolean finite = TRUE;

  face_outline (face, fx0, fy0, size, lon, lat);
  if (wf != map_frame)
    tess_frame_convert (map_frame, wf, OUTLINE_POINTS, lon, lat);
  if (outline_to_plane (w, lon, lat, x, y, phi, theta))
    {
      for (int i = 0; i < OUTLINE_POINTS; i++)
        {
          poly[i][0] = x[i];
          poly[i][1] = y[i];
        }
      func ((const double (*)[2])poly, OUTLINE_POINTS, user);
      return TRUE;
    }
  for (int i = 0; i < OUTLINE_POINTS; i++)
    finite = finite && isfinite (x[i]);
  if (finite && split_at_seam (w, phi, theta, func, user))
    return TRUE;
  if (depth >= 6)
    return TRUE;
  for (int q = 0; q < 4; q++)
    if (!square_in_plane (face, fx0 + (q % 2) * size / 2,
                          fy0 + (q / 2) * size / 2, size / 2, depth + 1,
                          map_frame, wcs, w, func, user, error))
      return FALSE;
  return TRUE;
}

/* Hands the outline of RING pixel @p in @wcs's plane to @func, in pieces
 * when it has to be (see square_in_plane()). */
static gboolean
pixel_in_plane (gint64 N, gint64 p, TessFrame map_frame, TessWcs *wcs,
                PolygonFunc func, gpointer user, GError **error)
{
  int face;
  double fx0, fy0;

  struct wcsprm *w = tess__wcs_copy_cel (wcs, error);
  gboolean ok;

  if (w == NULL)
    return FALSE;
  pixel_square (N, p, &face, &fx0, &fy0);
  ok = square_in_plane (face, fx0, fy0, 1.0 / (double)N, 0, map_frame, wcs, w,
                        func, user, error);
  tess__wcsprm_free (w);
  return ok;
}

/* ---------------------------------------------------------------------- */
/* From an image onto HEALPix                                              */

void
tess_healpix_options_init (TessHealpixOptions *options)
{
  memset (options, 0, sizeof *options);
  options->nside = 256;
  options->order = TESS_HEALPIX_RING;
  options->frame = TESS_FRAME_GALACTIC;
  options->method = TESS_METHOD_BILINEAR;
}

/* The input plane, and what the exact method needs of it. */
typedef struct
{
  TessImage *image;
  gint64 width, height;
  gconstpointer data;
  double *omega; /* solid angle of each input pixel (exact) */
  /* A cap of the sky (the map's frame) holding the image and a margin:
   * HEALPix pixels whose centre is outside are not looked at. */
  gboolean use_cap;
  double cap[3], cap_cos;
  /* The current HEALPix pixel's sums (exact). */
  double s, sw;
} ToSource;

/* The cap around the image: its centre, and the farthest of its edges
 * (64 points a side), with a margin of 2 HEALPix pixels, 2 image pixels
 * and 1 % of the radius; none when an edge point has no position or the
 * cap would pass a hemisphere. */
static gboolean
source_cap (ToSource *src, TessFrame map_frame, gint64 N, GError **error)
{
  TessWcs *wcs = tess_image_get_wcs (src->image);
  const int per_side = 64, n = 4 * per_side + 1;
  double x[4 * 64 + 1], y[4 * 64 + 1], lon[4 * 64 + 1], lat[4 * 64 + 1];
  double W = (double)src->width, H = (double)src->height, cmin = 1.0, r;
  double c[3], pix_rad;

  src->use_cap = FALSE;
  for (int k = 0; k < per_side; k++)
    {
      double t = (double)k / per_side;
      x[k] = -0.5 + t * W, y[k] = -0.5;
      x[per_side + k] = W - 0.5, y[per_side + k] = -0.5 + t * H;
      x[2 * per_side + k] = W - 0.5 - t * W, y[2 * per_side + k] = H - 0.5;
      x[3 * per_side + k] = -0.5, y[3 * per_side + k] = H - 0.5 - t * H;
    }
  x[n - 1] = (W - 1) / 2, y[n - 1] = (H - 1) / 2;
  if (!tess_wcs_pixel_to_world (wcs, (gsize)n, x, y, lon, lat, error))
    return FALSE;
  if (tess_wcs_get_frame (wcs) != map_frame)
    tess_frame_convert (tess_wcs_get_frame (wcs), map_frame, (gsize)n, lon,
                        lat);
  for (int k = 0; k < n; k++)
    if (!isfinite (lon[k]) || !isfinite (lat[k]))
      return TRUE;
  unit_vector (lon[n - 1], lat[n - 1], c);
  for (int k = 0; k < n - 1; k++)
    {
      double v[3];
      unit_vector (lon[k], lat[k], v);
      cmin = MIN (cmin, c[0] * v[0] + c[1] * v[1] + c[2] * v[2]);
    }
  pix_rad = 2.0 * sqrt (4.0 * G_PI / (12.0 * (double)N * (double)N))
            + 2.0 * acos (CLAMP (cmin, -1.0, 1.0)) / MIN (W, H);
  r = acos (CLAMP (cmin, -1.0, 1.0)) * 1.01 + pix_rad;
  if (r >= G_PI / 2)
    return TRUE;
  memcpy (src->cap, c, sizeof c);
  src->cap_cos = cos (r);
  src->use_cap = TRUE;
  return TRUE;
}

static inline double
source_value (const ToSource *src, gint64 i, gint64 j)
{
  return tess__load_sample (src->image->type, src->image->swapped, src->data,
                            (gsize)j * (gsize)src->width + (gsize)i);
}

/* The image at (x, y) as reproject_to_healpix samples it (scipy's
 * map_coordinates, mode 'constant'): NaN outside [0, n−1]; nearest rounds,
 * bilinear weighs the 2×2 pixels around (NaN when one of non-zero weight
 * is NaN). */
static double
source_sample (const ToSource *src, TessMethod method, double x, double y)
{
  gint64 W = src->width, H = src->height, i, j;
  double fx, fy, v = 0;

  if (!(x >= 0 && y >= 0 && x <= (double)(W - 1) && y <= (double)(H - 1)))
    return NAN;
  if (method == TESS_METHOD_NEAREST)
    return source_value (src, (gint64)floor (x + 0.5),
                         (gint64)floor (y + 0.5));
  i = MIN ((gint64)floor (x), W - 1);
  j = MIN ((gint64)floor (y), H - 1);
  fx = x - (double)i;
  fy = y - (double)j;
  for (int dj = 0; dj < 2; dj++)
    for (int di = 0; di < 2; di++)
      {
        double w = (di ? fx : 1 - fx) * (dj ? fy : 1 - fy);
        if (w != 0)
          v += w * source_value (src, i + di, j + dj);
      }
  return v;
}

static void
to_exact_cell (gint64 i, gint64 j, double area, double cx, double cy,
               gpointer user)
{
  ToSource *src = user;
  double v = source_value (src, i, j);
  double om = src->omega[(gsize)j * (gsize)src->width + (gsize)i];

  if (isfinite (v) && isfinite (om))
    {
      src->s += v * area * om;
      src->sw += area * om;
    }
}

static void
to_exact_polygon (const double (*poly)[2], int n, gpointer user)
{
  ToSource *src = user;

  polygon_cells (poly, n, 0, src->width, 0, src->height, to_exact_cell, src);
}

static const char *
coordsys_of_frame (TessFrame frame)
{
  switch (frame)
    {
    case TESS_FRAME_ICRS:
      return "C";
    case TESS_FRAME_GALACTIC:
      return "G";
    case TESS_FRAME_ECLIPTIC:
      return "E";
    default:
      /* By name: what tess_frame_from_name() reads back (astropy reads
       * "fk5" and "fk4" too). */
      return tess_frame_name (frame);
    }
}

/* Values and footprints of output pixels [p0, p0 + n) (in the output's
 * order). */
static gboolean
to_healpix_chunk (ToSource *src, const TessHealpixOptions *opt, gint64 p0,
                  gsize n, double *values, float *fp, GError **error)
{
  TessWcs *wcs = tess_image_get_wcs (src->image);
  TessFrame wf = tess_wcs_get_frame (wcs);
  gint64 N = opt->nside;
  double *lon = g_new (double, n), *lat = g_new (double, n);
  double *x = g_new (double, n), *y = g_new (double, n);
  gint64 *ring = g_new (gint64, n);
  double omega_h = 4.0 * G_PI / (12.0 * (double)N * (double)N);
  gboolean ok = TRUE;

  for (gsize k = 0; k < n; k++)
    {
      double theta, phi;
      gint64 p = p0 + (gint64)k;
      if (opt->order == TESS_HEALPIX_NESTED)
        {
          int64_t r;
          pix2ang_nest64 (N, p, &theta, &phi);
          nest2ring64 (N, p, &r);
          ring[k] = r;
        }
      else
        {
          pix2ang_ring64 (N, p, &theta, &phi);
          ring[k] = p;
        }
      lon[k] = phi * (180.0 / G_PI);
      lat[k] = 90.0 - theta * (180.0 / G_PI);
      if (src->use_cap)
        {
          double st = sin (theta);
          double d = src->cap[0] * st * cos (phi)
                     + src->cap[1] * st * sin (phi)
                     + src->cap[2] * cos (theta);
          if (d < src->cap_cos)
            lon[k] = lat[k] = NAN; /* far from the image */
        }
    }
  if (wf != opt->frame)
    tess_frame_convert (opt->frame, wf, n, lon, lat);
  if (!tess_wcs_world_to_pixel (wcs, n, lon, lat, x, y, error))
    {
      ok = FALSE;
      goto out;
    }
  if (opt->method != TESS_METHOD_EXACT)
    {
      for (gsize k = 0; k < n; k++)
        {
          values[k] = source_sample (src, opt->method, x[k], y[k]);
          fp[k] = isfinite (values[k]) ? 1.0f : 0.0f;
        }
      goto out;
    }

  /* Exact: only the pixels whose centre is within reach of the image
   * (about two HEALPix pixels beyond its edges) may overlap it. */
  {
    double om_c = src->omega[(gsize)(src->height / 2) * (gsize)src->width
                             + (gsize)(src->width / 2)];
    double reach = 2.0 + 3.0 * sqrt (omega_h / om_c);
    gint64 *near = g_new (gint64, n);
    gsize *where = g_new (gsize, n), m = 0;
    double *px, *py;
    gboolean *valid;

    for (gsize k = 0; k < n; k++)
      {
        values[k] = NAN;
        fp[k] = 0.0f;
        if (!isfinite (om_c) || !isfinite (x[k]) || x[k] < -reach
            || y[k] < -reach || x[k] > (double)src->width + reach
            || y[k] > (double)src->height + reach)
          continue;
        near[m] = ring[k];
        where[m++] = k;
      }
    px = g_new (double, m *OUTLINE_POINTS);
    py = g_new (double, m *OUTLINE_POINTS);
    valid = g_new (gboolean, m);
    ok = outlines_in_plane (N, opt->frame, wcs, near, m, px, py, valid, error);
    for (gsize q = 0; q < m && ok; q++)
      {
        double poly[OUTLINE_POINTS][2];
        src->s = src->sw = 0;
        if (valid[q])
          {
            for (int i = 0; i < OUTLINE_POINTS; i++)
              {
                poly[i][0] = px[q * OUTLINE_POINTS + i];
                poly[i][1] = py[q * OUTLINE_POINTS + i];
              }
            to_exact_polygon ((const double (*)[2])poly, OUTLINE_POINTS, src);
          }
        else
          ok = pixel_in_plane (N, near[q], opt->frame, wcs, to_exact_polygon,
                               src, error);
        if (src->sw > 0)
          {
            values[where[q]] = src->s / src->sw;
            fp[where[q]] = (float)(src->sw / omega_h);
          }
      }
    g_free (near);
    g_free (where);
    g_free (px);
    g_free (py);
    g_free (valid);
  }
out:
  g_free (lon);
  g_free (lat);
  g_free (x);
  g_free (y);
  g_free (ring);
  return ok;
}

gboolean
tess_healpix_from_image_write (TessImage *image, const TessHealpixOptions *opt,
                               const char *path, TessWriteFlags flags,
                               GCancellable *cancellable,
                               TessProgressFunc progress, gpointer user_data,
                               GError **error)
{
  ToSource src = { 0 };
  gint64 N = opt->nside, npix, chunk;
  g_autofree char *tmp = NULL, *create = NULL;
  fitsfile *f = NULL;
  int status = 0, fd;
  gboolean want_fp = !(flags & TESS_WRITE_NO_FOOTPRINT), ok = FALSE;
  gboolean dbl = tess_image_get_pixel_type (image) == TESS_TYPE_DOUBLE;
  char *ttype[2] = { (char *)"SIGNAL", (char *)"FOOTPRINT" };
  char *tform[2] = { (char *)(dbl ? "D" : "E"), (char *)"E" };
  double *values = NULL;
  float *fp = NULL;
  TessRunMeter meter;
  char *history;

  if (!tess_healpix_nside_valid (N))
    {
      g_set_error (
          error, TESS_ERROR, TESS_ERROR_INVALID,
          "NSIDE %" G_GINT64_FORMAT " is not a power of 2 from 1 to 2^29", N);
      return FALSE;
    }
  if (!tess_wcs_is_celestial (tess_image_get_wcs (image)))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   "%s: the image's WCS is not celestial: only sky images "
                   "make HEALPix maps",
                   tess_image_get_source (image)
                       ? tess_image_get_source (image)
                       : "image");
      return FALSE;
    }
  if (opt->method != TESS_METHOD_NEAREST && opt->method != TESS_METHOD_BILINEAR
      && opt->method != TESS_METHOD_EXACT)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                   "the %s method is not available onto HEALPix (nearest, "
                   "bilinear or exact)",
                   tess_method_name (opt->method));
      return FALSE;
    }
  if (tess_image_get_nplanes (image) != 1)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                   "%s: a cube (%" G_GINT64_FORMAT
                   " planes) cannot be made a HEALPix map",
                   image->source ? image->source : "input",
                   tess_image_get_nplanes (image));
      return FALSE;
    }
  if (!tess__output_check (path, flags, error))
    return FALSE;
  npix = 12 * N * N;
  src.image = image;
  src.width = image->width;
  src.height = image->height;
  src.data = image->data;
  if (!source_cap (&src, opt->frame, N, error))
    return FALSE;
  if (opt->method == TESS_METHOD_EXACT)
    {
      src.omega = tess__alloc_large ((gsize)src.width * (gsize)src.height
                                     * sizeof (double));
      if (src.omega == NULL)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_NO_MEMORY,
                       "%s: not enough memory for the pixel areas",
                       image->source ? image->source : "input");
          return FALSE;
        }
      if (!pixel_solid_angles (tess_image_get_wcs (image), 0, 0, src.width,
                               src.height, src.omega, error))
        goto out;
    }

  fd = tess__output_temp (path, &tmp, error);
  if (fd < 0)
    goto out;
  close (fd);
  create = g_strconcat ("!", tmp, NULL);
  fits_create_file (&f, create, &status);
  fits_create_img (f, 8, 0, NULL, &status);
  fits_create_tbl (f, BINARY_TBL, 0, want_fp ? 2 : 1, ttype, tform, NULL,
                   "HEALPIX", &status);
  fits_write_key_str (f, "PIXTYPE", "HEALPIX", "HEALPIX pixelisation",
                      &status);
  fits_write_key_str (f, "ORDERING",
                      opt->order == TESS_HEALPIX_NESTED ? "NESTED" : "RING",
                      "Pixel ordering scheme, either RING or NESTED", &status);
  fits_write_key_str (f, "COORDSYS", coordsys_of_frame (opt->frame),
                      "Celestial frame of the pixelisation", &status);
  {
    LONGLONG nside = N, first = 0, lastpix = npix - 1;
    fits_write_key (f, TLONGLONG, "NSIDE", &nside,
                    "Resolution parameter of HEALPIX", &status);
    fits_write_key (f, TLONGLONG, "FIRSTPIX", &first,
                    "First pixel # (0 based)", &status);
    fits_write_key (f, TLONGLONG, "LASTPIX", &lastpix,
                    "Last pixel # (0 based)", &status);
  }
  fits_write_key_str (f, "INDXSCHM", "IMPLICIT",
                      "Indexing: IMPLICIT or EXPLICIT", &status);
  fits_write_key_str (f, "OBJECT", "FULLSKY", "Sky coverage", &status);
  history = g_strdup_printf ("Made by Tessera %s (%s) from %s",
                             PACKAGE_VERSION, tess_method_name (opt->method),
                             image->source ? image->source : "an image");
  fits_write_history (f, history, &status);
  g_free (history);
  if (status)
    {
      tess__set_fits_error (error, status, path, "cannot write the map");
      goto out;
    }

  chunk = MIN (npix, TO_HEALPIX_CHUNK);
  values = g_new (double, chunk);
  fp = g_new (float, chunk);
  tess__meter_start (&meter, progress, user_data, (npix + chunk - 1) / chunk,
                     npix);
  for (gint64 p0 = 0; p0 < npix; p0 += chunk)
    {
      gsize n = (gsize)MIN (chunk, npix - p0);
      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_CANCELLED, "cancelled");
          goto out;
        }
      if (!to_healpix_chunk (&src, opt, p0, n, values, fp, error))
        goto out;
      fits_write_col (f, TDOUBLE, 1, p0 + 1, 1, (LONGLONG)n, values, &status);
      if (want_fp)
        fits_write_col (f, TFLOAT, 2, p0 + 1, 1, (LONGLONG)n, fp, &status);
      if (status)
        {
          tess__set_fits_error (error, status, path, "cannot write the map");
          goto out;
        }
      tess__meter_add (&meter, (gint64)n);
    }
  fits_close_file (f, &status);
  f = NULL;
  if (status)
    {
      tess__set_fits_error (error, status, path, "cannot write the map");
      goto out;
    }
  if (!tess__publish (tmp, path, (flags & TESS_WRITE_OVERWRITE) != 0))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "%s: cannot put the file in place: %s", path,
                   g_strerror (errno));
      goto out;
    }
  g_clear_pointer (&tmp, g_free);
  tess__meter_finish (&meter);
  ok = TRUE;
out:
  if (f)
    {
      status = 0;
      fits_close_file (f, &status);
    }
  if (tmp)
    g_unlink (tmp);
  g_free (values);
  g_free (fp);
  g_free (src.omega);
  return ok;
}

/* ---------------------------------------------------------------------- */
/* The exact method from HEALPix                                           */

/* One output block's sums: values weighted by the solid angle of each
 * piece (its area in the output pixel plane times the area density there,
 * linear across the pixel, from the pixels' solid angles). */
typedef struct
{
  gint64 x0, y0, w, h;
  const double *omega; /* (w + 2) × (h + 2): the block and a margin of 1 */
  double *s, *sw;      /* w × h */
  double v;            /* the HEALPix pixel at hand */
} ExactBlock;

static inline double
block_omega (const ExactBlock *b, gint64 i, gint64 j)
{
  return b->omega[(gsize)(j - b->y0 + 1) * (gsize)(b->w + 2)
                  + (gsize)(i - b->x0 + 1)];
}

static void
from_exact_cell (gint64 i, gint64 j, double area, double cx, double cy,
                 gpointer user)
{
  ExactBlock *b = user;
  double om = block_omega (b, i, j), gx = 0, gy = 0, wt;
  double l = block_omega (b, i - 1, j), r = block_omega (b, i + 1, j);
  double d = block_omega (b, i, j - 1), u = block_omega (b, i, j + 1);
  gsize o = (gsize)(j - b->y0) * (gsize)b->w + (gsize)(i - b->x0);

  if (!isfinite (om))
    return;
  if (isfinite (l) && isfinite (r))
    gx = 0.5 * (r - l);
  if (isfinite (d) && isfinite (u))
    gy = 0.5 * (u - d);
  wt = area * (om + gx * (cx - (double)i) + gy * (cy - (double)j));
  b->s[o] += wt * b->v;
  b->sw[o] += wt;
}

static gint
compare_pixels (gconstpointer a, gconstpointer b)
{
  gint64 u = *(const gint64 *)a, v = *(const gint64 *)b;
  return u < v ? -1 : u > v;
}

static void
from_exact_polygon (const double (*poly)[2], int n, gpointer user)
{
  ExactBlock *b = user;

  polygon_cells (poly, n, b->x0, b->x0 + b->w, b->y0, b->y0 + b->h,
                 from_exact_cell, b);
}

/* The RING pixels that may overlap the part of the sky whose corner
 * positions (map frame) are @lon, @lat (@n of them), plus a margin of
 * @margin degrees; the whole rings when @pole. */
static GArray *
candidate_pixels (gint64 N, const double *lon, const double *lat, gsize n,
                  double margin, gboolean north, gboolean south)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (gint64));
  double bmin = 90, bmax = -90, c = NAN, dmin = 0, dmax = 0;
  gboolean all_lon = north || south;

  for (gsize k = 0; k < n; k++)
    {
      double d;
      if (!isfinite (lon[k]))
        continue;
      bmin = MIN (bmin, lat[k]);
      bmax = MAX (bmax, lat[k]);
      if (isnan (c))
        c = lon[k];
      d = fmod (lon[k] - c + 540.0, 360.0) - 180.0;
      dmin = MIN (dmin, d);
      dmax = MAX (dmax, d);
    }
  if (isnan (c))
    return out;
  bmin -= margin;
  bmax = bmax + margin;
  if (north)
    bmax = 90;
  if (south)
    bmin = -90;
  {
    double cl = cos (MAX (fabs (bmin), fabs (bmax)) * G_PI / 180.0);
    double ml = cl > 1e-3 ? margin / cl : 360.0;
    if (dmax - dmin + 2 * ml >= 360.0)
      all_lon = TRUE;
    dmin -= ml;
    dmax += ml;
  }
  for (gint64 r = 1; r < 4 * N; r++)
    {
      gint64 start, np;
      gboolean shifted;
      double theta, b;
      tess__healpix_ring_info (N, r, &start, &np, &theta, &shifted);
      b = 90.0 - theta * (180.0 / G_PI);
      if (b < bmin || b > bmax)
        continue;
      if (all_lon)
        {
          for (gint64 j = 0; j < np; j++)
            {
              gint64 p = start + j;
              g_array_append_val (out, p);
            }
          continue;
        }
      {
        double step = 360.0 / (double)np, sh = shifted ? 0.5 : 0.0;
        gint64 j0 = (gint64)floor ((c + dmin) / step - sh) - 1;
        gint64 j1 = (gint64)ceil ((c + dmax) / step - sh) + 1;
        if (j1 - j0 + 1 >= np)
          {
            j0 = 0;
            j1 = np - 1;
          }
        for (gint64 j = j0; j <= j1; j++)
          {
            gint64 p = start + ((j % np) + np) % np;
            g_array_append_val (out, p);
          }
      }
    }
  return out;
}

gboolean
tess__healpix_exact_block (const TessHealpixMap *map, TessWcs *target,
                           const TessRect *r, TessPixelType type,
                           gpointer data, float *fp, GError **error)
{
  gint64 N = map->nside, w = r->width, h = r->height;
  gsize nc = (gsize)(w + 1) * (gsize)(h + 1), npx = (gsize)w * (gsize)h;
  double *x = g_new (double, nc), *y = g_new (double, nc);
  double *lon = g_new (double, nc), *lat = g_new (double, nc);
  double *omega = g_new (double, (gsize)(w + 2) * (gsize)(h + 2));
  ExactBlock b = { r->x0, r->y0, w, h, omega, NULL, NULL, 0 };
  TessFrame tf = tess_wcs_get_frame (target);
  gboolean ok, pole[2] = { FALSE, FALSE };
  double hp_deg = sqrt (4.0 * G_PI / (double)map->npix) * (180.0 / G_PI);
  GArray *cand = NULL;
  const gsize batch = 2048;
  double *px = g_new (double, batch *OUTLINE_POINTS);
  double *py = g_new (double, batch *OUTLINE_POINTS);
  gboolean *valid = g_new (gboolean, batch);

  b.s = g_new0 (double, npx);
  b.sw = g_new0 (double, npx);
  ok = pixel_solid_angles (target, r->x0 - 1, r->y0 - 1, w + 2, h + 2, omega,
                           error);
  if (!ok)
    goto out;
  /* The block's corners on the sky, in the map's frame. */
  for (gint64 j = 0; j <= h; j++)
    for (gint64 i = 0; i <= w; i++)
      {
        x[(gsize)j * (gsize)(w + 1) + (gsize)i] = (double)(r->x0 + i) - 0.5;
        y[(gsize)j * (gsize)(w + 1) + (gsize)i] = (double)(r->y0 + j) - 0.5;
      }
  ok = tess_wcs_pixel_to_world (target, nc, x, y, lon, lat, error);
  if (!ok)
    goto out;
  if (tf != map->frame)
    tess_frame_convert (tf, map->frame, nc, lon, lat);
  /* Is a pole of the map's frame on the block? */
  for (int k = 0; k < 2; k++)
    {
      double pl = 0, pb = k == 0 ? 90 : -90, qx, qy;
      if (tf != map->frame)
        tess_frame_convert (map->frame, tf, 1, &pl, &pb);
      ok = tess_wcs_world_to_pixel (target, 1, &pl, &pb, &qx, &qy, error);
      if (!ok)
        goto out;
      pole[k] = isfinite (qx) && qx >= (double)r->x0 - 2
                && qx <= (double)(r->x0 + w) + 1 && qy >= (double)r->y0 - 2
                && qy <= (double)(r->y0 + h) + 1;
    }
  {
    /* A margin of two HEALPix pixels and two output pixels. */
    double om = block_omega (&b, r->x0 + w / 2, r->y0 + h / 2);
    double out_deg = isfinite (om) ? sqrt (om) * (180.0 / G_PI) : 0;
    cand = candidate_pixels (N, lon, lat, nc, 2.0 * hp_deg + 2.0 * out_deg,
                             pole[0], pole[1]);
    /* In pixel order, so that every output pixel sums its pieces in the
     * same order whatever the blocks. */
    g_array_sort (cand, compare_pixels);
  }
  for (guint q0 = 0; q0 < cand->len && ok; q0 += (guint)batch)
    {
      gsize n = MIN (batch, (gsize)(cand->len - q0));
      const gint64 *pix = &g_array_index (cand, gint64, q0);
      ok = outlines_in_plane (N, map->frame, target, pix, n, px, py, valid,
                              error);
      for (gsize q = 0; q < n && ok; q++)
        {
          double poly[OUTLINE_POINTS][2];
          b.v = map->values[pix[q]];
          if (!isfinite (b.v))
            continue;
          if (!valid[q])
            {
              ok = pixel_in_plane (N, pix[q], map->frame, target,
                                   from_exact_polygon, &b, error);
              continue;
            }
          for (int i = 0; i < OUTLINE_POINTS; i++)
            {
              poly[i][0] = px[q * OUTLINE_POINTS + i];
              poly[i][1] = py[q * OUTLINE_POINTS + i];
            }
          from_exact_polygon ((const double (*)[2])poly, OUTLINE_POINTS, &b);
        }
    }
  for (gint64 j = 0; j < h && ok; j++)
    for (gint64 i = 0; i < w; i++)
      {
        gsize o = (gsize)j * (gsize)w + (gsize)i;
        double om = block_omega (&b, r->x0 + i, r->y0 + j);
        double v = b.sw[o] > 0 ? b.s[o] / b.sw[o] : NAN;
        if (type == TESS_TYPE_FLOAT)
          ((float *)data)[o] = (float)v;
        else
          ((double *)data)[o] = v;
        if (fp)
          fp[o] = b.sw[o] > 0 && isfinite (om) ? (float)(b.sw[o] / om) : 0.0f;
      }
out:
  if (cand)
    g_array_unref (cand);
  g_free (x);
  g_free (y);
  g_free (lon);
  g_free (lat);
  g_free (omega);
  g_free (b.s);
  g_free (b.sw);
  g_free (px);
  g_free (py);
  g_free (valid);
  return ok;
}

/* ---------------------------------------------------------------------- */
/* The adaptive method from HEALPix                                        */

/* DeForest's (2004) anti-aliased resampling on the HEALPix pixel centres:
 * each output pixel is the kernel-weighted mean of the HEALPix values
 * around it, the kernel t = M·(u − c) of the offset of a HEALPix pixel
 * centre u from the output pixel centre c in the output pixel plane, with
 * M = V·diag(min(s, 1))·Vᵀ from the singular values s and vectors V of J,
 * the Jacobian of the output pixel plane in units of HEALPix pixels (the
 * side of a pixel of equal area).  That is the usual kernel J'⁻¹·(input
 * offset), singular values raised to at least 1, written in output
 * pixels: one output pixel wide where the output shrinks the map, one
 * HEALPix pixel where it magnifies it. */
typedef struct
{
  double m[3]; /* M: m00, m01 (= m10), m11; NaN where unknown */
  double radius;
} AdaptivePixel;

/* Unit vector of (lon, lat) in degrees, NaN-safe. */
static void
unit_or_nan (double lon, double lat, double v[3])
{
  if (!isfinite (lon) || !isfinite (lat))
    v[0] = v[1] = v[2] = NAN;
  else
    unit_vector (lon, lat, v);
}

gboolean
tess__healpix_adaptive_block (const TessHealpixMap *map, TessWcs *target,
                              const TessOptions *opt, const TessRect *r,
                              TessPixelType type, gpointer data, float *fp,
                              GError **error)
{
  gint64 N = map->nside, w = r->width, h = r->height;
  gsize W2 = (gsize)(w + 2), H2 = (gsize)(h + 2), n2 = W2 * H2;
  gsize npx = (gsize)w * (gsize)h, nc = (gsize)(w + 1) * (gsize)(h + 1);
  double a_deg = sqrt (4.0 * G_PI / (double)map->npix) * (180.0 / G_PI);
  gboolean hann = opt->kernel == TESS_KERNEL_HANN;
  double R = hann ? 1.0 : opt->sample_region_width / 2.0;
  double kw = opt->kernel_width;
  double *x = g_new (double, MAX (n2, nc)), *y = g_new (double, MAX (n2, nc));
  double *lon = g_new (double, MAX (n2, nc)),
         *lat = g_new (double, MAX (n2, nc));
  double (*v)[3] = g_malloc (n2 * sizeof *v);
  AdaptivePixel *ap = g_new (AdaptivePixel, npx);
  double *s = g_new0 (double, npx), *sw = g_new0 (double, npx);
  TessFrame tf = tess_wcs_get_frame (target);
  double rmax = 0, out_deg = 0;
  GArray *cand = NULL;
  gboolean ok, pole[2] = { FALSE, FALSE };

  /* Centres of the block and a margin of one pixel, on the sky. */
  for (gsize j = 0; j < H2; j++)
    for (gsize i = 0; i < W2; i++)
      {
        x[j * W2 + i] = (double)(r->x0 - 1 + (gint64)i);
        y[j * W2 + i] = (double)(r->y0 - 1 + (gint64)j);
      }
  ok = tess_wcs_pixel_to_world (target, n2, x, y, lon, lat, error);
  if (!ok)
    goto out;
  for (gsize k = 0; k < n2; k++)
    unit_or_nan (lon[k], lat[k], v[k]);
  /* The kernel of each pixel. */
  for (gint64 j = 0; j < h; j++)
    for (gint64 i = 0; i < w; i++)
      {
        gsize c = (gsize)(j + 1) * W2 + (gsize)(i + 1);
        const double *p = v[c], *xl = v[c - 1], *xr = v[c + 1],
                     *yd = v[c - W2], *yu = v[c + W2];
        AdaptivePixel *q = &ap[(gsize)j * (gsize)w + (gsize)i];
        double east[3], north[3], dx[3], dy[3], J[2][2], A, B, C, tr, det,
            disc, l1, l2, s1, s2, f1, f2, c1, c2, nrm;
        double hx = 0.5, hy = 0.5;

        q->m[0] = NAN;
        q->radius = 0;
        if (!isfinite (p[0]))
          continue;
        /* Central differences, one-sided where a neighbour is missing. */
        if (!isfinite (xl[0]))
          xl = p, hx = 1.0;
        if (!isfinite (xr[0]))
          xr = p, hx = 1.0;
        if (!isfinite (yd[0]))
          yd = p, hy = 1.0;
        if (!isfinite (yu[0]))
          yu = p, hy = 1.0;
        if (xl == xr || yd == yu)
          continue;
        nrm = hypot (p[0], p[1]);
        if (nrm < 1e-12)
          {
            east[0] = 0, east[1] = 1, east[2] = 0;
            north[0] = -1, north[1] = 0, north[2] = 0;
          }
        else
          {
            east[0] = -p[1] / nrm, east[1] = p[0] / nrm, east[2] = 0;
            north[0] = -p[2] * east[1], north[1] = p[2] * east[0];
            north[2] = p[0] * east[1] - p[1] * east[0];
          }
        for (int k = 0; k < 3; k++)
          {
            dx[k] = (xr[k] - xl[k]) * hx;
            dy[k] = (yu[k] - yd[k]) * hy;
          }
        J[0][0] = (dx[0] * east[0] + dx[1] * east[1] + dx[2] * east[2]);
        J[1][0] = (dx[0] * north[0] + dx[1] * north[1] + dx[2] * north[2]);
        J[0][1] = (dy[0] * east[0] + dy[1] * east[1] + dy[2] * east[2]);
        J[1][1] = (dy[0] * north[0] + dy[1] * north[1] + dy[2] * north[2]);
        for (int k = 0; k < 4; k++)
          J[k / 2][k % 2] *= (180.0 / G_PI) / a_deg;
        /* JᵀJ = V·diag(s²)·Vᵀ. */
        A = J[0][0] * J[0][0] + J[1][0] * J[1][0];
        B = J[0][0] * J[0][1] + J[1][0] * J[1][1];
        C = J[0][1] * J[0][1] + J[1][1] * J[1][1];
        tr = A + C;
        det = A * C - B * B;
        disc = sqrt (MAX (0.0, tr * tr / 4.0 - det));
        l1 = tr / 2.0 + disc;
        l2 = MAX (0.0, tr / 2.0 - disc);
        s1 = sqrt (l1);
        s2 = sqrt (l2);
        f1 = MIN (s1, 1.0);
        f2 = MIN (s2, 1.0);
        {
          /* The eigenvector of l1, from the better conditioned row. */
          double vx = A >= C ? l1 - C : B, vy = A >= C ? B : l1 - A;
          double nv = hypot (vx, vy);
          if (nv > 0)
            c1 = vx / nv, c2 = vy / nv;
          else
            c1 = 1, c2 = 0;
        }
        /* M = f1·v1v1ᵀ + f2·v2v2ᵀ with v1 = (c1, c2), v2 = (−c2, c1). */
        q->m[0] = f1 * c1 * c1 + f2 * c2 * c2;
        q->m[1] = (f1 - f2) * c1 * c2;
        q->m[2] = f1 * c2 * c2 + f2 * c1 * c1;
        if (!(f2 > 0))
          {
            q->m[0] = NAN;
            continue;
          }
        q->radius = R * sqrt (2.0) / f2 + 1.0;
        rmax = MAX (rmax, q->radius);
        out_deg = MAX (out_deg, sqrt (l1) * a_deg);
      }
  rmax = MIN (rmax, 256.0);

  /* The HEALPix pixels within reach of the block. */
  for (gint64 j = 0; j <= h; j++)
    for (gint64 i = 0; i <= w; i++)
      {
        x[(gsize)j * (gsize)(w + 1) + (gsize)i] = (double)(r->x0 + i) - 0.5;
        y[(gsize)j * (gsize)(w + 1) + (gsize)i] = (double)(r->y0 + j) - 0.5;
      }
  ok = tess_wcs_pixel_to_world (target, nc, x, y, lon, lat, error);
  if (!ok)
    goto out;
  if (tf != map->frame)
    tess_frame_convert (tf, map->frame, nc, lon, lat);
  for (int k = 0; k < 2; k++)
    {
      double pl = 0, pb = k == 0 ? 90 : -90, qx, qy;
      if (tf != map->frame)
        tess_frame_convert (map->frame, tf, 1, &pl, &pb);
      ok = tess_wcs_world_to_pixel (target, 1, &pl, &pb, &qx, &qy, error);
      if (!ok)
        goto out;
      pole[k] = isfinite (qx) && qx >= (double)r->x0 - rmax - 1
                && qx <= (double)(r->x0 + w) + rmax
                && qy >= (double)r->y0 - rmax - 1
                && qy <= (double)(r->y0 + h) + rmax;
    }
  cand = candidate_pixels (N, lon, lat, nc,
                           (rmax + 2.0) * MAX (out_deg, a_deg) + 2.0 * a_deg,
                           pole[0], pole[1]);
  g_array_sort (cand, compare_pixels);
  {
    gsize n = cand->len;
    double *cl = g_new (double, n), *cb = g_new (double, n);
    double *ux = g_new (double, n), *uy = g_new (double, n);
    for (gsize k = 0; k < n; k++)
      {
        double theta, phi;
        pix2ang_ring64 (N, g_array_index (cand, gint64, k), &theta, &phi);
        cl[k] = phi * (180.0 / G_PI);
        cb[k] = 90.0 - theta * (180.0 / G_PI);
      }
    if (tf != map->frame)
      tess_frame_convert (map->frame, tf, n, cl, cb);
    ok = tess_wcs_world_to_pixel (target, n, cl, cb, ux, uy, error);
    for (gsize k = 0; k < n && ok; k++)
      {
        double val = map->values[g_array_index (cand, gint64, k)];
        gint64 i0, i1, j0, j1;
        if (!isfinite (ux[k]) || !isfinite (val))
          continue;
        i0 = MAX (r->x0, (gint64)ceil (ux[k] - rmax));
        i1 = MIN (r->x0 + w - 1, (gint64)floor (ux[k] + rmax));
        j0 = MAX (r->y0, (gint64)ceil (uy[k] - rmax));
        j1 = MIN (r->y0 + h - 1, (gint64)floor (uy[k] + rmax));
        for (gint64 j = j0; j <= j1; j++)
          for (gint64 i = i0; i <= i1; i++)
            {
              gsize o = (gsize)(j - r->y0) * (gsize)w + (gsize)(i - r->x0);
              const AdaptivePixel *q = &ap[o];
              double dx = ux[k] - (double)i, dy = uy[k] - (double)j, t1, t2,
                     wt;
              if (isnan (q->m[0]) || fabs (dx) > q->radius
                  || fabs (dy) > q->radius)
                continue;
              t1 = q->m[0] * dx + q->m[1] * dy;
              t2 = q->m[1] * dx + q->m[2] * dy;
              if (hann)
                {
                  if (fabs (t1) >= 1.0 || fabs (t2) >= 1.0)
                    continue;
                  wt = (cos (G_PI * t1) + 1.0) * (cos (G_PI * t2) + 1.0);
                }
              else
                {
                  if (t1 * t1 + t2 * t2 > R * R)
                    continue;
                  wt = exp (-2.0 * (t1 * t1 + t2 * t2) / (kw * kw));
                }
              s[o] += wt * val;
              sw[o] += wt;
            }
      }
    g_free (cl);
    g_free (cb);
    g_free (ux);
    g_free (uy);
  }
  for (gsize o = 0; o < npx && ok; o++)
    {
      double val = sw[o] > 0 ? s[o] / sw[o] : NAN;
      if (type == TESS_TYPE_FLOAT)
        ((float *)data)[o] = (float)val;
      else
        ((double *)data)[o] = val;
      if (fp)
        fp[o] = sw[o] > 0 ? 1.0f : 0.0f;
    }
out:
  if (cand)
    g_array_unref (cand);
  g_free (x);
  g_free (y);
  g_free (lon);
  g_free (lat);
  g_free (v);
  g_free (ap);
  g_free (s);
  g_free (sw);
  return ok;
}
