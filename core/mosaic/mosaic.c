/* mosaic.c — many images into one: each input reprojected onto the part
 * of the target it covers, the values combined pixel by pixel (mean, sum,
 * median, first, last, min, max), after an optional matching of their
 * backgrounds; written band by band, so that memory stays bounded by a
 * band of the output, whatever the number of inputs.
 */
#include "config.h"

#include "base/tess-private.h"
#include "mosaic/tess-mosaic.h"
#include "run/tess-plan.h"
#include "run/tess-pool.h"
#include "run/tess-run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Memory for one band's working buffers. */
#define BAND_BYTES ((gsize)96 << 20)
/* Extra output pixels around an input's projected outline. */
#define MARGIN 8

static const char *const combine_names[]
    = { "mean", "sum", "median", "first", "last", "min", "max" };

TESS__NAMED_ENUM (TessCombine, tess_combine, combine_names, "combination")

void
tess_mosaic_options_init (TessMosaicOptions *o)
{
  memset (o, 0, sizeof *o);
  o->combine = TESS_COMBINE_MEAN;
  o->background_reference = -1;
  o->blank = NAN;
}

/* The output pixels input @in may touch: its outline (and a grid inside),
 * carried to the target, with a margin; the whole target when a point has
 * no place there (a wrap, a pole). */
static TessRect
input_box (TessImage *in, TessWcs *target, gint64 W, gint64 H)
{
  enum
  {
    S = 33
  };
  TessWcs *iw = tess_image_get_wcs (in);
  gint64 w = tess_image_get_width (in), h = tess_image_get_height (in);
  double x[S * S], y[S * S], lon[S * S], lat[S * S];
  double x0 = G_MAXDOUBLE, x1 = -G_MAXDOUBLE, y0 = G_MAXDOUBLE,
         y1 = -G_MAXDOUBLE;
  TessRect all = { 0, 0, W, H }, r;
  int n = 0;

  for (int j = 0; j < S; j++)
    for (int i = 0; i < S; i++)
      {
        x[n] = -0.5 + (double)w * i / (S - 1);
        y[n] = -0.5 + (double)h * j / (S - 1);
        n++;
      }
  if (!tess_wcs_pixel_to_world (iw, (gsize)n, x, y, lon, lat, NULL))
    return all;
  tess_frame_convert (tess_wcs_get_frame (iw), tess_wcs_get_frame (target),
                      (gsize)n, lon, lat);
  if (!tess_wcs_world_to_pixel (target, (gsize)n, lon, lat, x, y, NULL))
    return all;
  for (int k = 0; k < n; k++)
    {
      if (!isfinite (x[k]) || !isfinite (y[k]))
        return all;
      x0 = MIN (x0, x[k]);
      x1 = MAX (x1, x[k]);
      y0 = MIN (y0, y[k]);
      y1 = MAX (y1, y[k]);
    }
  /* A jump across the target (an all-sky seam) shows as a box wider than
   * half of it: keep the whole width then. */
  r.x0 = (gint64)floor (x0) - MARGIN;
  r.y0 = (gint64)floor (y0) - MARGIN;
  r.width = (gint64)ceil (x1) + MARGIN + 1 - r.x0;
  r.height = (gint64)ceil (y1) + MARGIN + 1 - r.y0;
  r.x0 = CLAMP (r.x0, 0, W);
  r.y0 = CLAMP (r.y0, 0, H);
  r.width = CLAMP ((gint64)ceil (x1) + MARGIN + 1, 0, W) - r.x0;
  r.height = CLAMP ((gint64)ceil (y1) + MARGIN + 1, 0, H) - r.y0;
  return r;
}

/* A mosaic of @n inputs, none added yet. */
static TessMosaic *
mosaic_alloc (int n, TessWcs *target, const TessOptions *options,
              const TessMosaicOptions *mo, gint64 nplanes)
{
  TessMosaic *m = g_new0 (TessMosaic, 1);

  m->n = n;
  m->inputs = g_new0 (TessImage *, n);
  m->plans = g_new0 (TessPlan *, n);
  m->wplans = g_new0 (TessPlan *, n);
  m->boxes = g_new0 (TessRect, n);
  m->weights = g_new (double, n);
  m->offsets = g_new0 (double, n);
  m->target = tess_wcs_ref (target);
  m->options = *options;
  m->mo = *mo;
  m->width = tess_wcs_get_width (target);
  m->height = tess_wcs_get_height (target);
  m->type = TESS_TYPE_FLOAT;
  m->nplanes = nplanes;
  return m;
}

/* Input @i's plan (taken over): where it lands, or off the target. */
static gboolean
mosaic_add_plan (TessMosaic *m, int i, TessPlan *plan, GError **error)
{
  TessImage *in = tess__plan_get_input (plan);

  if (tess_plan_get_nplanes (plan) != m->nplanes)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                   "%s: a mosaic keeps the inputs' planes: its target "
                   "cannot have an axis 3 of its own",
                   tess_wcs_get_source (m->target));
      tess_plan_unref (plan);
      return FALSE;
    }
  m->boxes[i] = input_box (in, m->target, m->width, m->height);
  if (m->boxes[i].width <= 0 || m->boxes[i].height <= 0)
    {
      tess_plan_unref (plan);
      return TRUE;
    }
  if (tess_plan_get_pixel_type (plan) == TESS_TYPE_DOUBLE)
    m->type = TESS_TYPE_DOUBLE;
  m->plans[i] = plan;
  m->used++;
  return TRUE;
}

TessMosaic *
tess_mosaic_new (TessImage *const *inputs, int n, const double *weights,
                 TessWcs *target, const TessOptions *options,
                 const TessMosaicOptions *mo, GError **error)
{
  TessMosaic *m;

  if (n < 1)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "a mosaic needs at least one input");
      return NULL;
    }
  if ((unsigned)mo->combine >= G_N_ELEMENTS (combine_names)
      || mo->background_reference >= n || mo->background_reference < -1)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "bad mosaic options (combination %d, background "
                   "reference %d of %d inputs)",
                   (int)mo->combine, mo->background_reference, n);
      return NULL;
    }
  if (!tess_options_check (options, error))
    return NULL;
  m = mosaic_alloc (n, target, options, mo,
                    tess_image_get_nplanes (inputs[0]));
  for (int i = 0; i < n; i++)
    {
      GError *local = NULL;
      TessPlan *plan;

      m->inputs[i] = tess_image_ref (inputs[i]);
      m->weights[i] = weights ? weights[i] : 1.0;
      if (!(m->weights[i] >= 0.0) || !isfinite (m->weights[i]))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       "%s: the weight %g is not a finite number >= 0",
                       tess_image_get_source (inputs[i]), m->weights[i]);
          goto fail;
        }
      if (tess_image_get_nplanes (inputs[i]) != m->nplanes)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       "%s: %" G_GINT64_FORMAT
                       " planes, where %s has %" G_GINT64_FORMAT
                       ": the inputs of a mosaic must have "
                       "the same number of planes",
                       tess_image_get_source (inputs[i]),
                       tess_image_get_nplanes (inputs[i]),
                       tess_image_get_source (inputs[0]), m->nplanes);
          goto fail;
        }
      plan = tess_plan_new (inputs[i], target, options, &local);
      if (plan == NULL)
        {
          /* An input off the target adds nothing; other errors stop. */
          if (!g_error_matches (local, TESS_ERROR, TESS_ERROR_NO_OVERLAP))
            {
              g_propagate_error (error, local);
              goto fail;
            }
          g_error_free (local);
          continue;
        }
      if (!mosaic_add_plan (m, i, plan, error))
        goto fail;
    }
  if (m->used == 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_NO_OVERLAP,
                   "%s: no input overlaps the target",
                   tess_wcs_get_source (target));
      goto fail;
    }
  return m;

fail:
  tess_mosaic_free (m);
  return NULL;
}

void
tess_mosaic_free (TessMosaic *m)
{
  if (m == NULL)
    return;
  for (int i = 0; i < m->n; i++)
    {
      if (m->plans[i])
        tess_plan_unref (m->plans[i]);
      if (m->wplans[i])
        tess_plan_unref (m->wplans[i]);
      if (m->inputs[i])
        tess_image_unref (m->inputs[i]);
    }
  g_free (m->inputs);
  g_free (m->plans);
  g_free (m->wplans);
  g_free (m->boxes);
  g_free (m->weights);
  g_free (m->offsets);
  tess_wcs_unref (m->target);
  g_free (m);
}

gboolean
tess_mosaic_set_weight_image (TessMosaic *m, int i, TessImage *weights,
                              GError **error)
{
  TessImage *in;
  GError *local = NULL;

  g_return_val_if_fail (i >= 0 && i < m->n, FALSE);
  in = m->inputs[i];
  if (tess_image_get_width (weights) != tess_image_get_width (in)
      || tess_image_get_height (weights) != tess_image_get_height (in)
      || tess_image_get_nplanes (weights) != 1)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "%s: a weight image must be one plane of the size of "
                   "its input %s (%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT ")",
                   tess_image_get_source (weights), tess_image_get_source (in),
                   tess_image_get_width (in), tess_image_get_height (in));
      return FALSE;
    }
  if (m->plans[i] == NULL)
    return TRUE; /* the input is left out anyway */
  if (m->wplans[i])
    tess_plan_unref (m->wplans[i]);
  m->wplans[i] = tess_plan_new (weights, m->target, &m->options, &local);
  if (m->wplans[i] == NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  return TRUE;
}

int
tess_mosaic_get_n_inputs (const TessMosaic *m)
{
  return m->n;
}

gboolean
tess_mosaic_input_used (const TessMosaic *m, int i)
{
  return i >= 0 && i < m->n && m->plans[i] != NULL;
}

const double *
tess_mosaic_get_offsets (const TessMosaic *m)
{
  return m->offsets;
}

/* ---------------------------------------------------------------------- */
/* Backgrounds                                                             */

/* ---------------------------------------------------------------------- */
/* Combining                                                               */

/* One input's part of a band: computed in a thread of the pool. */
typedef struct
{
  TessPlan *plan;
  TessRect r;
  gpointer data; /* planes of r.width × r.height, the plan's type */
  float *fp;
  TessPlan *wplan; /* the weight image's, or NULL */
  gpointer wdata;  /* its values (converted to float in place) */
  gboolean dbl;
  gboolean active;
  gint64 nplanes;
  GCancellable *cancellable; /* checked between chunks of rows */
  gpointer chunk;            /* a chunk's planes, when there are several */
  GError *error;
} Piece;

/* Rows of a piece computed at a time, the cancellable checked between:
 * a band can take seconds (the exact method), Cancel must not.  Chunks
 * end on multiples of this many output rows, so that the coordinate
 * grid's cells (16 rows) are not split between two. */
#define PIECE_CHUNK_ROWS 128

typedef struct
{
  GMutex lock;
  GCond done;
  int pending;
} Band;

/* The input's values and footprint, and its weights, on the piece. */
static void
compute_one (Piece *pc)
{
  gsize px = (gsize)pc->r.width * (gsize)pc->r.height;
  gsize elem = pc->dbl ? 8 : 4, w = (gsize)pc->r.width;

  /* In chunks of rows (the plans give the same pixels whatever the
   * region), into place, or by way of pc->chunk for several planes. */
  for (gint64 y = 0, next; y < pc->r.height; y = next)
    {
      TessRect c;
      gsize cpx;

      next = ((pc->r.y0 + y) / PIECE_CHUNK_ROWS + 1) * PIECE_CHUNK_ROWS
             - pc->r.y0;
      next = MIN (next, pc->r.height);
      c = (TessRect){ pc->r.x0, pc->r.y0 + y, pc->r.width, next - y };
      cpx = w * (gsize)c.height;

      if (g_cancellable_is_cancelled (pc->cancellable))
        {
          g_set_error (&pc->error, TESS_ERROR, TESS_ERROR_CANCELLED,
                       "cancelled");
          return;
        }
      if (pc->nplanes == 1)
        {
          if (!tess_plan_compute_region (
                  pc->plan, &c, (char *)pc->data + (gsize)y * w * elem,
                  pc->fp + (gsize)y * w, &pc->error))
            return;
          continue;
        }
      if (!tess_plan_compute_region (pc->plan, &c, pc->chunk,
                                     pc->fp + (gsize)y * w, &pc->error))
        return;
      for (gint64 p = 0; p < pc->nplanes; p++)
        memcpy ((char *)pc->data + ((gsize)p * px + (gsize)y * w) * elem,
                (char *)pc->chunk + (gsize)p * cpx * elem, cpx * elem);
    }
  if (pc->wplan == NULL)
    return;
  if (!tess_plan_compute_region (pc->wplan, &pc->r, pc->wdata, NULL,
                                 &pc->error))
    return;
  /* Weights as float, NaN and negative ones as 0. */
  for (gsize k = 0; k < px; k++)
    {
      double v = tess_plan_get_pixel_type (pc->wplan) == TESS_TYPE_DOUBLE
                     ? ((double *)pc->wdata)[k]
                     : ((float *)pc->wdata)[k];
      ((float *)pc->wdata)[k] = isfinite (v) && v > 0.0 ? (float)v : 0.0f;
    }
}

static void
compute_piece (gpointer data, gpointer user_data)
{
  Piece *pc = data;
  Band *band = user_data;

  compute_one (pc);
  g_mutex_lock (&band->lock);
  band->pending--;
  g_cond_signal (&band->done);
  g_mutex_unlock (&band->lock);
}

/* A mosaic's bands: the inputs' parts of a band and the band's buffers,
 * reused from band to band. */
typedef struct _TessMosaicBands TessMosaicBands;
struct _TessMosaicBands
{
  TessMosaic *m;
  gint64 bh;
  Piece *pieces;
  TessMosaicPiece *parts; /* the active pieces, as combined */
  double *acc, *wsum, *pwsum, *sorted;
  GThreadPool *pool;
  Band band;
};

/* The height of a mosaic's bands when @at_once of them are computed at a
 * time (by threads or processes), each within @budget bytes. */
static gint64
mosaic_band_height (const TessMosaic *m, const TessRunOptions *run,
                    gint64 at_once, gsize budget)
{
  gint64 P = m->nplanes, widths = 0, bh;
  gsize elem = m->type == TESS_TYPE_DOUBLE ? 8 : 4;
  gsize per_row;

  /* The inputs' parts of a band and the band's own buffers fit in
   * @budget, whatever the number of inputs. */
  for (int i = 0; i < m->n; i++)
    if (m->plans[i])
      widths += m->boxes[i].width * (m->wplans[i] ? 2 : 1);
  per_row = (gsize)widths * ((gsize)P * 8 + 4)
            + (gsize)m->width * ((gsize)P * (16 + elem) + 12);
  bh = CLAMP ((gint64)(budget / MAX (per_row, 1)), 1, m->height);
  /* A block height given caps the band; without one, several at once
   * make some eight bands each, so that they end together. */
  if (run && run->block_height > 0)
    bh = MIN (bh, run->block_height);
  else if (at_once > 1)
    bh = MIN (bh, MAX (m->height / (8 * at_once), 32));
  return bh;
}

static TessImage *
output_shell (const TessMosaic *m, GError **error)
{
  /* The output: the target's WCS, the extra axes of the first input (of
   * the first one at hand in a mosaic rebuilt from its description). */
  TessImage *first = NULL, *shell;
  char *h;

  for (int i = 0; i < m->n && first == NULL; i++)
    first = m->inputs[i];
  shell = tess__image_alloc (m->target, m->type, m->width, m->height,
                             first->n_extra, first->extra, FALSE, error);
  if (shell == NULL)
    return NULL;
  h = g_strdup_printf ("Mosaic by Tessera %s: %d of %d inputs, %s, %s%s",
                       PACKAGE_VERSION, m->used, m->n,
                       tess_method_name (m->options.method),
                       tess_combine_name (m->mo.combine),
                       m->mo.match_background ? ", backgrounds matched" : "");
  tess_image_add_history (shell, h);
  g_free (h);
  for (int i = 0; i < m->n; i++)
    {
      h = g_strdup_printf ("Input %d: %s%s", i + 1,
                           m->inputs[i] && tess_image_get_source (m->inputs[i])
                               ? tess_image_get_source (m->inputs[i])
                               : "an image",
                           m->plans[i] ? "" : " (off the target)");
      tess_image_add_history (shell, h);
      g_free (h);
      if (m->mo.match_background && m->plans[i])
        {
          h = g_strdup_printf ("Input %d background offset: %.9g", i + 1,
                               m->offsets[i]);
          tess_image_add_history (shell, h);
          g_free (h);
        }
    }
  return shell;
}

static gboolean
ensure_matched (TessMosaic *m, GCancellable *cancellable, GError **error)
{
  return !m->mo.match_background || m->matched
         || tess_mosaic_match_backgrounds (m, cancellable, error);
}

static TessMosaicBands *
bands_new (TessMosaic *m, gint64 band_height, int jobs,
           GCancellable *cancellable)
{
  TessMosaicBands *b = g_new0 (TessMosaicBands, 1);
  gint64 W = m->width, P = m->nplanes, bh = band_height;

  b->m = m;
  b->bh = bh;
  b->pieces = g_new0 (Piece, m->n);
  b->parts = g_new0 (TessMosaicPiece, MAX (m->n, 1));
  g_mutex_init (&b->band.lock);
  g_cond_init (&b->band.done);
  if (jobs <= 0)
    jobs = (int)g_get_num_processors ();
  for (int i = 0; i < m->n; i++)
    if (m->plans[i])
      {
        Piece *pc = &b->pieces[i];
        gsize px = (gsize)m->boxes[i].width * (gsize)bh;
        pc->plan = m->plans[i];
        pc->dbl = tess_plan_get_pixel_type (m->plans[i]) == TESS_TYPE_DOUBLE;
        pc->data = g_malloc (px * (gsize)P * (pc->dbl ? 8 : 4));
        pc->fp = g_new (float, px);
        pc->nplanes = P;
        pc->cancellable = cancellable;
        if (P > 1)
          pc->chunk = g_malloc ((gsize)m->boxes[i].width * PIECE_CHUNK_ROWS
                                * (gsize)P * (pc->dbl ? 8 : 4));
        pc->wplan = m->wplans[i];
        if (m->wplans[i])
          pc->wdata = g_malloc (px * 8);
      }
  b->acc = g_new (double, (gsize)W *bh *P);
  b->wsum = g_new (double, (gsize)W *bh);
  b->pwsum = g_new (double, (gsize)W *bh *P);
  b->sorted = g_new (double, MAX (m->n, 1));
  if (jobs > 1)
    b->pool = g_thread_pool_new (compute_piece, &b->band, jobs, FALSE, NULL);
  return b;
}

static void
bands_free (TessMosaicBands *b)
{
  if (b == NULL)
    return;
  if (b->pool)
    g_thread_pool_free (b->pool, FALSE, TRUE);
  for (int i = 0; i < b->m->n; i++)
    {
      g_free (b->pieces[i].data);
      g_free (b->pieces[i].fp);
      g_free (b->pieces[i].chunk);
      g_free (b->pieces[i].wdata);
      g_clear_error (&b->pieces[i].error);
    }
  g_free (b->pieces);
  g_free (b->parts);
  g_free (b->acc);
  g_free (b->wsum);
  g_free (b->pwsum);
  g_free (b->sorted);
  g_mutex_clear (&b->band.lock);
  g_cond_clear (&b->band.done);
  g_free (b);
}

static gboolean
bands_compute (TessMosaicBands *b, gint64 y0, gpointer out_band,
               float *fp_band, GError **error)
{
  TessMosaic *m = b->m;
  gint64 W = m->width, H = m->height, P = m->nplanes, bh = b->bh;
  gint64 rows = MIN (bh, H - y0);
  int n = m->n;
  gsize elem = m->type == TESS_TYPE_DOUBLE ? 8 : 4;
  Piece *pieces = b->pieces;
  double *acc = b->acc, *wsum = b->wsum, *pwsum = b->pwsum;
  double *sorted = b->sorted;

  /* Every input's part of the band, in parallel. */
  b->band.pending = 0;
  for (int i = 0; i < n; i++)
    {
      Piece *pc = &pieces[i];
      TessRect box = m->boxes[i];
      pc->active = FALSE;
      if (m->plans[i] == NULL)
        continue;
      pc->r.x0 = box.x0;
      pc->r.width = box.width;
      pc->r.y0 = MAX (box.y0, y0);
      pc->r.height = MIN (box.y0 + box.height, y0 + rows) - pc->r.y0;
      if (pc->r.height <= 0 || pc->r.width <= 0)
        continue;
      pc->active = TRUE;
      if (b->pool)
        {
          g_mutex_lock (&b->band.lock);
          b->band.pending++;
          g_mutex_unlock (&b->band.lock);
          g_thread_pool_push (b->pool, pc, NULL);
        }
      else
        compute_one (pc);
    }
  g_mutex_lock (&b->band.lock);
  while (b->band.pending > 0)
    g_cond_wait (&b->band.done, &b->band.lock);
  g_mutex_unlock (&b->band.lock);
  for (int i = 0; i < n; i++)
    if (pieces[i].error)
      {
        g_propagate_error (error, pieces[i].error);
        pieces[i].error = NULL;
        return FALSE;
      }

  /* The active parts, in the order of the inputs, combined. */
  {
    int k = 0;
    for (int i = 0; i < n; i++)
      {
        Piece *pc = &pieces[i];
        if (!pc->active)
          continue;
        b->parts[k].r = pc->r;
        b->parts[k].data = pc->data;
        b->parts[k].dbl = pc->dbl;
        b->parts[k].fp = pc->fp;
        b->parts[k].weights = pc->wdata;
        b->parts[k].weight = m->weights[i];
        b->parts[k].offset = m->offsets[i];
        k++;
      }
    tess__mosaic_combine (m->mo.combine, m->mo.blank, b->parts, k, W, y0, rows,
                          P, acc, wsum, pwsum, sorted, out_band, elem,
                          fp_band);
  }
  return TRUE;
}

/* A mosaic's bands as a source of blocks. */
typedef struct
{
  TessBlockSource base;
  TessMosaic *m;
  gboolean owns_m; /* (rebuilt from a description) */
  /* The buffers of bands not being computed, made when first needed (a
   * set a thread computing bands at once). */
  GMutex lock;
  GPtrArray *free_bands;
  int jobs; /* threads computing the inputs' parts of a band */
  GCancellable *cancellable;
  gint64 band_height, nblocks;
} MosaicSource;

static gint64
mosaic_n_blocks (const TessBlockSource *s)
{
  return ((const MosaicSource *)s)->nblocks;
}

static TessRect
mosaic_get_block (const TessBlockSource *s, gint64 i)
{
  const MosaicSource *ms = (const MosaicSource *)s;
  TessRect r = { 0, 0, 0, 0 };

  if (i < 0 || i >= ms->nblocks)
    return r;
  r.y0 = i * ms->band_height;
  r.width = s->width;
  r.height = MIN (ms->band_height, s->height - r.y0);
  return r;
}

static gboolean
mosaic_compute (TessBlockSource *s, gint64 i, gpointer data, float *footprint,
                GError **error)
{
  MosaicSource *ms = (MosaicSource *)s;
  TessMosaicBands *b = NULL;
  gboolean ok;

  /* Buffers free, or new ones (not before: a source whose blocks other
   * processes compute needs none). */
  g_mutex_lock (&ms->lock);
  if (ms->free_bands->len > 0)
    b = g_ptr_array_steal_index_fast (ms->free_bands, ms->free_bands->len - 1);
  g_mutex_unlock (&ms->lock);
  if (b == NULL)
    b = bands_new (ms->m, ms->band_height, ms->jobs, ms->cancellable);
  ok = bands_compute (b, i * ms->band_height, data, footprint, error);
  g_mutex_lock (&ms->lock);
  g_ptr_array_add (ms->free_bands, b);
  g_mutex_unlock (&ms->lock);
  return ok;
}

static void
mosaic_release (TessBlockSource *s)
{
  TessMosaic *m = ((MosaicSource *)s)->m;

  for (int i = 0; i < m->n; i++)
    {
      if (m->plans[i])
        tess__plan_release_pages (m->plans[i]);
      if (m->wplans[i])
        tess__plan_release_pages (m->wplans[i]);
    }
}

static TessImage *
mosaic_output_shell (TessBlockSource *s, GError **error)
{
  return output_shell (((MosaicSource *)s)->m, error);
}

/* The groups of input @i's description (its own, its weights'). */
static char *
input_group (int i, gboolean weights)
{
  return g_strdup_printf ("%s %d", weights ? "weights" : "input", i + 1);
}

/* The mosaic: its target, options, inputs (with their weights, weight
 * images and background offsets) and bands. */
static gboolean
mosaic_describe (TessBlockSource *s, TessDescription *d, GError **error)
{
  MosaicSource *ms = (MosaicSource *)s;
  TessMosaic *m = ms->m;

  tess__description_set_string (d, "source", "kind", "mosaic");
  tess__description_set_wcs (d, "mosaic", "target", m->target);
  tess__description_set_options (d, "mosaic options", &m->options);
  tess__description_set_string (d, "mosaic", "combine",
                                tess_combine_name (m->mo.combine));
  tess__description_set_int64 (d, "mosaic", "match-background",
                               m->mo.match_background != 0);
  tess__description_set_int64 (d, "mosaic", "background-reference",
                               m->mo.background_reference);
  tess__description_set_double (d, "mosaic", "blank", m->mo.blank);
  tess__description_set_int64 (d, "mosaic", "inputs", m->n);
  tess__description_set_int64 (d, "mosaic", "planes", m->nplanes);
  tess__description_set_int64 (d, "mosaic", "band-height", ms->band_height);
  for (int i = 0; i < m->n; i++)
    {
      g_autofree char *g = input_group (i, FALSE);
      g_autofree char *wg = input_group (i, TRUE);

      tess__description_set_double (d, g, "weight", m->weights[i]);
      tess__description_set_double (d, g, "offset", m->offsets[i]);
      if (m->plans[i] == NULL)
        {
          /* Off the target: only its place in the list counts. */
          tess__description_set_int64 (d, g, "used", 0);
          continue;
        }
      tess__description_set_int64 (d, g, "used", 1);
      if (!tess__plan_describe (m->plans[i], d, g, error)
          || (m->wplans[i]
              && !tess__plan_describe (m->wplans[i], d, wg, error)))
        return FALSE;
    }
  return TRUE;
}

static void
mosaic_free (TessBlockSource *s)
{
  MosaicSource *ms = (MosaicSource *)s;

  g_ptr_array_free (ms->free_bands, TRUE);
  g_mutex_clear (&ms->lock);
  if (ms->owns_m)
    tess_mosaic_free (ms->m);
  g_free (ms);
}

static const TessBlockSourceFuncs mosaic_source_funcs
    = { mosaic_n_blocks,     mosaic_get_block, mosaic_compute, mosaic_release,
        mosaic_output_shell, mosaic_describe,  mosaic_free };

/* Bands of @band_height, the inputs' parts of each computed by @jobs
 * threads. */
static TessBlockSource *
mosaic_source_make (TessMosaic *m, gint64 band_height, int jobs,
                    GCancellable *cancellable)
{
  MosaicSource *ms = g_new0 (MosaicSource, 1);

  ms->base.funcs = &mosaic_source_funcs;
  ms->base.width = m->width;
  ms->base.height = m->height;
  ms->base.nplanes = m->nplanes;
  ms->base.elem = m->type == TESS_TYPE_DOUBLE ? 8 : 4;
  ms->m = m;
  ms->band_height = band_height;
  ms->nblocks = (m->height + ms->band_height - 1) / ms->band_height;
  ms->jobs = jobs;
  ms->cancellable = cancellable;
  g_mutex_init (&ms->lock);
  ms->free_bands = g_ptr_array_new_with_free_func ((GDestroyNotify)bands_free);
  return &ms->base;
}

TessBlockSource *
tess__mosaic_source_new (TessMosaic *m, const TessRunOptions *run,
                         GCancellable *cancellable, GError **error)
{
  if (!tess__run_options_check (run, error))
    return NULL;
  if (!ensure_matched (m, cancellable, error))
    return NULL;
  return mosaic_source_make (m, mosaic_band_height (m, run, 1, BAND_BYTES),
                             run ? run->jobs : 1, cancellable);
}

TessBlockSource *
tess__mosaic_source_rebuild (TessDescription *d, GError **error)
{
  TessMosaicOptions mo;
  TessOptions opt;
  TessWcs *target = NULL;
  TessMosaic *m = NULL;
  g_autofree char *combine = NULL;
  gint64 n = 0, match = 0, ref = -1, band_height = 0, nplanes = 0;
  TessBlockSource *source;

  tess_mosaic_options_init (&mo);
  if (!tess__description_get_options (d, "mosaic options", &opt, error)
      || !(combine
           = tess__description_get_string (d, "mosaic", "combine", error))
      || !tess_combine_from_name (combine, &mo.combine, error)
      || !tess__description_get_int64 (d, "mosaic", "match-background", &match,
                                       error)
      || !tess__description_get_int64 (d, "mosaic", "background-reference",
                                       &ref, error)
      || !tess__description_get_double (d, "mosaic", "blank", &mo.blank, error)
      || !tess__description_get_int64 (d, "mosaic", "inputs", &n, error)
      || !tess__description_get_int64 (d, "mosaic", "planes", &nplanes, error)
      || !tess__description_get_int64 (d, "mosaic", "band-height",
                                       &band_height, error))
    return NULL;
  if (n < 1 || n > G_MAXINT / 2 || band_height < 1 || nplanes < 1 || ref < -1
      || ref >= n)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "bad description of a job: a mosaic of %" G_GINT64_FORMAT
                   " inputs in bands of %" G_GINT64_FORMAT " rows",
                   n, band_height);
      return NULL;
    }
  mo.match_background = match != 0;
  mo.background_reference = (int)ref;
  target = tess__description_get_wcs (d, "mosaic", "target", error);
  if (target == NULL)
    return NULL;
  /* The inputs on the target, each in its place (those off it are not
   * read again: they add nothing). */
  m = mosaic_alloc ((int)n, target, &opt, &mo, nplanes);
  tess_wcs_unref (target);
  for (int i = 0; i < m->n; i++)
    {
      g_autofree char *g = input_group (i, FALSE);
      g_autofree char *wg = input_group (i, TRUE);
      gint64 used;
      TessPlan *plan;

      if (!tess__description_get_double (d, g, "weight", &m->weights[i], error)
          || !tess__description_get_double (d, g, "offset", &m->offsets[i],
                                            error)
          || !tess__description_get_int64 (d, g, "used", &used, error))
        goto fail;
      if (!used)
        continue;
      plan = tess__plan_rebuild (d, g, error);
      if (plan == NULL)
        goto fail;
      m->inputs[i] = tess_image_ref (tess__plan_get_input (plan));
      if (!mosaic_add_plan (m, i, plan, error))
        goto fail;
      if (m->plans[i] == NULL)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                       "bad description of a job: input %d is off the target",
                       i + 1);
          goto fail;
        }
      if (tess__description_has (d, wg, "input"))
        {
          m->wplans[i] = tess__plan_rebuild (d, wg, error);
          if (m->wplans[i] == NULL)
            goto fail;
        }
    }
  m->matched = TRUE; /* the offsets described */
  source = mosaic_source_make (m, band_height, 1, NULL);
  ((MosaicSource *)source)->owns_m = TRUE;
  return source;

fail:
  tess_mosaic_free (m);
  return NULL;
}

/* The bands of @m as @run computes them: @jobs at once (all cores for
 * 0), in threads, one band each — their buffers within BAND_BYTES in all
 * — or in worker processes. */
static TessBlockSource *
run_source (TessMosaic *m, const TessRunOptions *run,
            GCancellable *cancellable, int *jobs, GError **error)
{
  gboolean threads = run == NULL || run->engine != TESS_ENGINE_PROCESSES;
  int n = run ? run->jobs : 1;

  if (!tess__run_options_check (run, error)
      || !ensure_matched (m, cancellable, error))
    return NULL;
  if (n == 0)
    n = (int)g_get_num_processors ();
  n = MIN (n, 64);
  *jobs = n;
  return mosaic_source_make (
      m,
      mosaic_band_height (m, run, n,
                          threads ? BAND_BYTES / (gsize)n : BAND_BYTES),
      1, cancellable);
}

gboolean
tess_mosaic_write (TessMosaic *m, const char *path, TessWriteFlags flags,
                   const TessRunOptions *run, GCancellable *cancellable,
                   TessProgressFunc progress, gpointer user_data,
                   GError **error)
{
  int jobs = 1;
  TessBlockSource *source = run_source (m, run, cancellable, &jobs, error);
  TessStreamWriter *w = NULL;
  TessBlockSink sink = { 0 };
  TessImage *shell;
  gboolean ok = FALSE;

  if (source == NULL)
    return FALSE;
  shell = output_shell (m, error);
  if (shell)
    w = tess__stream_writer_new (path, shell, flags, error);
  tess_image_unref (shell);
  if (w)
    {
      sink.layout = tess__stream_writer_layout (w);
      sink.what = path;
      ok = tess__run_jobs (source, &sink, run ? run->engine : TESS_ENGINE_AUTO,
                           jobs, cancellable, progress, user_data, error);
      if (ok)
        ok = tess__stream_writer_commit (w, error);
      else
        tess__stream_writer_abort (w); /* removes the unfinished file */
    }
  tess__block_source_free (source);
  return ok;
}

gboolean
tess_mosaic_set_offsets (TessMosaic *m, const double *offsets)
{
  if (!m->mo.match_background)
    return FALSE;
  for (int i = 0; i < m->n; i++)
    m->offsets[i] = m->plans[i] ? offsets[i] : 0.0;
  m->matched = TRUE;
  return TRUE;
}

TessPixelType
tess_mosaic_get_pixel_type (const TessMosaic *m)
{
  return m->type;
}

gint64
tess_mosaic_get_nplanes (const TessMosaic *m)
{
  return m->nplanes;
}

gboolean
tess_mosaic_run_into (TessMosaic *m, const TessRunOptions *run, gpointer data,
                      float *footprint, GCancellable *cancellable,
                      TessProgressFunc progress, gpointer user_data,
                      GError **error)
{
  int jobs = 1;
  TessBlockSource *source = run_source (m, run, cancellable, &jobs, error);
  TessBlockSink sink = { 0 };
  gboolean ok;

  if (source == NULL)
    return FALSE;
  sink.data = data;
  sink.footprint = footprint;
  ok = tess__run_jobs (source, &sink, run ? run->engine : TESS_ENGINE_AUTO,
                       jobs, cancellable, progress, user_data, error);
  tess__block_source_free (source);
  return ok;
}
