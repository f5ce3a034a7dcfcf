/* healpix-geometry.c — the HEALPix pixelisation's geometry that chealpix
 * does not give: rings, the bilinear weights (as astropy-healpix and
 * HEALPix define them), points of base pixels in their face coordinates
 * (Górski et al. 2005).  No dependency beyond GLib and libm: built into
 * the library and into its unit test.
 */
#include "config.h"

#include "healpix/tess-healpix.h"

#include <math.h>

/* Ring @r (1 … 4N−1, from the north pole): its first pixel (RING order),
 * number of pixels, the colatitude of its centres, and whether its pixel
 * centres are shifted by half a pixel from longitude 0. */
void
tess__healpix_ring_info (gint64 N, gint64 r, gint64 *start, gint64 *n,
                         double *theta, gboolean *shifted)
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

  tess__healpix_ring_info (N, r, &start, &n, theta, &shifted);
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
