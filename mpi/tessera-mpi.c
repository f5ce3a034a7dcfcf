/* tessera-mpi.c — `mpirun -np N tessera-mpi reproject|mosaic ...`: the
 * commands of `tessera`, with the same options, their blocks spread over
 * MPI ranks.
 *
 * Every rank parses the same command line, opens the inputs (mapped: a
 * rank reads only the pages its blocks need) and makes the same plan or
 * mosaic, hence the same blocks (TessBlockJob).  Rank 0 creates the output
 * file under a temporary name beside it and broadcasts that name; every
 * other rank opens the file.  Each rank then takes block after block from
 * a counter held by rank 0 (MPI_Fetch_and_op on a window: uneven blocks
 * balance, and rank 0 computes too), and writes each block at its place in
 * the file.  Rank 0 reports progress from two more counters (blocks and
 * pixels done).  When every rank is done and all agree that all went
 * well, rank 0 renames the file into place; otherwise it removes it, and
 * reports each failure with the rank it happened on.
 *
 * Every rank passes the same collective steps in the same order whatever
 * fails where: the first agreement ("gate") is passed by main() for a rank
 * whose command failed before reaching its blocks, so that one failing
 * rank never leaves the others waiting.  A rank that dies outright makes
 * mpirun stop the others with SIGTERM: they then remove the temporary file
 * at once (rank 0 may be the one that died).
 */
#include "config.h"

#include "cli.h"
#include "i18n.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <mpi.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MESSAGE_MAX 1024

static int rank, nranks;
static gboolean gate_passed; /* this rank has passed the first agreement */
static gboolean echo_next;   /* the next error reported comes from another
                                rank: not this rank's own */
static char first_error[MESSAGE_MAX]; /* this rank's first own error line */
static char *volatile temp_path;      /* the file being written */

/* Failing on purpose, for the tests: the rank TESSERA_MPI_FAIL_RANK names
 * fails its first block with an error. */
static int
fail_rank (void)
{
  const char *v = g_getenv ("TESSERA_MPI_FAIL_RANK");

  return v && g_ascii_isdigit (*v) ? atoi (v) : -1;
}

static void
report (const char *line)
{
  if (echo_next)
    {
      echo_next = FALSE;
      return;
    }
  if (first_error[0] == '\0')
    {
      /* Kept without the program's name: rank 0 prefixes it and the
       * rank's number. */
      gsize p = strlen (tess_cli_engine->program);
      g_strlcpy (first_error,
                 strncmp (line, tess_cli_engine->program, p) == 0
                         && strncmp (line + p, ": ", 2) == 0
                     ? line + p + 2
                     : line,
                 sizeof first_error);
    }
  if (rank == 0)
    fprintf (stderr, "%s\n", line);
}

/* Do all ranks say @ok? */
static gboolean
agree (gboolean ok)
{
  int mine = ok ? 1 : 0, all = 0;

  MPI_Allreduce (&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  return all != 0;
}

/* The failure is another rank's: it is reported from there. */
static void
set_echo_error (GError **error)
{
  echo_next = TRUE;
  g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "another rank failed");
}

static void
on_signal (void)
{
  /* mpirun stops the job (a rank died, or it was interrupted): the file
   * must go now, whatever the collectives wait for. */
  if (temp_path)
    g_unlink (temp_path);
  _exit (TESS_EXIT_CANCELLED);
}

enum
{
  NEXT_BLOCK,
  BLOCKS_DONE,
  PIXELS_DONE,
  COUNTERS
};

/* The blocks of @job (NULL: making it failed with @job_error) written to
 * @path by all ranks. */
static gboolean
run_job (TessBlockJob *job, GError *job_error, const char *path,
         TessWriteFlags flags, GCancellable *cancellable,
         TessProgressFunc progress, gpointer user_data, GError **error)
{
  GError *local = NULL;
  gint64 n, *counters = NULL, one[2] = { 1, 0 }, got;
  char *tmp = NULL;
  int len = 0, failing = fail_rank ();
  gboolean ok = TRUE, all;
  MPI_Win win;

  gate_passed = TRUE;
  if (!agree (job != NULL))
    {
      if (job == NULL)
        g_propagate_error (error, job_error);
      else
        set_echo_error (error);
      return FALSE;
    }

  /* The file: made by rank 0, opened by the others. */
  if (rank == 0)
    {
      tmp = tess_block_job_create (job, path, flags, &local);
      len = tmp ? (int)strlen (tmp) + 1 : 0;
    }
  MPI_Bcast (&len, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (len == 0)
    {
      if (rank == 0)
        g_propagate_error (error, local);
      else
        set_echo_error (error);
      return FALSE;
    }
  if (rank != 0)
    tmp = g_malloc ((gsize)len);
  MPI_Bcast (tmp, len, MPI_CHAR, 0, MPI_COMM_WORLD);
  /* Any rank removes it if mpirun stops the job (rank 0 may be the one
   * that died). */
  temp_path = tmp;
  if (rank != 0)
    ok = tess_block_job_attach (job, tmp, &local);
  if (!agree (ok))
    {
      if (!ok)
        g_propagate_error (error, local);
      else
        set_echo_error (error);
      temp_path = NULL;
      tess_block_job_finish (job, FALSE, NULL);
      g_free (tmp);
      return FALSE;
    }

  /* The blocks, one at a time from the counter. */
  n = tess_block_job_get_n_blocks (job);
  if (rank == 0 && progress)
    tess_block_job_start_progress (job, progress, user_data);
  MPI_Win_allocate (rank == 0 ? COUNTERS * (MPI_Aint)sizeof (gint64) : 0,
                    sizeof (gint64), MPI_INFO_NULL, MPI_COMM_WORLD, &counters,
                    &win);
  if (rank == 0)
    memset (counters, 0, COUNTERS * sizeof (gint64));
  MPI_Barrier (MPI_COMM_WORLD);
  MPI_Win_lock_all (0, win);
  for (gboolean first = TRUE;; first = FALSE)
    {
      TessRect r;
      gint64 done[2];

      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error (&local, TESS_ERROR, TESS_ERROR_CANCELLED, "cancelled");
          ok = FALSE;
        }
      if (!ok)
        {
          /* Stop every rank: no block is left to take. */
          MPI_Fetch_and_op (&n, &got, MPI_INT64_T, 0, NEXT_BLOCK, MPI_SUM,
                            win);
          MPI_Win_flush (0, win);
          break;
        }
      MPI_Fetch_and_op (&one[0], &got, MPI_INT64_T, 0, NEXT_BLOCK, MPI_SUM,
                        win);
      MPI_Win_flush (0, win);
      if (got >= n)
        break;
      if (first && rank == failing)
        {
          g_set_error (&local, TESS_ERROR, TESS_ERROR_IO,
                       "block %" G_GINT64_FORMAT ": failing on purpose "
                       "(TESSERA_MPI_FAIL_RANK)",
                       got);
          ok = FALSE;
          continue;
        }
      if (!tess_block_job_compute (job, got, &local))
        {
          g_prefix_error (&local, "block %" G_GINT64_FORMAT ": ", got);
          ok = FALSE;
          continue;
        }
      r = tess_block_job_get_block (job, got);
      one[1] = r.width * r.height;
      MPI_Accumulate (one, 2, MPI_INT64_T, 0, BLOCKS_DONE, 2, MPI_INT64_T,
                      MPI_SUM, win);
      MPI_Win_flush (0, win);
      if (rank == 0 && progress)
        {
          /* Every rank's counts so far. */
          MPI_Get (done, 2, MPI_INT64_T, 0, BLOCKS_DONE, 2, MPI_INT64_T, win);
          MPI_Win_flush (0, win);
          tess_block_job_report_progress (job, done[0], done[1]);
        }
    }
  MPI_Win_unlock_all (win);
  MPI_Win_free (&win);

  /* Each rank's blocks in the file, then all agree on the outcome. */
  if (rank != 0)
    {
      if (ok)
        ok = tess_block_job_finish (job, TRUE, &local);
      else
        tess_block_job_finish (job, FALSE, NULL);
    }
  all = agree (ok);
  if (rank != 0)
    temp_path = NULL;
  if (rank == 0)
    {
      if (all && progress)
        tess_block_job_finish_progress (job);
      if (all)
        ok = tess_block_job_finish (job, TRUE, &local);
      else
        tess_block_job_finish (job, FALSE, NULL);
      temp_path = NULL;
    }
  g_free (tmp);
  if (ok && !all)
    {
      set_echo_error (error);
      return FALSE;
    }
  if (!ok)
    g_propagate_error (error, local);
  return ok;
}

/* Blocks per rank wanted at least, for the load to balance. */
#define BLOCKS_PER_RANK 4

/* The block height that gives every rank BLOCKS_PER_RANK blocks of
 * @job's (made with the automatic height), or 0 when it has enough. */
static gint64
balanced_height (const TessBlockJob *job)
{
  gint64 n = tess_block_job_get_n_blocks (job), rows = 0, want;

  if (n >= (gint64)nranks * BLOCKS_PER_RANK)
    return 0;
  for (gint64 i = 0; i < n; i++)
    {
      TessRect r = tess_block_job_get_block (job, i);
      if (r.x0 == 0)
        rows += r.height;
    }
  want = (gint64)nranks * BLOCKS_PER_RANK;
  return MAX (1, (rows + want - 1) / want);
}

static gboolean
mpi_write_plan (TessPlan *plan, const TessRect *rect,
                const TessRunOptions *run, const char *path,
                TessWriteFlags flags, GCancellable *cancellable,
                TessProgressFunc progress, gpointer user_data, GError **error)
{
  GError *local = NULL;
  TessBlockJob *job = tess_block_job_new_plan (plan, rect, run, &local);
  gboolean ok;

  /* Automatic blocks: enough of them for every rank (the same result). */
  if (job && run->block_height == 0 && balanced_height (job) > 0)
    {
      TessRunOptions more = *run;
      more.block_height = balanced_height (job);
      tess_block_job_free (job);
      job = tess_block_job_new_plan (plan, rect, &more, &local);
    }
  ok = run_job (job, local, path, flags, cancellable, progress, user_data,
                error);

  tess_block_job_free (job);
  return ok;
}

static gboolean
mpi_write_mosaic (TessMosaic *mosaic, const char *path, TessWriteFlags flags,
                  const TessRunOptions *run, GCancellable *cancellable,
                  TessProgressFunc progress, gpointer user_data,
                  GError **error)
{
  GError *local = NULL;
  TessBlockJob *job = NULL;
  TessRunOptions more = *run;
  int n = tess_mosaic_get_n_inputs (mosaic), made = 0;

  /* Rank 0 first: its job fits the backgrounds (when asked), once for
   * all, and chooses bands enough for every rank; the others take its
   * offsets and band height. */
  if (rank == 0)
    {
      job = tess_block_job_new_mosaic (mosaic, &more, cancellable, &local);
      made = job != NULL;
      if (job && more.block_height == 0 && balanced_height (job) > 0)
        {
          more.block_height = balanced_height (job);
          tess_block_job_free (job);
          job = tess_block_job_new_mosaic (mosaic, &more, cancellable, &local);
          made = job != NULL;
        }
    }
  MPI_Bcast (&made, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (made)
    {
      double *offsets = g_memdup2 (tess_mosaic_get_offsets (mosaic),
                                   (gsize)n * sizeof (double));
      MPI_Bcast (offsets, n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
      MPI_Bcast (&more.block_height, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
      if (rank != 0)
        {
          tess_mosaic_set_offsets (mosaic, offsets);
          job = tess_block_job_new_mosaic (mosaic, &more, cancellable, &local);
        }
      g_free (offsets);
    }
  else if (rank != 0)
    set_echo_error (&local);
  {
    gboolean ok = run_job (job, local, path, flags, cancellable, progress,
                           user_data, error);
    tess_block_job_free (job);
    return ok;
  }
}

static void
finalize (void)
{
  int initialized = 0, finalized = 0;

  MPI_Initialized (&initialized);
  MPI_Finalized (&finalized);
  if (initialized && !finalized)
    MPI_Finalize ();
}

static void
usage (FILE *out)
{
  fprintf (out,
           _ ("Usage: mpirun -np N tessera-mpi COMMAND [OPTIONS...]\n"
              "\n"
              "The commands of tessera, their blocks spread over MPI "
              "ranks.\n"
              "\n"
              "Commands:\n"
              "  reproject     reproject a FITS image onto a target WCS\n"
              "  mosaic        combine many images into one mosaic\n"
              "\n"
              "The options are those of 'tessera COMMAND'; --jobs sets the "
              "threads\n"
              "of each rank for mosaics and is ignored for reprojections.  "
              "Every rank\n"
              "must see the inputs and the output's folder under the same "
              "names.\n"
              "Exit status: 0 success, 1 failure, 2 bad command line, 130 "
              "cancelled.\n"));
}

int
main (int argc, char **argv)
{
  static TessCliEngine engine;
  typedef struct
  {
    int ret;
    char message[MESSAGE_MAX];
  } Outcome;
  Outcome mine = { 0 }, *all = NULL;
  int provided, ret;

  tess_i18n_init ();
  /* SIGINT and SIGTERM blocked in every thread, MPI's included, so that
   * the commands' signal thread takes them (tess_cli_catch_signals()). */
  {
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGINT);
    sigaddset (&set, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &set, NULL);
  }
  if (MPI_Init_thread (&argc, &argv, MPI_THREAD_FUNNELED, &provided)
      != MPI_SUCCESS)
    {
      fprintf (stderr, "tessera-mpi: %s\n", _ ("MPI could not start"));
      return TESS_EXIT_FAILURE;
    }
  atexit (finalize);
  MPI_Comm_rank (MPI_COMM_WORLD, &rank);
  MPI_Comm_size (MPI_COMM_WORLD, &nranks);
  /* Rank 0 speaks for all. */
  if (rank != 0 && freopen ("/dev/null", "w", stdout) == NULL)
    return TESS_EXIT_FAILURE;
  engine = tess_cli_local_engine;
  engine.program = "tessera-mpi";
  engine.silent = rank != 0;
  engine.map_inputs = TRUE;
  engine.write_plan = mpi_write_plan;
  engine.write_mosaic = mpi_write_mosaic;
  engine.report = report;
  tess_cli_engine = &engine;
  tess_cli_set_signal_hook (on_signal);

  if (argc < 2)
    {
      if (rank == 0)
        usage (stderr);
      ret = TESS_EXIT_USAGE;
    }
  else if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
           || strcmp (argv[1], "help") == 0)
    {
      usage (stdout);
      ret = TESS_EXIT_OK;
    }
  else if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0)
    {
      printf ("tessera-mpi %s\n", tess_version ());
      ret = TESS_EXIT_OK;
    }
  else if (strcmp (argv[1], "reproject") == 0)
    ret = tess_cmd_reproject (argc - 1, argv + 1);
  else if (strcmp (argv[1], "mosaic") == 0)
    ret = tess_cmd_mosaic (argc - 1, argv + 1);
  else
    {
      tess_cli_error (_ ("unknown command '%s' (see 'tessera-mpi --help')"),
                      argv[1]);
      ret = TESS_EXIT_USAGE;
    }

  /* The gate for a rank that did not reach its blocks; then every rank's
   * outcome to rank 0, which reports the failures of the others. */
  if (!gate_passed && ret != TESS_EXIT_OK)
    agree (FALSE);
  else if (!gate_passed)
    agree (TRUE);
  mine.ret = ret;
  g_strlcpy (mine.message, first_error, sizeof mine.message);
  if (rank == 0)
    all = g_new0 (Outcome, nranks);
  MPI_Gather (&mine, sizeof mine, MPI_BYTE, all, sizeof mine, MPI_BYTE, 0,
              MPI_COMM_WORLD);
  if (rank == 0)
    {
      for (int r = 1; r < nranks; r++)
        {
          /* Not again what rank 0 said, nor what a lower rank said. */
          gboolean seen = strcmp (all[r].message, first_error) == 0;
          for (int q = 1; q < r && !seen; q++)
            seen = strcmp (all[r].message, all[q].message) == 0;
          if (all[r].ret != TESS_EXIT_OK && all[r].message[0] && !seen)
            /* TRANSLATORS: the rank's number, then its error message. */
            fprintf (stderr, _ ("tessera-mpi: rank %d: %s\n"), r,
                     all[r].message);
          if (ret == TESS_EXIT_OK && all[r].ret != TESS_EXIT_OK)
            ret = all[r].ret;
        }
      g_free (all);
    }
  finalize ();
  /* Rank 0's status is the job's. */
  return rank == 0 ? ret : TESS_EXIT_OK;
}
