/* pool.c — running a plan's work in worker processes.
 *
 * Workers are separate executables (tessera-worker, see worker.c),
 * started with posix_spawn(), which is safe from a multi-threaded
 * program: nothing of this process runs in the child before the exec.  Each
 * worker gets the job — the input file, the target header (written to a
 * temporary file), the options — on a socket that is its standard input and
 * output, then task after task.  Results go straight into shared files: the
 * output (its fd 3: the FITS file being written, or shared memory) and, for
 * the spline methods, the coefficients (fd 4), whose bands the workers
 * make as their blocks need them, each once (see interp.c).
 * The parent hands out tasks, reports progress, cancels (killing the
 * workers), and gives the task of a worker that dies to another one, once.
 *
 * Protocol (text lines), parent → worker:
 *   tessera-worker 6 / input PATH / target PATH / the options, a
 *   "key value" line each (tess__options_to_text) / output X0 Y0 W H /
 *   blocks WIDTH HEIGHT / layout DATA_OFFSET FOOTPRINT_OFFSET BIG_ENDIAN /
 *   coeffs 0|1 / input-data 0|1 / go, then tasks: block ID (the worker
 *   cuts the output into the same blocks), and quit.
 * worker → parent: ready / done ID / error MESSAGE
 */
#include "config.h"

#include "run/tess-pool.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct
{
  pid_t pid;   /* 0 when not running */
  int fd;      /* our end of its socket */
  gint64 busy; /* task it runs, or -1 */
  gboolean ready;
  GString *line;
} Worker;

typedef struct
{
  const TessPoolJob *job;
  Worker *workers;
  int nworkers, spawned, max_spawns;
  char *worker; /* its executable */
  char *header_path;
  char *tmpdir;
  int output_fd, coeffs_fd;
  TessStreamLayout layout;
  /* The blocks: next to hand out, done, to hand out again. */
  gint64 next, ndone;
  gint64 *pending, npending;
  int *tries;
} Pool;

/* The worker executable: $TESSERA_WORKER when set (tests name the one
 * they want); else the one beside the running program when there is one
 * (an uninstalled build: libtool keeps the programs together in .libs,
 * and the library path the wrapper script set is inherited); else the
 * installed one.  Newly allocated. */
static char *
find_worker (void)
{
  const char *env = g_getenv ("TESSERA_WORKER");
  char *exe, *path;

  if (env && *env)
    return g_strdup (env);
  exe = g_file_read_link ("/proc/self/exe", NULL);
  if (exe)
    {
      char *dir = g_path_get_dirname (exe);
      path = g_build_filename (dir, "tessera-worker", NULL);
      g_free (dir);
      g_free (exe);
      if (g_file_test (path, G_FILE_TEST_IS_EXECUTABLE)
          && !g_file_test (path, G_FILE_TEST_IS_DIR))
        return path;
      g_free (path);
    }
  return g_strdup (LIBEXECDIR "/tessera-worker");
}

static gboolean
send_line (Worker *w, const char *text)
{
  gsize len = strlen (text), done = 0;

  while (done < len)
    {
      ssize_t n = send (w->fd, text + done, len - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      done += (gsize)n;
    }
  return TRUE;
}

static void
worker_stop (Worker *w, gboolean kill_it)
{
  int status;

  if (w->pid <= 0)
    return;
  if (kill_it)
    kill (w->pid, SIGKILL);
  else
    send_line (w, "quit\n");
  close (w->fd);
  w->fd = -1;
  while (waitpid (w->pid, &status, 0) < 0 && errno == EINTR)
    ;
  w->pid = 0;
  g_string_free (w->line, TRUE);
  w->line = NULL;
}

/* Starts a worker with posix_spawn(): safe in a multi-threaded program,
 * and cheap whatever the size of this process.  Its fds: 0 and 1 the
 * socket, 3 the output, 4 the coefficients, 5 a scratch copy of the
 * input's samples; default signal handling. */
static gboolean
spawn_worker (Pool *pool, int sock, pid_t *pid, GError **error)
{
  const char *path = pool->worker;
  char *argv[] = { (char *)path, NULL };
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none, defaults;
  int src[4], err;

  /* Duplicates above the targets, so that no dup2 overwrites a source. */
  src[0] = fcntl (sock, F_DUPFD_CLOEXEC, 10);
  src[1] = fcntl (pool->output_fd, F_DUPFD_CLOEXEC, 10);
  src[2] = pool->coeffs_fd >= 0 ? fcntl (pool->coeffs_fd, F_DUPFD_CLOEXEC, 10)
                                : -1;
  src[3] = pool->job->input_data_fd >= 0
               ? fcntl (pool->job->input_data_fd, F_DUPFD_CLOEXEC, 10)
               : -1;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, src[0], 0);
  posix_spawn_file_actions_adddup2 (&fa, src[0], 1);
  posix_spawn_file_actions_adddup2 (&fa, src[1], 3);
  if (src[2] >= 0)
    posix_spawn_file_actions_adddup2 (&fa, src[2], 4);
  if (src[3] >= 0)
    posix_spawn_file_actions_adddup2 (&fa, src[3], 5);
  posix_spawnattr_init (&attr);
  sigemptyset (&none);
  sigemptyset (&defaults);
  sigaddset (&defaults, SIGINT);
  sigaddset (&defaults, SIGTERM);
  sigaddset (&defaults, SIGPIPE);
  posix_spawnattr_setsigmask (&attr, &none);
  posix_spawnattr_setsigdefault (&attr, &defaults);
  posix_spawnattr_setflags (&attr,
                            POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  err = posix_spawn (pid, path, &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  posix_spawnattr_destroy (&attr);
  for (int i = 0; i < 4; i++)
    if (src[i] >= 0)
      close (src[i]);
  if (err != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "cannot start the worker %s: %s", path, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

static gboolean
worker_start (Pool *pool, Worker *w, GError **error)
{
  const TessPoolJob *job = pool->job;
  int sv[2];
  GString *text;
  char *spec;
  gboolean ok;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "cannot start a worker: %s", g_strerror (errno));
      return FALSE;
    }
  ok = spawn_worker (pool, sv[1], &w->pid, error);
  close (sv[1]);
  if (!ok)
    {
      close (sv[0]);
      return FALSE;
    }
  pool->spawned++;
  w->fd = sv[0];
  w->busy = -1;
  w->ready = FALSE;
  w->line = g_string_new (NULL);
  text = g_string_new (NULL);
  g_string_append_printf (text, "tessera-worker 6\ninput %s\ntarget %s\n",
                          job->input_path, pool->header_path);
  tess__options_to_text (&job->options, text);
  g_string_append_printf (
      text,
      "output %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
      " %" G_GINT64_FORMAT "\nblocks %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
      "\nlayout %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT
      " %d\ncoeffs %d\ninput-data %d\ngo\n",
      job->rect.x0, job->rect.y0, job->rect.width, job->rect.height,
      job->block_width, job->block_height, pool->layout.data_offset,
      pool->layout.footprint_offset, pool->layout.big_endian ? 1 : 0,
      pool->coeffs_fd < 0 ? 0 : 1, job->input_data_fd >= 0 ? 1 : 0);
  spec = g_string_free (text, FALSE);
  ok = send_line (w, spec);
  g_free (spec);
  if (!ok)
    {
      worker_stop (w, TRUE);
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "cannot talk to the worker %s", pool->worker);
    }
  return ok;
}

/* Writes the target header as a text file for the workers. */
static gboolean
write_header (Pool *pool, GError **error)
{
  GString *text;
  GError *local = NULL;
  gboolean ok;

  pool->tmpdir = g_dir_make_tmp ("tessera-XXXXXX", &local);
  if (pool->tmpdir == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "cannot make a folder for the workers: %s", local->message);
      g_error_free (local);
      return FALSE;
    }
  text = g_string_new (NULL);
  for (int i = 0; i < pool->job->ncards; i++)
    {
      g_string_append_len (text, pool->job->cards + (gsize)i * 80, 80);
      g_string_append_c (text, '\n');
    }
  g_string_append (text, "END\n");
  pool->header_path = g_build_filename (pool->tmpdir, "target.hdr", NULL);
  ok = g_file_set_contents (pool->header_path, text->str, (gssize)text->len,
                            &local);
  g_string_free (text, TRUE);
  if (!ok)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s", local->message);
      g_error_free (local);
    }
  return ok;
}

/* The text of block @t's task. */
static void
task_text (gint64 t, char *buf, gsize size)
{
  g_snprintf (buf, size, "block %" G_GINT64_FORMAT "\n", t);
}

/* A worker is gone: its task goes to another, once. */
static gboolean
worker_lost (Pool *pool, Worker *w, GError **error)
{
  const TessPoolJob *job = pool->job;
  gint64 t = w->busy;

  worker_stop (w, TRUE);
  if (t >= 0)
    {
      /* A block only writes its own part (and bands of coefficients,
       * which are the same whoever makes them): done again, it gives the
       * same. */
      if (++pool->tries[t] > 1)
        {
          const TessRect *r = &job->blocks[t];
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                       "block %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT
                       ",%" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                       "x%" G_GINT64_FORMAT ") failed twice: its workers "
                       "died",
                       t, r->x0, r->y0, r->width, r->height);
          return FALSE;
        }
      pool->pending[pool->npending++] = t;
    }
  for (int i = 0; i < pool->nworkers; i++)
    {
      Worker *o = &pool->workers[i];
      if (o->pid <= 0 && pool->spawned < pool->max_spawns
          && !worker_start (pool, o, error))
        return FALSE;
    }
  return TRUE;
}

/* Handles the lines a worker sent. */
static gboolean
worker_lines (Pool *pool, Worker *w, TessPoolBlockDone block_done,
              gpointer user_data, GError **error)
{
  char *nl;

  while ((nl = strchr (w->line->str, '\n')) != NULL)
    {
      char *l = w->line->str;
      *nl = '\0';
      if (strcmp (l, "ready") == 0)
        w->ready = TRUE;
      else if (g_str_has_prefix (l, "done "))
        {
          gint64 t = g_ascii_strtoll (l + 5, NULL, 10);
          if (t == w->busy)
            {
              w->busy = -1;
              pool->ndone++;
              if (block_done)
                block_done (t, pool->ndone, user_data);
            }
        }
      else if (g_str_has_prefix (l, "error "))
        {
          if (w->busy >= 0)
            {
              const TessRect *r = &pool->job->blocks[w->busy];
              g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                           "block %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT
                           ",%" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                           "x%" G_GINT64_FORMAT "): %s",
                           w->busy, r->x0, r->y0, r->width, r->height, l + 6);
            }
          else
            g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s", l + 6);
          return FALSE;
        }
      g_string_erase (w->line, 0, (gssize)(nl - w->line->str) + 1);
    }
  return TRUE;
}

gboolean
tess__pool_run (const TessPoolJob *job, GCancellable *cancellable,
                TessPoolBlockDone block_done, gpointer user_data,
                GError **error)
{
  Pool pool = { 0 };
  gboolean ok = FALSE;
  gsize data_bytes = 0, fp_bytes = 0, map_len = 0;
  gpointer map = MAP_FAILED;
  gboolean spline = tess__method_is_spline (job->options.method);

  pool.job = job;
  pool.worker = find_worker ();
  pool.output_fd = pool.coeffs_fd = -1;
  pool.nworkers = (int)MIN ((gint64)job->jobs, MAX (job->nblocks, 2));
  pool.max_spawns = pool.nworkers * 2 + 2;
  pool.workers = g_new0 (Worker, pool.nworkers);
  for (int i = 0; i < pool.nworkers; i++)
    pool.workers[i].fd = -1;

  if (job->layout.fd >= 0)
    {
      pool.layout = job->layout;
      pool.output_fd = job->layout.fd;
    }
  else
    {
      /* Into shared memory, copied out at the end. */
      gsize npix = (gsize)job->rect.width * (gsize)job->rect.height;
      pool.layout.elem = job->layout.elem;
      data_bytes = npix * (gsize)job->out_nplanes * pool.layout.elem;
      fp_bytes = job->footprint ? npix * sizeof (float) : 0;
      map_len = data_bytes + fp_bytes;
      pool.layout.data_offset = 0;
      pool.layout.footprint_offset = job->footprint ? (gint64)data_bytes : -1;
      pool.layout.big_endian = FALSE;
      pool.output_fd = tess__shared_file ("output", map_len, error);
      if (pool.output_fd < 0)
        goto out;
    }
  if (spline)
    {
      guint64 states_offset;
      guint64 bytes = tess__coeffs_file_bytes (job->in_type, job->in_width,
                                               job->in_height, job->nplanes,
                                               &states_offset);
      pool.coeffs_fd = tess__shared_file ("spline coefficients", bytes, error);
      if (pool.coeffs_fd < 0)
        goto out;
    }
  if (!write_header (&pool, error))
    goto out;
  for (int i = 0; i < pool.nworkers; i++)
    if (!worker_start (&pool, &pool.workers[i], error))
      goto out;

  pool.pending = g_new (gint64, job->nblocks);
  pool.tries = g_new0 (int, job->nblocks);
  for (;;)
    {
      struct pollfd fds[64];
      int idx[64], nfds = 0, alive = 0;

      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_CANCELLED, "cancelled");
          goto out;
        }
      if (pool.ndone == job->nblocks)
        break;
      /* Hand out tasks: retried ones first. */
      for (int i = 0; i < pool.nworkers; i++)
        {
          Worker *w = &pool.workers[i];
          gint64 t;
          char cmd[160];

          if (w->pid <= 0)
            continue;
          alive++;
          if (!w->ready || w->busy >= 0)
            continue;
          if (pool.npending > 0)
            t = pool.pending[--pool.npending];
          else if (pool.next < job->nblocks)
            t = pool.next++;
          else
            continue;
          task_text (t, cmd, sizeof cmd);
          w->busy = t;
          send_line (w, cmd); /* a failure shows as the worker's end */
        }
      if (alive == 0)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                       "all the workers died (%s)", pool.worker);
          goto out;
        }
      for (int i = 0; i < pool.nworkers && nfds < 64; i++)
        if (pool.workers[i].pid > 0)
          {
            fds[nfds].fd = pool.workers[i].fd;
            fds[nfds].events = POLLIN;
            idx[nfds++] = i;
          }
      /* Wake up often enough to notice cancellation promptly. */
      if (poll (fds, (nfds_t)nfds, 50) < 0 && errno != EINTR)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "poll: %s",
                       g_strerror (errno));
          goto out;
        }
      for (int k = 0; k < nfds; k++)
        {
          Worker *w = &pool.workers[idx[k]];
          char buf[4096];
          ssize_t n;

          if (w->pid <= 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          n = recv (w->fd, buf, sizeof buf, 0);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              if (!worker_lost (&pool, w, error))
                goto out;
              continue;
            }
          g_string_append_len (w->line, buf, n);
          if (!worker_lines (&pool, w, block_done, user_data, error))
            goto out;
        }
    }
  if (job->layout.fd < 0)
    {
      map = mmap (NULL, map_len, PROT_READ, MAP_SHARED, pool.output_fd, 0);
      if (map == MAP_FAILED)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                       "cannot map the shared output: %s", g_strerror (errno));
          goto out;
        }
      memcpy (job->data, map, data_bytes);
      if (job->footprint)
        memcpy (job->footprint, (char *)map + data_bytes, fp_bytes);
      munmap (map, map_len);
    }
  ok = TRUE;

out:
  /* All told to stop first, so that they end together. */
  for (int i = 0; i < pool.nworkers; i++)
    if (pool.workers[i].pid > 0)
      {
        if (ok)
          send_line (&pool.workers[i], "quit\n");
        else
          kill (pool.workers[i].pid, SIGKILL);
      }
  for (int i = 0; i < pool.nworkers; i++)
    worker_stop (&pool.workers[i], !ok);
  if (job->layout.fd < 0 && pool.output_fd >= 0)
    close (pool.output_fd);
  if (pool.coeffs_fd >= 0)
    close (pool.coeffs_fd);
  if (pool.header_path)
    g_unlink (pool.header_path);
  if (pool.tmpdir)
    g_rmdir (pool.tmpdir);
  g_free (pool.worker);
  g_free (pool.header_path);
  g_free (pool.tmpdir);
  g_free (pool.workers);
  g_free (pool.pending);
  g_free (pool.tries);
  return ok;
}
