/* common.c — what the subcommands of `tessera` (and `tessera-mpi`)
 * share: where blocks run, error lines, Ctrl-C and SIGTERM cancelling the
 * job, and an output must not replace an input. */
#include "config.h"

#include "cli.h"

#include <glib/gi18n.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const TessCliEngine tess_cli_local_engine = {
  "tessera", FALSE, FALSE, tess_plan_write, tess_mosaic_write, NULL,
};
const TessCliEngine *tess_cli_engine = &tess_cli_local_engine;

TessVerbosity
tess_cli_verbosity (gboolean quiet, gboolean verbose)
{
  if (quiet || tess_cli_engine->silent)
    return TESS_VERBOSITY_QUIET;
  return verbose ? TESS_VERBOSITY_VERBOSE : TESS_VERBOSITY_NORMAL;
}

void
tess_cli_set_prgname (const char *command)
{
  g_autofree char *name
      = g_strdup_printf ("%s %s", tess_cli_engine->program, command);

  g_set_prgname (name);
}

/* Reports error line @line and frees it. */
static void
report (char *line)
{
  if (tess_cli_engine->report)
    tess_cli_engine->report (line);
  else
    fprintf (stderr, "%s\n", line);
  g_free (line);
}

/* The message, as one line whatever it holds; free it with g_free(). */
static char *one_line (const char *format, va_list ap) G_GNUC_PRINTF (1, 0);

static char *
one_line (const char *format, va_list ap)
{
  char *msg = g_strdup_vprintf (format, ap);

  g_strdelimit (msg, "\n\r", ' ');
  return msg;
}

void
tess_cli_error (const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = one_line (format, ap);
  va_end (ap);
  report (g_strdup_printf ("%s: %s", tess_cli_engine->program, msg));
}

int
tess_cli_usage_error (const char *command, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = one_line (format, ap);
  va_end (ap);
  /* TRANSLATORS: the program, the command, the message, the program and
   * the command again. */
  report (g_strdup_printf (_ ("%s %s: %s (see '%s %s --help')"),
                           tess_cli_engine->program, command, msg,
                           tess_cli_engine->program, command));
  return TESS_EXIT_USAGE;
}

void
tess_cli_verbose (TessVerbosity v, const char *format, ...)
{
  va_list ap;

  if (v < TESS_VERBOSITY_VERBOSE)
    return;
  va_start (ap, format);
  fprintf (stderr, "%s: ", tess_cli_engine->program);
  vfprintf (stderr, format, ap);
  fputc ('\n', stderr);
  va_end (ap);
}

/* The file part of a cfitsio name such as "file.fits[1]". */
static char *
file_part (const char *name)
{
  const char *b = strchr (name, '[');

  return b ? g_strndup (name, (gsize)(b - name)) : g_strdup (name);
}

gboolean
tess_cli_same_file (const char *a, const char *b)
{
  g_autofree char *fa = file_part (a);
  struct stat sa, sb;

  if (stat (fa, &sa) != 0 || stat (b, &sb) != 0)
    return FALSE;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void (*signal_hook) (void);

void
tess_cli_set_signal_hook (void (*hook) (void))
{
  signal_hook = hook;
}

/* SIGINT and SIGTERM cancel the job: they are blocked in every thread and
 * taken by this one, which may then call GLib safely. */
static gpointer
signal_thread (gpointer data)
{
  GCancellable *cancellable = data;
  sigset_t set;
  int sig;

  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  if (sigwait (&set, &sig) == 0)
    {
      g_cancellable_cancel (cancellable);
      if (signal_hook)
        signal_hook ();
    }
  return NULL;
}

void
tess_cli_catch_signals (GCancellable *cancellable)
{
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  pthread_sigmask (SIG_BLOCK, &set, NULL);
  g_thread_unref (
      g_thread_new ("signals", signal_thread, g_object_ref (cancellable)));
}
