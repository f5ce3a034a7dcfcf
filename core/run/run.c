/* run.c — the one way blocks are run: a block computed into its sink, its
 * pages let go of (tess__runner_do()), progress metered (TessRunMeter),
 * and the engine of the calling thread (tess__run_here()).  See
 * tess-run.h; pool.c and block-job.c are the other engines.
 */
#include "config.h"

#include "run/tess-run.h"

#include <string.h>

void
tess__block_source_free (TessBlockSource *source)
{
  if (source)
    source->funcs->free (source);
}

gint64
tess__block_source_pixels (const TessBlockSource *source)
{
  return source->width * source->height;
}

TessRect
tess__block_in_region (const TessRect *blocks, gint64 n, const TessRect *rect,
                       gint64 i)
{
  TessRect r = { 0, 0, 0, 0 };

  if (i < 0 || i >= n)
    return r;
  r = blocks[i];
  r.x0 -= rect->x0;
  r.y0 -= rect->y0;
  return r;
}

struct _TessBlockRunner
{
  TessBlockSource *source;
  TessBlockSink sink;
  gboolean want_fp;
  gpointer block; /* a block's planes and footprint, computed aside */
  float *block_fp;
  gsize cap;     /* pixels they hold */
  gpointer band; /* full rows being gathered (sink.gather) */
  float *band_fp;
  gsize band_cap;
};

TessBlockRunner *
tess__runner_new (TessBlockSource *source, const TessBlockSink *sink)
{
  TessBlockRunner *r = g_new0 (TessBlockRunner, 1);

  r->source = source;
  r->sink = *sink;
  r->want_fp = sink->layout ? sink->layout->footprint_offset >= 0
                            : sink->footprint != NULL;
  return r;
}

void
tess__runner_free (TessBlockRunner *r)
{
  if (r == NULL)
    return;
  g_free (r->block);
  g_free (r->block_fp);
  g_free (r->band);
  g_free (r->band_fp);
  g_free (r);
}

/* Room for @px pixels of every plane (and a footprint) in *@data, *@fp. */
static gboolean
ensure (const TessBlockSource *s, gboolean want_fp, gpointer *data, float **fp,
        gsize *cap, gsize px, GError **error)
{
  if (px <= *cap)
    return TRUE;
  g_free (*data);
  g_free (*fp);
  *fp = NULL;
  *cap = 0;
  /* Huge pages where possible: fewer page faults. */
  *data = tess__alloc_large (px * s->elem * (gsize)s->nplanes);
  if (want_fp)
    *fp = tess__alloc_large (px * sizeof (float));
  if (*data == NULL || (want_fp && *fp == NULL))
    {
      g_set_error (
          error, TESS_ERROR, TESS_ERROR_NO_MEMORY,
          "not enough memory for a block of %" G_GSIZE_FORMAT " pixels", px);
      return FALSE;
    }
  *cap = px;
  return TRUE;
}

/* Copies block @r (its planes, then @fp) to (@x, @y) of planes @W × @H
 * (and their footprint @dst_fp, if any). */
static void
copy_block (gpointer dst, float *dst_fp, gint64 W, gint64 H, gint64 x,
            gint64 y, gconstpointer src, const float *fp, const TessRect *r,
            gint64 nplanes, gsize elem)
{
  gsize rw = (gsize)r->width, rh = (gsize)r->height;
  gsize plane = (gsize)W * (gsize)H;

  for (gsize j = 0; j < rh; j++)
    {
      gsize o = ((gsize)y + j) * (gsize)W + (gsize)x;
      for (gint64 p = 0; p < nplanes; p++)
        memcpy ((char *)dst + ((gsize)p * plane + o) * elem,
                (const char *)src + ((gsize)p * rh + j) * rw * elem,
                rw * elem);
      if (dst_fp && fp)
        memcpy (dst_fp + o, fp + j * rw, rw * sizeof (float));
    }
}

static gboolean
put (TessBlockRunner *r, const TessRect *b, GError **error)
{
  TessBlockSource *s = r->source;
  const TessBlockSink *k = &r->sink;
  float *fp = r->want_fp ? r->block_fp : NULL;

  if (k->layout == NULL)
    {
      copy_block (k->data, fp ? k->footprint : NULL, s->width, s->height,
                  b->x0, b->y0, r->block, fp, b, s->nplanes, s->elem);
      return TRUE;
    }
  if (!k->gather || b->width == s->width)
    return tess__stream_write_block (k->layout, b, r->block, fp, k->what,
                                     error);
  /* Into the band of full rows (planes of W × b->height), written when
   * its last block is in: a write a band rather than one a row of every
   * block. */
  if (!ensure (s, r->want_fp, &r->band, &r->band_fp, &r->band_cap,
               (gsize)s->width * (gsize)b->height, error))
    return FALSE;
  copy_block (r->band, r->band_fp, s->width, b->height, b->x0, 0, r->block, fp,
              b, s->nplanes, s->elem);
  if (b->x0 + b->width == s->width)
    {
      TessRect whole = { 0, b->y0, s->width, b->height };
      return tess__stream_write_block (k->layout, &whole, r->band,
                                       r->want_fp ? r->band_fp : NULL, k->what,
                                       error);
    }
  return TRUE;
}

gboolean
tess__runner_do (TessBlockRunner *r, gint64 i, GError **error)
{
  TessBlockSource *s = r->source;
  TessRect b = s->funcs->get_block (s, i);
  const TessBlockSink *k = &r->sink;
  gboolean ok;

  if (b.width <= 0 || b.height <= 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "no block %" G_GINT64_FORMAT, i);
      return FALSE;
    }
  if (k->layout == NULL && b.width == s->width && s->nplanes == 1)
    {
      /* Full rows of one plane: straight into place. */
      gsize off = (gsize)b.y0 * (gsize)s->width;
      ok = s->funcs->compute (s, i, (char *)k->data + off * s->elem,
                              r->want_fp ? k->footprint + off : NULL, error);
    }
  else
    ok = ensure (s, r->want_fp, &r->block, &r->block_fp, &r->cap,
                 (gsize)b.width * (gsize)b.height, error)
         && s->funcs->compute (s, i, r->block, r->want_fp ? r->block_fp : NULL,
                               error)
         && put (r, &b, error);
  /* Keep the resident set small on large inputs: what the next block
   * needs comes back from the page cache. */
  if (s->funcs->release)
    s->funcs->release (s);
  return ok;
}

/* Reports no more often than this, in µs. */
#define METER_INTERVAL 100000

static void
meter_report (TessRunMeter *m, gboolean force)
{
  TessProgress pr;
  gint64 now = g_get_monotonic_time ();

  if (m->func == NULL || (!force && now - m->last < METER_INTERVAL))
    return;
  m->last = now;
  pr.blocks_done = m->blocks_done;
  pr.blocks_total = m->blocks_total;
  pr.pixels_done = m->pixels_done;
  pr.pixels_total = m->pixels_total;
  pr.elapsed = (double)(now - m->t0) / 1e6;
  /* An estimate only once a tenth of the work is done. */
  pr.eta = m->pixels_done * 10 >= m->pixels_total && m->pixels_done > 0
               ? pr.elapsed * (double)(m->pixels_total - m->pixels_done)
                     / (double)m->pixels_done
               : -1.0;
  m->func (&pr, m->user_data);
}

void
tess__meter_start (TessRunMeter *m, TessProgressFunc func, gpointer user_data,
                   gint64 blocks_total, gint64 pixels_total)
{
  memset (m, 0, sizeof *m);
  m->func = func;
  m->user_data = user_data;
  m->t0 = g_get_monotonic_time ();
  m->blocks_total = blocks_total;
  m->pixels_total = pixels_total;
  meter_report (m, TRUE);
}

void
tess__meter_add (TessRunMeter *m, gint64 pixels)
{
  m->blocks_done++;
  m->pixels_done += pixels;
  meter_report (m, FALSE);
}

void
tess__meter_set (TessRunMeter *m, gint64 blocks_done, gint64 pixels_done)
{
  m->blocks_done = blocks_done;
  m->pixels_done = pixels_done;
  meter_report (m, blocks_done >= m->blocks_total);
}

void
tess__meter_finish (TessRunMeter *m)
{
  m->blocks_done = m->blocks_total;
  m->pixels_done = m->pixels_total;
  meter_report (m, TRUE);
}

gboolean
tess__run_here (TessBlockSource *source, const TessBlockSink *sink,
                GCancellable *cancellable, TessProgressFunc progress,
                gpointer user_data, GError **error)
{
  gint64 n = source->funcs->n_blocks (source);
  TessBlockSink k = *sink;
  TessBlockRunner *r;
  TessRunMeter meter;
  gboolean ok = TRUE;

  k.gather = TRUE;
  r = tess__runner_new (source, &k);
  tess__meter_start (&meter, progress, user_data, n,
                     tess__block_source_pixels (source));
  for (gint64 i = 0; ok && i < n; i++)
    {
      TessRect b = source->funcs->get_block (source, i);

      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_CANCELLED, "cancelled");
          ok = FALSE;
        }
      else if ((ok = tess__runner_do (r, i, error)))
        tess__meter_add (&meter, b.width * b.height);
    }
  if (ok)
    tess__meter_finish (&meter);
  tess__runner_free (r);
  return ok;
}
