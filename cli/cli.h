/* cli.h — shared parts of the `tessera` command: exit codes, error
 * reporting, the progress bar, and the subcommands. */
#ifndef TESS_CLI_H
#define TESS_CLI_H

#include "tessera.h"

/* Exit codes (documented in tessera(1)). */
enum
{
  TESS_EXIT_OK = 0,
  TESS_EXIT_FAILURE = 1, /* bad input data, or the job failed */
  TESS_EXIT_USAGE = 2,   /* bad command line */
  TESS_EXIT_CANCELLED = 130,
};

typedef enum
{
  TESS_VERBOSITY_QUIET,
  TESS_VERBOSITY_NORMAL,
  TESS_VERBOSITY_VERBOSE,
} TessVerbosity;

/* Where the commands run their blocks, and how they speak: `tessera` runs
 * them in this process and its workers (tess_cli_local_engine);
 * `tessera-mpi` spreads them over MPI ranks (mpi/tessera-mpi.c). */
typedef struct
{
  const char *program; /* names the program in messages */
  gboolean silent;     /* print nothing but through @report */
  gboolean map_inputs; /* map inputs rather than read them whole */
  gboolean (*write_plan) (TessPlan *plan, const TessRect *rect,
                          const TessRunOptions *run, const char *path,
                          TessWriteFlags flags, GCancellable *cancellable,
                          TessProgressFunc progress, gpointer user_data,
                          GError **error);
  gboolean (*write_mosaic) (TessMosaic *mosaic, const char *path,
                            TessWriteFlags flags, const TessRunOptions *run,
                            GCancellable *cancellable,
                            TessProgressFunc progress, gpointer user_data,
                            GError **error);
  /* Reports an error line (without its newline); NULL: on stderr. */
  void (*report) (const char *line);
} TessCliEngine;

extern const TessCliEngine tess_cli_local_engine;
extern const TessCliEngine *tess_cli_engine;

/* The verbosity the options -q and -v ask for (quiet when the engine is
 * silent). */
TessVerbosity tess_cli_verbosity (gboolean quiet, gboolean verbose);

/* Names the program "PROGRAM COMMAND" (as --help shows it). */
void tess_cli_set_prgname (const char *command);

/* Prints "tessera: MESSAGE" on stderr as one line. */
void tess_cli_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* Reports a usage error and returns TESS_EXIT_USAGE. */
int tess_cli_usage_error (const char *command, const char *format, ...)
    G_GNUC_PRINTF (2, 3);
/* Prints a message on stderr when verbose. */
void tess_cli_verbose (TessVerbosity v, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

/* Progress on stderr: a bar when it is a terminal (unless quiet), a line
 * at every tenth of the work when verbose and not a terminal. */
typedef struct _TessProgressBar TessProgressBar;
TessProgressBar *tess_progress_bar_new (const char *label, TessVerbosity verb);
void tess_progress_bar_update (const TessProgress *progress, gpointer bar);
void tess_progress_bar_free (TessProgressBar *bar);

/* TRUE when @a (a cfitsio name: "file.fits[1]" names file.fits) and @b
 * are the same file. */
gboolean tess_cli_same_file (const char *a, const char *b);
/* From now on SIGINT and SIGTERM cancel @cancellable, then call the
 * signal hook, if any (from the thread that takes them). */
void tess_cli_catch_signals (GCancellable *cancellable);
void tess_cli_set_signal_hook (void (*hook) (void));

int tess_cmd_reproject (int argc, char **argv);
int tess_cmd_mosaic (int argc, char **argv);
int tess_cmd_optimal_wcs (int argc, char **argv);
int tess_cmd_to_healpix (int argc, char **argv);

#endif /* TESS_CLI_H */
