/* common.c — what the subcommands of `tessera` share: Ctrl-C and
 * SIGTERM cancel the job, and an output must not replace an input. */
#include "config.h"

#include "cli.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

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
    g_cancellable_cancel (cancellable);
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
