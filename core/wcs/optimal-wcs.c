/* optimal-wcs.c — the WCS of the smallest image covering a set of inputs
 * (for mosaics): their outlines carried into the chosen frame and
 * projection about their mean position, the finest resolution, north up or
 * turned to the minimum-area rectangle.
 */
#include "config.h"

#include "base/tess-private.h"

#include <math.h>
#include <string.h>

/* Outline points per edge of each input. */
#define EDGE 64

void
tess_optimal_options_init (TessOptimalOptions *o, const TessWcs *first)
{
  memset (o, 0, sizeof *o);
  o->frame = TESS_FRAME_ICRS;
  if (first && (int)tess_wcs_get_frame (first) >= 0)
    o->frame = tess_wcs_get_frame (first);
  g_strlcpy (o->projection, "TAN", sizeof o->projection);
}

/* Convex hull (Andrew's monotone chain) of @n points, in place; returns
 * the number of hull points, counter-clockwise. */
static int
cmp_point (const void *a, const void *b)
{
  const double *p = a, *q = b;
  if (p[0] != q[0])
    return p[0] < q[0] ? -1 : 1;
  return (p[1] > q[1]) - (p[1] < q[1]);
}

static double
cross (const double *o, const double *a, const double *b)
{
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

static int
convex_hull (double *pts, int n, double *hull)
{
  int k = 0;

  qsort (pts, (size_t)n, 2 * sizeof (double), cmp_point);
  for (int i = 0; i < n; i++)
    {
      while (k >= 2
             && cross (hull + 2 * (k - 2), hull + 2 * (k - 1), pts + 2 * i)
                    <= 0)
        k--;
      memcpy (hull + 2 * k++, pts + 2 * i, 2 * sizeof (double));
    }
  for (int i = n - 2, t = k + 1; i >= 0; i--)
    {
      while (k >= t
             && cross (hull + 2 * (k - 2), hull + 2 * (k - 1), pts + 2 * i)
                    <= 0)
        k--;
      memcpy (hull + 2 * k++, pts + 2 * i, 2 * sizeof (double));
    }
  return k - 1;
}

/* The angle (radians) of the minimum-area rectangle around @hull: one of
 * its edges is along a hull edge. */
static double
min_area_angle (const double *hull, int h)
{
  double best = G_MAXDOUBLE, angle = 0.0;

  for (int i = 0; i < h; i++)
    {
      const double *a = hull + 2 * i, *b = hull + 2 * ((i + 1) % h);
      double t = atan2 (b[1] - a[1], b[0] - a[0]);
      double c = cos (t), s = sin (t);
      double u0 = G_MAXDOUBLE, u1 = -G_MAXDOUBLE, v0 = G_MAXDOUBLE,
             v1 = -G_MAXDOUBLE;
      for (int j = 0; j < h; j++)
        {
          double u = c * hull[2 * j] + s * hull[2 * j + 1];
          double v = -s * hull[2 * j] + c * hull[2 * j + 1];
          u0 = MIN (u0, u);
          u1 = MAX (u1, u);
          v0 = MIN (v0, v);
          v1 = MAX (v1, v);
        }
      if ((u1 - u0) * (v1 - v0) < best - 1e-9)
        {
          best = (u1 - u0) * (v1 - v0);
          angle = t;
        }
    }
  return angle;
}

TessWcs *
tess_optimal_wcs (TessWcs *const *inputs, int n, const TessOptimalOptions *o,
                  GError **error)
{
  return tess_optimal_wcs_about (inputs, n, o, NULL, error);
}

TessWcs *
tess_optimal_wcs_about (TessWcs *const *inputs, int n,
                        const TessOptimalOptions *o, const double *reference,
                        GError **error)
{
  int npts = 4 * EDGE * n;
  double *lon = g_new (double, npts), *lat = g_new (double, npts);
  double *x = g_new (double, npts), *y = g_new (double, npts);
  double vx = 0, vy = 0, vz = 0, scale = G_MAXDOUBLE;
  TessWcsParams p;
  TessWcs *probe = NULL, *out = NULL;
  int k = 0;

  if (n < 1)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "an optimal WCS needs at least one input");
      goto done;
    }
  if (reference
      && !(isfinite (reference[0]) && reference[1] >= -90.0
           && reference[1] <= 90.0))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "the reference position (%g, %g) is not on the sky",
                   reference[0], reference[1]);
      goto done;
    }
  for (int i = 0; i < n; i++)
    {
      gint64 w = tess_wcs_get_width (inputs[i]),
             h = tess_wcs_get_height (inputs[i]);
      TessWcsParams ip;
      int first = k;

      if (w <= 0 || h <= 0)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       "%s: the header gives no image size",
                       tess_wcs_get_source (inputs[i]));
          goto done;
        }
      if (!tess_wcs_get_params (inputs[i], &ip, error))
        goto done;
      scale = MIN (scale, ip.scale);
      /* The outline: pixel edges, EDGE points a side. */
      for (int e = 0; e < EDGE; e++)
        {
          double t = (double)e / EDGE;
          double xs[4] = { -0.5 + w * t, w - 0.5, w - 0.5 - w * t, -0.5 };
          double ys[4] = { -0.5, -0.5 + h * t, h - 0.5, h - 0.5 - h * t };
          for (int s = 0; s < 4; s++)
            {
              x[k] = xs[s];
              y[k] = ys[s];
              k++;
            }
        }
      if (!tess_wcs_pixel_to_world (inputs[i], (gsize)(k - first), x + first,
                                    y + first, lon + first, lat + first,
                                    error))
        goto done;
      tess_frame_convert (tess_wcs_get_frame (inputs[i]), o->frame,
                          (gsize)(k - first), lon + first, lat + first);
    }
  for (int j = 0; j < k; j++)
    {
      double a = lon[j] * G_PI / 180.0, d = lat[j] * G_PI / 180.0;
      if (!isfinite (a) || !isfinite (d))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                       "an input's edge has no position on the sky");
          goto done;
        }
      vx += cos (d) * cos (a);
      vy += cos (d) * sin (a);
      vz += sin (d);
    }
  memset (&p, 0, sizeof p);
  p.frame = o->frame;
  g_strlcpy (p.projection, o->projection[0] ? o->projection : "TAN",
             sizeof p.projection);
  if (reference)
    {
      p.lon = fmod (fmod (reference[0], 360.0) + 360.0, 360.0);
      p.lat = reference[1];
    }
  else
    {
      p.lon = fmod (atan2 (vy, vx) * 180.0 / G_PI + 360.0, 360.0);
      p.lat = atan2 (vz, hypot (vx, vy)) * 180.0 / G_PI;
    }
  p.scale = o->resolution > 0.0 ? o->resolution : scale;
  p.width = p.height = 1;
  for (int pass = 0; pass < 2; pass++)
    {
      double x0 = G_MAXDOUBLE, x1 = -G_MAXDOUBLE, y0 = G_MAXDOUBLE,
             y1 = -G_MAXDOUBLE;
      probe = tess_wcs_new_from_params (&p, error);
      if (probe == NULL)
        goto done;
      if (!tess_wcs_world_to_pixel (probe, (gsize)k, lon, lat, x, y, error))
        goto done;
      for (int j = 0; j < k; j++)
        {
          if (!isfinite (x[j]) || !isfinite (y[j]))
            {
              g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                           "the inputs do not fit in one %s projection "
                           "about (%.4f, %+.4f): try another projection",
                           p.projection, p.lon, p.lat);
              goto done;
            }
          x0 = MIN (x0, x[j]);
          x1 = MAX (x1, x[j]);
          y0 = MIN (y0, y[j]);
          y1 = MAX (y1, y[j]);
        }
      tess_wcs_unref (probe);
      probe = NULL;
      if (pass == 0 && o->auto_rotate)
        {
          /* Turn the grid so that the minimum-area rectangle is upright:
           * pixel coordinates turn by -rotation. */
          double *pts = g_new (double, 2 * k),
                 *hull = g_new (double, 2 * k + 2);
          int h;
          for (int j = 0; j < k; j++)
            {
              pts[2 * j] = x[j];
              pts[2 * j + 1] = y[j];
            }
          h = convex_hull (pts, k, hull);
          {
            double t = min_area_angle (hull, h) * 180.0 / G_PI;
            /* The smallest turn that makes it upright. */
            t = fmod (t, 90.0);
            if (t > 45.0)
              t -= 90.0;
            if (t < -45.0)
              t += 90.0;
            p.rotation = -t;
          }
          g_free (pts);
          g_free (hull);
          continue;
        }
      /* Pixel edges at -0.5: the box from x0 to x1 holds ceil(x1 - x0)
       * pixels. */
      p.width = MAX (1, (gint64)ceil (x1 - x0 - 1e-6));
      p.height = MAX (1, (gint64)ceil (y1 - y0 - 1e-6));
      p.crpix_x = -x0 - 0.5 + 0.5 * ((double)p.width - (x1 - x0));
      p.crpix_y = -y0 - 0.5 + 0.5 * ((double)p.height - (y1 - y0));
      if (p.width > ((gint64)1 << 24) || p.height > ((gint64)1 << 24))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       "the optimal image would be %" G_GINT64_FORMAT
                       "x%" G_GINT64_FORMAT " pixels: give a coarser "
                       "resolution",
                       p.width, p.height);
          goto done;
        }
      out = tess_wcs_new_from_params (&p, error);
      break;
    }

done:
  if (probe)
    tess_wcs_unref (probe);
  g_free (lon);
  g_free (lat);
  g_free (x);
  g_free (y);
  return out;
}
