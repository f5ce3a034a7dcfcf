/* method-options.h — the command-line options that choose and tune a
 * reprojection method (TessOptions) and how it runs (--block, --jobs,
 * --engine: TessRunOptions), shared by `tessera reproject` and `tessera-ds9`
 * so that both take the same ones. */
#ifndef TESS_METHOD_OPTIONS_H
#define TESS_METHOD_OPTIONS_H

#include "tessera.h"

typedef struct
{
  char *method;
  gboolean no_roundtrip;
  gboolean exact_transform;
  double tolerance;
  int grid_step;
  char *kernel;
  double kernel_width;
  double sample_region_width;
  char *boundary_mode;
  double boundary_fill_value;
  double boundary_ignore_threshold;
  char *bad_value_mode;
  double bad_fill_value;
  gboolean conserve_flux;
  gboolean center_jacobian;
  gboolean despike_jacobian;
  gboolean x_cyclic, y_cyclic;
  char *nan_mode;
  char *block;
  char *jobs;
  char *engine;
  GOptionEntry *main_entries;
} TessMethodArgs;

/* Defaults (those of tess_options_init()). */
void tess_method_args_init (TessMethodArgs *a);
void tess_method_args_clear (TessMethodArgs *a);
/* Adds --method, the transform options, --block, --jobs and --engine to
 * the main
 * group, and groups
 * for the adaptive and exact methods' options (--help-adaptive,
 * --help-exact, --help-all). */
void tess_method_args_add (TessMethodArgs *a, GOptionContext *ctx);
/* Fills @opt from the parsed options; FALSE with @error (a message for a
 * usage error) when one is bad. */
gboolean tess_method_args_apply (const TessMethodArgs *a, TessOptions *opt,
                                 GError **error);
/* Fills @run (from tess_run_options_init()) from --block, --jobs and
 * --engine. */
gboolean tess_method_args_apply_run (const TessMethodArgs *a,
                                     TessRunOptions *run, GError **error);

/* Parses "WIDTHxHEIGHT". */
gboolean tess_cli_parse_size (const char *text, gint64 *width, gint64 *height);

#endif /* TESS_METHOD_OPTIONS_H */
