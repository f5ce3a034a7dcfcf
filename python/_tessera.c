/* _tessera.c — tessera._tessera, the C extension of the Python package:
 * one reprojection of a numpy array (its samples used in place when they
 * are float32 or float64, native or big-endian, contiguous) from a FITS
 * header onto another, computed by libtessera in blocks, in as many
 * threads as asked, with the GIL released.  The Python side
 * (tessera/_reproject.py) gives it astropy reproject's interface.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include "tessera.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* Raised when the target does not overlap the input (a ValueError). */
static PyObject *no_overlap_error;

/* Raises the Python exception matching @error and frees it. */
static void
raise_gerror (GError *error)
{
  PyObject *type = PyExc_RuntimeError;

  if (error->domain == TESS_ERROR)
    switch ((TessError)error->code)
      {
      case TESS_ERROR_IO:
        type = PyExc_OSError;
        break;
      case TESS_ERROR_FORMAT:
      case TESS_ERROR_WCS:
      case TESS_ERROR_INVALID:
        type = PyExc_ValueError;
        break;
      case TESS_ERROR_NO_OVERLAP:
        type = no_overlap_error;
        break;
      case TESS_ERROR_UNSUPPORTED:
        type = PyExc_NotImplementedError;
        break;
      case TESS_ERROR_NO_MEMORY:
        type = PyExc_MemoryError;
        break;
      case TESS_ERROR_CANCELLED:
        type = PyExc_KeyboardInterrupt;
        break;
      }
  PyErr_SetString (type, error->message);
  g_error_free (error);
}

/* ---------------------------------------------------------------------- */
/* Options                                                                 */

typedef enum
{
  OPT_BOOL,
  OPT_INT,
  OPT_DOUBLE,
  OPT_METHOD,
  OPT_KERNEL,
  OPT_BOUNDARY,
  OPT_BAD_VALUE,
  OPT_NAN_MODE,
} OptionKind;

typedef struct
{
  const char *name;
  OptionKind kind;
  size_t offset;
} OptionField;

#define FIELD(name, kind)                                                     \
  {                                                                           \
#name, kind, offsetof(TessOptions, name)                                  \
  }
static const OptionField option_fields[] = {
  FIELD (method, OPT_METHOD),
  FIELD (roundtrip, OPT_BOOL),
  FIELD (exact_transform, OPT_BOOL),
  FIELD (transform_tolerance, OPT_DOUBLE),
  FIELD (grid_step, OPT_INT),
  FIELD (kernel, OPT_KERNEL),
  FIELD (kernel_width, OPT_DOUBLE),
  FIELD (sample_region_width, OPT_DOUBLE),
  FIELD (boundary_mode, OPT_BOUNDARY),
  FIELD (boundary_fill_value, OPT_DOUBLE),
  FIELD (boundary_ignore_threshold, OPT_DOUBLE),
  FIELD (bad_value_mode, OPT_BAD_VALUE),
  FIELD (bad_fill_value, OPT_DOUBLE),
  FIELD (conserve_flux, OPT_BOOL),
  FIELD (center_jacobian, OPT_BOOL),
  FIELD (despike_jacobian, OPT_BOOL),
  FIELD (x_cyclic, OPT_BOOL),
  FIELD (y_cyclic, OPT_BOOL),
  FIELD (nan_mode, OPT_NAN_MODE),
};
#undef FIELD

/* Sets one option from a Python value; FALSE with an exception set. */
static gboolean
set_option (TessOptions *options, const OptionField *f, PyObject *value)
{
  char *p = (char *)options + f->offset;
  GError *error = NULL;
  gboolean ok = TRUE;
  const char *name;

  switch (f->kind)
    {
    case OPT_BOOL:
      {
        int b = PyObject_IsTrue (value);
        if (b < 0)
          return FALSE;
        *(gboolean *)p = b;
        return TRUE;
      }
    case OPT_INT:
      {
        long v = PyLong_AsLong (value);
        if (v == -1 && PyErr_Occurred ())
          return FALSE;
        if (v < G_MININT || v > G_MAXINT)
          {
            PyErr_Format (PyExc_ValueError, "%s is out of range", f->name);
            return FALSE;
          }
        *(int *)p = (int)v;
        return TRUE;
      }
    case OPT_DOUBLE:
      {
        double v = PyFloat_AsDouble (value);
        if (v == -1.0 && PyErr_Occurred ())
          return FALSE;
        *(double *)p = v;
        return TRUE;
      }
    default:
      break;
    }
  name = PyUnicode_Check (value) ? PyUnicode_AsUTF8 (value) : NULL;
  if (name == NULL)
    {
      if (!PyErr_Occurred ())
        PyErr_Format (PyExc_TypeError, "%s must be a string", f->name);
      return FALSE;
    }
  switch (f->kind)
    {
    case OPT_METHOD:
      ok = tess_method_from_name (name, (TessMethod *)p, &error);
      break;
    case OPT_KERNEL:
      ok = tess_kernel_from_name (name, (TessKernel *)p, &error);
      break;
    case OPT_BOUNDARY:
      ok = tess_boundary_mode_from_name (name, (TessBoundaryMode *)p, &error);
      break;
    case OPT_BAD_VALUE:
      ok = tess_bad_value_mode_from_name (name, (TessBadValueMode *)p, &error);
      break;
    case OPT_NAN_MODE:
      ok = tess_nan_mode_from_name (name, (TessNanMode *)p, &error);
      break;
    default:
      break;
    }
  if (!ok)
    {
      PyErr_Format (PyExc_ValueError, "%s: %s", f->name, error->message);
      g_error_free (error);
    }
  return ok;
}

/* TessOptions from a dict of option names (TessOptions' fields) and
 * values; FALSE with an exception naming an unknown or bad one. */
static gboolean
parse_options (PyObject *dict, TessOptions *options)
{
  PyObject *key, *value;
  Py_ssize_t pos = 0;
  GError *error = NULL;

  tess_options_init (options);
  if (dict == NULL || dict == Py_None)
    return TRUE;
  if (!PyDict_Check (dict))
    {
      PyErr_SetString (PyExc_TypeError, "options must be a dict");
      return FALSE;
    }
  while (PyDict_Next (dict, &pos, &key, &value))
    {
      const char *name = PyUnicode_Check (key) ? PyUnicode_AsUTF8 (key) : NULL;
      const OptionField *f = NULL;

      if (name == NULL)
        {
          if (!PyErr_Occurred ())
            PyErr_SetString (PyExc_TypeError, "option names must be strings");
          return FALSE;
        }
      for (size_t i = 0; i < G_N_ELEMENTS (option_fields); i++)
        if (strcmp (option_fields[i].name, name) == 0)
          f = &option_fields[i];
      if (f == NULL)
        {
          PyErr_Format (PyExc_ValueError, "unknown option %s", name);
          return FALSE;
        }
      if (!set_option (options, f, value))
        return FALSE;
    }
  if (!tess_options_check (options, &error))
    {
      raise_gerror (error);
      return FALSE;
    }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* reproject()                                                             */

/* The header text as cards: its length must be a multiple of 80. */
static const char *
header_cards (PyObject *text, const char *what, int *ncards)
{
  Py_ssize_t len;
  const char *s = PyUnicode_AsUTF8AndSize (text, &len);

  if (s == NULL)
    return NULL;
  if (len % 80 != 0 || len / 80 > G_MAXINT || strlen (s) != (size_t)len)
    {
      PyErr_Format (PyExc_ValueError,
                    "%s must be 80-character ASCII cards (%zd characters)",
                    what, len);
      return NULL;
    }
  *ncards = (int)(len / 80);
  return s;
}

/* The input as an array libtessera reads in place: float32 or float64,
 * C-contiguous, aligned, native or big-endian; other arrays are converted
 * once (integers of up to 16 bits to float32, others to float64, as FITS
 * BITPIX does). */
static PyArrayObject *
input_array (PyObject *obj)
{
  PyArrayObject *a = (PyArrayObject *)PyArray_FROM_OF (obj, NPY_ARRAY_ALIGNED);
  PyArray_Descr *d;
  int type;

  if (a == NULL)
    return NULL;
  d = PyArray_DESCR (a);
  type = d->type_num;
  if ((type == NPY_FLOAT32 || type == NPY_FLOAT64)
      && PyArray_IS_C_CONTIGUOUS (a) && PyArray_ISALIGNED (a)
      && (PyArray_ISNOTSWAPPED (a) || d->byteorder == '>'))
    return a;
  if (type != NPY_FLOAT32 && type != NPY_FLOAT64)
    type = (PyTypeNum_ISINTEGER (type) || PyTypeNum_ISBOOL (type))
                   && d->elsize <= 2
               ? NPY_FLOAT32
               : NPY_FLOAT64;
  if (PyTypeNum_ISCOMPLEX (d->type_num) || !PyTypeNum_ISNUMBER (d->type_num))
    {
      PyErr_Format (PyExc_TypeError,
                    "input data of dtype %S are not real "
                    "numbers",
                    (PyObject *)d);
      Py_DECREF (a);
      return NULL;
    }
  {
    PyArrayObject *c = (PyArrayObject *)PyArray_FromArray (
        a, PyArray_DescrFromType (type),
        NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED | NPY_ARRAY_FORCECAST);
    Py_DECREF (a);
    return c;
  }
}

/* Checks shape_out (@out_h, @out_w) and reads block_size (None, or
 * (height, width), both positive) into @block_h, @block_w (0: none). */
static gboolean
parse_sizes (gint64 out_h, gint64 out_w, PyObject *block_obj, gint64 *block_h,
             gint64 *block_w)
{
  if (out_w <= 0 || out_h <= 0)
    {
      PyErr_Format (PyExc_ValueError,
                    "shape_out (%lld, %lld) must be positive",
                    (long long)out_h, (long long)out_w);
      return FALSE;
    }
  if (block_obj != Py_None
      && !PyArg_ParseTuple (block_obj, "LL:block_size", block_h, block_w))
    return FALSE;
  if (*block_w < 0 || *block_h < 0
      || (block_obj != Py_None && *block_w * *block_h == 0))
    {
      PyErr_SetString (PyExc_ValueError, "block_size must be positive");
      return FALSE;
    }
  return TRUE;
}

static PyObject *
py_reproject (PyObject *self, PyObject *args, PyObject *kwargs)
{
  static char *kwlist[]
      = { "data",       "header_in", "header_out", "shape_out", "options",
          "block_size", "threads",   "footprint",  "out",       NULL };
  PyObject *data_obj, *header_in, *header_out, *options_obj = NULL;
  PyObject *block_obj = Py_None, *out_obj = Py_None, *result = NULL;
  PyArrayObject *in = NULL, *out = NULL, *fp = NULL;
  gint64 out_w, out_h, block_w = 0, block_h = 0;
  int threads = 1, want_fp = 1, ncards_in, ncards_out;
  const char *cards_in, *cards_out;
  TessOptions options;
  TessWcs *wcs_in = NULL, *wcs_out = NULL, *target = NULL;
  TessImage *image = NULL;
  TessPlan *plan = NULL;
  GError *error = NULL;
  gint64 width, height, nplanes = 1;
  int ndim;
  gboolean big_endian, ok;
  TessRunOptions run;

  if (!PyArg_ParseTupleAndKeywords (args, kwargs, "OUU(LL)|OOipO:reproject",
                                    kwlist, &data_obj, &header_in, &header_out,
                                    &out_h, &out_w, &options_obj, &block_obj,
                                    &threads, &want_fp, &out_obj))
    return NULL;
  if (!parse_sizes (out_h, out_w, block_obj, &block_h, &block_w))
    return NULL;
  if (!parse_options (options_obj, &options))
    return NULL;
  cards_in = header_cards (header_in, "header_in", &ncards_in);
  cards_out
      = cards_in ? header_cards (header_out, "header_out", &ncards_out) : NULL;
  if (cards_out == NULL)
    return NULL;
  in = input_array (data_obj);
  if (in == NULL)
    return NULL;
  ndim = PyArray_NDIM (in);
  if (ndim < 2)
    {
      PyErr_Format (PyExc_ValueError,
                    "input data must have 2 or more dimensions, not %d", ndim);
      goto out;
    }
  width = PyArray_DIM (in, ndim - 1);
  height = PyArray_DIM (in, ndim - 2);
  for (int i = 0; i < ndim - 2; i++)
    nplanes *= PyArray_DIM (in, i);
  big_endian = PyArray_DESCR (in)->byteorder == '>'
               || (PyArray_DESCR (in)->byteorder == '='
                   && G_BYTE_ORDER == G_BIG_ENDIAN);

  Py_BEGIN_ALLOW_THREADS;
  wcs_in = tess_wcs_new_from_header (cards_in, ncards_in, "input WCS", &error);
  if (wcs_in)
    wcs_out = tess_wcs_new_from_header (cards_out, ncards_out, "output WCS",
                                        &error);
  if (wcs_out)
    {
      target = tess_wcs_with_size (wcs_out, out_w, out_h);
      image = tess_image_new_for_data (
          wcs_in,
          PyArray_TYPE (in) == NPY_FLOAT32 ? TESS_TYPE_FLOAT
                                           : TESS_TYPE_DOUBLE,
          width, height, nplanes, PyArray_DATA (in), big_endian, NULL, NULL,
          &error);
    }
  if (image)
    plan = tess_plan_new (image, target, &options, &error);
  Py_END_ALLOW_THREADS;
  if (plan == NULL)
    {
      raise_gerror (error);
      goto out;
    }

  {
    gint64 np = tess_plan_get_nplanes (plan);
    int type = tess_plan_get_pixel_type (plan) == TESS_TYPE_FLOAT
                   ? NPY_FLOAT32
                   : NPY_FLOAT64;
    npy_intp dims[3] = { np, out_h, out_w };

    if (out_obj != Py_None)
      {
        /* The caller's array, when it has the output's type and size. */
        if (!PyArray_Check (out_obj)
            || PyArray_TYPE ((PyArrayObject *)out_obj) != type
            || !PyArray_IS_C_CONTIGUOUS ((PyArrayObject *)out_obj)
            || !PyArray_ISWRITEABLE ((PyArrayObject *)out_obj)
            || !PyArray_ISNOTSWAPPED ((PyArrayObject *)out_obj)
            || PyArray_SIZE ((PyArrayObject *)out_obj) != np * out_h * out_w)
          {
            PyErr_SetString (PyExc_ValueError,
                             "out must be a writeable C-contiguous native "
                             "array of the output's type and size");
            goto out;
          }
        out = (PyArrayObject *)out_obj;
        Py_INCREF (out);
      }
    else
      out = (PyArrayObject *)PyArray_SimpleNew (3, dims, type);
    if (out == NULL)
      goto out;
    if (want_fp)
      {
        fp = (PyArrayObject *)PyArray_SimpleNew (2, dims + 1, NPY_FLOAT32);
        if (fp == NULL)
          goto out;
      }
    /* The blocks in threads of libtessera's engine. */
    tess_run_options_init (&run);
    run.block_width = block_w;
    run.block_height = block_h;
    run.jobs = threads;
    run.engine = TESS_ENGINE_THREADS;
    Py_BEGIN_ALLOW_THREADS;
    ok = tess_plan_run_into (plan, NULL, &run, PyArray_DATA (out),
                             fp ? PyArray_DATA (fp) : NULL, NULL, NULL, NULL,
                             &error);
    Py_END_ALLOW_THREADS;
    if (!ok)
      {
        raise_gerror (error);
        goto out;
      }
    result = Py_BuildValue ("(OO)", (PyObject *)out,
                            fp ? (PyObject *)fp : Py_None);
  }

out:
  Py_BEGIN_ALLOW_THREADS;
  if (plan)
    tess_plan_unref (plan);
  if (image)
    tess_image_unref (image);
  if (target)
    tess_wcs_unref (target);
  if (wcs_out)
    tess_wcs_unref (wcs_out);
  if (wcs_in)
    tess_wcs_unref (wcs_in);
  Py_END_ALLOW_THREADS;
  Py_XDECREF (out);
  Py_XDECREF (fp);
  Py_DECREF (in);
  return result;
}

/* The result of a run (an image) into numpy arrays: @out when given (of
 * the output's type and size, else ValueError), else new ones. */
static PyObject *
image_to_arrays (TessImage *image, PyObject *out_obj, gboolean want_fp)
{
  gint64 w = tess_image_get_width (image), h = tess_image_get_height (image);
  gint64 np = tess_image_get_nplanes (image);
  int type = tess_image_get_pixel_type (image) == TESS_TYPE_FLOAT
                 ? NPY_FLOAT32
                 : NPY_FLOAT64;
  npy_intp dims[3] = { np, h, w };
  PyArrayObject *out, *fp = NULL;
  const float *src_fp = tess_image_get_footprint (image);
  PyObject *result;

  if (out_obj != Py_None)
    {
      out = (PyArrayObject *)out_obj;
      if (!PyArray_Check (out_obj) || PyArray_TYPE (out) != type
          || !PyArray_IS_C_CONTIGUOUS (out) || !PyArray_ISWRITEABLE (out)
          || !PyArray_ISNOTSWAPPED (out) || PyArray_SIZE (out) != np * h * w)
        {
          PyErr_SetString (PyExc_ValueError,
                           "out must be a writeable C-contiguous native "
                           "array of the output's type and size");
          return NULL;
        }
      Py_INCREF (out);
    }
  else if ((out = (PyArrayObject *)PyArray_SimpleNew (3, dims, type)) == NULL)
    return NULL;
  memcpy (PyArray_DATA (out), tess_image_get_data (image),
          (size_t)PyArray_NBYTES (out));
  if (want_fp)
    {
      fp = (PyArrayObject *)PyArray_SimpleNew (2, dims + 1, NPY_FLOAT32);
      if (fp == NULL)
        {
          Py_DECREF (out);
          return NULL;
        }
      if (src_fp)
        memcpy (PyArray_DATA (fp), src_fp, (size_t)PyArray_NBYTES (fp));
      else
        memset (PyArray_DATA (fp), 0, (size_t)PyArray_NBYTES (fp));
    }
  result
      = Py_BuildValue ("(OO)", (PyObject *)out, fp ? (PyObject *)fp : Py_None);
  Py_DECREF (out);
  Py_XDECREF (fp);
  return result;
}

static PyObject *
py_reproject_file (PyObject *self, PyObject *args, PyObject *kwargs)
{
  static char *kwlist[]
      = { "path", "header_out", "shape_out", "options", "block_size",
          "jobs", "footprint",  "out",       "engine",  NULL };
  const char *path, *engine = "processes";
  PyObject *header_out, *options_obj = NULL, *block_obj = Py_None;
  PyObject *out_obj = Py_None, *result = NULL;
  gint64 out_w, out_h, block_w = 0, block_h = 0;
  int jobs = 1, want_fp = 1, ncards_out;
  const char *cards_out;
  TessOptions options;
  TessRunOptions run;
  TessWcs *wcs_out = NULL, *target = NULL;
  TessImage *input = NULL, *image = NULL;
  TessPlan *plan = NULL;
  GError *error = NULL;

  if (!PyArg_ParseTupleAndKeywords (
          args, kwargs, "sU(LL)|OOipOs:reproject_file", kwlist, &path,
          &header_out, &out_h, &out_w, &options_obj, &block_obj, &jobs,
          &want_fp, &out_obj, &engine))
    return NULL;
  if (!parse_sizes (out_h, out_w, block_obj, &block_h, &block_w))
    return NULL;
  if (jobs < 1)
    return PyErr_Format (PyExc_ValueError, "jobs must be positive");
  if (!parse_options (options_obj, &options))
    return NULL;
  cards_out = header_cards (header_out, "header_out", &ncards_out);
  if (cards_out == NULL)
    return NULL;
  tess_run_options_init (&run);
  run.block_width = block_w;
  run.block_height = block_h;
  run.jobs = jobs;
  if (!tess_engine_from_name (engine, &run.engine, &error))
    {
      raise_gerror (error);
      return NULL;
    }

  Py_BEGIN_ALLOW_THREADS;
  /* Mapped, or converted once into a scratch file: what workers share. */
  input = tess_image_open (path, NULL, &error);
  if (input)
    wcs_out = tess_wcs_new_from_header (cards_out, ncards_out, "output WCS",
                                        &error);
  if (wcs_out)
    {
      TessRect all = { 0, 0, out_w, out_h };
      target = tess_wcs_with_size (wcs_out, out_w, out_h);
      plan = tess_plan_new (input, target, &options, &error);
      if (plan)
        image = tess_plan_run_region (plan, &all, &run, NULL, NULL, NULL,
                                      &error);
    }
  Py_END_ALLOW_THREADS;
  if (image == NULL)
    raise_gerror (error);
  else
    result = image_to_arrays (image, out_obj, want_fp);

  Py_BEGIN_ALLOW_THREADS;
  if (image)
    tess_image_unref (image);
  if (plan)
    tess_plan_unref (plan);
  if (target)
    tess_wcs_unref (target);
  if (wcs_out)
    tess_wcs_unref (wcs_out);
  if (input)
    tess_image_unref (input);
  Py_END_ALLOW_THREADS;
  return result;
}

static PyObject *
py_optimal_wcs (PyObject *self, PyObject *args, PyObject *kwargs)
{
  static char *kwlist[]
      = { "headers",     "frame",     "projection", "resolution",
          "auto_rotate", "reference", NULL };
  PyObject *headers, *seq, *result = NULL, *ref_obj = Py_None;
  double reference[2];
  const char *frame = NULL, *projection = "TAN";
  double resolution = 0.0;
  int auto_rotate = 0;
  Py_ssize_t n;
  TessWcs **wcs;
  TessWcs *optimal = NULL;
  TessOptimalOptions o;
  GError *error = NULL;
  int made = 0;

  if (!PyArg_ParseTupleAndKeywords (args, kwargs, "O|zsdpO:optimal_wcs",
                                    kwlist, &headers, &frame, &projection,
                                    &resolution, &auto_rotate, &ref_obj))
    return NULL;
  if (ref_obj != Py_None
      && !PyArg_ParseTuple (ref_obj,
                            "dd;reference must be (lon, lat) in "
                            "degrees",
                            &reference[0], &reference[1]))
    return NULL;
  if (strlen (projection) != 3)
    return PyErr_Format (PyExc_ValueError,
                         "projection '%s' is not a three-letter code",
                         projection);
  if (!(resolution >= 0.0))
    return PyErr_Format (PyExc_ValueError, "resolution must be positive");
  seq = PySequence_Fast (headers, "headers must be a sequence of headers");
  if (seq == NULL)
    return NULL;
  n = PySequence_Fast_GET_SIZE (seq);
  if (n == 0 || n > G_MAXINT)
    {
      Py_DECREF (seq);
      return PyErr_Format (PyExc_ValueError, "no input images");
    }
  wcs = g_new0 (TessWcs *, (gsize)n);
  for (Py_ssize_t i = 0; i < n; i++)
    {
      int ncards;
      const char *cards = header_cards (PySequence_Fast_GET_ITEM (seq, i),
                                        "header", &ncards);
      char *source;

      if (cards == NULL)
        goto out;
      source = g_strdup_printf ("input %zd", i);
      wcs[i] = tess_wcs_new_from_header (cards, ncards, source, &error);
      g_free (source);
      if (wcs[i] == NULL)
        {
          raise_gerror (error);
          goto out;
        }
      made++;
    }
  tess_optimal_options_init (&o, wcs[0]);
  if (frame && !tess_frame_from_name (frame, &o.frame, &error))
    {
      raise_gerror (error);
      goto out;
    }
  g_strlcpy (o.projection, projection, sizeof o.projection);
  o.resolution = resolution;
  o.auto_rotate = auto_rotate;
  Py_BEGIN_ALLOW_THREADS;
  optimal = tess_optimal_wcs_about (
      wcs, (int)n, &o, ref_obj != Py_None ? reference : NULL, &error);
  Py_END_ALLOW_THREADS;
  if (optimal == NULL)
    raise_gerror (error);
  else
    {
      char *text = tess_wcs_to_text (optimal);
      result = PyUnicode_FromString (text);
      g_free (text);
      tess_wcs_unref (optimal);
    }
out:
  for (int i = 0; i < made; i++)
    tess_wcs_unref (wcs[i]);
  g_free (wcs);
  Py_DECREF (seq);
  return result;
}

/* ---------------------------------------------------------------------- */
/* Mosaics                                                                 */

/* An image over an array (kept in @keep) with the WCS of @header. */
static TessImage *
image_over_array (PyObject *data_obj, PyObject *header, GPtrArray *keep,
                  const char *what)
{
  PyArrayObject *a;
  const char *cards;
  int ncards, ndim;
  gint64 nplanes = 1;
  TessWcs *wcs;
  TessImage *image = NULL;
  GError *error = NULL;
  gboolean big_endian;

  if ((cards = header_cards (header, what, &ncards)) == NULL
      || (a = input_array (data_obj)) == NULL)
    return NULL;
  g_ptr_array_add (keep, a);
  ndim = PyArray_NDIM (a);
  if (ndim < 2)
    {
      PyErr_Format (PyExc_ValueError,
                    "%s: data must have 2 or more "
                    "dimensions, not %d",
                    what, ndim);
      return NULL;
    }
  for (int i = 0; i < ndim - 2; i++)
    nplanes *= PyArray_DIM (a, i);
  big_endian = PyArray_DESCR (a)->byteorder == '>'
               || (PyArray_DESCR (a)->byteorder == '='
                   && G_BYTE_ORDER == G_BIG_ENDIAN);
  wcs = tess_wcs_new_from_header (cards, ncards, what, &error);
  if (wcs)
    {
      image = tess_image_new_for_data (
          wcs,
          PyArray_TYPE (a) == NPY_FLOAT32 ? TESS_TYPE_FLOAT : TESS_TYPE_DOUBLE,
          PyArray_DIM (a, ndim - 1), PyArray_DIM (a, ndim - 2), nplanes,
          PyArray_DATA (a), big_endian, NULL, NULL, &error);
      tess_wcs_unref (wcs);
    }
  if (image == NULL)
    raise_gerror (error);
  return image;
}

static PyObject *
py_mosaic (PyObject *self, PyObject *args, PyObject *kwargs)
{
  static char *kwlist[] = { "inputs",
                            "header_out",
                            "shape_out",
                            "path",
                            "options",
                            "combine",
                            "weights",
                            "match_background",
                            "background_reference",
                            "blank",
                            "jobs",
                            "block_height",
                            NULL };
  PyObject *inputs, *header_out, *options_obj = NULL, *weights = Py_None;
  PyObject *seq = NULL, *wseq = NULL, *result = NULL;
  PyArrayObject *planes = NULL, *fp = NULL;
  const char *path, *combine = "mean", *cards_out;
  gint64 out_w, out_h, block_h = 0;
  int match = 0, reference = -1, jobs = 1, ncards_out, n = 0;
  double blank = NAN;
  TessOptions options;
  TessMosaicOptions mo;
  TessRunOptions run;
  TessImage **images = NULL;
  TessWcs *wcs_out = NULL, *target = NULL;
  TessMosaic *mosaic = NULL;
  GPtrArray *keep = g_ptr_array_new_with_free_func ((GDestroyNotify)Py_DecRef);
  GError *error = NULL;
  gboolean ok = FALSE;

  if (!PyArg_ParseTupleAndKeywords (
          args, kwargs, "OU(LL)z|OsOpidiL:mosaic", kwlist, &inputs,
          &header_out, &out_h, &out_w, &path, &options_obj, &combine, &weights,
          &match, &reference, &blank, &jobs, &block_h))
    goto out;
  if (out_w <= 0 || out_h <= 0 || jobs < 1 || block_h < 0)
    {
      PyErr_SetString (PyExc_ValueError,
                       "shape_out, jobs and block_height must be positive");
      goto out;
    }
  tess_mosaic_options_init (&mo);
  if (!tess_combine_from_name (combine, &mo.combine, &error))
    {
      raise_gerror (error);
      goto out;
    }
  mo.match_background = match;
  mo.background_reference = reference;
  mo.blank = blank;
  if (!parse_options (options_obj, &options))
    goto out;
  if ((cards_out = header_cards (header_out, "header_out", &ncards_out))
      == NULL)
    goto out;
  seq = PySequence_Fast (inputs, "inputs must be a list of (data, header)");
  if (seq == NULL)
    goto out;
  n = (int)MIN (PySequence_Fast_GET_SIZE (seq), G_MAXINT);
  if (n == 0)
    {
      PyErr_SetString (PyExc_ValueError, "no input images");
      goto out;
    }
  if (weights != Py_None)
    {
      wseq = PySequence_Fast (weights, "weights must be a list");
      if (wseq == NULL)
        goto out;
      if (PySequence_Fast_GET_SIZE (wseq) != n)
        {
          PyErr_SetString (PyExc_ValueError,
                           "weights must have one item per input");
          goto out;
        }
    }
  images = g_new0 (TessImage *, (gsize)n);
  for (int i = 0; i < n; i++)
    {
      PyObject *item = PySequence_Fast_GET_ITEM (seq, i), *data, *header;
      char what[32];

      if (!PyArg_ParseTuple (item, "OU:inputs", &data, &header))
        goto out;
      g_snprintf (what, sizeof what, "input %d", i);
      if ((images[i] = image_over_array (data, header, keep, what)) == NULL)
        goto out;
    }

  Py_BEGIN_ALLOW_THREADS;
  wcs_out
      = tess_wcs_new_from_header (cards_out, ncards_out, "output WCS", &error);
  if (wcs_out)
    {
      target = tess_wcs_with_size (wcs_out, out_w, out_h);
      mosaic
          = tess_mosaic_new (images, n, NULL, target, &options, &mo, &error);
    }
  Py_END_ALLOW_THREADS;
  if (mosaic == NULL)
    {
      raise_gerror (error);
      goto out;
    }
  for (int i = 0; wseq && i < n; i++)
    {
      PyObject *item = PySequence_Fast_GET_ITEM (wseq, i);
      PyObject *header
          = PySequence_Fast_GET_ITEM (PySequence_Fast_GET_ITEM (seq, i), 1);
      TessImage *w;
      gboolean set;

      if (item == Py_None)
        continue;
      if ((w = image_over_array (item, header, keep, "weights")) == NULL)
        goto out;
      set = tess_mosaic_set_weight_image (mosaic, i, w, &error);
      tess_image_unref (w);
      if (!set)
        {
          raise_gerror (error);
          goto out;
        }
    }
  tess_run_options_init (&run);
  run.jobs = jobs;
  run.block_height = block_h;
  if (path == NULL)
    {
      /* Into arrays: the planes, and the footprint. */
      npy_intp dims[3]
          = { (npy_intp)tess_mosaic_get_nplanes (mosaic), out_h, out_w };
      int type = tess_mosaic_get_pixel_type (mosaic) == TESS_TYPE_FLOAT
                     ? NPY_FLOAT32
                     : NPY_FLOAT64;
      planes = (PyArrayObject *)PyArray_SimpleNew (3, dims, type);
      fp = planes
               ? (PyArrayObject *)PyArray_SimpleNew (2, dims + 1, NPY_FLOAT32)
               : NULL;
      if (fp == NULL)
        goto out;
      Py_BEGIN_ALLOW_THREADS;
      ok = tess_mosaic_run_into (mosaic, &run, PyArray_DATA (planes),
                                 PyArray_DATA (fp), NULL, NULL, NULL, &error);
      Py_END_ALLOW_THREADS;
    }
  else
    {
      Py_BEGIN_ALLOW_THREADS;
      ok = tess_mosaic_write (mosaic, path, TESS_WRITE_OVERWRITE, &run, NULL,
                              NULL, NULL, &error);
      Py_END_ALLOW_THREADS;
    }
  if (!ok)
    {
      raise_gerror (error);
      goto out;
    }
  {
    const double *offsets = tess_mosaic_get_offsets (mosaic);
    PyObject *off = PyTuple_New (n);
    for (int i = 0; off && i < n; i++)
      {
        PyObject *v = PyFloat_FromDouble (offsets[i]);
        if (v == NULL)
          Py_CLEAR (off);
        else
          PyTuple_SET_ITEM (off, i, v);
      }
    if (off && path == NULL)
      {
        result
            = Py_BuildValue ("(OOO)", off, (PyObject *)planes, (PyObject *)fp);
        Py_DECREF (off);
      }
    else
      result = off;
  }

out:
  if (mosaic)
    tess_mosaic_free (mosaic);
  for (int i = 0; images && i < n; i++)
    if (images[i])
      tess_image_unref (images[i]);
  g_free (images);
  if (target)
    tess_wcs_unref (target);
  if (wcs_out)
    tess_wcs_unref (wcs_out);
  g_ptr_array_unref (keep);
  Py_XDECREF (seq);
  Py_XDECREF (wseq);
  Py_XDECREF (planes);
  Py_XDECREF (fp);
  return result;
}

/* ---------------------------------------------------------------------- */
/* Plan: any region of one reprojection, on demand                         */

typedef struct
{
  PyObject_HEAD TessPlan *plan;
  PyArrayObject *input; /* holds the samples the plan reads, or NULL */
  gint64 width, height, nplanes;
  int type; /* of the output: NPY_FLOAT32 or NPY_FLOAT64 */
} PlanObject;

static void
plan_dealloc (PlanObject *self)
{
  if (self->plan)
    tess_plan_unref (self->plan);
  Py_XDECREF (self->input);
  Py_TYPE (self)->tp_free ((PyObject *)self);
}

static int
plan_init (PlanObject *self, PyObject *args, PyObject *kwargs)
{
  static char *kwlist[] = { "header_out", "shape_out", "data", "header_in",
                            "path",       "options",   NULL };
  PyObject *header_out, *data_obj = Py_None, *header_in = Py_None;
  PyObject *options_obj = NULL;
  const char *path = NULL, *cards_in = NULL, *cards_out;
  int ncards_in = 0, ncards_out;
  gint64 out_w, out_h, width = 0, height = 0, nplanes = 1;
  gboolean big_endian = FALSE;
  TessPixelType type = TESS_TYPE_FLOAT;
  TessOptions options;
  PyArrayObject *in = NULL;
  TessWcs *wcs_in = NULL, *wcs_out = NULL, *target = NULL;
  TessImage *image = NULL;
  TessPlan *plan = NULL;
  GError *error = NULL;

  if (!PyArg_ParseTupleAndKeywords (args, kwargs, "U(LL)|OOzO:Plan", kwlist,
                                    &header_out, &out_h, &out_w, &data_obj,
                                    &header_in, &path, &options_obj))
    return -1;
  if (self->plan)
    {
      PyErr_SetString (PyExc_RuntimeError, "Plan is already made");
      return -1;
    }
  {
    gint64 no_h = 0, no_w = 0;
    if (!parse_sizes (out_h, out_w, Py_None, &no_h, &no_w))
      return -1;
  }
  if ((path == NULL) == (data_obj == Py_None)
      || (data_obj != Py_None && !PyUnicode_Check (header_in)))
    {
      PyErr_SetString (PyExc_TypeError,
                       "Plan needs data with header_in, or a path");
      return -1;
    }
  if (!parse_options (options_obj, &options))
    return -1;
  cards_out = header_cards (header_out, "header_out", &ncards_out);
  if (cards_out == NULL)
    return -1;
  if (path == NULL)
    {
      int ndim;

      cards_in = header_cards (header_in, "header_in", &ncards_in);
      if (cards_in == NULL || (in = input_array (data_obj)) == NULL)
        return -1;
      ndim = PyArray_NDIM (in);
      if (ndim < 2)
        {
          PyErr_Format (PyExc_ValueError,
                        "input data must have 2 or more dimensions, not %d",
                        ndim);
          Py_DECREF (in);
          return -1;
        }
      width = PyArray_DIM (in, ndim - 1);
      height = PyArray_DIM (in, ndim - 2);
      for (int i = 0; i < ndim - 2; i++)
        nplanes *= PyArray_DIM (in, i);
      big_endian = PyArray_DESCR (in)->byteorder == '>'
                   || (PyArray_DESCR (in)->byteorder == '='
                       && G_BYTE_ORDER == G_BIG_ENDIAN);
      type = PyArray_TYPE (in) == NPY_FLOAT32 ? TESS_TYPE_FLOAT
                                              : TESS_TYPE_DOUBLE;
    }

  Py_BEGIN_ALLOW_THREADS;
  if (path)
    image = tess_image_open (path, NULL, &error);
  else
    {
      wcs_in = tess_wcs_new_from_header (cards_in, ncards_in, "input WCS",
                                         &error);
      if (wcs_in)
        image = tess_image_new_for_data (wcs_in, type, width, height, nplanes,
                                         PyArray_DATA (in), big_endian, NULL,
                                         NULL, &error);
    }
  if (image)
    wcs_out = tess_wcs_new_from_header (cards_out, ncards_out, "output WCS",
                                        &error);
  if (wcs_out)
    {
      target = tess_wcs_with_size (wcs_out, out_w, out_h);
      plan = tess_plan_new (image, target, &options, &error);
    }
  if (image)
    tess_image_unref (image);
  if (target)
    tess_wcs_unref (target);
  if (wcs_out)
    tess_wcs_unref (wcs_out);
  if (wcs_in)
    tess_wcs_unref (wcs_in);
  Py_END_ALLOW_THREADS;
  if (plan == NULL)
    {
      raise_gerror (error);
      Py_XDECREF (in);
      return -1;
    }
  self->plan = plan;
  self->input = in;
  self->width = out_w;
  self->height = out_h;
  self->nplanes = tess_plan_get_nplanes (plan);
  self->type = tess_plan_get_pixel_type (plan) == TESS_TYPE_FLOAT
                   ? NPY_FLOAT32
                   : NPY_FLOAT64;
  return 0;
}

static PyObject *
plan_compute (PlanObject *self, PyObject *args, PyObject *kwargs)
{
  static char *kwlist[] = { "x0", "y0", "width", "height", "footprint", NULL };
  TessRect r;
  int want_fp = 1;
  npy_intp dims[3];
  PyArrayObject *out, *fp = NULL;
  PyObject *result;
  GError *error = NULL;
  gboolean ok;

  if (self->plan == NULL)
    {
      PyErr_SetString (PyExc_RuntimeError, "Plan is not made");
      return NULL;
    }
  if (!PyArg_ParseTupleAndKeywords (args, kwargs, "LLLL|p:compute", kwlist,
                                    &r.x0, &r.y0, &r.width, &r.height,
                                    &want_fp))
    return NULL;
  if (r.x0 < 0 || r.y0 < 0 || r.width <= 0 || r.height <= 0
      || r.x0 > self->width - r.width || r.y0 > self->height - r.height)
    return PyErr_Format (PyExc_ValueError,
                         "region %lld,%lld %lldx%lld is not in the output",
                         (long long)r.x0, (long long)r.y0, (long long)r.width,
                         (long long)r.height);
  dims[0] = self->nplanes;
  dims[1] = r.height;
  dims[2] = r.width;
  out = (PyArrayObject *)PyArray_SimpleNew (3, dims, self->type);
  if (out == NULL)
    return NULL;
  if (want_fp
      && (fp = (PyArrayObject *)PyArray_SimpleNew (2, dims + 1, NPY_FLOAT32))
             == NULL)
    {
      Py_DECREF (out);
      return NULL;
    }
  Py_BEGIN_ALLOW_THREADS;
  ok = tess_plan_compute_region (self->plan, &r, PyArray_DATA (out),
                                 fp ? PyArray_DATA (fp) : NULL, &error);
  Py_END_ALLOW_THREADS;
  if (!ok)
    {
      raise_gerror (error);
      Py_DECREF (out);
      Py_XDECREF (fp);
      return NULL;
    }
  result
      = Py_BuildValue ("(OO)", (PyObject *)out, fp ? (PyObject *)fp : Py_None);
  Py_DECREF (out);
  Py_XDECREF (fp);
  return result;
}

static PyObject *
plan_get_nplanes (PlanObject *self, void *closure)
{
  return PyLong_FromLongLong (self->nplanes);
}

static PyObject *
plan_get_dtype (PlanObject *self, void *closure)
{
  return (PyObject *)PyArray_DescrFromType (self->type);
}

static PyMethodDef plan_methods[] = {
  { "compute", (PyCFunction)(void (*) (void))plan_compute,
    METH_VARARGS | METH_KEYWORDS,
    "compute(x0, y0, width, height, footprint=True)\n--\n\n"
    "Computes a rectangle of the output (0-based, x0 its first column),\n"
    "the GIL released; thread-safe.  Returns (array of shape (nplanes,\n"
    "height, width), float32 footprint (height, width) or None), the same\n"
    "bits as those pixels of the whole output." },
  { NULL, NULL, 0, NULL },
};

static PyGetSetDef plan_getset[] = {
  { "nplanes", (getter)plan_get_nplanes, NULL, "output planes", NULL },
  { "dtype", (getter)plan_get_dtype, NULL, "output dtype", NULL },
  { NULL, NULL, NULL, NULL, NULL },
};

static PyTypeObject plan_type = {
  PyVarObject_HEAD_INIT (NULL, 0).tp_name = "tessera._tessera.Plan",
  .tp_basicsize = sizeof (PlanObject),
  .tp_dealloc = (destructor)plan_dealloc,
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_doc = "Plan(header_out, shape_out, data=None, header_in=None, "
            "path=None, options=None)\n--\n\n"
            "A reprojection of data (with header_in) or of the FITS image\n"
            "at path onto header_out, an output of shape_out = (height,\n"
            "width): any region computed on demand, from any thread.",
  .tp_methods = plan_methods,
  .tp_getset = plan_getset,
  .tp_init = (initproc)plan_init,
  .tp_new = PyType_GenericNew,
};

static PyMethodDef methods[] = {
  { "reproject", (PyCFunction)(void (*) (void))py_reproject,
    METH_VARARGS | METH_KEYWORDS,
    "reproject(data, header_in, header_out, shape_out, options=None,\n"
    "          block_size=None, threads=1, footprint=True, out=None)\n"
    "--\n\n"
    "Reprojects the array data (2 or more dimensions: the last two are the\n"
    "image, the others planes) from the WCS of header_in onto that of\n"
    "header_out (both FITS cards, 80 characters each), an output of\n"
    "shape_out = (height, width).  options: a dict of TessOptions fields\n"
    "(method, roundtrip, kernel, ...).  Computed in blocks of block_size =\n"
    "(height, width) in threads threads, the GIL released.  Returns\n"
    "(array of shape (planes, height, width), float32 footprint of shape\n"
    "(height, width) or None); out: an array to fill instead, of the\n"
    "output's type (float32 for float32 input, else float64) and size.\n"
    "NoOverlapError (a ValueError) when the target does not overlap the\n"
    "input." },
  { "reproject_file", (PyCFunction)(void (*) (void))py_reproject_file,
    METH_VARARGS | METH_KEYWORDS,
    "reproject_file(path, header_out, shape_out, options=None,\n"
    "               block_size=None, jobs=1, footprint=True, out=None,\n"
    "               engine='processes')\n"
    "--\n\n"
    "As reproject(), for the image of a FITS file (cfitsio's syntax names\n"
    "an HDU: 'f.fits[1]'), opened by libtessera: mapped, or converted once\n"
    "into a scratch file, so that jobs > 1 worker processes (tessera-worker,\n"
    "or $TESSERA_WORKER) share it and compute the blocks; engine='threads'\n"
    "computes them in threads of this process instead." },
  { "mosaic", (PyCFunction)(void (*) (void))py_mosaic,
    METH_VARARGS | METH_KEYWORDS,
    "mosaic(inputs, header_out, shape_out, path, options=None,\n"
    "       combine='mean', weights=None, match_background=False,\n"
    "       background_reference=-1, blank=nan, jobs=1, block_height=0)\n"
    "--\n\n"
    "Reprojects every (data, header) of inputs onto header_out and\n"
    "combines them (mean, sum, median, first, last, min, max) into the\n"
    "FITS file path (the image, and an extension FOOTPRINT with the sum\n"
    "of the weights), band by band in jobs threads; weights: per input\n"
    "an array of its size or None.  Returns the background offsets\n"
    "subtracted from the inputs; with path None, computes the mosaic in\n"
    "memory instead and returns (offsets, planes, footprint): arrays of\n"
    "the mosaic's type (nplanes, height, width) and float32 (height,\n"
    "width)." },
  { "optimal_wcs", (PyCFunction)(void (*) (void))py_optimal_wcs,
    METH_VARARGS | METH_KEYWORDS,
    "optimal_wcs(headers, frame=None, projection='TAN', resolution=0,\n"
    "            auto_rotate=False, reference=None)\n"
    "--\n\n"
    "The header (text, one card a line, ending with END) of the smallest\n"
    "image covering every input (headers: FITS cards with NAXIS1 and\n"
    "NAXIS2): frame (icrs, fk5, fk4, fk4-no-e, galactic, ecliptic; None:\n"
    "the first input's), projection, resolution in degrees (0: the finest\n"
    "input's), north up or turned to the minimum-area rectangle, about\n"
    "reference, (lon, lat) in degrees in that frame (None: the mean\n"
    "position)." },
  { NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
  PyModuleDef_HEAD_INIT,
  "tessera._tessera",
  "libtessera for Python: the low-level reprojection.",
  -1,
  methods,
  NULL,
  NULL,
  NULL,
  NULL,
};

/* The module's entry point (declared for -Wmissing-prototypes). */
PyMODINIT_FUNC PyInit__tessera (void);

PyMODINIT_FUNC
PyInit__tessera (void)
{
  PyObject *m;

  import_array ();
  m = PyModule_Create (&module);
  if (m == NULL)
    return NULL;
  no_overlap_error = PyErr_NewExceptionWithDoc (
      "tessera._tessera.NoOverlapError",
      "The target does not overlap the input.", PyExc_ValueError, NULL);
  if (no_overlap_error == NULL
      || PyModule_AddObjectRef (m, "NoOverlapError", no_overlap_error) < 0
      || PyModule_AddStringConstant (m, "version", tess_version ()) < 0
      || PyType_Ready (&plan_type) < 0
      || PyModule_AddObjectRef (m, "Plan", (PyObject *)&plan_type) < 0)
    {
      Py_DECREF (m);
      return NULL;
    }
  return m;
}
