/* frames.c — conversions between celestial reference frames (ICRS, FK5,
 * FK4, Galactic, ecliptic) at full precision.
 *
 * Every frame is related to ICRS by a rotation, except FK4, which adds the
 * E-terms of aberration to FK4-without-E-terms.  Positions are converted
 * as unit vectors.  The constants are those of the IAU definitions as
 * astropy uses them, so that results agree with astropy to well below a
 * milliarcsecond:
 * - ICRS → FK5 J2000: frame bias of USNO Circular 179 (η0 = −19.9 mas,
 *   ξ0 = 9.1 mas, dα0 = −22.9 mas);
 * - FK5 J2000 → Galactic: north galactic pole (192.8594812065348°,
 *   27.12825118085622°) and longitude of the north celestial pole
 *   122.9319185680026°, consistent with the B1950 IAU definition;
 * - FK4-no-E B1950 → FK5 J2000: the matrix of Standish (1982) for epoch
 *   B1950, and the E-term vector at B1950;
 * - ICRS → mean ecliptic of J2000: IAU 2006 frame bias (Fukushima–Williams
 *   angles at J2000) and obliquity 84381.406″.
 */
#include "config.h"

#include "base/tess-private.h"

#include <math.h>
#include <string.h>

typedef double Mat3[3][3];

#define ARCSEC (G_PI / (180.0 * 3600.0))
#define DEG (G_PI / 180.0)

/* Passive rotations (of the frame), as in the usual astronomical
 * convention: r' = R r. */
static void
mat_rot (Mat3 m, int axis, double angle)
{
  double c = cos (angle), s = sin (angle);
  int i = (axis + 1) % 3, j = (axis + 2) % 3;

  memset (m, 0, sizeof (Mat3));
  m[axis][axis] = 1.0;
  m[i][i] = c;
  m[j][j] = c;
  m[i][j] = s;
  m[j][i] = -s;
}

/* r = a · b */
static void
mat_mul (Mat3 r, Mat3 a, Mat3 b)
{
  Mat3 t;

  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      t[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
  memcpy (r, t, sizeof (Mat3));
}

static void
mat_transpose (Mat3 r, Mat3 a)
{
  Mat3 t;

  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      t[i][j] = a[j][i];
  memcpy (r, t, sizeof (Mat3));
}

static void
mat_identity (Mat3 m)
{
  memset (m, 0, sizeof (Mat3));
  m[0][0] = m[1][1] = m[2][2] = 1.0;
}

/* ICRS → FK5 (J2000). */
static void
icrs_to_fk5 (Mat3 m)
{
  Mat3 a, b;

  mat_rot (m, 0, 19.9e-3 * ARCSEC);  /* -eta0 */
  mat_rot (a, 1, 9.1e-3 * ARCSEC);   /* xi0 */
  mat_rot (b, 2, -22.9e-3 * ARCSEC); /* da0 */
  mat_mul (m, m, a);
  mat_mul (m, m, b);
}

/* FK5 (J2000) → Galactic. */
static void
fk5_to_galactic (Mat3 m)
{
  Mat3 a, b;

  mat_rot (m, 2, (180.0 - 122.9319185680026) * DEG);
  mat_rot (a, 1, (90.0 - 27.12825118085622) * DEG);
  mat_rot (b, 2, 192.8594812065348 * DEG);
  mat_mul (m, m, a);
  mat_mul (m, m, b);
}

/* FK4 without E-terms (B1950, epoch B1950) → FK5 (J2000). */
static const Mat3 fk4noe_to_fk5_m = {
  { 0.9999256794956877, -0.0111814832204662, -0.0048590038153592 },
  { 0.0111814832391717, +0.9999374848933135, -0.0000271625947142 },
  { 0.0048590037723143, -0.0000271702937440, +0.9999881946023742 },
};

/* E-terms of aberration at B1950 (unit vector components). */
static const double eterms_b1950[3]
    = { -1.625574151689435e-06, -3.191905371563791e-07,
        -1.3842906719296592e-07 };

/* ICRS → mean ecliptic and equinox of J2000. */
static void
icrs_to_ecliptic (Mat3 m)
{
  Mat3 a, b;

  /* Bias: R1(-eps0)·R3(-psib)·R1(phib)·R3(gamb); then R1(eps0): the two
   * obliquity rotations cancel. */
  mat_rot (m, 2, 0.041775 * ARCSEC);     /* R3(-psib) */
  mat_rot (a, 0, 84381.412819 * ARCSEC); /* R1(phib) */
  mat_rot (b, 2, -0.052928 * ARCSEC);    /* R3(gamb) */
  mat_mul (m, m, a);
  mat_mul (m, m, b);
}

/* The rotation taking ICRS vectors to @frame's (FK4 to FK4-no-E). */
static void
icrs_to_frame (TessFrame frame, Mat3 m)
{
  Mat3 a;

  switch (frame)
    {
    case TESS_FRAME_ICRS:
      mat_identity (m);
      break;
    case TESS_FRAME_FK5:
      icrs_to_fk5 (m);
      break;
    case TESS_FRAME_FK4:
    case TESS_FRAME_FK4_NO_E:
      icrs_to_fk5 (a);
      mat_transpose (m, (double (*)[3])fk4noe_to_fk5_m);
      mat_mul (m, m, a);
      break;
    case TESS_FRAME_GALACTIC:
      icrs_to_fk5 (a);
      fk5_to_galactic (m);
      mat_mul (m, m, a);
      break;
    case TESS_FRAME_ECLIPTIC:
      icrs_to_ecliptic (m);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* The rotation taking ICRS to @frame, applied in the FK4 → FK5 direction
 * with the (not quite orthogonal) matrix itself, as astropy does. */
static void
frame_to_icrs (TessFrame frame, Mat3 m)
{
  Mat3 a;

  switch (frame)
    {
    case TESS_FRAME_FK4:
    case TESS_FRAME_FK4_NO_E:
      icrs_to_fk5 (a);
      mat_transpose (a, a);
      mat_mul (m, a, (double (*)[3])fk4noe_to_fk5_m);
      break;
    default:
      icrs_to_frame (frame, a);
      mat_transpose (m, a);
      break;
    }
}

static void
normalize (double v[3])
{
  double n = sqrt (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);

  v[0] /= n;
  v[1] /= n;
  v[2] /= n;
}

/* FK4 → FK4-no-E: remove the E-terms. */
static void
eterms_remove (double v[3])
{
  const double *a = eterms_b1950;
  double d = a[0] * v[0] + a[1] * v[1] + a[2] * v[2];

  for (int i = 0; i < 3; i++)
    v[i] = v[i] - a[i] + d * v[i];
  normalize (v);
}

/* FK4-no-E → FK4: add the E-terms (the inverse, by iteration). */
static void
eterms_add (double v[3])
{
  const double *a = eterms_b1950;
  double v0[3] = { v[0], v[1], v[2] };

  for (int k = 0; k < 10; k++)
    {
      double d = a[0] * v[0] + a[1] * v[1] + a[2] * v[2];
      for (int i = 0; i < 3; i++)
        v[i] = (a[i] + v0[i]) / (1.0 + d);
    }
  normalize (v);
}

static void
lonlat_to_vec (double lon, double lat, double v[3])
{
  double cl = cos (lat * DEG);

  v[0] = cl * cos (lon * DEG);
  v[1] = cl * sin (lon * DEG);
  v[2] = sin (lat * DEG);
}

static void
vec_to_lonlat (const double v[3], double *lon, double *lat)
{
  double l = atan2 (v[1], v[0]) / DEG;
  double r = hypot (v[0], v[1]);

  if (l < 0.0)
    l += 360.0;
  *lon = l;
  *lat = atan2 (v[2], r) / DEG;
}

void
tess__frame_matrix (TessFrame from, TessFrame to, double m[3][3])
{
  Mat3 a, b;

  frame_to_icrs (from, a);
  icrs_to_frame (to, b);
  mat_mul (m, b, a);
}

void
tess_frame_convert (TessFrame from, TessFrame to, gsize n, double *lon,
                    double *lat)
{
  Mat3 m;
  gboolean eterms_in = from == TESS_FRAME_FK4;
  gboolean eterms_out = to == TESS_FRAME_FK4;

  if (from == to)
    return;
  tess__frame_matrix (from, to, m);

  for (gsize k = 0; k < n; k++)
    {
      double v[3], w[3];

      if (!isfinite (lon[k]) || !isfinite (lat[k]))
        {
          lon[k] = lat[k] = NAN;
          continue;
        }
      lonlat_to_vec (lon[k], lat[k], v);
      if (eterms_in)
        eterms_remove (v);
      for (int i = 0; i < 3; i++)
        w[i] = m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2];
      if (eterms_out)
        eterms_add (w);
      vec_to_lonlat (w, &lon[k], &lat[k]);
    }
}

static const char *const frame_names[] = {
  [TESS_FRAME_ICRS] = "icrs",         [TESS_FRAME_FK5] = "fk5",
  [TESS_FRAME_FK4] = "fk4",           [TESS_FRAME_FK4_NO_E] = "fk4-no-e",
  [TESS_FRAME_GALACTIC] = "galactic", [TESS_FRAME_ECLIPTIC] = "ecliptic",
};

TESS__NAMED_ENUM (TessFrame, tess_frame, frame_names, "celestial frame")
