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

/* Prints "tessera: MESSAGE" on stderr as one line. */
void tess_cli_error (const char *format, ...) G_GNUC_PRINTF (1, 2);
/* Reports a usage error and returns TESS_EXIT_USAGE. */
int tess_cli_usage_error (const char *command, const char *format, ...)
    G_GNUC_PRINTF (2, 3);
/* Prints a message on stderr when verbose. */
void tess_cli_verbose (TessVerbosity v, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

/* A progress bar on stderr, drawn only when stderr is a terminal. */
typedef struct _TessProgressBar TessProgressBar;
TessProgressBar *tess_progress_bar_new (const char *label, gboolean enabled);
void tess_progress_bar_update (const TessProgress *progress, gpointer bar);
void tess_progress_bar_free (TessProgressBar *bar);

/* TRUE when @a (a cfitsio name: "file.fits[1]" names file.fits) and @b
 * are the same file. */
gboolean tess_cli_same_file (const char *a, const char *b);
/* From now on SIGINT and SIGTERM cancel @cancellable. */
void tess_cli_catch_signals (GCancellable *cancellable);

int tess_cmd_reproject (int argc, char **argv);
int tess_cmd_mosaic (int argc, char **argv);
int tess_cmd_optimal_wcs (int argc, char **argv);

#endif /* TESS_CLI_H */
