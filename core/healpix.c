/* healpix.c — HEALPix maps: reading them from FITS binary tables, and
 * reprojecting them onto an image WCS (nearest, bilinear as astropy-healpix
 * interpolates) or images onto them.  chealpix does the pixelisation
 * (position ↔ pixel); the ring geometry for the bilinear weights and the
 * pixel outlines are computed here from Górski et al. (2005).
 */
#include "config.h"

#include "tess-healpix.h"
#include "tess-plan.h"
#include "tess-stream.h"

#include <chealpix.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

const char *
tess_healpix_order_name (TessHealpixOrder order)
{
  return order == TESS_HEALPIX_NESTED ? "nested" : "ring";
}

gboolean
tess_healpix_order_from_name (const char *name, TessHealpixOrder *order,
                              GError **error)
{
  if (g_ascii_strcasecmp (name, "ring") == 0)
    *order = TESS_HEALPIX_RING;
  else if (g_ascii_strcasecmp (name, "nested") == 0
           || g_ascii_strcasecmp (name, "nest") == 0)
    *order = TESS_HEALPIX_NESTED;
  else
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "unknown HEALPix ordering '%s' (ring or nested)", name);
      return FALSE;
    }
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

/* The COORDSYS letter written for a frame (as healpy and reproject read
 * it); FK5 and FK4 have none. */
G_GNUC_UNUSED static const char *
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
      return NULL;
    }
}

/* ---------------------------------------------------------------------- */
/* Geometry                                                                */

/* Ring @r (1 … 4N−1, from the north pole): its first pixel (RING order),
 * number of pixels, the colatitude of its centres, and whether its pixel
 * centres are shifted by half a pixel from longitude 0. */
static void
ring_info (gint64 N, gint64 r, gint64 *start, gint64 *n, double *theta,
           gboolean *shifted)
{
  gint64 npix = 12 * N * N;

  if (r < N)
    {
      *start = 2 * r * (r - 1);
      *n = 4 * r;
      *theta = 2.0 * asin ((double)r / (sqrt (6.0) * (double)N));
      *shifted = TRUE;
    }
  else if (r <= 3 * N)
    {
      *start = 2 * N * (N - 1) + (r - N) * 4 * N;
      *n = 4 * N;
      *theta = acos ((4.0 / 3.0) - 2.0 * (double)r / (3.0 * (double)N));
      *shifted = (r - N) % 2 == 0;
    }
  else
    {
      gint64 s = 4 * N - r;
      *start = npix - 2 * s * (s + 1);
      *n = 4 * s;
      *theta = G_PI - 2.0 * asin ((double)s / (sqrt (6.0) * (double)N));
      *shifted = TRUE;
    }
}

/* The two pixels of ring @r on either side of longitude @phi (radians) and
 * the weight of the second. */
static void
ring_pair (gint64 N, gint64 r, double phi, gint64 pix[2], double *w,
           double *theta)
{
  gint64 start, n, i1, i2;
  gboolean shifted;
  double t;

  ring_info (N, r, &start, &n, theta, &shifted);
  t = phi / (2.0 * G_PI / (double)n) - (shifted ? 0.5 : 0.0);
  i1 = (gint64)floor (t);
  *w = t - (double)i1;
  i2 = i1 + 1;
  i1 = ((i1 % n) + n) % n;
  i2 = ((i2 % n) + n) % n;
  pix[0] = start + i1;
  pix[1] = start + i2;
}

/* Bilinear interpolation on the sphere, as astropy-healpix and HEALPix
 * define it: linear in longitude between the two pixel centres on either
 * side in the rings just north and south of the point, then linear in
 * latitude between the rings; above the first (below the last) ring, the
 * pole holds the mean of that ring's four pixels.  RING indices. */
void
tess__healpix_bilinear_weights (gint64 N, double theta, double phi,
                                gint64 pix[4], double w[4])
{
  double z = cos (theta), az = fabs (z), wa, wb, ta, tb, f;
  gint64 ra;

  /* The ring just north of the point (0 above the first ring). */
  if (az > 2.0 / 3.0)
    {
      gint64 k = (gint64)((double)N * sqrt (3.0 * (1.0 - az)));
      ra = z > 0 ? k : 4 * N - k - 1;
    }
  else
    ra = (gint64)((double)N * (2.0 - 1.5 * z));
  ra = CLAMP (ra, 0, 4 * N - 1);

  if (ra == 0)
    {
      ring_pair (N, 1, phi, pix + 2, &wb, &tb);
      f = theta / tb;
      w[2] = (1.0 - wb) * f;
      w[3] = wb * f;
      /* The other two pixels of the first ring. */
      pix[0] = (pix[2] + 2) % 4;
      pix[1] = (pix[3] + 2) % 4;
      w[0] = w[1] = 0.25 * (1.0 - f);
      w[2] += 0.25 * (1.0 - f);
      w[3] += 0.25 * (1.0 - f);
      return;
    }
  ring_pair (N, ra, phi, pix, &wa, &ta);
  if (ra == 4 * N - 1)
    {
      gint64 npix = 12 * N * N;
      f = (theta - ta) / (G_PI - ta);
      w[0] = (1.0 - wa) * (1.0 - f) + 0.25 * f;
      w[1] = wa * (1.0 - f) + 0.25 * f;
      pix[2] = (pix[0] - (npix - 4) + 2) % 4 + npix - 4;
      pix[3] = (pix[1] - (npix - 4) + 2) % 4 + npix - 4;
      w[2] = w[3] = 0.25 * f;
      return;
    }
  ring_pair (N, ra + 1, phi, pix + 2, &wb, &tb);
  f = (theta - ta) / (tb - ta);
  w[0] = (1.0 - wa) * (1.0 - f);
  w[1] = wa * (1.0 - f);
  w[2] = (1.0 - wb) * f;
  w[3] = wb * f;
}

/* Colatitude and longitude (radians) of the point (@x, @y) of base pixel
 * @face, x and y in [0, 1] along its two sides (those of the NESTED
 * indices' bits), after Górski et al. (2005): pixel boundaries are lines
 * of constant x or y. */
void
tess__healpix_face_to_ang (int face, double x, double y, double *theta,
                           double *phi)
{
  static const int jrll[12] = { 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4 };
  static const int jpll[12] = { 1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7 };
  double jr = jrll[face] - x - y, nr, z, t;

  if (jr < 1.0)
    {
      nr = jr;
      z = 1.0 - nr * nr / 3.0;
      *theta = 2.0 * asin (nr / sqrt (6.0));
    }
  else if (jr > 3.0)
    {
      nr = 4.0 - jr;
      z = nr * nr / 3.0 - 1.0;
      *theta = G_PI - 2.0 * asin (nr / sqrt (6.0));
    }
  else
    {
      nr = 1.0;
      z = (2.0 - jr) * 2.0 / 3.0;
      *theta = acos (z);
    }
  if (nr < 1e-15)
    {
      *phi = 0.0;
      return;
    }
  t = jpll[face] * nr + x - y;
  if (t < 0)
    t += 8.0;
  if (t >= 8.0)
    t -= 8.0;
  *phi = G_PI / 4.0 * t / nr;
}

/* Face and (x, y) indices of a NESTED pixel. */
void
tess__healpix_nest_to_xyf (gint64 N, gint64 p, int *face, gint64 *ix,
                           gint64 *iy)
{
  gint64 in_face = p % (N * N), x = 0, y = 0;

  *face = (int)(p / (N * N));
  for (int b = 0; b < 30; b++)
    {
      x |= ((in_face >> (2 * b)) & 1) << b;
      y |= ((in_face >> (2 * b + 1)) & 1) << b;
    }
  *ix = x;
  *iy = y;
}

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
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
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
tess__healpix_sample (const TessHealpixMap *map, TessMethod method,
                      double lon, double lat, double *value)
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
  gint64 h = MAX (4, (gint64)ceil (180.0
                                   / (sqrt (4.0 * G_PI / (double)map->npix)
                                      * 180.0 / G_PI)));

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
check_method (TessMethod m, GError **error)
{
  if (m == TESS_METHOD_NEAREST || m == TESS_METHOD_BILINEAR)
    return TRUE;
  g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
               "the %s method is not available for HEALPix maps (nearest or "
               "bilinear)",
               tess_method_name (m));
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

  for (gint64 j = 0; j < r->height && ok; j++)
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

typedef struct
{
  const TessHealpixMap *map;
  TessWcs *target;
  const TessOptions *opt;
  const TessStreamLayout *layout;
  const char *path;
  TessRect rect; /* the part of the target the file holds */
  TessRect *blocks;
  gint64 nblocks;
  TessPixelType type;
  gboolean want_fp;
  gint next;   /* atomic: next block to take */
  gint done;   /* atomic: blocks done */
  gint failed; /* atomic */
  GCancellable *cancellable;
  GMutex lock;
  GError *error;
} FromJob;

static gpointer
from_worker (gpointer data)
{
  FromJob *job = data;
  gsize elem = job->type == TESS_TYPE_DOUBLE ? 8 : 4;
  gsize cap = 0;
  gpointer buf = NULL;
  float *fp = NULL;

  for (;;)
    {
      gint b = g_atomic_int_add (&job->next, 1);
      GError *local = NULL;
      const TessRect *r;
      gsize n;

      if (b >= job->nblocks || g_atomic_int_get (&job->failed)
          || g_cancellable_is_cancelled (job->cancellable))
        break;
      r = &job->blocks[b];
      n = (gsize)r->width * (gsize)r->height;
      if (n > cap)
        {
          g_free (buf);
          g_free (fp);
          buf = g_malloc (n * elem);
          fp = g_new (float, n);
          cap = n;
        }
      if (from_healpix_block (job->map, job->target, job->opt, r, job->type,
                              buf, fp, &local))
        {
          /* In the file's coordinates: the region's. */
          TessRect fr = { r->x0 - job->rect.x0, r->y0 - job->rect.y0,
                          r->width, r->height };
          tess__stream_write_block (job->layout, &fr, buf,
                                    job->want_fp ? fp : NULL, job->path,
                                    &local);
        }
      if (local)
        {
          g_mutex_lock (&job->lock);
          if (job->error == NULL)
            job->error = local;
          else
            g_error_free (local);
          g_mutex_unlock (&job->lock);
          g_atomic_int_set (&job->failed, 1);
          break;
        }
      g_atomic_int_inc (&job->done);
    }
  g_free (buf);
  g_free (fp);
  return NULL;
}

gboolean
tess_healpix_reproject_write (TessHealpixMap *map, TessWcs *target,
                              const TessRect *rect, const TessOptions *options,
                              const TessRunOptions *run, const char *path,
                              TessWriteFlags flags, GCancellable *cancellable,
                              TessProgressFunc progress, gpointer user_data,
                              GError **error)
{
  TessOptions defaults;
  TessRect all = { 0, 0, tess_wcs_get_width (target),
                   tess_wcs_get_height (target) };
  TessWcs *wcs;
  TessImage *shell;
  TessStreamWriter *w;
  FromJob job = { 0 };
  GThread **threads;
  GTimer *timer;
  char *history;
  int jobs = run ? run->jobs : 1;
  gboolean ok;

  if (options == NULL)
    {
      tess_options_init (&defaults);
      options = &defaults;
    }
  if (!check_method (options->method, error))
    return FALSE;
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
  job.blocks = tess__plan_make_blocks (run, rect, &job.nblocks, error);
  if (job.blocks == NULL)
    return FALSE;

  wcs = tess_wcs_crop (target, rect->x0, rect->y0, rect->width, rect->height);
  job.type = map->type;
  shell = tess__image_alloc (wcs, map->type, rect->width, rect->height, 0,
                             NULL, FALSE, error);
  tess_wcs_unref (wcs);
  if (shell == NULL)
    {
      g_free (job.blocks);
      return FALSE;
    }
  history = g_strdup_printf (
      "Reprojected by Tessera %s (%s) from the HEALPix map %s (NSIDE %"
      G_GINT64_FORMAT ", %s, %s, column %s)",
      PACKAGE_VERSION, tess_method_name (options->method), map->source,
      map->nside, tess_healpix_order_name (map->order),
      tess_frame_name (map->frame), map->column);
  tess_image_add_history (shell, history);
  g_free (history);
  history = g_strdup_printf ("Target WCS from %s", tess_wcs_get_source (target));
  tess_image_add_history (shell, history);
  g_free (history);
  w = tess__stream_writer_new (path, shell, flags, error);
  tess_image_unref (shell);
  if (w == NULL)
    {
      g_free (job.blocks);
      return FALSE;
    }

  job.map = map;
  job.target = target;
  job.opt = options;
  job.layout = tess__stream_writer_layout (w);
  job.path = path;
  job.rect = *rect;
  job.want_fp = !(flags & TESS_WRITE_NO_FOOTPRINT);
  job.cancellable = cancellable;
  g_mutex_init (&job.lock);
  if (jobs <= 0)
    jobs = (int)g_get_num_processors ();
  jobs = (int)CLAMP (jobs, 1, MIN (64, job.nblocks));
  timer = g_timer_new ();
  threads = g_new0 (GThread *, jobs);
  for (int t = 0; t < jobs && jobs > 1; t++)
    threads[t] = g_thread_new ("healpix", from_worker, &job);
  if (jobs == 1)
    from_worker (&job);
  else
    {
      double last = -1.0;
      while (g_atomic_int_get (&job.done) < job.nblocks
             && !g_atomic_int_get (&job.failed)
             && !g_cancellable_is_cancelled (cancellable))
        {
          g_usleep (20000);
          if (progress && g_timer_elapsed (timer, NULL) - last > 0.1)
            {
              gint d = g_atomic_int_get (&job.done);
              TessProgress pr = { d, job.nblocks, 0, 0, 0, -1.0 };
              last = g_timer_elapsed (timer, NULL);
              pr.elapsed = last;
              pr.pixels_total = rect->width * rect->height;
              pr.pixels_done = pr.pixels_total * d / job.nblocks;
              if (d > 0)
                pr.eta = last * (job.nblocks - d) / d;
              progress (&pr, user_data);
            }
        }
      for (int t = 0; t < jobs; t++)
        g_thread_join (threads[t]);
    }
  g_free (threads);
  ok = job.error == NULL;
  if (ok && g_cancellable_set_error_if_cancelled (cancellable, NULL))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_CANCELLED, "cancelled");
      ok = FALSE;
    }
  else if (!ok)
    g_propagate_error (error, job.error);
  if (ok && progress)
    {
      TessProgress pr = { job.nblocks, job.nblocks, 0, 0, 0, 0.0 };
      pr.pixels_total = pr.pixels_done = rect->width * rect->height;
      pr.elapsed = g_timer_elapsed (timer, NULL);
      progress (&pr, user_data);
    }
  g_timer_destroy (timer);
  g_mutex_clear (&job.lock);
  g_free (job.blocks);
  if (ok)
    return tess__stream_writer_commit (w, error);
  tess__stream_writer_abort (w);
  return FALSE;
}
