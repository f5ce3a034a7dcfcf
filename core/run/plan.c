/* plan.c — TessPlan: a validated reprojection whose output is computed
 * region by region, on demand.
 *
 * A region is computed by its method (the table of methods.c: interp.c,
 * adaptive.c, exact.c) from the output → input map (transform.c); the
 * input's planes that need prefiltering (the B-spline methods) are
 * prepared once, when first needed, and shared.
 */
#include "config.h"

#include "methods/tess-methods.h"
#include "run/tess-plan.h"
#include "run/tess-pool.h"
#include "run/tess-run.h"
#include "wcs/tess-spectral.h"
#include "wcs/tess-transform.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Rows of the output computed at a time by tess_plan_run(). */
#define BLOCK_ROWS 256
#define BLOCK_WIDTH 2048
/* The fewest rows of an automatic block when several jobs share them. */
#define MIN_JOB_ROWS 32
/* Automatic blocks a job when several share them. */
#define JOB_BLOCKS 8

struct _TessPlan
{
  gint ref_count;
  TessImage *input;
  TessWcs *target;
  TessOptions options;
  TessGrid grid;
  TessPixelType out_type;

  GMutex lock; /* guards the lazy preparation of planes */
  TessPlane *planes;
  gboolean *ready;
  /* The pieces' words of a shared coefficient file, mapped, or NULL. */
  gpointer states_map;
  gsize states_len;
  int coeffs_fd; /* that file (the plan's own descriptor), or -1 */
  /* The output's planes: the input's, or (with @spec) made from them. */
  TessSpecMap *spec;
  gint64 out_nplanes;
  int out_n_extra;
  gint64 out_extra[TESS_MAX_EXTRA_AXES];
};

const char *
tess_version (void)
{
  return PACKAGE_VERSION;
}

/* Is any part of the target inside the input?  Samples both ways on a
 * coarse grid (the target may lie within one input pixel, or the input
 * within one target pixel). */
static gboolean
check_overlap (TessImage *input, TessWcs *target, gboolean roundtrip,
               GError **error)
{
  enum
  {
    N = 65
  };
  g_autoptr (TessTransform) t
      = tess__transform_new (target, input->wcs, roundtrip, error);
  double *ax, *ay, *bx, *by;
  gboolean found = FALSE;
  gint64 tw = target->width, th = target->height;
  gint64 iw = input->width, ih = input->height;

  if (t == NULL)
    return FALSE;
  ax = g_new (double, N *N);
  ay = g_new (double, N *N);
  bx = g_new (double, N *N);
  by = g_new (double, N *N);

  /* Target grid → input. */
  for (int j = 0; j < N; j++)
    for (int i = 0; i < N; i++)
      {
        ax[j * N + i] = -0.5 + (double)tw * i / (N - 1);
        ay[j * N + i] = -0.5 + (double)th * j / (N - 1);
      }
  tess__transform_exact (t, N * N, ax, ay, bx, by);
  for (int k = 0; k < N * N && !found; k++)
    found = bx[k] >= -0.5 && bx[k] <= iw - 0.5 && by[k] >= -0.5
            && by[k] <= ih - 0.5;
  /* Input grid → target. */
  if (!found)
    {
      for (int j = 0; j < N; j++)
        for (int i = 0; i < N; i++)
          {
            ax[j * N + i] = -0.5 + (double)iw * i / (N - 1);
            ay[j * N + i] = -0.5 + (double)ih * j / (N - 1);
          }
      tess__transform_inverse (t, N * N, ax, ay, bx, by);
      for (int k = 0; k < N * N && !found; k++)
        found = bx[k] >= -0.5 && bx[k] <= tw - 0.5 && by[k] >= -0.5
                && by[k] <= th - 0.5;
    }
  g_free (ax);
  g_free (ay);
  g_free (bx);
  g_free (by);
  if (!found)
    g_set_error (error, TESS_ERROR, TESS_ERROR_NO_OVERLAP,
                 "%s: the target does not overlap the input %s",
                 target->source, input->source ? input->source : "image");
  return found;
}

TessPlan *
tess_plan_new (TessImage *input, TessWcs *target, const TessOptions *options,
               GError **error)
{
  TessOptions defaults;
  TessPlan *plan;
  TessSpecMap *spec;
  GError *local = NULL;
  gsize elem;

  g_return_val_if_fail (input != NULL && target != NULL, NULL);
  if (options == NULL)
    {
      tess_options_init (&defaults);
      options = &defaults;
    }
  if (!tess_options_check (options, error))
    return NULL;

  if (input->wcs == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_WCS,
                   "%s: the input has no WCS",
                   input->source ? input->source : "image");
      return NULL;
    }
  if (target->width <= 0 || target->height <= 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "%s: the target has no image size (NAXIS1, NAXIS2)",
                   target->source);
      return NULL;
    }
  elem = input->type == TESS_TYPE_DOUBLE ? sizeof (double) : sizeof (float);
  if ((guint64)target->width * (guint64)target->height
      > G_MAXSIZE / elem / (guint64)input->nplanes / 2)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "%s: an output of %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                   " pixels is too large",
                   target->source, target->width, target->height);
      return NULL;
    }
  spec = tess__spec_map_new (target, input, options->method, &local);
  if (local)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  if (!check_overlap (input, target, options->roundtrip, error))
    {
      tess__spec_map_free (spec);
      return NULL;
    }

  plan = g_new0 (TessPlan, 1);
  plan->spec = spec;
  plan->out_n_extra = input->n_extra;
  plan->out_nplanes = input->nplanes;
  for (int i = 0; i < input->n_extra; i++)
    plan->out_extra[i] = input->extra[i];
  if (spec)
    plan->out_extra[0] = plan->out_nplanes = tess__spec_map_nout (spec);
  plan->ref_count = 1;
  plan->coeffs_fd = -1;
  plan->input = tess_image_ref (input);
  plan->target = tess_wcs_ref (target);
  plan->options = *options;
  plan->grid.width = target->width;
  plan->grid.height = target->height;
  plan->grid.step = options->grid_step;
  plan->grid.tolerance = options->transform_tolerance;
  plan->grid.exact = options->exact_transform;
  /* The input's own type: double for BITPIX -64 and for integers wider
   * than float's 24 bits (BITPIX 32 and 64), float otherwise. */
  plan->out_type = input->type;
  g_mutex_init (&plan->lock);
  plan->planes = g_new0 (TessPlane, input->nplanes);
  plan->ready = g_new0 (gboolean, input->nplanes);
  return plan;
}

TessPlan *
tess_plan_ref (TessPlan *plan)
{
  g_atomic_int_inc (&plan->ref_count);
  return plan;
}

void
tess_plan_unref (TessPlan *plan)
{
  if (plan == NULL || !g_atomic_int_dec_and_test (&plan->ref_count))
    return;
  for (gint64 p = 0; p < plan->input->nplanes; p++)
    if (plan->ready[p])
      tess__plane_clear (&plan->planes[p]);
  g_free (plan->planes);
  g_free (plan->ready);
  if (plan->states_map)
    munmap (plan->states_map, plan->states_len);
  if (plan->coeffs_fd >= 0)
    close (plan->coeffs_fd);
  tess__spec_map_free (plan->spec);
  g_mutex_clear (&plan->lock);
  tess_image_unref (plan->input);
  tess_wcs_unref (plan->target);
  g_free (plan);
}

TessPixelType
tess_plan_get_pixel_type (const TessPlan *plan)
{
  return plan->out_type;
}

gint64
tess_plan_get_nplanes (const TessPlan *plan)
{
  return plan->out_nplanes;
}

static TessPlane *
get_plane (TessPlan *plan, gint64 p, GError **error)
{
  TessPlane *result = NULL;
  TessImage *in = plan->input;

  g_mutex_lock (&plan->lock);
  if (!plan->ready[p]
      && tess__plane_prepare (&plan->planes[p], plan->options.method, in, p,
                              error))
    plan->ready[p] = TRUE;
  if (plan->ready[p])
    result = &plan->planes[p];
  g_mutex_unlock (&plan->lock);
  return result;
}

/* Is @rect a non-empty rectangle inside the plan's output? */
gboolean
tess__plan_check_rect (const TessPlan *plan, const TessRect *rect,
                       GError **error)
{
  if (rect->x0 >= 0 && rect->y0 >= 0 && rect->width > 0 && rect->height > 0
      && rect->x0 + rect->width <= plan->grid.width
      && rect->y0 + rect->height <= plan->grid.height)
    return TRUE;
  g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
               "region %" G_GINT64_FORMAT ":%" G_GINT64_FORMAT
               ",%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT
               " is not inside the %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
               " output",
               rect->x0, rect->x0 + rect->width, rect->y0,
               rect->y0 + rect->height, plan->grid.width, plan->grid.height);
  return FALSE;
}

/* 1 in @footprint where any of the @nplanes planes of @data has a value. */
static void
footprint_from_data (TessPixelType type, gconstpointer data, gint64 nplanes,
                     gsize npix, float *footprint)
{
  for (gsize k = 0; k < npix; k++)
    footprint[k] = 0.0f;
  for (gint64 p = 0; p < nplanes; p++)
    {
      if (type == TESS_TYPE_DOUBLE)
        {
          const double *d = (const double *)data + (gsize)p * npix;
          for (gsize k = 0; k < npix; k++)
            if (!isnan (d[k]))
              footprint[k] = 1.0f;
        }
      else
        {
          const float *f = (const float *)data + (gsize)p * npix;
          for (gsize k = 0; k < npix; k++)
            if (!isnan (f[k]))
              footprint[k] = 1.0f;
        }
    }
}

static gboolean compute_input_planes (TessPlan *plan, const TessRect *rect,
                                      gpointer data, float *footprint,
                                      GError **error);

gboolean
tess_plan_compute_region (TessPlan *plan, const TessRect *rect, gpointer data,
                          float *footprint, GError **error)
{
  gsize npix, oelem;
  gpointer planes;
  gboolean own = tess__method_class (plan->options.method)->own_footprint;
  gboolean ok;

  if (!tess__plan_check_rect (plan, rect, error))
    return FALSE;
  npix = (gsize)rect->width * (gsize)rect->height;
  if (plan->spec == NULL)
    {
      if (!compute_input_planes (plan, rect, data, footprint, error))
        return FALSE;
      if (footprint && !own)
        footprint_from_data (plan->out_type, data, plan->out_nplanes, npix,
                             footprint);
      return TRUE;
    }
  /* The input's planes reprojected, then combined along axis 3. */
  oelem = plan->out_type == TESS_TYPE_DOUBLE ? 8 : 4;
  planes = tess__alloc_large (npix * oelem * (gsize)plan->input->nplanes);
  if (planes == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_NO_MEMORY,
                   "%s: not enough memory for the %" G_GINT64_FORMAT
                   " input planes of a block",
                   plan->target->source, plan->input->nplanes);
      return FALSE;
    }
  ok = compute_input_planes (plan, rect, planes, own ? footprint : NULL, error)
       && tess__spec_map_combine (plan->spec, plan->out_type, planes, npix,
                                  data, error);
  g_free (planes);
  if (ok && footprint && !own)
    footprint_from_data (plan->out_type, data, plan->out_nplanes, npix,
                         footprint);
  return ok;
}

static TessPlane *
plan_plane (gpointer owner, gint64 p, GError **error)
{
  return get_plane (owner, p, error);
}

/* The input's planes over @rect (and, for a method with a footprint of
 * its own, @footprint), as the method's entry says. */
static gboolean
compute_input_planes (TessPlan *plan, const TessRect *rect, gpointer data,
                      float *footprint, GError **error)
{
  const TessMethodClass *c = tess__method_class (plan->options.method);
  g_autoptr (TessTransform) t = NULL;
  TessMethodBlock b = { 0 };

  t = tess__transform_new (plan->target, plan->input->wcs,
                           plan->options.roundtrip, error);
  if (t == NULL)
    return FALSE;
  b.transform = t;
  b.grid = &plan->grid;
  b.target = plan->target;
  b.options = &plan->options;
  b.input = plan->input;
  b.out_type = plan->out_type;
  b.rect = rect;
  b.data = data;
  b.footprint = c->own_footprint ? footprint : NULL;
  b.get_plane = plan_plane;
  b.owner = plan;
  return c->compute (&b, error);
}

const TessOptions *
tess__plan_get_options (const TessPlan *plan)
{
  return &plan->options;
}

TessImage *
tess__plan_get_input (const TessPlan *plan)
{
  return plan->input;
}

gboolean
tess__plan_use_coefficient_file (TessPlan *plan, int fd, GError **error)
{
  TessImage *in = plan->input;
  guint64 states_offset, total;
  gsize plane_bytes = tess__coeffs_bytes (in->type, in->width, in->height);
  gsize npieces = tess__prefilter_n_pieces (in->type, in->width, in->height);
  gpointer map;

  total = tess__coeffs_file_bytes (in->type, in->width, in->height,
                                   in->nplanes, &states_offset);
  fd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  map = fd < 0 ? MAP_FAILED
               : mmap (NULL, (gsize)(total - states_offset),
                       PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                       (off_t)states_offset);
  if (map == MAP_FAILED)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "cannot map the spline coefficients' states: %s",
                   g_strerror (errno));
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  g_mutex_lock (&plan->lock);
  if (plan->states_map)
    munmap (plan->states_map, plan->states_len);
  if (plan->coeffs_fd >= 0)
    close (plan->coeffs_fd);
  plan->coeffs_fd = fd;
  plan->states_map = map;
  plan->states_len = (gsize)(total - states_offset);
  for (gint64 p = 0; p < in->nplanes; p++)
    {
      if (plan->ready[p])
        tess__plane_clear (&plan->planes[p]);
      tess__plane_init_file (&plan->planes[p], plan->options.method, in->type,
                             in->width, in->height, fd,
                             (guint64)p * plane_bytes);
      tess__plane_make_shared (&plan->planes[p], in, p,
                               (gint32 *)map + (gsize)p * npieces);
      plan->ready[p] = TRUE;
    }
  g_mutex_unlock (&plan->lock);
  return TRUE;
}

/* The automatic block: whole rows up to 2048 pixels wide, 256 rows high
 * (the coordinate map of a tile stays in cache, and progress is reported
 * often enough). */
TessRect *
tess__plan_make_blocks (const TessRunOptions *run, const TessRect *rect,
                        gint64 *nblocks, GError **error)
{
  gint64 W = rect->width, H = rect->height, bw, bh, nbx, nby;
  TessRect *blocks;

  if (run && (run->block_width < 0 || run->block_height < 0))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "the block size must be positive (or 0 for automatic)");
      return NULL;
    }
  bw = run && run->block_width > 0 ? run->block_width : BLOCK_WIDTH;
  bh = run && run->block_height > 0 ? run->block_height : BLOCK_ROWS;
  bw = MIN (bw, W);
  bh = MIN (bh, H);
  nbx = (W + bw - 1) / bw;
  nby = (H + bh - 1) / bh;
  *nblocks = nbx * nby;
  /* The blocks, row by row, in target coordinates. */
  blocks = g_new (TessRect, *nblocks);
  for (gint64 b = 0; b < *nblocks; b++)
    {
      gint64 bx = (b % nbx) * bw, by = (b / nbx) * bh;
      TessRect r = { rect->x0 + bx, rect->y0 + by, MIN (bw, W - bx),
                     MIN (bh, H - by) };
      blocks[b] = r;
    }
  return blocks;
}

/* A plan's region as a source of blocks. */
typedef struct
{
  TessBlockSource base;
  TessPlan *plan;
  TessRect rect;
  TessRect *blocks; /* in target coordinates */
  gint64 nblocks;
} PlanSource;

static gint64
plan_n_blocks (const TessBlockSource *s)
{
  return ((const PlanSource *)s)->nblocks;
}

static TessRect
plan_get_block (const TessBlockSource *s, gint64 i)
{
  const PlanSource *ps = (const PlanSource *)s;

  return tess__block_in_region (ps->blocks, ps->nblocks, &ps->rect, i);
}

static gboolean
plan_compute (TessBlockSource *s, gint64 i, gpointer data, float *footprint,
              GError **error)
{
  PlanSource *ps = (PlanSource *)s;

  return tess_plan_compute_region (ps->plan, &ps->blocks[i], data, footprint,
                                   error);
}

static void
plan_release (TessBlockSource *s)
{
  tess__plan_release_pages (((PlanSource *)s)->plan);
}

static TessImage *
plan_output_shell (TessBlockSource *s, GError **error)
{
  PlanSource *ps = (PlanSource *)s;

  return tess__plan_output_shell (ps->plan, &ps->rect, error);
}

gboolean
tess__plan_describe (TessPlan *plan, TessDescription *d, const char *group,
                     GError **error)
{
  g_autofree char *og = g_strconcat (group, " options", NULL);

  if (!tess__description_set_image (d, group, "input", plan->input, error))
    return FALSE;
  tess__description_set_wcs (d, group, "target", plan->target);
  tess__description_set_options (d, og, &plan->options);
  if (tess__method_is_spline (plan->options.method)
      && !tess__description_is_portable (d))
    {
      /* The coefficients, shared: each piece made once, by whichever
       * process needs it first. */
      TessImage *in = plan->input;
      guint64 states_offset;
      guint64 bytes = tess__coeffs_file_bytes (in->type, in->width, in->height,
                                               in->nplanes, &states_offset);
      int fd = tess__shared_file ("spline coefficients", bytes, error);

      if (fd < 0)
        return FALSE;
      tess__description_set_fd (d, group, "coefficients", fd);
    }
  return TRUE;
}

TessPlan *
tess__plan_rebuild (TessDescription *d, const char *group, GError **error)
{
  g_autofree char *og = g_strconcat (group, " options", NULL);
  TessImage *input = NULL;
  TessWcs *target = NULL;
  TessPlan *plan = NULL;
  TessOptions opt;

  if (!tess__description_get_options (d, og, &opt, error))
    return NULL;
  target = tess__description_get_wcs (d, group, "target", error);
  if (target)
    input = tess__description_get_image (d, group, "input", error);
  if (input)
    {
      if (!tess__method_is_spline (opt.method))
        tess__image_populate (input);
      plan = tess_plan_new (input, target, &opt, error);
    }
  if (plan && !tess__plan_rebuild_coefficients (plan, d, group, error))
    g_clear_pointer (&plan, tess_plan_unref);
  if (input)
    tess_image_unref (input);
  if (target)
    tess_wcs_unref (target);
  return plan;
}

gboolean
tess__plan_rebuild_coefficients (TessPlan *plan, TessDescription *d,
                                 const char *group, GError **error)
{
  int fd;

  if (!tess__description_has (d, group, "coefficients"))
    return TRUE; /* made by the plan itself */
  fd = tess__description_get_fd (d, group, "coefficients", error);
  /* Each block reads the rows it needs from the file (into memory of this
   * process's own, reused): cheaper than faulting in pages of a shared
   * mapping. */
  return fd >= 0 && tess__plan_use_coefficient_file (plan, fd, error);
}

static gboolean
plan_describe (TessBlockSource *s, TessDescription *d, GError **error)
{
  PlanSource *ps = (PlanSource *)s;

  tess__description_set_string (d, "source", "kind", "plan");
  if (!tess__plan_describe (ps->plan, d, "plan", error))
    return FALSE;
  tess__description_set_rect (d, "plan", "region", &ps->rect);
  /* The blocks, which the rebuilt source cuts again from their size. */
  tess__description_set_int64 (d, "plan", "block-width", ps->blocks[0].width);
  tess__description_set_int64 (d, "plan", "block-height",
                               ps->blocks[0].height);
  return TRUE;
}

static void
plan_free (TessBlockSource *s)
{
  PlanSource *ps = (PlanSource *)s;

  tess_plan_unref (ps->plan);
  g_free (ps->blocks);
  g_free (ps);
}

static const TessBlockSourceFuncs plan_source_funcs
    = { plan_n_blocks,     plan_get_block, plan_compute, plan_release,
        plan_output_shell, plan_describe,  plan_free };

TessBlockSource *
tess__plan_source_rebuild (TessDescription *d, GError **error)
{
  TessBlockSource *source = NULL;
  TessRunOptions run;
  TessRect rect;
  TessPlan *plan;

  tess_run_options_init (&run);
  if (!tess__description_get_rect (d, "plan", "region", &rect, error)
      || !tess__description_get_int64 (d, "plan", "block-width",
                                       &run.block_width, error)
      || !tess__description_get_int64 (d, "plan", "block-height",
                                       &run.block_height, error))
    return NULL;
  plan = tess__plan_rebuild (d, "plan", error);
  if (plan == NULL)
    return NULL;
  source = tess__plan_source_new (plan, &rect, &run, error);
  tess_plan_unref (plan);
  return source;
}

TessBlockSource *
tess__plan_source_new (TessPlan *plan, const TessRect *rect,
                       const TessRunOptions *run, GError **error)
{
  TessRect all = { 0, 0, plan->grid.width, plan->grid.height };
  PlanSource *ps;
  TessRect *blocks;
  gint64 n;

  if (rect == NULL)
    rect = &all;
  if (!tess__plan_check_rect (plan, rect, error))
    return NULL;
  blocks = tess__plan_make_blocks (run, rect, &n, error);
  if (blocks == NULL)
    return NULL;
  ps = g_new0 (PlanSource, 1);
  ps->base.funcs = &plan_source_funcs;
  ps->base.width = rect->width;
  ps->base.height = rect->height;
  ps->base.nplanes = plan->out_nplanes;
  ps->base.elem = plan->out_type == TESS_TYPE_DOUBLE ? 8 : 4;
  ps->plan = tess_plan_ref (plan);
  ps->rect = *rect;
  ps->blocks = blocks;
  ps->nblocks = n;
  return &ps->base;
}

void
tess__plan_release_pages (TessPlan *plan)
{
  tess__image_drop_pages (plan->input);
  /* (Planes are made ready under the lock, by other threads too.) */
  g_mutex_lock (&plan->lock);
  for (gint64 p = 0; p < plan->input->nplanes; p++)
    if (plan->ready[p])
      tess__plane_drop_pages (&plan->planes[p]);
  g_mutex_unlock (&plan->lock);
}

/* Work below which --jobs auto keeps to one job, in bilinear output
 * pixels: starting a worker process (spawn, mapping, plan) costs some
 * 20 ms, which a 1024x1024 bilinear run does not win back; a thread costs
 * next to nothing, and two gain from about 256x256 on (bench/jobs). */
#define AUTO_PROCESSES_MIN_WORK 2e6
#define AUTO_THREADS_MIN_WORK 6e4

/* --jobs auto: a job a core, or one when the work is too small to pay
 * for more. */
static int
auto_jobs (const TessPlan *plan, const TessRect *rect, TessEngine engine)
{
  double weight = tess__method_class (plan->options.method)->weight, work;

  work = weight * (double)rect->width * (double)rect->height
         * (double)plan->input->nplanes;
  return work < (engine == TESS_ENGINE_PROCESSES ? AUTO_PROCESSES_MIN_WORK
                                                 : AUTO_THREADS_MIN_WORK)
             ? 1
             : (int)g_get_num_processors ();
}

static gboolean
run_blocks (TessPlan *plan, const TessRect *rect, const TessRunOptions *run,
            const TessBlockSink *sink, GCancellable *cancellable,
            TessProgressFunc progress, gpointer user_data, GError **error)
{
  TessBlockSource *source;
  TessRunOptions tuned;
  TessEngine engine = run ? run->engine : TESS_ENGINE_AUTO;
  int jobs = run ? run->jobs : 1;
  gboolean ok;

  if (!tess__run_options_check (run, error))
    return FALSE;
  if (engine == TESS_ENGINE_PROCESSES && jobs != 1
      && plan->input->source == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "worker processes read the input from its file: this "
                   "image has none (use threads)");
      return FALSE;
    }
  if (jobs == 0)
    jobs = auto_jobs (plan, rect, engine);
  jobs = MIN (jobs, 64);
  if (jobs > 1 && (run == NULL || run->block_height == 0))
    {
      /* Automatic blocks for several jobs: whole rows (written in one
       * piece, as blocks now come in any order), some eight blocks a job
       * so that they end together (blocks differ in cost), no more pixels
       * than an automatic block of one job, at least MIN_JOB_ROWS rows. */
      gint64 rows = rect->height / (JOB_BLOCKS * jobs);

      if (run)
        tuned = *run;
      else
        tess_run_options_init (&tuned);
      if (tuned.block_width == 0)
        {
          tuned.block_width = rect->width;
          rows = MIN (rows, BLOCK_WIDTH * BLOCK_ROWS / rect->width);
        }
      tuned.block_height = CLAMP (rows, MIN_JOB_ROWS, BLOCK_ROWS);
      run = &tuned;
    }
  source = tess__plan_source_new (plan, rect, run, error);
  if (source == NULL)
    return FALSE;
  jobs = (int)MIN ((gint64)jobs, ((PlanSource *)source)->nblocks);
  ok = tess__run_jobs (source, sink, engine, jobs, cancellable, progress,
                       user_data, error);
  tess__block_source_free (source);
  return ok;
}

/* The output image of @rect: its WCS (the target's, shifted to the
 * region), the input's keywords and HISTORY; pixels only @with_data. */
static TessImage *
make_output (TessPlan *plan, const TessRect *rect, gboolean with_data,
             GError **error)
{
  TessImage *in = plan->input;
  TessImage *out;
  TessWcs *wcs;
  gint64 W = rect->width, H = rect->height;
  char *history;

  if (rect->x0 == 0 && rect->y0 == 0 && W == plan->grid.width
      && H == plan->grid.height)
    wcs = tess_wcs_ref (plan->target);
  else
    wcs = tess_wcs_crop (plan->target, rect->x0, rect->y0, W, H);
  out = tess__image_alloc (wcs, plan->out_type, W, H, plan->out_n_extra,
                           plan->out_extra, with_data, error);
  tess_wcs_unref (wcs);
  if (out == NULL)
    {
      g_prefix_error (error, "%s: output: ", plan->target->source);
      return NULL;
    }
  if (with_data)
    {
      out->footprint
          = tess__alloc_large ((gsize)W * (gsize)H * sizeof (float));
      if (out->footprint == NULL)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_NO_MEMORY,
                       "%s: output: not enough memory for the footprint",
                       plan->target->source);
          tess_image_unref (out);
          return NULL;
        }
    }
  /* The input's keywords; its celestial WCS is replaced by the target's
   * when written. */
  g_string_append_len (out->cards, in->cards->str, (gssize)in->cards->len);
  if (plan->spec)
    {
      /* Axis 3 is the target's too. */
      tess__drop_axis3_cards (out->cards);
      tess__spec_axis_cards (plan->target, out->cards);
    }
  history = g_strdup_printf (
      "Reprojected by Tessera %s (%s%s) from %s", PACKAGE_VERSION,
      tess_method_name (plan->options.method),
      plan->options.exact_transform ? ", exact transform" : "",
      in->source ? in->source : "an image");
  tess_image_add_history (out, history);
  g_free (history);
  if (W == plan->grid.width && H == plan->grid.height)
    history = g_strdup_printf ("Target WCS from %s", plan->target->source);
  else
    history = g_strdup_printf (
        "Target WCS from %s, region %" G_GINT64_FORMAT ":%" G_GINT64_FORMAT
        ",%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
        plan->target->source, rect->x0, rect->x0 + W, rect->y0, rect->y0 + H);
  tess_image_add_history (out, history);
  g_free (history);
  return out;
}

TessImage *
tess_plan_run_region (TessPlan *plan, const TessRect *rect,
                      const TessRunOptions *run, GCancellable *cancellable,
                      TessProgressFunc progress, gpointer user_data,
                      GError **error)
{
  TessImage *out;
  TessBlockSink sink = { 0 };

  if (!tess__plan_check_rect (plan, rect, error))
    return NULL;
  out = make_output (plan, rect, TRUE, error);
  if (out == NULL)
    return NULL;
  sink.data = out->data;
  sink.footprint = out->footprint;
  if (!run_blocks (plan, rect, run, &sink, cancellable, progress, user_data,
                   error))
    {
      tess_image_unref (out);
      return NULL;
    }
  return out;
}

gboolean
tess_plan_write (TessPlan *plan, const TessRect *rect,
                 const TessRunOptions *run, const char *path,
                 TessWriteFlags flags, GCancellable *cancellable,
                 TessProgressFunc progress, gpointer user_data, GError **error)
{
  TessRect all = { 0, 0, plan->grid.width, plan->grid.height };
  TessStreamWriter *w;
  TessImage *shell;
  TessBlockSink sink = { 0 };
  gboolean ok;

  if (rect == NULL)
    rect = &all;
  if (!tess__plan_check_rect (plan, rect, error))
    return FALSE;
  shell = make_output (plan, rect, FALSE, error);
  if (shell == NULL)
    return FALSE;
  w = tess__stream_writer_new (path, shell, flags, error);
  tess_image_unref (shell);
  if (w == NULL)
    return FALSE;
  sink.layout = tess__stream_writer_layout (w);
  sink.what = path;
  ok = run_blocks (plan, rect, run, &sink, cancellable, progress, user_data,
                   error);
  if (ok)
    return tess__stream_writer_commit (w, error);
  tess__stream_writer_abort (w);
  return FALSE;
}

gboolean
tess_plan_run_into (TessPlan *plan, const TessRect *rect,
                    const TessRunOptions *run, gpointer data, float *footprint,
                    GCancellable *cancellable, TessProgressFunc progress,
                    gpointer user_data, GError **error)
{
  TessRect all = { 0, 0, plan->grid.width, plan->grid.height };
  TessBlockSink sink = { 0 };

  if (rect == NULL)
    rect = &all;
  if (!tess__plan_check_rect (plan, rect, error))
    return FALSE;
  sink.data = data;
  sink.footprint = footprint;
  return run_blocks (plan, rect, run, &sink, cancellable, progress, user_data,
                     error);
}

TessImage *
tess_plan_run (TessPlan *plan, GCancellable *cancellable,
               TessProgressFunc progress, gpointer user_data, GError **error)
{
  TessRect all = { 0, 0, plan->grid.width, plan->grid.height };

  return tess_plan_run_region (plan, &all, NULL, cancellable, progress,
                               user_data, error);
}

TessImage *
tess_reproject (TessImage *input, TessWcs *target, const TessOptions *options,
                GError **error)
{
  TessPlan *plan = tess_plan_new (input, target, options, error);
  TessImage *out;

  if (plan == NULL)
    return NULL;
  out = tess_plan_run (plan, NULL, NULL, NULL, error);
  tess_plan_unref (plan);
  return out;
}

TessImage *
tess__plan_output_shell (TessPlan *plan, const TessRect *rect, GError **error)
{
  return make_output (plan, rect, FALSE, error);
}

void
tess__plan_get_size (const TessPlan *plan, gint64 *width, gint64 *height)
{
  *width = plan->grid.width;
  *height = plan->grid.height;
}
