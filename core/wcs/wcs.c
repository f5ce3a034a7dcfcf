/* wcs.c — TessWcs: a celestial world coordinate system parsed by wcslib
 * from a FITS header, with the image size it describes.
 *
 * wcslib's wcsset() writes into its struct lazily, and its distortion
 * code keeps scratch memory there: a wcsprm must never be shared between
 * threads.  A TessWcs therefore keeps a set-up template that nobody
 * transforms with; every user takes its own copy (tess__wcs_copy_cel()).
 */
#include "config.h"

#include "base/tess-private.h"
#include "wcs/tess-spectral.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <wcslib/dis.h>
#include <wcslib/wcserr.h>
#include <wcslib/wcshdr.h>
#include <wcslib/wcsmath.h>

static void
wcslib_init_once (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      /* Detailed error messages; must not race with other wcslib calls,
       * hence done once before any struct is made. */
      wcserr_enable (1);
      g_once_init_leave (&done, 1);
    }
}

void
tess__wcsprm_clear_errors (struct wcsprm *w)
{
  /* wcslib allocates a message for every failed transform (messages are
   * enabled) and does not free the previous one. */
  wcserr_clear (&w->err);
  wcserr_clear (&w->lin.err);
  wcserr_clear (&w->cel.err);
  wcserr_clear (&w->cel.prj.err);
  wcserr_clear (&w->spc.err);
  if (w->lin.dispre)
    wcserr_clear (&w->lin.dispre->err);
  if (w->lin.disseq)
    wcserr_clear (&w->lin.disseq->err);
}

void
tess__wcsprm_free (struct wcsprm *wcs)
{
  if (wcs == NULL)
    return;
  wcsfree (wcs);
  g_free (wcs);
}

static struct wcsprm *
wcsprm_copy (const struct wcsprm *src, int *nsub, int *axes, int *status)
{
  struct wcsprm *dst = g_new0 (struct wcsprm, 1);

  dst->flag = -1;
  *status = wcssub (1, src, nsub, axes, dst);
  if (*status == 0)
    *status = wcsset (dst);
  if (*status)
    {
      /* Keep the message: callers read dst->err before freeing. */
      return dst;
    }
  return dst;
}

struct wcsprm *
tess__wcs_copy_cel (const TessWcs *wcs, GError **error)
{
  int status;
  struct wcsprm *copy = wcsprm_copy (wcs->cel, NULL, NULL, &status);

  if (status)
    {
      tess__set_wcs_error (error, copy, status, wcs->source,
                           "cannot copy the WCS");
      tess__wcsprm_free (copy);
      return NULL;
    }
  return copy;
}

/* ---------------------------------------------------------------------- */
/* Keywords                                                                */

void
tess__card_keyword (const char *card, char name[9])
{
  int i;

  for (i = 0; i < 8 && card[i] && card[i] != ' ' && card[i] != '='; i++)
    name[i] = card[i];
  name[i] = '\0';
}

/* Splits NAME into a prefix of letters (and '-' '_'), a number, and the
 * rest: "CTYPE1A" → ("CTYPE", 1, "A"); "PC1_2" → ("PC", 1, "_2"). */
static gboolean
split_indexed (const char *name, const char *prefix, int *index,
               const char **rest)
{
  gsize n = strlen (prefix);
  char *end;
  long v;

  if (strncmp (name, prefix, n) != 0 || !g_ascii_isdigit (name[n]))
    return FALSE;
  v = strtol (name + n, &end, 10);
  *index = (int)v;
  *rest = end;
  return TRUE;
}

/* An alternate-WCS suffix: empty or one letter A-Z. */
static gboolean
is_alt_suffix (const char *s)
{
  return s[0] == '\0' || (g_ascii_isupper (s[0]) && s[1] == '\0');
}

/* "i_j" followed by an optional alternate letter, for PCi_j, CDi_j, PVi_m,
 * PSi_m. */
static gboolean
split_pair (const char *name, const char *prefix, int *i, int *j)
{
  const char *rest;
  char *end;

  if (!split_indexed (name, prefix, i, &rest) || rest[0] != '_'
      || !g_ascii_isdigit (rest[1]))
    return FALSE;
  *j = (int)strtol (rest + 1, &end, 10);
  return is_alt_suffix (end);
}

gboolean
tess__is_celestial_wcs_key (const char *card)
{
  static const char *const axis_keys[]
      = { "CTYPE", "CRVAL", "CRPIX", "CDELT", "CUNIT",
          "CROTA", "CRDER", "CSYER", "CNAME", "CPDIS",
          "CQDIS", "CPERR", "CQERR", "DP",    "DQ" };
  static const char *const pair_keys[] = { "PC", "CD", "PV", "PS" };
  static const char *const global_keys[]
      = { "WCSAXES", "WCSNAME", "LONPOLE", "LATPOLE", "RADESYS",  "RADECSYS",
          "EQUINOX", "EPOCH",   "A_ORDER", "B_ORDER", "AP_ORDER", "BP_ORDER",
          "A_DMAX",  "B_DMAX",  "CDELT",   "DISTORT" };
  static const char *const sip_prefixes[] = { "A_", "B_", "AP_", "BP_" };
  char name[9];
  int i, j;
  const char *rest;

  tess__card_keyword (card, name);
  if (name[0] == '\0')
    return FALSE;

  for (unsigned k = 0; k < G_N_ELEMENTS (global_keys); k++)
    {
      gsize n = strlen (global_keys[k]);
      if (strncmp (name, global_keys[k], n) == 0 && is_alt_suffix (name + n))
        return TRUE;
    }
  for (unsigned k = 0; k < G_N_ELEMENTS (pair_keys); k++)
    if (split_pair (name, pair_keys[k], &i, &j))
      {
        /* PVi_m and PSi_m belong to axis i; PCi_j and CDi_j to both. */
        if (k >= 2)
          return i == 1 || i == 2;
        return i == 1 || i == 2 || j == 1 || j == 2;
      }
  for (unsigned k = 0; k < G_N_ELEMENTS (axis_keys); k++)
    if (split_indexed (name, axis_keys[k], &i, &rest) && is_alt_suffix (rest))
      return i == 1 || i == 2;
  /* SIP polynomial coefficients A_p_q etc. */
  for (unsigned k = 0; k < G_N_ELEMENTS (sip_prefixes); k++)
    {
      gsize n = strlen (sip_prefixes[k]);
      if (strncmp (name, sip_prefixes[k], n) == 0 && g_ascii_isdigit (name[n]))
        return TRUE;
    }
  return FALSE;
}

gboolean
tess__is_structural_key (const char *card)
{
  static const char *const keys[] = {
    "SIMPLE",   "BITPIX",   "NAXIS",    "EXTEND",   "XTENSION", "PCOUNT",
    "GCOUNT",   "BSCALE",   "BZERO",    "BLANK",    "END",      "EXTNAME",
    "EXTVER",   "EXTLEVEL", "CHECKSUM", "DATASUM",  "INHERIT",  "ZIMAGE",
    "ZBITPIX",  "ZNAXIS",   "ZTILE",    "ZCMPTYPE", "ZNAME",    "ZVAL",
    "ZQUANTIZ", "ZDITHER0", "ZSIMPLE",  "ZEXTEND",  "ZBLANK",   "ZSCALE",
    "ZZERO",    "ZHECKSUM", "ZDATASUM", "ZTENSION", "ZPCOUNT",  "ZGCOUNT"
  };
  char name[9];

  tess__card_keyword (card, name);
  for (unsigned k = 0; k < G_N_ELEMENTS (keys); k++)
    {
      gsize n = strlen (keys[k]);
      if (strncmp (name, keys[k], n) != 0)
        continue;
      /* NAXIS, NAXISn, ZNAXISn, ZTILEn, ZNAMEn, ZVALn: a number may
       * follow; other keys must match whole. */
      if (name[n] == '\0')
        return TRUE;
      for (const char *p = name + n; *p; p++)
        if (!g_ascii_isdigit (*p))
          goto next;
      return TRUE;
    next:;
    }
  /* The two comment lines cfitsio writes into every new file. */
  if (strncmp (card, "COMMENT   FITS (Flexible Image Transport System)", 48)
          == 0
      || strncmp (card, "COMMENT   and Astrophysics', volume 376", 39) == 0)
    return TRUE;
  return FALSE;
}

/* ---------------------------------------------------------------------- */
/* Frames                                                                  */

static gboolean
detect_frame (TessWcs *wcs, const struct wcsprm *w, GError **error)
{
  const char *ctype = w->ctype[w->lng];
  char radesys[72];
  double equinox = w->equinox;

  memcpy (wcs->lngtyp, ctype, 4);
  wcs->lngtyp[4] = '\0';
  g_strdelimit (wcs->lngtyp, "-", '\0');

  if (strcmp (wcs->lngtyp, "GLON") == 0)
    {
      wcs->frame = TESS_FRAME_GALACTIC;
      return TRUE;
    }
  if (strcmp (wcs->lngtyp, "ELON") == 0)
    {
      if (!undefined (equinox) && fabs (equinox - 2000.0) > 1e-9)
        goto bad_equinox;
      wcs->frame = TESS_FRAME_ECLIPTIC;
      return TRUE;
    }
  if (strcmp (wcs->lngtyp, "RA") != 0)
    {
      /* Another celestial system (supergalactic, planetary, ...): it can
       * only be reprojected onto the same system. */
      wcs->frame = (TessFrame)-1;
      return TRUE;
    }

  g_strlcpy (radesys, w->radesys, sizeof radesys);
  g_strstrip (radesys);
  if (radesys[0] == '\0')
    {
      /* The FITS standard's defaults. */
      if (undefined (equinox) || equinox == 0.0)
        g_strlcpy (radesys, "ICRS", sizeof radesys);
      else if (equinox < 1984.0)
        g_strlcpy (radesys, "FK4", sizeof radesys);
      else
        g_strlcpy (radesys, "FK5", sizeof radesys);
    }
  if (strcmp (radesys, "ICRS") == 0)
    wcs->frame = TESS_FRAME_ICRS;
  else if (strcmp (radesys, "FK5") == 0)
    {
      if (!undefined (equinox) && fabs (equinox - 2000.0) > 1e-9)
        goto bad_equinox;
      wcs->frame = TESS_FRAME_FK5;
    }
  else if (strcmp (radesys, "FK4") == 0 || strcmp (radesys, "FK4-NO-E") == 0)
    {
      if (!undefined (equinox) && fabs (equinox - 1950.0) > 1e-9)
        goto bad_equinox;
      wcs->frame = radesys[3] == '\0' ? TESS_FRAME_FK4 : TESS_FRAME_FK4_NO_E;
    }
  else
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                   "%s: unsupported RADESYS '%s'", wcs->source, radesys);
      return FALSE;
    }
  return TRUE;

bad_equinox:
  g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
               "%s: unsupported EQUINOX %g (FK5 and ecliptic need 2000, FK4 "
               "1950)",
               wcs->source, equinox);
  return FALSE;
}

gboolean
tess__wcs_same_frame (const TessWcs *a, const TessWcs *b)
{
  if (a->linear || b->linear)
    return a->linear && b->linear;
  if ((int)a->frame >= 0 && (int)b->frame >= 0)
    return a->frame == b->frame;
  return strcmp (a->lngtyp, b->lngtyp) == 0;
}

TessFrame
tess_wcs_get_frame (const TessWcs *wcs)
{
  return wcs->frame;
}

gboolean
tess_wcs_is_celestial (const TessWcs *wcs)
{
  return !wcs->linear;
}

static char *
axis_types (const struct wcsprm *w)
{
  return g_strdup_printf ("%.8s/%.8s (%s%s%s)", w->ctype[0], w->ctype[1],
                          w->cunit[0][0] ? w->cunit[0] : "no unit",
                          strcmp (w->cunit[0], w->cunit[1]) ? ", " : "",
                          strcmp (w->cunit[0], w->cunit[1]) ? w->cunit[1]
                                                            : "");
}

gboolean
tess__wcs_compatible (const TessWcs *target, const TessWcs *input,
                      GError **error)
{
  const struct wcsprm *t = target->cel, *i = input->cel;

  if (!target->linear && !input->linear)
    {
      /* A celestial system without a name here (supergalactic,
       * planetary, ...) goes only onto itself: there is no conversion. */
      const TessWcs *odd = (int)input->frame < 0 ? input : target;
      if (((int)input->frame < 0 || (int)target->frame < 0)
          && !tess__wcs_same_frame (target, input))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                       "%s: the celestial system %s can only be reprojected "
                       "onto itself, not onto the %s's %s",
                       odd->source, odd->lngtyp,
                       odd == input ? "target" : "input",
                       odd == input ? target->lngtyp : input->lngtyp);
          return FALSE;
        }
      return TRUE;
    }
  if (target->linear != input->linear)
    {
      /* Named: the file whose WCS is not celestial. */
      const TessWcs *odd = target->linear ? target : input;
      g_autofree char *types = axis_types (odd->cel);
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   "%s: the WCS is not celestial (%s) and the %s's is: they "
                   "cannot be reprojected onto one another",
                   odd->source, types, target->linear ? "input" : "target");
      return FALSE;
    }
  for (int k = 0; k < 2; k++)
    if (strcmp (t->ctype[k], i->ctype[k]) != 0
        || strcmp (t->cunit[k], i->cunit[k]) != 0)
      {
        g_autofree char *a = axis_types (i), *b = axis_types (t);
        g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                     "%s: the axes differ: %s in the input, %s in the "
                     "target",
                     input->source, a, b);
        return FALSE;
      }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Construction                                                            */

TessWcs *
tess_wcs_new_from_header (const char *cards, int ncards, const char *source,
                          GError **error)
{
  g_autofree char *header = NULL;
  struct wcsprm *all = NULL, *primary = NULL;
  int nreject = 0, nwcs = 0, status;
  int axes[2] = { 1, 2 }, nsub = 2;
  gboolean linear = FALSE;
  TessWcs *wcs;
  gint64 v;

  g_return_val_if_fail (cards != NULL, NULL);
  wcslib_init_once ();
  if (source == NULL)
    source = "header";
  if (ncards <= 0 || ncards > TESS_MAX_CARDS)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: empty or oversized header", source);
      return NULL;
    }

  header = g_strndup (cards, (gsize)ncards * 80);
  status = wcspih (header, ncards, WCSHDR_all, 0, &nreject, &nwcs, &all);
  if (status)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   "%s: the WCS in the header cannot be parsed: %s", source,
                   wcs_errmsg[status]);
      return NULL;
    }
  for (int i = 0; i < nwcs; i++)
    if (all[i].alt[0] == ' ' || all[i].alt[0] == '\0')
      primary = &all[i];
  if (primary == NULL)
    {
      wcsvfree (&nwcs, &all);
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   "%s: no celestial WCS in the header", source);
      return NULL;
    }
  status = wcsset (primary);
  if (status)
    {
      tess__set_wcs_error (error, primary, status, source,
                           "the WCS is rejected by wcslib");
      wcsvfree (&nwcs, &all);
      return NULL;
    }
  if (primary->lng < 0 && primary->lat < 0 && primary->naxis >= 2
      && primary->ctype[0][0] != '\0' && primary->ctype[1][0] != '\0')
    linear = TRUE;
  else if (primary->lng < 0 || primary->lat < 0)
    {
      wcsvfree (&nwcs, &all);
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   "%s: no celestial WCS in the header (no longitude and "
                   "latitude axes)",
                   source);
      return NULL;
    }
  if (!linear
      && !((primary->lng == 0 && primary->lat == 1)
           || (primary->lng == 1 && primary->lat == 0)))
    {
      int lng = primary->lng + 1, lat = primary->lat + 1;
      wcsvfree (&nwcs, &all);
      g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                   "%s: the celestial axes must be axes 1 and 2 (they are "
                   "%d and %d)",
                   source, lng, lat);
      return NULL;
    }

  wcs = g_new0 (TessWcs, 1);
  wcs->ref_count = 1;
  wcs->source = g_strdup (source);
  wcs->cards = g_strndup (cards, (gsize)ncards * 80);
  wcs->ncards = ncards;
  wcs->cel = wcsprm_copy (primary, &nsub, axes, &status);
  if (status)
    {
      tess__set_wcs_error (error, wcs->cel, status, source,
                           "the celestial axes cannot be separated");
      wcsvfree (&nwcs, &all);
      tess_wcs_unref (wcs);
      return NULL;
    }
  wcs->linear = linear;
  if (linear)
    wcs->frame = (TessFrame)-1;
  if ((!linear && !detect_frame (wcs, primary, error))
      || !tess__axis3_from_header (wcs, primary, cards, ncards, error))
    {
      wcsvfree (&nwcs, &all);
      tess_wcs_unref (wcs);
      return NULL;
    }
  wcsvfree (&nwcs, &all);

  if (tess__cards_get_int (cards, ncards, "NAXIS1", &v))
    wcs->width = v;
  if (tess__cards_get_int (cards, ncards, "NAXIS2", &v))
    wcs->height = v;
  if (wcs->width < 0 || wcs->height < 0 || wcs->width > TESS_MAX_SIDE
      || wcs->height > TESS_MAX_SIDE)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "%s: image size %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                   " is out of range",
                   source, wcs->width, wcs->height);
      tess_wcs_unref (wcs);
      return NULL;
    }
  return wcs;
}

/* A text header has line ends within its first 82 bytes (80-character
 * cards, perhaps with CRLF); a FITS file
 * (or a name with cfitsio's [ext] syntax, a URL, ...) does not. */
static gboolean
looks_like_text (const char *path)
{
  char buf[162];
  FILE *f = fopen (path, "rb");
  gsize n;

  if (f == NULL)
    return FALSE; /* let cfitsio open it or report it */
  n = fread (buf, 1, sizeof buf, f);
  fclose (f);
  return memchr (buf, '\n', n) != NULL;
}

TessWcs *
tess_wcs_load (const char *path, GError **error)
{
  fitsfile *fptr = NULL;
  int status = 0, nkeys = 0, hdutype, naxis = 0;
  long naxes[9];
  char *header = NULL;
  TessWcs *wcs;

  if (looks_like_text (path))
    {
      char *cards = NULL;
      int ncards = 0;

      if (!tess__read_text_header (path, &cards, &ncards, error))
        return NULL;
      wcs = tess_wcs_new_from_header (cards, ncards, path, error);
      g_free (cards);
      return wcs;
    }

  if (fits_open_file (&fptr, path, READONLY, &status))
    {
      tess__set_fits_error (error, status, path, "cannot open");
      return NULL;
    }
  /* The first image, or (for a header-only file) the primary header. */
  if (!tess__fits_find_image (fptr, path, &naxis, naxes, NULL))
    fits_movabs_hdu (fptr, 1, &hdutype, &status);
  fits_convert_hdr2str (fptr, 0, NULL, 0, &header, &nkeys, &status);
  if (status)
    {
      tess__set_fits_error (error, status, path, "cannot read the header");
      status = 0;
      fits_close_file (fptr, &status);
      return NULL;
    }
  wcs = tess_wcs_new_from_header (header, nkeys, path, error);
  fits_free_memory (header, &status);
  fits_close_file (fptr, &status);
  return wcs;
}

TessWcs *
tess_wcs_new_from_params (const TessWcsParams *p, GError **error)
{
  static const char *const lng[]
      = { "RA--", "RA--", "RA--", "RA--", "GLON", "ELON" };
  static const char *const lat[]
      = { "DEC-", "DEC-", "DEC-", "DEC-", "GLAT", "ELAT" };
  GString *cards;
  char ctype[16];
  TessWcs *wcs;
  double c, s;

  if ((unsigned)p->frame >= G_N_ELEMENTS (lng))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID, "unknown frame");
      return NULL;
    }
  if (!(p->scale > 0.0) || !isfinite (p->scale) || !isfinite (p->lon)
      || !isfinite (p->lat) || !isfinite (p->rotation)
      || !isfinite (p->crpix_x) || !isfinite (p->crpix_y))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "WCS parameters must be finite, and the scale positive");
      return NULL;
    }
  if (p->width <= 0 || p->height <= 0 || p->width > TESS_MAX_SIDE
      || p->height > TESS_MAX_SIDE)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "image size %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                   " is out of range",
                   p->width, p->height);
      return NULL;
    }
  if (strlen (p->projection) != 3)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "projection code '%s' must have three letters",
                   p->projection);
      return NULL;
    }
  {
    /* The FITS projections (WCS Paper II, and HEALPix); those that need
     * parameters (the conics, BON) are checked by wcslib. */
    static const char known[]
        = "AZP SZP TAN STG SIN ARC ZPN ZEA AIR CYP CEA CAR MER SFL PAR MOL "
          "AIT COP COE COD COO BON PCO TSC CSC QSC HPX XPH";
    const char *at = strstr (known, p->projection);
    if (at == NULL || (at - known) % 4 != 0)
      {
        g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                     "unknown projection code '%s' (known: %s)", p->projection,
                     known);
        return NULL;
      }
  }

  cards = g_string_new (NULL);
  tess__cards_set_int (cards, "NAXIS", 2, NULL);
  tess__cards_set_int (cards, "NAXIS1", p->width, NULL);
  tess__cards_set_int (cards, "NAXIS2", p->height, NULL);
  g_snprintf (ctype, sizeof ctype, "'%s-%s'", lng[p->frame], p->projection);
  tess__cards_set_string (cards, "CTYPE1", ctype, NULL);
  g_snprintf (ctype, sizeof ctype, "'%s-%s'", lat[p->frame], p->projection);
  tess__cards_set_string (cards, "CTYPE2", ctype, NULL);
  tess__cards_set_double (cards, "CRVAL1", p->lon, NULL);
  tess__cards_set_double (cards, "CRVAL2", p->lat, NULL);
  tess__cards_set_double (cards, "CRPIX1", p->crpix_x + 1.0, NULL);
  tess__cards_set_double (cards, "CRPIX2", p->crpix_y + 1.0, NULL);
  tess__cards_set_double (cards, "CDELT1", -p->scale, NULL);
  tess__cards_set_double (cards, "CDELT2", p->scale, NULL);
  c = cos (p->rotation * G_PI / 180.0);
  s = sin (p->rotation * G_PI / 180.0);
  tess__cards_set_double (cards, "PC1_1", c, NULL);
  /* CROTA2 convention with CDELT1 = -CDELT2. */
  tess__cards_set_double (cards, "PC1_2", s, NULL);
  tess__cards_set_double (cards, "PC2_1", -s, NULL);
  tess__cards_set_double (cards, "PC2_2", c, NULL);
  tess__cards_set_string (cards, "CUNIT1", "'deg'", NULL);
  tess__cards_set_string (cards, "CUNIT2", "'deg'", NULL);
  switch (p->frame)
    {
    case TESS_FRAME_ICRS:
      tess__cards_set_string (cards, "RADESYS", "'ICRS'", NULL);
      break;
    case TESS_FRAME_FK5:
      tess__cards_set_string (cards, "RADESYS", "'FK5'", NULL);
      tess__cards_set_double (cards, "EQUINOX", 2000.0, NULL);
      break;
    case TESS_FRAME_FK4:
    case TESS_FRAME_FK4_NO_E:
      tess__cards_set_string (
          cards, "RADESYS",
          p->frame == TESS_FRAME_FK4 ? "'FK4'" : "'FK4-NO-E'", NULL);
      tess__cards_set_double (cards, "EQUINOX", 1950.0, NULL);
      break;
    case TESS_FRAME_ECLIPTIC:
      tess__cards_set_double (cards, "EQUINOX", 2000.0, NULL);
      break;
    default:
      break;
    }
  wcs = tess_wcs_new_from_header (cards->str, (int)(cards->len / 80),
                                  "WCS parameters", error);
  g_string_free (cards, TRUE);
  return wcs;
}

TessWcs *
tess_wcs_ref (TessWcs *wcs)
{
  g_atomic_int_inc (&wcs->ref_count);
  return wcs;
}

void
tess_wcs_unref (TessWcs *wcs)
{
  if (wcs == NULL || !g_atomic_int_dec_and_test (&wcs->ref_count))
    return;
  tess__wcsprm_free (wcs->cel);
  tess__wcsprm_free (wcs->axis3);
  g_free (wcs->cards);
  g_free (wcs->source);
  g_free (wcs);
}

gint64
tess_wcs_get_width (const TessWcs *wcs)
{
  return wcs->width;
}

gint64
tess_wcs_get_height (const TessWcs *wcs)
{
  return wcs->height;
}

const char *
tess_wcs_get_source (const TessWcs *wcs)
{
  return wcs->source;
}

/* Rewrites the header with another reference pixel and size. */
static TessWcs *
wcs_rewrite (const TessWcs *wcs, double dx, double dy, gint64 width,
             gint64 height)
{
  GString *cards = g_string_new_len (wcs->cards, (gssize)wcs->ncards * 80);
  TessWcs *copy;
  GError *error = NULL;

  if (dx != 0.0 || dy != 0.0)
    {
      double crpix[2] = { wcs->cel->crpix[0], wcs->cel->crpix[1] };
      tess__cards_set_double (cards, "CRPIX1", crpix[0] - dx, NULL);
      tess__cards_set_double (cards, "CRPIX2", crpix[1] - dy, NULL);
    }
  tess__cards_set_int (cards, "NAXIS1", width, NULL);
  tess__cards_set_int (cards, "NAXIS2", height, NULL);
  copy = tess_wcs_new_from_header (cards->str, (int)(cards->len / 80),
                                   wcs->source, &error);
  /* The header parsed before and only two numbers changed. */
  g_assert_no_error (error);
  g_string_free (cards, TRUE);
  return copy;
}

TessWcs *
tess_wcs_with_size (const TessWcs *wcs, gint64 width, gint64 height)
{
  return wcs_rewrite (wcs, 0.0, 0.0, width, height);
}

TessWcs *
tess_wcs_crop (const TessWcs *wcs, gint64 x0, gint64 y0, gint64 width,
               gint64 height)
{
  return wcs_rewrite (wcs, (double)x0, (double)y0, width, height);
}

char *
tess_wcs_describe (const TessWcs *wcs)
{
  double x[1] = { (double)(wcs->width - 1) / 2.0 };
  double y[1] = { (double)(wcs->height - 1) / 2.0 };
  double lon[1], lat[1];
  const struct wcsprm *w = wcs->cel;
  double scale;
  const char *frame;

  if (!tess_wcs_pixel_to_world (wcs, 1, x, y, lon, lat, NULL))
    lon[0] = lat[0] = NAN;
  /* Pixel scale from the determinant of CDELT·PC (degrees); wcsset()
   * has folded any CDi_j into PC. */
  {
    const double *pc = w->pc, *cd = w->cdelt;
    scale = sqrt (fabs (cd[0] * cd[1] * (pc[0] * pc[3] - pc[1] * pc[2])));
  }
  if (wcs->linear)
    {
      g_autofree char *types = axis_types (w);
      return g_strdup_printf ("non-celestial %s, centre %.6g %.6g, %.4g per "
                              "pixel, %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT,
                              types, lon[0], lat[0], scale, wcs->width,
                              wcs->height);
    }
  frame = (int)wcs->frame >= 0 ? tess_frame_name (wcs->frame) : wcs->lngtyp;
  return g_strdup_printf (
      "%s %s, centre %.6f %+.6f, %.4g\"/pixel, %" G_GINT64_FORMAT
      "x%" G_GINT64_FORMAT,
      frame, w->ctype[0] + 5, lon[0], lat[0], scale * 3600.0, wcs->width,
      wcs->height);
}

/* ---------------------------------------------------------------------- */
/* Transforms                                                              */

gboolean
tess_wcs_pixel_to_world (const TessWcs *wcs, gsize n, const double *x,
                         const double *y, double *lon, double *lat,
                         GError **error)
{
  struct wcsprm *w = tess__wcs_copy_cel (wcs, error);
  double pix[2], img[2], phi, theta, world[2];
  int stat;

  if (w == NULL)
    return FALSE;
  for (gsize k = 0; k < n; k++)
    {
      pix[0] = x[k] + 1.0;
      pix[1] = y[k] + 1.0;
      /* wcslib goes on computing with the intermediate values of a point
       * it has rejected: give them defined values. */
      phi = theta = img[0] = img[1] = world[0] = world[1] = 0.0;
      if (wcsp2s (w, 1, 2, pix, img, &phi, &theta, world, &stat) == 0
          && stat == 0)
        {
          lon[k] = world[tess__world_x (w)];
          lat[k] = world[tess__world_y (w)];
        }
      else
        {
          lon[k] = lat[k] = NAN;
          tess__wcsprm_clear_errors (w);
        }
    }
  tess__wcsprm_free (w);
  return TRUE;
}

gboolean
tess_wcs_world_to_pixel (const TessWcs *wcs, gsize n, const double *lon,
                         const double *lat, double *x, double *y,
                         GError **error)
{
  struct wcsprm *w = tess__wcs_copy_cel (wcs, error);
  double pix[2], img[2], phi, theta, world[2];
  int stat;

  if (w == NULL)
    return FALSE;
  for (gsize k = 0; k < n; k++)
    {
      phi = theta = img[0] = img[1] = pix[0] = pix[1] = 0.0;
      world[tess__world_x (w)] = lon[k];
      world[tess__world_y (w)] = lat[k];
      if (isfinite (lon[k]) && isfinite (lat[k])
          && wcss2p (w, 1, 2, world, &phi, &theta, img, pix, &stat) == 0
          && stat == 0)
        {
          x[k] = pix[0] - 1.0;
          y[k] = pix[1] - 1.0;
        }
      else
        {
          x[k] = y[k] = NAN;
          tess__wcsprm_clear_errors (w);
        }
    }
  tess__wcsprm_free (w);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Simple description and binning                                          */

gboolean
tess_wcs_get_params (const TessWcs *wcs, TessWcsParams *p, GError **error)
{
  double cx = (double)(wcs->width - 1) / 2.0;
  double cy = (double)(wcs->height - 1) / 2.0;
  /* The centre, and half a pixel either side along x and y. */
  double x[5] = { cx, cx - 0.5, cx + 0.5, cx, cx };
  double y[5] = { cy, cy, cy, cy - 0.5, cy + 0.5 };
  double lon[5], lat[5], e[2], n[2], cl;

  if (wcs->linear)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   "%s: the WCS is not celestial", wcs->source);
      return FALSE;
    }
  if ((int)wcs->frame < 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   "%s: the celestial frame (%s) is not one Tessera names",
                   wcs->source, wcs->lngtyp);
      return FALSE;
    }
  if (!tess_wcs_pixel_to_world (wcs, 5, x, y, lon, lat, NULL)
      || !isfinite (lon[0]) || !isfinite (lon[1]) || !isfinite (lon[2])
      || !isfinite (lon[3]) || !isfinite (lon[4]))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   "%s: the image centre has no sky position", wcs->source);
      return FALSE;
    }
  cl = cos (lat[0] * G_PI / 180.0);
  for (int k = 0; k < 2; k++)
    {
      double dlon = lon[2 + 2 * k] - lon[1 + 2 * k];
      dlon -= 360.0 * floor (dlon / 360.0 + 0.5);
      e[k] = dlon * cl;                       /* east, per pixel */
      n[k] = lat[2 + 2 * k] - lat[1 + 2 * k]; /* north, per pixel */
    }
  memset (p, 0, sizeof *p);
  p->frame = wcs->frame;
  memcpy (p->projection, wcs->cel->ctype[0] + 5, 3);
  p->projection[3] = '\0';
  g_strchomp (p->projection);
  p->lon = lon[0];
  p->lat = lat[0];
  p->crpix_x = cx;
  p->crpix_y = cy;
  p->scale = sqrt (fabs (e[0] * n[1] - e[1] * n[0]));
  /* With CROTA2 = r, a step along +y goes north by cos r and east by
   * -sin r. */
  p->rotation = atan2 (-e[1], n[1]) * 180.0 / G_PI;
  p->width = wcs->width;
  p->height = wcs->height;
  return TRUE;
}

TessWcs *
tess_wcs_binned (const TessWcs *wcs, double f, GError **error)
{
  GString *cards;
  TessWcs *out;
  gboolean have_cd = FALSE;
  int ncards = wcs->ncards;

  if (!(f > 0.0) || !isfinite (f) || f > (double)TESS_MAX_SIDE)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "binning factor %g is out of range", f);
      return NULL;
    }
  cards = g_string_new_len (wcs->cards, (gssize)ncards * 80);
  for (int i = 0; i < ncards; i++)
    {
      char key[9];
      int a, b, len = 0;
      double v;

      tess__card_keyword (wcs->cards + (gsize)i * 80, key);
      if (!tess__cards_get_double (wcs->cards, ncards, key, &v))
        continue;
      if ((sscanf (key, "A_%d_%d%n", &a, &b, &len) == 2
           || sscanf (key, "B_%d_%d%n", &a, &b, &len) == 2
           || sscanf (key, "AP_%d_%d%n", &a, &b, &len) == 2
           || sscanf (key, "BP_%d_%d%n", &a, &b, &len) == 2)
          && key[len] == '\0')
        /* SIP terms act on pixel offsets from CRPIX: a term of degree d
         * becomes f^(d-1) times larger in binned pixels. */
        tess__cards_set_double (cards, key, v * pow (f, a + b - 1), NULL);
      else if (sscanf (key, "CD%d_%d%n", &a, &b, &len) == 2 && key[len] == '\0'
               && a >= 1 && a <= 2 && b >= 1 && b <= 2)
        {
          tess__cards_set_double (cards, key, v * f, NULL);
          have_cd = TRUE;
        }
    }
  /* Distortion keywords with string values (lookup tables, DSS). */
  for (int i = 0; i < ncards; i++)
    {
      const char *c = wcs->cards + (gsize)i * 80;
      if (((c[0] == 'D' && (c[1] == 'P' || c[1] == 'Q'))
           && g_ascii_isdigit (c[2]) && c[3] == ' ')
          || strncmp (c, "CPDIS", 5) == 0 || strncmp (c, "CQDIS", 5) == 0
          || strncmp (c, "D2IM", 4) == 0 || strncmp (c, "PLTRAH", 6) == 0)
        goto unsupported;
    }
  if (!have_cd)
    for (int k = 0; k < 2; k++)
      {
        char key[9];
        double v = 1.0;
        g_snprintf (key, sizeof key, "CDELT%d", k + 1);
        tess__cards_get_double (wcs->cards, ncards, key, &v);
        tess__cards_set_double (cards, key, v * f, NULL);
      }
  for (int k = 0; k < 2; k++)
    {
      char key[9];
      g_snprintf (key, sizeof key, "CRPIX%d", k + 1);
      tess__cards_set_double (cards, key, (wcs->cel->crpix[k] - 0.5) / f + 0.5,
                              NULL);
    }
  tess__cards_set_int (cards, "NAXIS1",
                       MAX (1, (gint64)ceil ((double)wcs->width / f - 1e-9)),
                       NULL);
  tess__cards_set_int (cards, "NAXIS2",
                       MAX (1, (gint64)ceil ((double)wcs->height / f - 1e-9)),
                       NULL);
  out = tess_wcs_new_from_header (cards->str, (int)(cards->len / 80),
                                  wcs->source, error);
  g_string_free (cards, TRUE);
  return out;

unsupported:
  g_string_free (cards, TRUE);
  g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
               "%s: this distortion cannot be binned", wcs->source);
  return NULL;
}

char *
tess_wcs_to_text (const TessWcs *wcs)
{
  GString *s = g_string_new (NULL);

  for (int i = 0; i < wcs->ncards; i++)
    {
      char card[81];
      memcpy (card, wcs->cards + (gsize)i * 80, 80);
      card[80] = '\0';
      g_strchomp (card);
      if (card[0] == '\0'
          || (strncmp (card, "END", 3) == 0
              && (card[3] == '\0' || card[3] == ' ')))
        continue;
      g_string_append (s, card);
      g_string_append_c (s, '\n');
    }
  g_string_append (s, "END\n");
  return g_string_free (s, FALSE);
}
