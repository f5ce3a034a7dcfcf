/* preview.c — tessera-preview: renders FITS images side by side into one
 * PNG (first plane of each, asinh stretch between robust percentiles, NaN
 * in dark blue), to look at what a reprojection did.
 *
 *   tessera-preview -o preview.png input.fits output.fits ...
 */
#include "config.h"

#include "tessera.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum
{
  PANEL_H = 480,
  GAP = 8
};

typedef struct
{
  int w, h;
  guint8 *rgb;
} Panel;

static int
cmp_float (const void *a, const void *b)
{
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

/* The first plane of an image, as float. */
static float *
first_plane (TessImage *img)
{
  gsize n = (gsize)tess_image_get_width (img) * tess_image_get_height (img);
  float *f = g_new (float, n);

  if (tess_image_get_pixel_type (img) == TESS_TYPE_DOUBLE)
    for (gsize i = 0; i < n; i++)
      f[i] = (float)((double *)tess_image_get_data (img))[i];
  else
    memcpy (f, tess_image_get_data (img), n * sizeof (float));
  return f;
}

static Panel
render (TessImage *img)
{
  int w = (int)tess_image_get_width (img),
      h = (int)tess_image_get_height (img);
  float *d = first_plane (img);
  gsize n = (gsize)w * (gsize)h, m = 0, step = MAX (1, n / 200000);
  float *sample = g_new (float, n / step + 1);
  double lo = 0, hi = 1, scale;
  Panel p;

  for (gsize i = 0; i < n; i += step)
    if (isfinite (d[i]))
      sample[m++] = d[i];
  if (m > 0)
    {
      qsort (sample, m, sizeof (float), cmp_float);
      lo = sample[(gsize)(0.01 * (m - 1))];
      hi = sample[(gsize)(0.998 * (m - 1))];
    }
  if (!(hi > lo))
    hi = lo + 1;
  scale = asinh (10.0);
  p.h = PANEL_H;
  p.w = MAX (1, (int)((double)w * PANEL_H / h + 0.5));
  p.rgb = g_new (guint8, (gsize)p.w * p.h * 3);
  for (int y = 0; y < p.h; y++)
    for (int x = 0; x < p.w; x++)
      {
        /* FITS rows go up: flip so north is up in the picture. */
        int sx = MIN (w - 1, (int)((x + 0.5) * w / p.w));
        int sy = MIN (h - 1, (int)((p.h - 1 - y + 0.5) * h / p.h));
        float v = d[(gsize)sy * w + sx];
        guint8 *o = p.rgb + ((gsize)y * p.w + x) * 3;
        if (!isfinite (v))
          {
            o[0] = 20;
            o[1] = 30;
            o[2] = 70;
            continue;
          }
        double t = CLAMP ((v - lo) / (hi - lo), 0.0, 1.0);
        guint8 g = (guint8)(255.0 * asinh (10.0 * t) / scale + 0.5);
        o[0] = o[1] = o[2] = g;
      }
  g_free (sample);
  g_free (d);
  return p;
}

static void
put_u32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 255;
  p[2] = (v >> 8) & 255;
  p[3] = v & 255;
}

static gboolean
write_chunk (FILE *f, const char *type, const guint8 *data, guint32 len)
{
  guint8 head[8];
  guint8 crc[4];
  uLong c = crc32 (0L, (const Bytef *)type, 4);

  put_u32 (head, len);
  memcpy (head + 4, type, 4);
  if (len)
    c = crc32 (c, data, len);
  put_u32 (crc, (guint32)c);
  return fwrite (head, 1, 8, f) == 8
         && (len == 0 || fwrite (data, 1, len, f) == len)
         && fwrite (crc, 1, 4, f) == 4;
}

static gboolean
write_png (const char *path, int w, int h, const guint8 *rgb)
{
  static const guint8 sig[8] = { 137, 80, 78, 71, 13, 10, 26, 10 };
  gsize raw_len = (gsize)h * (1 + (gsize)w * 3);
  guint8 *raw = g_malloc (raw_len);
  uLongf z_len = compressBound (raw_len);
  guint8 *z = g_malloc (z_len);
  guint8 ihdr[13];
  gboolean ok;
  FILE *f;

  for (int y = 0; y < h; y++)
    {
      raw[(gsize)y * (1 + w * 3)] = 0; /* no filter */
      memcpy (raw + (gsize)y * (1 + w * 3) + 1, rgb + (gsize)y * w * 3,
              (gsize)w * 3);
    }
  ok = compress2 (z, &z_len, raw, raw_len, 6) == Z_OK;
  put_u32 (ihdr, (guint32)w);
  put_u32 (ihdr + 4, (guint32)h);
  ihdr[8] = 8; /* bit depth */
  ihdr[9] = 2; /* RGB */
  ihdr[10] = ihdr[11] = ihdr[12] = 0;
  f = ok ? fopen (path, "wb") : NULL;
  ok = f != NULL && fwrite (sig, 1, 8, f) == 8
       && write_chunk (f, "IHDR", ihdr, 13)
       && write_chunk (f, "IDAT", z, (guint32)z_len)
       && write_chunk (f, "IEND", NULL, 0);
  if (f && fclose (f) != 0)
    ok = FALSE;
  g_free (raw);
  g_free (z);
  return ok;
}

int
main (int argc, char **argv)
{
  char *output = NULL;
  char **inputs = NULL;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "PNG file to write",
      "FILE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &inputs, NULL,
      "FITS..." },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  GOptionContext *ctx = g_option_context_new ("- FITS images side by side");
  GError *error = NULL;
  Panel panels[16];
  int n = 0, total_w = 0;
  guint8 *canvas;
  int ret = 1;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "tessera-preview: %s\n", error->message);
      return 2;
    }
  g_option_context_free (ctx);
  if (output == NULL || inputs == NULL || g_strv_length (inputs) > 16)
    {
      fprintf (stderr, "tessera-preview: usage: tessera-preview -o OUT.png "
                       "FITS... (1 to 16 images)\n");
      return 2;
    }
  for (char **in = inputs; *in; in++)
    {
      TessImage *img = tess_image_load (*in, &error);
      if (img == NULL)
        {
          fprintf (stderr, "tessera-preview: %s\n", error->message);
          goto out;
        }
      panels[n] = render (img);
      total_w += panels[n].w + (n ? GAP : 0);
      n++;
      tess_image_unref (img);
    }
  canvas = g_malloc0 ((gsize)total_w * PANEL_H * 3);
  for (int i = 0, x0 = 0; i < n; x0 += panels[i].w + GAP, i++)
    for (int y = 0; y < PANEL_H; y++)
      memcpy (canvas + ((gsize)y * total_w + x0) * 3,
              panels[i].rgb + (gsize)y * panels[i].w * 3,
              (gsize)panels[i].w * 3);
  if (write_png (output, total_w, PANEL_H, canvas))
    ret = 0;
  else
    fprintf (stderr, "tessera-preview: %s: cannot write\n", output);
  g_free (canvas);
out:
  for (int i = 0; i < n; i++)
    g_free (panels[i].rgb);
  g_strfreev (inputs);
  g_free (output);
  return ret;
}
