/* test-frames.c — conversions between celestial frames: round trips,
 * the defining constants of the frames, preserved angles, non-finite
 * input, and frame names.  (The comparison with astropy is frames.test.)
 */
#include "config.h"

#include "testutil.h"

#include <math.h>
#include <string.h>

#define DEG (G_PI / 180.0)
#define ARCSEC (1.0 / 3600.0) /* in degrees */

static const TessFrame all_frames[] = {
  TESS_FRAME_ICRS,     TESS_FRAME_FK5,      TESS_FRAME_FK4,
  TESS_FRAME_FK4_NO_E, TESS_FRAME_GALACTIC, TESS_FRAME_ECLIPTIC,
};

/* Frames related to each other by pure rotations. */
static const TessFrame rotation_frames[] = {
  TESS_FRAME_ICRS,
  TESS_FRAME_FK5,
  TESS_FRAME_GALACTIC,
  TESS_FRAME_ECLIPTIC,
};

static void
to_vec (double lon, double lat, double v[3])
{
  v[0] = cos (lat * DEG) * cos (lon * DEG);
  v[1] = cos (lat * DEG) * sin (lon * DEG);
  v[2] = sin (lat * DEG);
}

/* Angle between two directions, in radians; accurate at all angles. */
static double
angle_between (double lon1, double lat1, double lon2, double lat2)
{
  double a[3], b[3], c[3];

  to_vec (lon1, lat1, a);
  to_vec (lon2, lat2, b);
  c[0] = a[1] * b[2] - a[2] * b[1];
  c[1] = a[2] * b[0] - a[0] * b[2];
  c[2] = a[0] * b[1] - a[1] * b[0];
  return atan2 (sqrt (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]),
                a[0] * b[0] + a[1] * b[1] + a[2] * b[2]);
}

/* Separation in degrees. */
static double
sep_deg (double lon1, double lat1, double lon2, double lat2)
{
  return angle_between (lon1, lat1, lon2, lat2) / DEG;
}

/* About 1000 test positions: a grid over the sphere, points close to the
 * poles, and longitudes close to 0 and 360 degrees. */
static gsize
make_grid (double **lon_out, double **lat_out)
{
  GArray *lon = g_array_new (FALSE, FALSE, sizeof (double));
  GArray *lat = g_array_new (FALSE, FALSE, sizeof (double));
  static const double special_lat[]
      = { 90.0,    -90.0, 89.9999999, -89.9999999, 89.999,
          -89.999, 0.0,   1e-12,      -1e-12 };
  static const double special_lon[]
      = { 0.0,           1e-13, 1e-9, 359.9999999999, 359.999999,
          360.0 - 1e-13, 180.0, 90.0, 270.0 };
  double v;
  gsize n;

  for (int i = 0; i < 36; i++)
    for (int j = 0; j < 23; j++)
      {
        v = i * 10.0 + 3.7;
        g_array_append_val (lon, v);
        v = -88.0 + j * 8.0 + 0.3;
        g_array_append_val (lat, v);
      }
  for (unsigned i = 0; i < G_N_ELEMENTS (special_lon); i++)
    for (unsigned j = 0; j < G_N_ELEMENTS (special_lat); j++)
      {
        g_array_append_val (lon, special_lon[i]);
        g_array_append_val (lat, special_lat[j]);
      }
  /* Pseudo-random positions uniform on the sphere. */
  {
    GRand *r = g_rand_new_with_seed (1234);
    for (int k = 0; k < 90; k++)
      {
        v = g_rand_double_range (r, 0.0, 360.0);
        g_array_append_val (lon, v);
        v = asin (g_rand_double_range (r, -1.0, 1.0)) / DEG;
        g_array_append_val (lat, v);
      }
    g_rand_free (r);
  }
  n = lon->len;
  g_assert (lat->len == n);
  *lon_out = (double *)(void *)g_array_free (lon, FALSE);
  *lat_out = (double *)(void *)g_array_free (lat, FALSE);
  return n;
}

/* Converts one position. */
static void
convert1 (TessFrame from, TessFrame to, double lon, double lat,
          double *lon_out, double *lat_out)
{
  double a = lon, b = lat;

  tess_frame_convert (from, to, 1, &a, &b);
  *lon_out = a;
  *lat_out = b;
}

/* ---------------------------------------------------------------------- */

START_TEST (test_round_trip_all_pairs)
{
  double *lon0, *lat0;
  gsize n = make_grid (&lon0, &lat0);
  double *lon = g_new (double, n), *lat = g_new (double, n);

  ck_assert_uint_ge (n, 900);
  for (unsigned a = 0; a < G_N_ELEMENTS (all_frames); a++)
    for (unsigned b = 0; b < G_N_ELEMENTS (all_frames); b++)
      {
        TessFrame from = all_frames[a], to = all_frames[b];
        double worst = 0.0;
        gsize worst_k = 0;

        memcpy (lon, lon0, n * sizeof (double));
        memcpy (lat, lat0, n * sizeof (double));
        tess_frame_convert (from, to, n, lon, lat);
        for (gsize k = 0; k < n; k++)
          {
            ck_assert_msg (isfinite (lon[k]) && isfinite (lat[k]),
                           "%s -> %s: (%.17g, %.17g) gave a non-finite "
                           "position",
                           tess_frame_name (from), tess_frame_name (to),
                           lon0[k], lat0[k]);
            ck_assert_msg (lon[k] >= 0.0 && lon[k] < 360.0,
                           "%s -> %s: longitude %.17g out of [0, 360)",
                           tess_frame_name (from), tess_frame_name (to),
                           lon[k]);
            ck_assert_msg (lat[k] >= -90.0 && lat[k] <= 90.0,
                           "%s -> %s: latitude %.17g out of [-90, 90]",
                           tess_frame_name (from), tess_frame_name (to),
                           lat[k]);
          }
        tess_frame_convert (to, from, n, lon, lat);
        for (gsize k = 0; k < n; k++)
          {
            double s = sep_deg (lon0[k], lat0[k], lon[k], lat[k]);
            if (!(s <= worst))
              {
                worst = s;
                worst_k = k;
              }
          }
        ck_assert_msg (worst < 1e-9,
                       "%s -> %s -> %s: (%.17g, %.17g) came back %.3g deg "
                       "away",
                       tess_frame_name (from), tess_frame_name (to),
                       tess_frame_name (from), lon0[worst_k], lat0[worst_k],
                       worst);
      }
  g_free (lon);
  g_free (lat);
  g_free (lon0);
  g_free (lat0);
}
END_TEST

/* Converting to the same frame leaves positions alone. */
START_TEST (test_identity)
{
  for (unsigned a = 0; a < G_N_ELEMENTS (all_frames); a++)
    {
      double lon = 123.456, lat = -54.321;
      tess_frame_convert (all_frames[a], all_frames[a], 1, &lon, &lat);
      ck_assert (sep_deg (lon, lat, 123.456, -54.321) < 1e-12);
    }
}
END_TEST

/* The Galactic frame is defined by its north pole and the galactic
 * longitude of the north celestial pole, here in FK5 J2000. */
START_TEST (test_galactic_pole)
{
  double l, b;

  convert1 (TESS_FRAME_FK5, TESS_FRAME_GALACTIC, 192.8594812065348,
            27.12825118085622, &l, &b);
  ck_assert_msg (fabs (b - 90.0) < 1e-9, "NGP has b = %.17g", b);

  /* The south galactic pole. */
  convert1 (TESS_FRAME_FK5, TESS_FRAME_GALACTIC, 192.8594812065348 - 180.0,
            -27.12825118085622, &l, &b);
  ck_assert_msg (fabs (b + 90.0) < 1e-9, "SGP has b = %.17g", b);

  /* The north celestial pole is at galactic longitude 122.93191856800 and
   * latitude equal to the declination of the NGP. */
  convert1 (TESS_FRAME_FK5, TESS_FRAME_GALACTIC, 0.0, 90.0, &l, &b);
  ck_assert_msg (fabs (l - 122.9319185680026) < 1e-9, "NCP has l = %.17g", l);
  ck_assert_msg (fabs (b - 27.12825118085622) < 1e-9, "NCP has b = %.17g", b);

  /* And back: b = 90 is the NGP, whatever the longitude. */
  for (int k = 0; k < 4; k++)
    {
      double ra, dec;
      convert1 (TESS_FRAME_GALACTIC, TESS_FRAME_FK5, 90.0 * k, 90.0, &ra,
                &dec);
      ck_assert_msg (sep_deg (ra, dec, 192.8594812065348, 27.12825118085622)
                         < 1e-9,
                     "galactic pole went to (%.17g, %.17g)", ra, dec);
    }
}
END_TEST

/* The IAU 1958 definition, in FK4 (without E-terms) B1950: NGP at
 * (192.25, 27.4), NCP at l = 123.  The J2000 constants derive from it. */
START_TEST (test_galactic_b1950_definition)
{
  double l, b;

  convert1 (TESS_FRAME_FK4_NO_E, TESS_FRAME_GALACTIC, 192.25, 27.4, &l, &b);
  ck_assert_msg (fabs (b - 90.0) < 1e-7, "B1950 NGP has b = %.17g", b);
  convert1 (TESS_FRAME_FK4_NO_E, TESS_FRAME_GALACTIC, 0.0, 90.0, &l, &b);
  ck_assert_msg (fabs (l - 123.0) < 1e-7, "B1950 NCP has l = %.17g", l);
  ck_assert_msg (fabs (b - 27.4) < 1e-7, "B1950 NCP has b = %.17g", b);
}
END_TEST

/* Galactic (0, 0) — the direction of the Galactic centre — lies at about
 * RA 17h45m37.2s, Dec -28°56'10" (J2000), and comes back. */
START_TEST (test_galactic_centre)
{
  double ra, dec, l, b;

  convert1 (TESS_FRAME_GALACTIC, TESS_FRAME_FK5, 0.0, 0.0, &ra, &dec);
  ck_assert_msg (fabs (ra - (17.0 + 45.0 / 60.0 + 37.2 / 3600.0) * 15.0)
                     < 1e-3,
                 "galactic centre RA %.10g", ra);
  ck_assert_msg (fabs (dec - -(28.0 + 56.0 / 60.0 + 10.0 / 3600.0)) < 1e-3,
                 "galactic centre Dec %.10g", dec);
  convert1 (TESS_FRAME_FK5, TESS_FRAME_GALACTIC, ra, dec, &l, &b);
  ck_assert_msg (sep_deg (l, b, 0.0, 0.0) < 1e-9,
                 "galactic centre came back as (%.17g, %.17g)", l, b);
  ck_assert_msg (l < 1e-9 || l > 360.0 - 1e-9, "l = %.17g", l);
}
END_TEST

/* Rotations preserve angles between points. */
START_TEST (test_angles_preserved)
{
  double *lon0, *lat0;
  gsize n = make_grid (&lon0, &lat0);
  double *lon = g_new (double, n), *lat = g_new (double, n);
  GRand *r = g_rand_new_with_seed (99);

  for (unsigned a = 0; a < G_N_ELEMENTS (rotation_frames); a++)
    for (unsigned b = 0; b < G_N_ELEMENTS (rotation_frames); b++)
      {
        TessFrame from = rotation_frames[a], to = rotation_frames[b];

        memcpy (lon, lon0, n * sizeof (double));
        memcpy (lat, lat0, n * sizeof (double));
        tess_frame_convert (from, to, n, lon, lat);
        for (int k = 0; k < 2000; k++)
          {
            gsize i = (gsize)g_rand_int_range (r, 0, (gint32)n);
            gsize j = (gsize)g_rand_int_range (r, 0, (gint32)n);
            double before = angle_between (lon0[i], lat0[i], lon0[j], lat0[j]);
            double after = angle_between (lon[i], lat[i], lon[j], lat[j]);
            ck_assert_msg (fabs (before - after) < 1e-12,
                           "%s -> %s: angle between (%g, %g) and (%g, %g) "
                           "changed by %.3g rad",
                           tess_frame_name (from), tess_frame_name (to),
                           lon0[i], lat0[i], lon0[j], lat0[j],
                           fabs (before - after));
          }
      }
  g_rand_free (r);
  g_free (lon);
  g_free (lat);
  g_free (lon0);
  g_free (lat0);
}
END_TEST

/* ICRS and FK5 J2000 differ by the frame bias, a few tens of mas. */
START_TEST (test_icrs_fk5_small)
{
  double *lon0, *lat0;
  gsize n = make_grid (&lon0, &lat0);
  double *lon = g_memdup2 (lon0, n * sizeof (double));
  double *lat = g_memdup2 (lat0, n * sizeof (double));
  double worst = 0.0;

  tess_frame_convert (TESS_FRAME_ICRS, TESS_FRAME_FK5, n, lon, lat);
  for (gsize k = 0; k < n; k++)
    worst = MAX (worst, sep_deg (lon0[k], lat0[k], lon[k], lat[k]));
  ck_assert_msg (worst < 0.035 * ARCSEC && worst > 0.005 * ARCSEC,
                 "ICRS-FK5 offset up to %g arcsec", worst / ARCSEC);
  g_free (lon);
  g_free (lat);
  g_free (lon0);
  g_free (lat0);
}
END_TEST

/* The E-terms of aberration move positions by at most about 0.343". */
START_TEST (test_eterms_size)
{
  double *lon0, *lat0;
  gsize n = make_grid (&lon0, &lat0);
  double *lon = g_memdup2 (lon0, n * sizeof (double));
  double *lat = g_memdup2 (lat0, n * sizeof (double));
  double worst = 0.0;

  tess_frame_convert (TESS_FRAME_FK4, TESS_FRAME_FK4_NO_E, n, lon, lat);
  for (gsize k = 0; k < n; k++)
    worst = MAX (worst, sep_deg (lon0[k], lat0[k], lon[k], lat[k]));
  ck_assert_msg (worst < 0.35 * ARCSEC && worst > 0.30 * ARCSEC,
                 "E-terms up to %g arcsec", worst / ARCSEC);
  g_free (lon);
  g_free (lat);
  g_free (lon0);
  g_free (lat0);
}
END_TEST

/* B1950 → J2000: the pole precesses by about 20.04"/yr × 50 yr. */
START_TEST (test_fk4_precession)
{
  double ra, dec;

  convert1 (TESS_FRAME_FK4_NO_E, TESS_FRAME_FK5, 0.0, 90.0, &ra, &dec);
  ck_assert_msg (fabs ((90.0 - dec) - 50.0 * 20.04 * ARCSEC) < 2.0 * ARCSEC,
                 "B1950 pole at J2000 dec %.10g", dec);
}
END_TEST

/* The ecliptic pole is at 23.4392794° (84381.406") from the equator pole
 * and at ecliptic longitude 90°; the equinox is ecliptic (0, 0).  The
 * ICRS is off the J2000 equator by the frame bias (~0.02"). */
START_TEST (test_ecliptic)
{
  double l, b;
  double eps0 = 84381.406 * ARCSEC;

  convert1 (TESS_FRAME_ICRS, TESS_FRAME_ECLIPTIC, 0.0, 90.0, &l, &b);
  ck_assert_msg (fabs (b - (90.0 - eps0)) < 0.05 * ARCSEC,
                 "celestial pole at ecliptic latitude %.10g", b);
  ck_assert_msg (fabs (l - 90.0) < 1.0 * ARCSEC,
                 "celestial pole at ecliptic longitude %.10g", l);
  convert1 (TESS_FRAME_ICRS, TESS_FRAME_ECLIPTIC, 0.0, 0.0, &l, &b);
  ck_assert_msg (sep_deg (l, b, 0.0, 0.0) < 0.1 * ARCSEC,
                 "equinox at ecliptic (%.10g, %.10g)", l, b);
  convert1 (TESS_FRAME_ECLIPTIC, TESS_FRAME_ICRS, 0.0, 90.0, &l, &b);
  ck_assert_msg (sep_deg (l, b, 270.0, 90.0 - eps0) < 0.1 * ARCSEC,
                 "ecliptic pole at ICRS (%.10g, %.10g)", l, b);
}
END_TEST

START_TEST (test_nonfinite)
{
  for (unsigned a = 0; a < G_N_ELEMENTS (all_frames); a++)
    for (unsigned b = 0; b < G_N_ELEMENTS (all_frames); b++)
      {
        double lon[5] = { NAN, 10.0, NAN, INFINITY, 20.0 };
        double lat[5] = { 10.0, NAN, NAN, 5.0, 30.0 };

        double lon_in[5], lat_in[5];

        memcpy (lon_in, lon, sizeof lon);
        memcpy (lat_in, lat, sizeof lat);
        tess_frame_convert (all_frames[a], all_frames[b], 5, lon, lat);
        /* Each non-finite value stays non-finite, NaN stays NaN. */
        for (int k = 0; k < 4; k++)
          {
            if (!isfinite (lon_in[k]))
              ck_assert_msg (!isfinite (lon[k]),
                             "%s -> %s: point %d: longitude %g became %g",
                             tess_frame_name (all_frames[a]),
                             tess_frame_name (all_frames[b]), k, lon_in[k],
                             lon[k]);
            if (isnan (lon_in[k]))
              ck_assert (isnan (lon[k]));
            if (!isfinite (lat_in[k]))
              ck_assert_msg (!isfinite (lat[k]),
                             "%s -> %s: point %d: latitude %g became %g",
                             tess_frame_name (all_frames[a]),
                             tess_frame_name (all_frames[b]), k, lat_in[k],
                             lat[k]);
            if (isnan (lat_in[k]))
              ck_assert (isnan (lat[k]));
          }
        /* The finite neighbour is converted normally. */
        ck_assert (isfinite (lon[4]) && isfinite (lat[4]));
        {
          double l = 20.0, bb = 30.0;
          tess_frame_convert (all_frames[a], all_frames[b], 1, &l, &bb);
          ck_assert (l == lon[4] && bb == lat[4]);
        }
      }
}
END_TEST

START_TEST (test_names)
{
  for (unsigned a = 0; a < G_N_ELEMENTS (all_frames); a++)
    {
      const char *name = tess_frame_name (all_frames[a]);
      TessFrame f = (TessFrame)-1;
      GError *error = NULL;
      char *upper;

      ck_assert_ptr_nonnull (name);
      ck_assert_msg (tess_frame_from_name (name, &f, &error),
                     "name '%s' not accepted", name);
      tu_assert_no_error (error);
      ck_assert_int_eq (f, all_frames[a]);
      for (unsigned b = 0; b < a; b++)
        ck_assert_str_ne (name, tess_frame_name (all_frames[b]));

      /* Case does not matter to the parser. */
      upper = g_ascii_strup (name, -1);
      f = (TessFrame)-1;
      if (tess_frame_from_name (upper, &f, NULL))
        ck_assert_int_eq (f, all_frames[a]);
      g_free (upper);
    }
}
END_TEST

START_TEST (test_name_bogus)
{
  TessFrame f = TESS_FRAME_GALACTIC;
  GError *error = NULL;

  ck_assert (!tess_frame_from_name ("bogus", &f, &error));
  ck_assert_ptr_nonnull (error);
  ck_assert (error->domain == TESS_ERROR);
  ck_assert_int_eq (error->code, TESS_ERROR_INVALID);
  ck_assert_ptr_nonnull (strstr (error->message, "bogus"));
  g_clear_error (&error);
  /* A NULL error location is allowed. */
  ck_assert (!tess_frame_from_name ("", &f, NULL));
  ck_assert (!tess_frame_from_name ("icrsx", &f, NULL));
}
END_TEST

static Suite *
frames_suite (void)
{
  Suite *s = suite_create ("frames");
  TCase *tc = tcase_create ("frames");

  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_round_trip_all_pairs);
  tcase_add_test (tc, test_identity);
  tcase_add_test (tc, test_galactic_pole);
  tcase_add_test (tc, test_galactic_b1950_definition);
  tcase_add_test (tc, test_galactic_centre);
  tcase_add_test (tc, test_angles_preserved);
  tcase_add_test (tc, test_icrs_fk5_small);
  tcase_add_test (tc, test_eterms_size);
  tcase_add_test (tc, test_fk4_precession);
  tcase_add_test (tc, test_ecliptic);
  tcase_add_test (tc, test_nonfinite);
  tcase_add_test (tc, test_names);
  tcase_add_test (tc, test_name_bogus);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  return tu_run (frames_suite ());
}
