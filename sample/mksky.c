/*
 * mksky.c - tessera-mksky, a synthetic sky image generator for Tessera.
 *
 * Writes FITS images that look like a real sky (background, smooth extended
 * emission, stars and small galaxies, Gaussian noise and blanked pixels) with
 * a celestial WCS in any FITS projection and in several frames, optionally
 * with SIP distortion, integer BITPIX with BSCALE/BZERO/BLANK, a spectral
 * third axis, an IMAGE extension or tile compression.  It can also write just
 * the text header, to be used as a reprojection target.  Tessera's tests and
 * benchmarks use it to make their inputs: the same options always give the
 * same bytes.
 *
 * The image content is generated in pixel space; the WCS only labels it.
 * This program depends on GLib, cfitsio and libm only (not on libtessera).
 */

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fitsio.h>
#include <glib.h>
#include <glib/gstdio.h>

#define PROGRAM "tessera-mksky"

/* Fixed observation date: the output must not depend on the clock. */
#define DATE_OBS "2024-03-20T03:06:00.000"
#define MJD_OBS 60389.129166666667

#define SKY_BACKGROUND 100.0 /* mean sky level */
#define PSF_FWHM 3.0         /* point spread function FWHM, pixels */
#define PSF_BETA 3.0         /* Moffat exponent */
#define PSF_CUTOFF 6.0       /* stars are drawn out to this many FWHM */
#define PEAK_MIN 5.0         /* faintest source peak */
#define PEAK_MAX 5000.0      /* brightest source peak */
#define PEAK_SLOPE 0.8       /* N(>peak) ~ peak^-PEAK_SLOPE */
#define PIXELS_PER_STAR 2000.0

#define SIP_ORDER 3
#define SIP_MAX_INVERSE_ERROR 0.01 /* pixels */

/* Independent random streams, so that changing one option (say --stars)
 * leaves the other components of the image unchanged. */
enum
{
  STREAM_BACKGROUND = 1,
  STREAM_EMISSION,
  STREAM_STARS,
  STREAM_GALAXIES,
  STREAM_BLANKS,
  STREAM_NOISE = 1000 /* + plane index */
};

typedef enum
{
  FRAME_ICRS,
  FRAME_FK5,
  FRAME_FK4,
  FRAME_GALACTIC,
  FRAME_ECLIPTIC
} Frame;

typedef struct
{
  const char *name;
  const char *lon; /* first four characters of CTYPE1 */
  const char *lat; /* first four characters of CTYPE2 */
  const char *radesys;
  double equinox; /* 0: no EQUINOX card */
} FrameInfo;

static const FrameInfo frames[] = {
  [FRAME_ICRS] = { "icrs", "RA--", "DEC-", "ICRS", 0.0 },
  [FRAME_FK5] = { "fk5", "RA--", "DEC-", "FK5", 2000.0 },
  [FRAME_FK4] = { "fk4", "RA--", "DEC-", "FK4", 1950.0 },
  [FRAME_GALACTIC] = { "galactic", "GLON", "GLAT", NULL, 0.0 },
  [FRAME_ECLIPTIC] = { "ecliptic", "ELON", "ELAT", "FK5", 2000.0 },
};

/* The projection codes of FITS WCS Paper II (and HEALPix). */
static const char *const projections[]
    = { "AZP", "SZP", "TAN", "STG", "SIN", "ARC", "ZPN", "ZEA", "AIR", "CYP",
        "CEA", "CAR", "MER", "COP", "COE", "COD", "COO", "SFL", "PAR", "MOL",
        "AIT", "BON", "PCO", "TSC", "CSC", "QSC", "HPX", "XPH", NULL };

/* Everything the command line sets. */
typedef struct
{
  char *output; /* output name as given, less a leading '!' */
  gboolean overwrite;
  gint64 width, height;
  guint64 seed;
  double lon, lat; /* CRVAL1, CRVAL2, degrees */
  double scale;    /* arcsec per pixel */
  double rotation; /* degrees, as CROTA2 */
  char proj[4];
  Frame frame;
  double crpix1, crpix2;
  gint64 nstars;
  double noise;
  double nan_fraction;
  int bitpix;
  gint64 planes;
  gboolean sip;
  char *extname;
  gboolean header_only;
  char *history; /* the command line */
} Config;

/* A SIP polynomial: c[p][q] is the coefficient of u^p v^q. */
typedef struct
{
  double c[SIP_ORDER + 1][SIP_ORDER + 1];
} SipPoly;

/* SIP distortion: forward (A, B) and inverse (AP, BP) polynomials. */
typedef struct
{
  gboolean enabled;
  SipPoly a, b;
  gboolean inverse; /* whether ap/bp are good enough to be written */
  SipPoly ap, bp;
  double inverse_error; /* worst round trip error of ap/bp, pixels */
} Sip;

/* The rendered sky, shared by all planes. */
typedef struct
{
  gint64 width, height;
  float *sky; /* emission and sources; NaN where blanked */
  double bg0; /* background at the image centre */
  double bgx; /* background gradient, per pixel along x */
  double bgy; /* and along y */
} Scene;

/* Linear mapping of data values to stored integers. */
typedef struct
{
  double bscale, bzero;
  double qmin, qmax; /* stored values used for data */
  gint64 blank;      /* stored value of blanked pixels */
} IntScale;

/* ------------------------------------------------------------------------ */
/* Messages                                                                 */

/* Prints "tessera-mksky: MESSAGE" on stderr. */
G_GNUC_PRINTF (1, 2)
static void
message (const char *format, ...)
{
  va_list ap;

  fputs (PROGRAM ": ", stderr);
  va_start (ap, format);
  vfprintf (stderr, format, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

/* Describes a cfitsio status in *buf and clears cfitsio's message stack. */
static const char *
fits_error_text (int status, char buf[FLEN_ERRMSG + 40])
{
  char text[FLEN_STATUS];

  fits_get_errstatus (status, text);
  fits_clear_errmsg ();
  g_snprintf (buf, FLEN_ERRMSG + 40, "cfitsio error %d (%s)", status, text);
  return buf;
}

/* ------------------------------------------------------------------------ */
/* Random numbers: xoshiro256** seeded through splitmix64.  Our own
 * generator, so that the output does not depend on the GLib version.       */

typedef struct
{
  guint64 s[4];
  gboolean have_spare;
  double spare;
} Rng;

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* Seeds *rng with the stream number STREAM of seed SEED. */
static void
rng_init (Rng *rng, guint64 seed, guint64 stream)
{
  guint64 x = seed;

  x = splitmix64 (&x) ^ (stream * G_GUINT64_CONSTANT (0xD1B54A32D192ED03));
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&x);
  rng->have_spare = FALSE;
  rng->spare = 0.0;
}

static guint64
rotl64 (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static guint64
rng_next (Rng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl64 (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl64 (s[3], 45);
  return result;
}

/* Uniform in [0, 1). */
static double
rng_uniform (Rng *rng)
{
  return (double)(rng_next (rng) >> 11) * 0x1.0p-53;
}

/* Uniform in [lo, hi). */
static double
rng_range (Rng *rng, double lo, double hi)
{
  return lo + (hi - lo) * rng_uniform (rng);
}

/* Uniform integer in [0, n), n < 2^53. */
static gint64
rng_below (Rng *rng, gint64 n)
{
  return (gint64)(rng_uniform (rng) * (double)n);
}

/* Standard normal deviate (Box-Muller, polar form). */
static double
rng_normal (Rng *rng)
{
  double u, v, s, m;

  if (rng->have_spare)
    {
      rng->have_spare = FALSE;
      return rng->spare;
    }
  do
    {
      u = 2.0 * rng_uniform (rng) - 1.0;
      v = 2.0 * rng_uniform (rng) - 1.0;
      s = u * u + v * v;
    }
  while (s >= 1.0 || s == 0.0);
  m = sqrt (-2.0 * log (s) / s);
  rng->spare = v * m;
  rng->have_spare = TRUE;
  return u * m;
}

/* Source peak drawn from a power law between PEAK_MIN and PEAK_MAX. */
static double
rng_peak (Rng *rng)
{
  double lo = pow (PEAK_MIN, -PEAK_SLOPE);
  double hi = pow (PEAK_MAX, -PEAK_SLOPE);

  return pow (lo - rng_uniform (rng) * (lo - hi), -1.0 / PEAK_SLOPE);
}

/* ------------------------------------------------------------------------ */
/* Option parsing                                                           */

/* Parses a whole string as a finite double. */
static gboolean
parse_double (const char *text, double *out)
{
  char *end;
  double v;

  errno = 0;
  v = g_ascii_strtod (text, &end);
  if (end == text || errno == ERANGE || !isfinite (v))
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  if (*end != '\0')
    return FALSE;
  *out = v;
  return TRUE;
}

/* Parses a whole string as a decimal integer. */
static gboolean
parse_int (const char *text, gint64 *out)
{
  char *end;
  gint64 v;

  while (g_ascii_isspace (*text))
    text++;
  errno = 0;
  v = g_ascii_strtoll (text, &end, 10);
  if (end == text || errno == ERANGE)
    return FALSE;
  while (g_ascii_isspace (*end))
    end++;
  if (*end != '\0')
    return FALSE;
  *out = v;
  return TRUE;
}

/* Parses "A<sep>B" where SEPS lists the accepted separators; INTEGERS asks
 * for two integers (returned as doubles). */
static gboolean
parse_pair (const char *text, const char *seps, gboolean integers, double *a,
            double *b)
{
  const char *sep = strpbrk (text, seps);
  gboolean ok;
  char *first;

  if (sep == NULL)
    return FALSE;
  first = g_strndup (text, (gsize)(sep - text));
  if (integers)
    {
      gint64 i, j;

      ok = parse_int (first, &i) && parse_int (sep + 1, &j);
      if (ok)
        {
          *a = (double)i;
          *b = (double)j;
        }
    }
  else
    ok = parse_double (first, a) && parse_double (sep + 1, b);
  g_free (first);
  return ok;
}

/* Rebuilds the command line for the HISTORY card (printable ASCII only). */
static char *
command_line (int argc, char **argv)
{
  GString *s = g_string_new (NULL);
  char *base = g_path_get_basename (argc > 0 ? argv[0] : PROGRAM);

  g_string_append (s, base);
  g_free (base);
  for (int i = 1; i < argc; i++)
    {
      const char *arg = argv[i];
      gboolean plain = arg[0] != '\0';

      for (const char *c = arg; *c; c++)
        if (!g_ascii_isalnum (*c) && strchr ("-_./,:=+@%", *c) == NULL)
          plain = FALSE;
      g_string_append_c (s, ' ');
      if (plain)
        g_string_append (s, arg);
      else
        {
          char *quoted = g_shell_quote (arg);
          g_string_append (s, quoted);
          g_free (quoted);
        }
    }
  for (gsize i = 0; i < s->len; i++)
    if (s->str[i] < 32 || s->str[i] > 126)
      s->str[i] = '?';
  return g_string_free (s, FALSE);
}

/* Prints an option error; returns the exit status for bad options. */
G_GNUC_PRINTF (1, 2)
static int
usage_error (const char *format, ...)
{
  va_list ap;

  fputs (PROGRAM ": ", stderr);
  va_start (ap, format);
  vfprintf (stderr, format, ap);
  va_end (ap);
  fputs (" (see " PROGRAM " --help)\n", stderr);
  return 2;
}

/* Parses the command line into *cfg.  Returns 0, or the exit status. */
static int
parse_options (int argc, char **argv, Config *cfg)
{
  char *output = NULL, *size = NULL, *seed = NULL, *center = NULL;
  char *scale = NULL, *rotation = NULL, *projection = NULL, *frame = NULL;
  char *crpix = NULL, *stars = NULL, *noise = NULL, *nan_fraction = NULL;
  char *bitpix = NULL, *planes = NULL, *extname = NULL;
  gboolean overwrite = FALSE, sip = FALSE, header_only = FALSE;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      "Output FITS file (cfitsio syntax such as out.fits[compress] allowed)",
      "FILE" },
    { "overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite,
      "Replace the output file if it exists", NULL },
    { "size", 0, 0, G_OPTION_ARG_STRING, &size,
      "Image size in pixels (default 1024x1024)", "WxH" },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &seed, "Random seed (default 1)",
      "N" },
    { "center", 0, 0, G_OPTION_ARG_STRING, &center,
      "Reference sky position in degrees (default 150.0,2.2)", "LON,LAT" },
    { "scale", 0, 0, G_OPTION_ARG_STRING, &scale,
      "Pixel scale in arcsec (default 1.0)", "ARCSEC" },
    { "rotation", 0, 0, G_OPTION_ARG_STRING, &rotation,
      "Rotation of the pixel grid in degrees, like CROTA2 (default 0)",
      "DEG" },
    { "projection", 0, 0, G_OPTION_ARG_STRING, &projection,
      "FITS projection code: TAN, SIN, ARC, CAR, ... (default TAN)", "CODE" },
    { "frame", 0, 0, G_OPTION_ARG_STRING, &frame,
      "icrs, fk5, fk4, galactic or ecliptic (default icrs)", "FRAME" },
    { "crpix", 0, 0, G_OPTION_ARG_STRING, &crpix,
      "Reference pixel, 1-based (default image centre)", "X,Y" },
    { "stars", 0, 0, G_OPTION_ARG_STRING, &stars,
      "Number of stars (default one per 2000 pixels)", "N" },
    { "noise", 0, 0, G_OPTION_ARG_STRING, &noise,
      "Gaussian noise sigma (default 1.0)", "SIGMA" },
    { "nan-fraction", 0, 0, G_OPTION_ARG_STRING, &nan_fraction,
      "Fraction of pixels set to NaN (default 0.006)", "F" },
    { "bitpix", 0, 0, G_OPTION_ARG_STRING, &bitpix,
      "-32, -64, 8, 16, 32 or 64 (default -32)", "N" },
    { "planes", 0, 0, G_OPTION_ARG_STRING, &planes,
      "Number of spectral planes; N > 1 makes a cube (default 1)", "N" },
    { "sip", 0, 0, G_OPTION_ARG_NONE, &sip,
      "Add a third order SIP distortion (TAN only)", NULL },
    { "extname", 0, 0, G_OPTION_ARG_STRING, &extname,
      "Write the image in an IMAGE extension with this EXTNAME", "NAME" },
    { "header-only", 0, 0, G_OPTION_ARG_NONE, &header_only,
      "Write only the header as text, one card per line", NULL },
    { NULL, 0, 0, G_OPTION_ARG_NONE, NULL, NULL, NULL }
  };
  GOptionContext *ctx;
  GError *error = NULL;
  double a, b;
  gint64 n;
  int status = 0;

  cfg->history = command_line (argc, argv);
  ctx = g_option_context_new ("- make a synthetic sky FITS image");
  g_option_context_set_summary (
      ctx, "Writes a synthetic astronomical image with a celestial WCS:\n"
           "background, extended emission, stars, galaxies, noise and NaN\n"
           "holes.  The same options always give the same output.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      status = usage_error ("%s", error->message);
      g_clear_error (&error);
      goto done;
    }

  *cfg = (Config){ .history = cfg->history,
                   .overwrite = overwrite,
                   .width = 1024,
                   .height = 1024,
                   .seed = 1,
                   .lon = 150.0,
                   .lat = 2.2,
                   .scale = 1.0,
                   .rotation = 0.0,
                   .proj = "TAN",
                   .frame = FRAME_ICRS,
                   .nstars = -1,
                   .noise = 1.0,
                   .nan_fraction = 0.006,
                   .bitpix = -32,
                   .planes = 1,
                   .sip = sip,
                   .header_only = header_only };

  if (argc > 1)
    {
      status = usage_error ("unexpected argument '%s'", argv[1]);
      goto done;
    }
  if (output == NULL || output[0] == '\0')
    {
      status = usage_error ("no output file given (-o FILE)");
      goto done;
    }
  if (output[0] == '!')
    {
      /* cfitsio's own "clobber" prefix. */
      cfg->overwrite = TRUE;
      cfg->output = g_strdup (output + 1);
    }
  else
    cfg->output = g_strdup (output);
  if (cfg->output[0] == '\0')
    {
      status = usage_error ("no output file given (-o FILE)");
      goto done;
    }

  if (size != NULL)
    {
      if (!parse_pair (size, "xX", TRUE, &a, &b) || a < 1 || b < 1
          || a > 1000000 || b > 1000000)
        {
          status = usage_error ("--size: expected WxH with W and H from 1 to "
                                "1000000, got '%s'",
                                size);
          goto done;
        }
      cfg->width = (gint64)a;
      cfg->height = (gint64)b;
    }
  if (seed != NULL)
    {
      char *end;

      errno = 0;
      cfg->seed = g_ascii_strtoull (seed, &end, 10);
      if (end == seed || *end != '\0' || errno == ERANGE || seed[0] == '-')
        {
          status = usage_error ("--seed: expected a non-negative integer, "
                                "got '%s'",
                                seed);
          goto done;
        }
    }
  if (center != NULL)
    {
      if (!parse_pair (center, ",", FALSE, &a, &b) || b < -90.0 || b > 90.0)
        {
          status = usage_error ("--center: expected LON,LAT in degrees with "
                                "-90 <= LAT <= 90, got '%s'",
                                center);
          goto done;
        }
      cfg->lon = a;
      cfg->lat = b;
    }
  if (scale != NULL
      && (!parse_double (scale, &cfg->scale) || cfg->scale <= 0.0))
    {
      status = usage_error ("--scale: expected a positive number of arcsec, "
                            "got '%s'",
                            scale);
      goto done;
    }
  if (rotation != NULL && !parse_double (rotation, &cfg->rotation))
    {
      status = usage_error ("--rotation: expected an angle in degrees, "
                            "got '%s'",
                            rotation);
      goto done;
    }
  if (projection != NULL)
    {
      char *code = g_ascii_strup (projection, -1);
      gboolean known = FALSE;

      for (int i = 0; projections[i] != NULL; i++)
        if (strcmp (code, projections[i]) == 0)
          known = TRUE;
      if (known)
        memcpy (cfg->proj, code, 4);
      g_free (code);
      if (!known)
        {
          status = usage_error ("--projection: unknown FITS projection code "
                                "'%s'",
                                projection);
          goto done;
        }
    }
  if (frame != NULL)
    {
      gboolean known = FALSE;

      for (int i = 0; i < (int)G_N_ELEMENTS (frames); i++)
        if (g_ascii_strcasecmp (frame, frames[i].name) == 0)
          {
            cfg->frame = (Frame)i;
            known = TRUE;
          }
      if (!known)
        {
          status = usage_error ("--frame: expected icrs, fk5, fk4, galactic "
                                "or ecliptic, got '%s'",
                                frame);
          goto done;
        }
    }
  cfg->crpix1 = ((double)cfg->width + 1.0) / 2.0;
  cfg->crpix2 = ((double)cfg->height + 1.0) / 2.0;
  if (crpix != NULL
      && !parse_pair (crpix, ",", FALSE, &cfg->crpix1, &cfg->crpix2))
    {
      status
          = usage_error ("--crpix: expected X,Y in pixels, got '%s'", crpix);
      goto done;
    }
  if (stars != NULL)
    {
      if (!parse_int (stars, &n) || n < 0 || n > 100000000)
        {
          status = usage_error ("--stars: expected a number from 0 to "
                                "100000000, got '%s'",
                                stars);
          goto done;
        }
      cfg->nstars = n;
    }
  else
    cfg->nstars = (gint64)llround ((double)cfg->width * (double)cfg->height
                                   / PIXELS_PER_STAR);
  if (noise != NULL
      && (!parse_double (noise, &cfg->noise) || cfg->noise < 0.0))
    {
      status = usage_error ("--noise: expected a sigma >= 0, got '%s'", noise);
      goto done;
    }
  if (nan_fraction != NULL
      && (!parse_double (nan_fraction, &cfg->nan_fraction)
          || cfg->nan_fraction < 0.0 || cfg->nan_fraction > 1.0))
    {
      status = usage_error ("--nan-fraction: expected a fraction from 0 to 1, "
                            "got '%s'",
                            nan_fraction);
      goto done;
    }
  if (bitpix != NULL)
    {
      if (!parse_int (bitpix, &n)
          || (n != -32 && n != -64 && n != 8 && n != 16 && n != 32 && n != 64))
        {
          status
              = usage_error ("--bitpix: expected -32, -64, 8, 16, 32 or 64, "
                             "got '%s'",
                             bitpix);
          goto done;
        }
      cfg->bitpix = (int)n;
    }
  if (planes != NULL)
    {
      if (!parse_int (planes, &n) || n < 1 || n > 1000000)
        {
          status = usage_error ("--planes: expected a number from 1 to "
                                "1000000, got '%s'",
                                planes);
          goto done;
        }
      cfg->planes = n;
    }
  if (cfg->sip && strcmp (cfg->proj, "TAN") != 0)
    {
      status
          = usage_error ("--sip needs the TAN projection, not %s", cfg->proj);
      goto done;
    }
  if (extname != NULL)
    {
      for (const char *c = extname; *c; c++)
        if (*c < 32 || *c > 126)
          {
            status = usage_error ("--extname: only printable ASCII allowed");
            goto done;
          }
      if (extname[0] == '\0' || strlen (extname) > 68)
        {
          status = usage_error ("--extname: expected 1 to 68 characters");
          goto done;
        }
      cfg->extname = g_strdup (extname);
    }

done:
  g_option_context_free (ctx);
  g_free (output);
  g_free (size);
  g_free (seed);
  g_free (center);
  g_free (scale);
  g_free (rotation);
  g_free (projection);
  g_free (frame);
  g_free (crpix);
  g_free (stars);
  g_free (noise);
  g_free (nan_fraction);
  g_free (bitpix);
  g_free (planes);
  g_free (extname);
  return status;
}

/* ------------------------------------------------------------------------ */
/* SIP distortion                                                           */

/* Evaluates the SIP polynomial C at (u, v). */
static double
sip_eval (const SipPoly *poly, double u, double v)
{
  double sum = 0.0, up = 1.0;

  for (int p = 0; p <= SIP_ORDER; p++)
    {
      double vq = 1.0;

      for (int q = 0; p + q <= SIP_ORDER; q++)
        {
          sum += poly->c[p][q] * up * vq;
          vq *= v;
        }
      up *= u;
    }
  return sum;
}

/* Solves the N x N system M x = R for two right hand sides in place
 * (Gaussian elimination with partial pivoting).  Returns FALSE if singular. */
static gboolean
solve2 (int n, double m[][10], double r[][2])
{
  for (int col = 0; col < n; col++)
    {
      int pivot = col;

      for (int i = col + 1; i < n; i++)
        if (fabs (m[i][col]) > fabs (m[pivot][col]))
          pivot = i;
      if (fabs (m[pivot][col]) < 1e-300)
        return FALSE;
      for (int j = 0; j < n; j++)
        {
          double t = m[col][j];
          m[col][j] = m[pivot][j];
          m[pivot][j] = t;
        }
      for (int k = 0; k < 2; k++)
        {
          double t = r[col][k];
          r[col][k] = r[pivot][k];
          r[pivot][k] = t;
        }
      for (int i = col + 1; i < n; i++)
        {
          double f = m[i][col] / m[col][col];

          for (int j = col; j < n; j++)
            m[i][j] -= f * m[col][j];
          for (int k = 0; k < 2; k++)
            r[i][k] -= f * r[col][k];
        }
    }
  for (int i = n - 1; i >= 0; i--)
    for (int k = 0; k < 2; k++)
      {
        double s = r[i][k];

        for (int j = i + 1; j < n; j++)
          s -= m[i][j] * r[j][k];
        r[i][k] = s / m[i][i];
      }
  return TRUE;
}

/* Sets up the forward SIP coefficients and fits the inverse ones.
 *
 * The distortion is a mild pincushion plus some quadratic terms, scaled to
 * the image so that it reaches about 2 pixels at the farthest corner.  The
 * inverse (AP, BP, all terms up to order 3) is a least squares fit on a grid
 * over the image; it is kept only if it inverts A, B to SIP_MAX_INVERSE_ERROR
 * pixels everywhere on the image. */
static void
sip_setup (const Config *cfg, Sip *sip)
{
  /* Coefficients for coordinates normalised to [-1, 1]: p, q, a, b. */
  static const struct
  {
    int p, q;
    double a, b;
  } terms[] = {
    { 2, 0, 0.10, -0.04 }, { 1, 1, -0.07, 0.08 }, { 0, 2, 0.04, 0.07 },
    { 3, 0, 0.24, 0.00 },  { 2, 1, 0.04, 0.24 },  { 1, 2, 0.24, -0.03 },
    { 0, 3, 0.00, 0.24 },
  };
  enum
  {
    NTERMS = 10,
    GRID = 41,
    CHECK = 101
  };
  double u_lo = 1.0 - cfg->crpix1, u_hi = (double)cfg->width - cfg->crpix1;
  double v_lo = 1.0 - cfg->crpix2, v_hi = (double)cfg->height - cfg->crpix2;
  double r
      = MAX (MAX (fabs (u_lo), fabs (u_hi)), MAX (fabs (v_lo), fabs (v_hi)));
  SipPoly an = { { { 0 } } }, bn = { { { 0 } } };
  double m[NTERMS][10] = { { 0 } }, rhs[NTERMS][2] = { { 0 } };
  int tp[NTERMS], tq[NTERMS], nt = 0;

  memset (sip, 0, sizeof *sip);
  if (!cfg->sip)
    return;
  sip->enabled = TRUE;
  r = MAX (r, 1.0);

  for (gsize i = 0; i < G_N_ELEMENTS (terms); i++)
    {
      double f = pow (r, terms[i].p + terms[i].q);

      an.c[terms[i].p][terms[i].q] = terms[i].a;
      bn.c[terms[i].p][terms[i].q] = terms[i].b;
      sip->a.c[terms[i].p][terms[i].q] = terms[i].a / f;
      sip->b.c[terms[i].p][terms[i].q] = terms[i].b / f;
    }

  /* Least squares for the inverse, in normalised coordinates: at points
   * (s, t) of the pixel grid, S = s + A(s, t) / r, and AP(S, T) should
   * give back r (s - S). */
  for (int p = 0; p <= SIP_ORDER; p++)
    for (int q = 0; p + q <= SIP_ORDER; q++)
      {
        tp[nt] = p;
        tq[nt] = q;
        nt++;
      }
  for (int j = 0; j < GRID; j++)
    for (int i = 0; i < GRID; i++)
      {
        double s = (u_lo + (u_hi - u_lo) * i / (GRID - 1)) / r;
        double t = (v_lo + (v_hi - v_lo) * j / (GRID - 1)) / r;
        double da = sip_eval (&an, s, t), db = sip_eval (&bn, s, t);
        double ss = s + da / r, tt = t + db / r;
        double basis[NTERMS];

        for (int k = 0; k < nt; k++)
          basis[k] = pow (ss, tp[k]) * pow (tt, tq[k]);
        for (int k = 0; k < nt; k++)
          {
            for (int l = 0; l < nt; l++)
              m[k][l] += basis[k] * basis[l];
            rhs[k][0] -= basis[k] * da;
            rhs[k][1] -= basis[k] * db;
          }
      }
  if (!solve2 (nt, m, rhs))
    return;
  for (int k = 0; k < nt; k++)
    {
      double f = pow (r, tp[k] + tq[k]);

      sip->ap.c[tp[k]][tq[k]] = rhs[k][0] / f;
      sip->bp.c[tp[k]][tq[k]] = rhs[k][1] / f;
    }

  /* Check the round trip pixel -> distorted -> pixel on a finer grid. */
  for (int j = 0; j < CHECK; j++)
    for (int i = 0; i < CHECK; i++)
      {
        double u = u_lo + (u_hi - u_lo) * i / (CHECK - 1);
        double v = v_lo + (v_hi - v_lo) * j / (CHECK - 1);
        double uu = u + sip_eval (&sip->a, u, v);
        double vv = v + sip_eval (&sip->b, u, v);
        double eu = uu + sip_eval (&sip->ap, uu, vv) - u;
        double ev = vv + sip_eval (&sip->bp, uu, vv) - v;

        sip->inverse_error = MAX (sip->inverse_error, hypot (eu, ev));
      }
  sip->inverse = sip->inverse_error <= SIP_MAX_INVERSE_ERROR;
}

/* ------------------------------------------------------------------------ */
/* Headers                                                                  */

/* Writes one group of SIP coefficient cards ("A", "B", "AP" or "BP"); only
 * terms of order MIN_ORDER and more, and only non-zero ones. */
static void
write_sip_group (fitsfile *f, const char *name, const SipPoly *poly,
                 int min_order, int *status)
{
  char key[FLEN_KEYWORD];

  g_snprintf (key, sizeof key, "%s_ORDER", name);
  fits_write_key_lng (f, key, SIP_ORDER, "SIP polynomial order", status);
  for (int p = 0; p <= SIP_ORDER; p++)
    for (int q = 0; p + q <= SIP_ORDER; q++)
      if (p + q >= min_order && poly->c[p][q] != 0.0)
        {
          g_snprintf (key, sizeof key, "%s_%d_%d", name, p, q);
          fits_write_key_dbl (f, key, poly->c[p][q], -15, NULL, status);
        }
}

/* Writes TEXT as HISTORY cards, breaking lines at spaces where possible. */
static void
write_history (fitsfile *f, const char *text, int *status)
{
  const gsize width = 72;

  while (*text != '\0')
    {
      gsize len = strlen (text);
      char *line;

      if (len > width)
        {
          gsize cut = width;

          while (cut > width / 2 && text[cut] != ' ')
            cut--;
          len = text[cut] == ' ' ? cut : width;
        }
      line = g_strndup (text, len);
      fits_write_history (f, line, status);
      g_free (line);
      text += len;
      while (*text == ' ')
        text++;
    }
}

/* Writes the descriptive and WCS cards common to images and header files,
 * after the structural cards (and any scaling cards). */
static int
write_header_cards (fitsfile *f, const Config *cfg, const Sip *sip,
                    int *status)
{
  const FrameInfo *fr = &frames[cfg->frame];
  const char *suffix = sip->enabled ? "-SIP" : "";
  char ctype1[FLEN_VALUE], ctype2[FLEN_VALUE];
  double cdelt1 = -cfg->scale / 3600.0, cdelt2 = cfg->scale / 3600.0;
  double rho = cfg->rotation * G_PI / 180.0;
  double c = cos (rho), s = sin (rho);

  /* Exact zeros instead of 6e-17 for multiples of 90 degrees. */
  if (fmod (cfg->rotation, 90.0) == 0.0)
    {
      c = round (c);
      s = round (s);
    }

  if (cfg->extname != NULL)
    fits_write_key_str (f, "EXTNAME", cfg->extname, "extension name", status);
  fits_write_key_str (f, "BUNIT", "Jy/beam", "brightness unit", status);
  fits_write_key_str (f, "OBJECT", "Tessera synthetic sky", NULL, status);
  fits_write_key_str (f, "TELESCOP", "TESSERA-SIM", "not a real telescope",
                      status);
  fits_write_key_str (f, "ORIGIN", PROGRAM, "program that made this file",
                      status);
  fits_write_key_str (f, "DATE-OBS", DATE_OBS, "[UTC] fictitious", status);
  fits_write_key_fixdbl (f, "MJD-OBS", MJD_OBS, 9, "[d] same as DATE-OBS",
                         status);

  g_snprintf (ctype1, sizeof ctype1, "%s-%s%s", fr->lon, cfg->proj, suffix);
  g_snprintf (ctype2, sizeof ctype2, "%s-%s%s", fr->lat, cfg->proj, suffix);
  fits_write_key_lng (f, "WCSAXES", cfg->planes > 1 ? 3 : 2,
                      "number of WCS axes", status);
  fits_write_key_str (f, "CTYPE1", ctype1, NULL, status);
  fits_write_key_str (f, "CTYPE2", ctype2, NULL, status);
  fits_write_key_str (f, "CUNIT1", "deg", NULL, status);
  fits_write_key_str (f, "CUNIT2", "deg", NULL, status);
  fits_write_key_dbl (f, "CRPIX1", cfg->crpix1, -15, "reference pixel",
                      status);
  fits_write_key_dbl (f, "CRPIX2", cfg->crpix2, -15, "reference pixel",
                      status);
  fits_write_key_dbl (f, "CRVAL1", cfg->lon, -15, "[deg] reference longitude",
                      status);
  fits_write_key_dbl (f, "CRVAL2", cfg->lat, -15, "[deg] reference latitude",
                      status);
  fits_write_key_dbl (f, "CDELT1", cdelt1, -15, "[deg] pixel scale", status);
  fits_write_key_dbl (f, "CDELT2", cdelt2, -15, "[deg] pixel scale", status);
  /* Rotation by rho as CROTA2 would give (WCS Paper II, eq. 189); the
   * "+ 0.0" turns -0 into 0. */
  fits_write_key_dbl (f, "PC1_1", c + 0.0, -15, NULL, status);
  fits_write_key_dbl (f, "PC1_2", -s * cdelt2 / cdelt1 + 0.0, -15, NULL,
                      status);
  fits_write_key_dbl (f, "PC2_1", s * cdelt1 / cdelt2 + 0.0, -15, NULL,
                      status);
  fits_write_key_dbl (f, "PC2_2", c + 0.0, -15, NULL, status);
  if (fr->radesys != NULL)
    fits_write_key_str (f, "RADESYS", fr->radesys, "reference frame", status);
  if (fr->equinox != 0.0)
    fits_write_key_fixdbl (f, "EQUINOX", fr->equinox, 1,
                           "[yr] equinox of the frame", status);

  /* Projections whose default parameters are not usable. */
  if (strcmp (cfg->proj, "ZPN") == 0)
    fits_write_key_dbl (f, "PV2_1", 1.0, -15, "ZPN P1 (like ARC)", status);
  else if (cfg->proj[0] == 'C' && cfg->proj[1] == 'O')
    fits_write_key_dbl (f, "PV2_1", 45.0, -15, "[deg] conic theta_a", status);
  else if (strcmp (cfg->proj, "BON") == 0)
    fits_write_key_dbl (f, "PV2_1", 45.0, -15, "[deg] Bonne theta_1", status);

  if (cfg->planes > 1)
    {
      fits_write_key_str (f, "CTYPE3", "FREQ", NULL, status);
      fits_write_key_str (f, "CUNIT3", "Hz", NULL, status);
      fits_write_key_dbl (f, "CRPIX3", 1.0, -15, NULL, status);
      fits_write_key_dbl (f, "CRVAL3", 1.4e9, -15, "[Hz]", status);
      fits_write_key_dbl (f, "CDELT3", 1e6, -15, "[Hz]", status);
    }

  if (sip->enabled)
    {
      write_sip_group (f, "A", &sip->a, 2, status);
      write_sip_group (f, "B", &sip->b, 2, status);
      if (sip->inverse)
        {
          write_sip_group (f, "AP", &sip->ap, 0, status);
          write_sip_group (f, "BP", &sip->bp, 0, status);
        }
    }

  fits_write_comment (f, "Synthetic sky made by " PROGRAM "; not real data.",
                      status);
  write_history (f, cfg->history, status);
  return *status;
}

/* Number of dimensions and their sizes for fits_create_img. */
static int
image_axes (const Config *cfg, long naxes[3])
{
  naxes[0] = (long)cfg->width;
  naxes[1] = (long)cfg->height;
  naxes[2] = (long)cfg->planes;
  return cfg->planes > 1 ? 3 : 2;
}

/* Builds the text header: the cards an image would get, without the
 * scaling cards, one 80-character card per line, ending with END.  Returns
 * NULL and sets *status on error.
 *
 * The cards are made by cfitsio in a memory file, for the same formatting
 * as in images; that file has 1-pixel axes (its data unit would otherwise be
 * allocated in memory) and the NAXISn cards are then rewritten. */
static char *
header_text (const Config *cfg, const Sip *sip, int *status)
{
  fitsfile *f = NULL;
  long naxes[3], ones[3] = { 1, 1, 1 };
  int naxis = image_axes (cfg, naxes);
  int nkeys = 0, more = 0;
  GString *text = g_string_new (NULL);

  fits_create_file (&f, "mem://", status);
  fits_create_img (f, cfg->bitpix, naxis, ones, status);
  write_header_cards (f, cfg, sip, status);
  fits_get_hdrspace (f, &nkeys, &more, status);
  for (int i = 1; i <= nkeys && *status == 0; i++)
    {
      char card[FLEN_CARD], value[FLEN_VALUE], comment[FLEN_COMMENT];

      fits_read_record (f, i, card, status);
      if (strncmp (card, "NAXIS", 5) == 0 && card[5] >= '1'
          && card[5] < '1' + naxis && card[6] == ' ')
        {
          char key[FLEN_KEYWORD];

          g_snprintf (key, sizeof key, "NAXIS%c", card[5]);
          fits_parse_value (card, value, comment, status);
          g_snprintf (value, sizeof value, "%ld", naxes[card[5] - '1']);
          fits_make_key (key, value, comment, card, status);
        }
      g_string_append_printf (text, "%-80.80s\n", card);
    }
  g_string_append_printf (text, "%-80s\n", "END");
  if (f != NULL)
    {
      int close_status = 0;

      fits_close_file (f, &close_status);
    }
  if (*status != 0)
    {
      g_string_free (text, TRUE);
      return NULL;
    }
  return g_string_free (text, FALSE);
}

/* ------------------------------------------------------------------------ */
/* Image content                                                            */

/* Adds the smooth extended emission: a few large elliptical Gaussians,
 * modulated by a log-normal texture made of random low-frequency waves. */
static void
add_emission (const Config *cfg, float *sky)
{
  enum
  {
    NBLOBS = 5,
    NWAVES = 16
  };
  const gint64 w = cfg->width, h = cfg->height;
  const double d = sqrt ((double)w * (double)h);
  const double cutoff = 30.0; /* exp(-30) ~ 1e-13: negligible */
  struct
  {
    double x, y, cs, sn, ia, ib, amp;
    gint64 xlo, xhi, ylo, yhi;
  } blob[NBLOBS];
  double kx[NWAVES], ky[NWAVES], phase[NWAVES], amp[NWAVES];
  double *sx = g_new (double, (gsize)(NWAVES * w));
  double *cx = g_new (double, (gsize)(NWAVES * w));
  double *wave = g_new (double, w);
  double *sum = g_new (double, w);
  double norm = 0.0;
  Rng rng;

  rng_init (&rng, cfg->seed, STREAM_EMISSION);
  for (int k = 0; k < NBLOBS; k++)
    {
      double major = rng_range (&rng, 0.08, 0.30) * d;
      double minor = major * rng_range (&rng, 0.3, 1.0);
      double theta = rng_range (&rng, 0.0, G_PI);
      double ra = major * sqrt (2.0 * cutoff),
             rb = minor * sqrt (2.0 * cutoff);
      double hx, hy;

      blob[k].x = rng_range (&rng, -0.1, 1.1) * (double)w;
      blob[k].y = rng_range (&rng, -0.1, 1.1) * (double)h;
      blob[k].amp = rng_range (&rng, 8.0, 30.0);
      blob[k].cs = cos (theta);
      blob[k].sn = sin (theta);
      blob[k].ia = 1.0 / (2.0 * major * major);
      blob[k].ib = 1.0 / (2.0 * minor * minor);
      hx = hypot (ra * blob[k].cs, rb * blob[k].sn);
      hy = hypot (ra * blob[k].sn, rb * blob[k].cs);
      blob[k].xlo = (gint64)CLAMP (floor (blob[k].x - hx), 0.0, (double)w);
      blob[k].xhi = (gint64)CLAMP (ceil (blob[k].x + hx), 0.0, (double)w);
      blob[k].ylo = (gint64)CLAMP (floor (blob[k].y - hy), 0.0, (double)h);
      blob[k].yhi = (gint64)CLAMP (ceil (blob[k].y + hy), 0.0, (double)h);
    }
  for (int m = 0; m < NWAVES; m++)
    {
      /* Wavelengths from d/12 to d, amplitude growing with wavelength. */
      double lambda = d / 12.0 * pow (12.0, rng_uniform (&rng));
      double dir = rng_range (&rng, 0.0, 2.0 * G_PI);

      kx[m] = 2.0 * G_PI / lambda * cos (dir);
      ky[m] = 2.0 * G_PI / lambda * sin (dir);
      phase[m] = rng_range (&rng, 0.0, 2.0 * G_PI);
      amp[m] = lambda / d;
      norm += amp[m] * amp[m] / 2.0;
      for (gint64 x = 0; x < w; x++)
        {
          sx[m * w + x] = sin (kx[m] * (double)x);
          cx[m * w + x] = cos (kx[m] * (double)x);
        }
    }
  norm = 1.0 / sqrt (norm); /* unit variance texture */

  for (gint64 y = 0; y < h; y++)
    {
      float *row = sky + y * w;

      memset (wave, 0, sizeof *wave * (gsize)w);
      memset (sum, 0, sizeof *sum * (gsize)w);
      for (int m = 0; m < NWAVES; m++)
        {
          /* sin(kx x + ky y + phi) = sin(kx x) cos(.) + cos(kx x) sin(.) */
          double p = ky[m] * (double)y + phase[m];
          double a = amp[m] * norm * cos (p), b = amp[m] * norm * sin (p);
          const double *s = sx + m * w, *c = cx + m * w;

          for (gint64 x = 0; x < w; x++)
            wave[x] += a * s[x] + b * c[x];
        }
      for (int k = 0; k < NBLOBS; k++)
        {
          double dy = (double)y - blob[k].y;

          if (y < blob[k].ylo || y >= blob[k].yhi)
            continue;
          for (gint64 x = blob[k].xlo; x < blob[k].xhi; x++)
            {
              double dx = (double)x - blob[k].x;
              double xr = dx * blob[k].cs + dy * blob[k].sn;
              double yr = dy * blob[k].cs - dx * blob[k].sn;
              double q = xr * xr * blob[k].ia + yr * yr * blob[k].ib;

              if (q < cutoff)
                sum[x] += blob[k].amp * exp (-q);
            }
        }
      for (gint64 x = 0; x < w; x++)
        row[x] += (float)(sum[x] * exp (0.6 * wave[x] - 0.18));
    }
  g_free (sx);
  g_free (cx);
  g_free (wave);
  g_free (sum);
}

/* Adds the stars: Moffat profiles of PSF_FWHM, cut at PSF_CUTOFF FWHM (the
 * profile is lowered by its value there so that it ends smoothly). */
static void
add_stars (const Config *cfg, float *sky)
{
  const gint64 w = cfg->width, h = cfg->height;
  const double alpha
      = PSF_FWHM / (2.0 * sqrt (pow (2.0, 1.0 / PSF_BETA) - 1.0));
  const double ia2 = 1.0 / (alpha * alpha);
  const double rcut = PSF_CUTOFF * PSF_FWHM, rcut2 = rcut * rcut;
  const double floor_ = pow (1.0 + rcut2 * ia2, -PSF_BETA);
  const double margin = 3.0 * PSF_FWHM;
  Rng rng;

  rng_init (&rng, cfg->seed, STREAM_STARS);
  for (gint64 i = 0; i < cfg->nstars; i++)
    {
      double x = rng_range (&rng, -margin, (double)w - 1.0 + margin);
      double y = rng_range (&rng, -margin, (double)h - 1.0 + margin);
      double peak = rng_peak (&rng) / (1.0 - floor_);
      gint64 xlo = (gint64)MAX (ceil (x - rcut), 0.0);
      gint64 xhi = (gint64)MIN (floor (x + rcut), (double)w - 1.0);
      gint64 ylo = (gint64)MAX (ceil (y - rcut), 0.0);
      gint64 yhi = (gint64)MIN (floor (y + rcut), (double)h - 1.0);

      for (gint64 py = ylo; py <= yhi; py++)
        {
          double dy2 = ((double)py - y) * ((double)py - y);
          float *row = sky + py * w;

          for (gint64 px = xlo; px <= xhi; px++)
            {
              double r2 = ((double)px - x) * ((double)px - x) + dy2;
              double t;

              if (r2 >= rcut2)
                continue;
              t = 1.0 + r2 * ia2;
              row[px] += (float)(peak * (1.0 / (t * t * t) - floor_));
            }
        }
    }
}

/* Adds small galaxies (one per 8 stars): elliptical exponential discs. */
static void
add_galaxies (const Config *cfg, float *sky)
{
  const gint64 w = cfg->width, h = cfg->height;
  const double extent = 7.0; /* scale lengths */
  const double floor_ = exp (-extent);
  Rng rng;

  rng_init (&rng, cfg->seed, STREAM_GALAXIES);
  for (gint64 i = 0; i < cfg->nstars / 8; i++)
    {
      double hl = rng_range (&rng, 1.2, 5.0); /* scale length, pixels */
      double q = rng_range (&rng, 0.25, 1.0); /* axis ratio */
      double theta = rng_range (&rng, 0.0, G_PI);
      double rmax = extent * hl;
      double x = rng_range (&rng, -rmax, (double)w - 1.0 + rmax);
      double y = rng_range (&rng, -rmax, (double)h - 1.0 + rmax);
      double peak = 0.3 * rng_peak (&rng) / (1.0 - floor_);
      double cs = cos (theta), sn = sin (theta);
      gint64 xlo = (gint64)MAX (ceil (x - rmax), 0.0);
      gint64 xhi = (gint64)MIN (floor (x + rmax), (double)w - 1.0);
      gint64 ylo = (gint64)MAX (ceil (y - rmax), 0.0);
      gint64 yhi = (gint64)MIN (floor (y + rmax), (double)h - 1.0);

      for (gint64 py = ylo; py <= yhi; py++)
        {
          double dy = (double)py - y;
          float *row = sky + py * w;

          for (gint64 px = xlo; px <= xhi; px++)
            {
              double dx = (double)px - x;
              double a = (dx * cs + dy * sn) / hl;
              double b = (dy * cs - dx * sn) / (hl * q);
              double r = sqrt (a * a + b * b);

              if (r < extent)
                row[px] += (float)(peak * (exp (-r) - floor_));
            }
        }
    }
}

/* Blanks (sets to NaN) round(nan_fraction * W * H) pixels: about 60% of them
 * in a few irregular blobs, the rest scattered singly. */
static void
add_blanks (const Config *cfg, float *sky)
{
  const gint64 w = cfg->width, h = cfg->height, npix = w * h;
  gint64 target = (gint64)llround (cfg->nan_fraction * (double)npix);
  gint64 count = 0, remaining, free_pix;
  Rng rng;

  rng_init (&rng, cfg->seed, STREAM_BLANKS);
  if (target >= 40)
    {
      double budget = 0.6 * (double)target;
      gint64 nblobs = CLAMP (3 + npix / 1048576, 3, 64);

      nblobs = MAX (1, MIN (nblobs, (gint64)(budget / 10.0)));
      for (gint64 k = 0; k < nblobs; k++)
        {
          double r0 = sqrt (budget / (double)nblobs / G_PI);
          double q = rng_range (&rng, 0.5, 1.0);
          double ra = r0 / sqrt (q), rb = r0 * sqrt (q);
          double theta = rng_range (&rng, 0.0, G_PI);
          double ph2 = rng_range (&rng, 0.0, 2.0 * G_PI);
          double ph3 = rng_range (&rng, 0.0, 2.0 * G_PI);
          double x = rng_range (&rng, 0.0, (double)w);
          double y = rng_range (&rng, 0.0, (double)h);
          double ext = 1.3 * ra + 1.0;
          double cs = cos (theta), sn = sin (theta);
          gint64 xlo = (gint64)MAX (ceil (x - ext), 0.0);
          gint64 xhi = (gint64)MIN (floor (x + ext), (double)w - 1.0);
          gint64 ylo = (gint64)MAX (ceil (y - ext), 0.0);
          gint64 yhi = (gint64)MIN (floor (y + ext), (double)h - 1.0);

          for (gint64 py = ylo; py <= yhi; py++)
            for (gint64 px = xlo; px <= xhi && count < target; px++)
              {
                double dx = (double)px - x, dy = (double)py - y;
                double a = (dx * cs + dy * sn) / ra;
                double b = (dy * cs - dx * sn) / rb;
                double phi = atan2 (b, a);
                double edge = 1.0 + 0.2 * sin (2.0 * phi + ph2)
                              + 0.1 * sin (3.0 * phi + ph3);
                float *pix = sky + py * w + px;

                if (a * a + b * b < edge * edge && !isnan (*pix))
                  {
                    *pix = NAN;
                    count++;
                  }
              }
        }
    }

  remaining = target - count;
  free_pix = npix - count;
  if (remaining * 4 <= free_pix)
    {
      /* Few pixels left to blank: pick them at random. */
      while (remaining > 0)
        {
          float *pix = sky + rng_below (&rng, npix);

          if (!isnan (*pix))
            {
              *pix = NAN;
              remaining--;
            }
        }
    }
  else
    {
      /* Many: selection sampling, exactly REMAINING of FREE_PIX. */
      for (gint64 i = 0; i < npix && remaining > 0; i++)
        {
          if (isnan (sky[i]))
            continue;
          if (rng_uniform (&rng) * (double)free_pix < (double)remaining)
            {
              sky[i] = NAN;
              remaining--;
            }
          free_pix--;
        }
    }
}

/* Renders everything but the background and the noise into sc->sky.
 * Returns FALSE if out of memory. */
static gboolean
render_scene (const Config *cfg, Scene *sc)
{
  const gint64 w = cfg->width, h = cfg->height;
  Rng rng;

  sc->width = w;
  sc->height = h;
  sc->sky = g_try_new0 (float, (gsize)(w * h));
  if (sc->sky == NULL)
    return FALSE;

  /* The background: SKY_BACKGROUND plus a slight gradient. */
  rng_init (&rng, cfg->seed, STREAM_BACKGROUND);
  sc->bg0 = SKY_BACKGROUND + rng_range (&rng, -5.0, 5.0);
  sc->bgx = rng_range (&rng, -3.0, 3.0) / (double)w;
  sc->bgy = rng_range (&rng, -3.0, 3.0) / (double)h;

  add_emission (cfg, sc->sky);
  add_stars (cfg, sc->sky);
  add_galaxies (cfg, sc->sky);
  add_blanks (cfg, sc->sky);
  return TRUE;
}

/* Brightness factor of plane K: from 1.05 down to 0.95 across the cube. */
static double
plane_factor (const Config *cfg, gint64 k)
{
  if (cfg->planes < 2)
    return 1.0;
  return 1.05 - 0.1 * (double)k / (double)(cfg->planes - 1);
}

/* Computes row Y of plane K into ROW: background + factor * sky + noise.
 * NOISE must have been seeded for plane K and be used for its rows in
 * order. */
static void
make_row (const Config *cfg, const Scene *sc, gint64 k, gint64 y, Rng *noise,
          double *row)
{
  const float *sky = sc->sky + y * sc->width;
  double f = plane_factor (cfg, k);
  double base = sc->bg0 + sc->bgy * ((double)y - (double)sc->height / 2.0);

  for (gint64 x = 0; x < sc->width; x++)
    row[x] = base + sc->bgx * ((double)x - (double)sc->width / 2.0)
             + f * (double)sky[x];
  if (cfg->noise > 0.0)
    for (gint64 x = 0; x < sc->width; x++)
      row[x] += cfg->noise * rng_normal (noise);
}

/* Chooses BSCALE/BZERO for integer output from the data range, which it
 * finds by computing all the planes once. */
static void
integer_scale (const Config *cfg, const Scene *sc, double *row, IntScale *is)
{
  double lo = INFINITY, hi = -INFINITY;

  switch (cfg->bitpix)
    {
    case 8:
      /* Not 0: some readers (astropy) ignore BLANK = 0. */
      is->qmin = 0.0;
      is->qmax = 254.0;
      is->blank = 255;
      break;
    case 16:
      is->qmin = -32767.0;
      is->qmax = 32767.0;
      is->blank = G_MININT16;
      break;
    case 32:
      is->qmin = -2147483647.0;
      is->qmax = 2147483647.0;
      is->blank = G_MININT32;
      break;
    default:
      /* Stay well inside the range that doubles convert exactly. */
      is->qmin = -0x1.0p62;
      is->qmax = 0x1.0p62;
      is->blank = G_MININT64;
      break;
    }

  for (gint64 k = 0; k < cfg->planes; k++)
    {
      Rng noise;

      rng_init (&noise, cfg->seed, STREAM_NOISE + (guint64)k);
      for (gint64 y = 0; y < sc->height; y++)
        {
          make_row (cfg, sc, k, y, &noise, row);
          for (gint64 x = 0; x < sc->width; x++)
            if (!isnan (row[x]))
              {
                lo = MIN (lo, row[x]);
                hi = MAX (hi, row[x]);
              }
        }
    }
  if (!(lo < hi))
    {
      /* Constant or fully blanked image. */
      is->bscale = 1.0;
      is->bzero = isfinite (lo) ? round (lo - is->qmin) : 0.0;
      return;
    }
  is->bscale = (hi - lo) / (is->qmax - is->qmin);
  is->bzero = lo - is->qmin * is->bscale;
}

/* Writes row Y of plane K as BITPIX says (integer values with SCALE). */
static int
write_row (fitsfile *f, const Config *cfg, const IntScale *is, gint64 k,
           gint64 y, const double *row, void *buf, int *status)
{
  const gint64 w = cfg->width;
  long fpixel[3] = { 1, (long)y + 1, (long)k + 1 };
  int type;

  /* Floating point: NaN pixels go through cfitsio's null handling (with a
   * sentinel value, as NaN compares unequal to itself), which writes NaN in
   * plain images and flags them properly in tile-compressed ones. */
  if (cfg->bitpix == -64)
    {
      double *out = buf, null = -DBL_MAX;

      for (gint64 x = 0; x < w; x++)
        out[x] = isnan (row[x]) ? null : row[x];
      return fits_write_pixnull (f, TDOUBLE, fpixel, w, out, &null, status);
    }
  if (cfg->bitpix == -32)
    {
      float *out = buf, null = -FLT_MAX;

      for (gint64 x = 0; x < w; x++)
        out[x] = isnan (row[x]) ? null : (float)row[x];
      return fits_write_pixnull (f, TFLOAT, fpixel, w, out, &null, status);
    }
  for (gint64 x = 0; x < w; x++)
    {
      gint64 v;

      if (isnan (row[x]))
        v = is->blank;
      else
        v = (gint64)llround (
            CLAMP ((row[x] - is->bzero) / is->bscale, is->qmin, is->qmax));
      switch (cfg->bitpix)
        {
        case 8:
          ((unsigned char *)buf)[x] = (unsigned char)v;
          break;
        case 16:
          ((short *)buf)[x] = (short)v;
          break;
        case 32:
          ((int *)buf)[x] = (int)v;
          break;
        default:
          ((LONGLONG *)buf)[x] = (LONGLONG)v;
          break;
        }
    }
  switch (cfg->bitpix)
    {
    case 8:
      type = TBYTE;
      break;
    case 16:
      type = TSHORT;
      break;
    case 32:
      type = TINT;
      break;
    default:
      type = TLONGLONG;
      break;
    }
  return fits_write_pix (f, type, fpixel, w, buf, status);
}

/* Writes the FITS file NAME (a cfitsio file name).  Returns a cfitsio
 * status. */
static int
write_fits (const Config *cfg, const Sip *sip, const Scene *sc,
            const char *name)
{
  fitsfile *f = NULL;
  long naxes[3];
  int naxis = image_axes (cfg, naxes);
  int status = 0, close_status = 0;
  double *row = g_new (double, cfg->width);
  void *buf = g_malloc (sizeof (gint64) * (gsize)cfg->width);
  IntScale is = { 1.0, 0.0, 0.0, 0.0, 0 };

  if (cfg->bitpix > 0)
    integer_scale (cfg, sc, row, &is);

  if (fits_create_file (&f, name, &status) != 0)
    goto done;
  /* Tile-compressed floats are dithered with a clock-based seed unless
   * told otherwise; keep the output reproducible. */
  fits_set_dither_seed (f, (int)(1 + cfg->seed % 10000), &status);
  if (cfg->extname != NULL)
    fits_create_img (f, 8, 0, NULL, &status);
  fits_create_img (f, cfg->bitpix, naxis, naxes, &status);
  if (cfg->bitpix > 0)
    {
      fits_write_key_dbl (f, "BSCALE", is.bscale, -15,
                          "data = BZERO + BSCALE * stored", &status);
      fits_write_key_dbl (f, "BZERO", is.bzero, -15, NULL, &status);
      fits_write_key_lng (f, "BLANK", is.blank, "stored value of NaN pixels",
                          &status);
    }
  write_header_cards (f, cfg, sip, &status);
  if (cfg->bitpix > 0)
    {
      /* Quantise with the values exactly as written, and write the stored
       * integers ourselves (no scaling by cfitsio). */
      fits_read_key_dbl (f, "BSCALE", &is.bscale, NULL, &status);
      fits_read_key_dbl (f, "BZERO", &is.bzero, NULL, &status);
      fits_set_hdustruc (f, &status);
      fits_set_bscale (f, 1.0, 0.0, &status);
    }
  for (gint64 k = 0; k < cfg->planes && status == 0; k++)
    {
      Rng noise;

      rng_init (&noise, cfg->seed, STREAM_NOISE + (guint64)k);
      for (gint64 y = 0; y < cfg->height && status == 0; y++)
        {
          make_row (cfg, sc, k, y, &noise, row);
          write_row (f, cfg, &is, k, y, row, buf, &status);
        }
    }

done:
  if (f != NULL)
    fits_close_file (f, &close_status);
  g_free (row);
  g_free (buf);
  return status != 0 ? status : close_status;
}

/* ------------------------------------------------------------------------ */
/* Output files                                                             */

/* Splits a cfitsio output name into the file path and the trailing
 * extended syntax ("[compress ...]"), if any. */
static void
split_output (const char *output, char **path, char **spec)
{
  const char *bracket = strchr (output, '[');
  gsize len = strlen (output);

  if (bracket != NULL && bracket != output && output[len - 1] == ']')
    {
      *path = g_strndup (output, (gsize)(bracket - output));
      *spec = g_strdup (bracket);
    }
  else
    {
      *path = g_strdup (output);
      *spec = g_strdup ("");
    }
}

/* Creates an empty temporary file next to PATH, with the same base name
 * behind a unique prefix (so that suffixes such as .gz still work).
 * Returns its name, or NULL with errno set. */
static char *
create_temporary (const char *path)
{
  char *dir = g_path_get_dirname (path);
  char *base = g_path_get_basename (path);
  char *tmp = NULL;

  for (int attempt = 0; attempt < 100; attempt++)
    {
      char *name
          = g_strdup_printf (".%s-%08x-%s", PROGRAM, g_random_int (), base);
      int fd;

      tmp = g_build_filename (dir, name, NULL);
      g_free (name);
      fd = g_open (tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
      if (fd >= 0)
        {
          g_close (fd, NULL);
          break;
        }
      g_free (tmp);
      tmp = NULL;
      if (errno != EEXIST)
        break;
    }
  g_free (dir);
  g_free (base);
  return tmp;
}

/* Moves TMP to PATH, refusing to replace PATH unless OVERWRITE.  Removes TMP
 * on failure.  Returns 0 or an errno value. */
static int
commit_temporary (const char *tmp, const char *path, gboolean overwrite)
{
  int err = 0;

  if (!overwrite && g_file_test (path, G_FILE_TEST_EXISTS))
    err = EEXIST;
  else if (g_rename (tmp, path) != 0)
    err = errno;
  if (err != 0)
    g_unlink (tmp);
  return err;
}

/* Writes the text header to cfg->output.  Returns the exit status. */
static int
run_header_only (const Config *cfg, const Sip *sip)
{
  char buf[FLEN_ERRMSG + 40];
  int status = 0;
  char *text = header_text (cfg, sip, &status);
  GError *error = NULL;
  char *tmp;
  int err;

  if (text == NULL)
    {
      message ("%s: %s", cfg->output, fits_error_text (status, buf));
      return 1;
    }
  if (strcmp (cfg->output, "-") == 0)
    {
      fputs (text, stdout);
      g_free (text);
      return fflush (stdout) == 0 ? 0 : 1;
    }
  tmp = create_temporary (cfg->output);
  if (tmp == NULL)
    {
      message ("%s: cannot create a file there: %s", cfg->output,
               g_strerror (errno));
      g_free (text);
      return 1;
    }
  if (!g_file_set_contents (tmp, text, -1, &error))
    {
      message ("%s: %s", cfg->output, error->message);
      g_error_free (error);
      g_unlink (tmp);
      g_free (tmp);
      g_free (text);
      return 1;
    }
  g_free (text);
  err = commit_temporary (tmp, cfg->output, cfg->overwrite);
  g_free (tmp);
  if (err != 0)
    {
      message ("%s: %s", cfg->output,
               err == EEXIST ? "file exists (use --overwrite to replace it)"
                             : g_strerror (err));
      return 1;
    }
  return 0;
}

/* Renders the sky and writes the FITS file.  Returns the exit status. */
static int
run_image (const Config *cfg, const Sip *sip)
{
  Scene sc = { 0 };
  char *path, *spec, *tmp = NULL, *name;
  char buf[FLEN_ERRMSG + 40];
  int status, err, ret = 1;

  split_output (cfg->output, &path, &spec);
  if (!cfg->overwrite && strcmp (path, "-") != 0
      && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      message ("%s: file exists (use --overwrite to replace it)", path);
      goto done;
    }
  if (!render_scene (cfg, &sc))
    {
      message ("%s: not enough memory for a %" G_GINT64_FORMAT
               "x%" G_GINT64_FORMAT " image",
               path, cfg->width, cfg->height);
      goto done;
    }

  if (strcmp (path, "-") == 0)
    {
      /* Standard output: no temporary file. */
      status = write_fits (cfg, sip, &sc, cfg->output);
      if (status != 0)
        message ("<stdout>: %s", fits_error_text (status, buf));
      ret = status != 0;
      goto done;
    }

  tmp = create_temporary (path);
  if (tmp == NULL)
    {
      message ("%s: cannot create a file there: %s", path, g_strerror (errno));
      goto done;
    }
  /* The leading '!' lets cfitsio replace the empty temporary file. */
  name = g_strconcat ("!", tmp, spec, NULL);
  status = write_fits (cfg, sip, &sc, name);
  g_free (name);
  if (status != 0)
    {
      message ("%s: %s", path, fits_error_text (status, buf));
      g_unlink (tmp);
      goto done;
    }
  err = commit_temporary (tmp, path, cfg->overwrite);
  if (err != 0)
    {
      message ("%s: %s", path,
               err == EEXIST ? "file exists (use --overwrite to replace it)"
                             : g_strerror (err));
      goto done;
    }
  ret = 0;

done:
  g_free (sc.sky);
  g_free (path);
  g_free (spec);
  g_free (tmp);
  return ret;
}

int
main (int argc, char **argv)
{
  Config cfg = { 0 };
  Sip sip;
  int status;

  /* The user's locale for messages, but C number formatting throughout. */
  setlocale (LC_ALL, "");
  setlocale (LC_NUMERIC, "C");
  status = parse_options (argc, argv, &cfg);

  if (status == 0)
    {
      sip_setup (&cfg, &sip);
      if (sip.enabled && !sip.inverse)
        message ("warning: SIP inverse fit is off by up to %.3g px; "
                 "AP/BP left out",
                 sip.inverse_error);
      status = cfg.header_only ? run_header_only (&cfg, &sip)
                               : run_image (&cfg, &sip);
    }
  g_free (cfg.output);
  g_free (cfg.extname);
  g_free (cfg.history);
  return status;
}
