/* pool.c — the engine of worker processes: the blocks of any source
 * that can be described (tess-run.h) computed by other processes.
 *
 * Workers are separate executables (tessera-worker, see worker.c),
 * started with posix_spawn(), which is safe from a multi-threaded
 * program: nothing of this process runs in the child before the exec.  Each
 * worker gets the source's description on a socket that is its standard
 * input and output, rebuilds the source from it, then computes block after
 * block.  Results go straight into the output, a shared file (its fd 3:
 * the FITS file being written, or shared memory copied out at the end);
 * the files the description shares (spline coefficients whose pieces the
 * workers make as their blocks need them, each once; scratch copies of
 * inputs) are its fds 4, 5, ... in the order of their indices.  The
 * parent hands out block numbers, reports progress, cancels (killing the
 * workers), and gives the block of a worker that dies to another one,
 * once.
 *
 * Protocol (text lines), parent → worker:
 *   tessera-worker 7 / layout DATA_OFFSET FOOTPRINT_OFFSET BIG_ENDIAN /
 *   fds N / job LENGTH, then LENGTH bytes: the description; then tasks:
 *   block ID, and quit.
 * worker → parent: ready / done ID / error CODE MESSAGE (CODE a
 * TessError)
 */
#include "config.h"

#include "run/tess-pool.h"
#include "run/tess-run.h"

#include <errno.h>
#include <fcntl.h>
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
  TessBlockSource *source;
  Worker *workers;
  int nworkers, spawned, max_spawns;
  char *worker; /* its executable */
  char *text;   /* the source's description */
  gsize text_len;
  const int *fds; /* the descriptors it shares */
  int nfds;
  int output_fd;
  TessStreamLayout layout;
  /* The blocks: how many, next to hand out, done, to hand out again. */
  gint64 nblocks, next, ndone;
  gint64 *pending, npending;
  int *tries;
  TessRunMeter meter;
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
send_all (Worker *w, const char *text, gsize len)
{
  gsize done = 0;

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

static gboolean
send_line (Worker *w, const char *text)
{
  return send_all (w, text, strlen (text));
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
 * socket, 3 the output, 4, 5, ... the files the description shares;
 * default signal handling. */
static gboolean
spawn_worker (Pool *pool, int sock, pid_t *pid, GError **error)
{
  const char *path = pool->worker;
  char *argv[] = { (char *)path, NULL };
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none, defaults;
  int n = pool->nfds + 2, *src = g_new (int, n), err = 0;

  /* Duplicates above the targets, so that no dup2 overwrites a source. */
  src[0] = fcntl (sock, F_DUPFD_CLOEXEC, n + 4);
  src[1] = fcntl (pool->output_fd, F_DUPFD_CLOEXEC, n + 4);
  for (int i = 0; i < pool->nfds; i++)
    src[2 + i] = fcntl (pool->fds[i], F_DUPFD_CLOEXEC, n + 4);
  for (int i = 0; i < n; i++)
    if (src[i] < 0)
      err = errno;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, src[0], 0);
  posix_spawn_file_actions_adddup2 (&fa, src[0], 1);
  posix_spawn_file_actions_adddup2 (&fa, src[1], 3);
  for (int i = 0; i < pool->nfds; i++)
    posix_spawn_file_actions_adddup2 (&fa, src[2 + i], 4 + i);
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
  if (err == 0)
    err = posix_spawn (pid, path, &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  posix_spawnattr_destroy (&attr);
  for (int i = 0; i < n; i++)
    if (src[i] >= 0)
      close (src[i]);
  g_free (src);
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
  int sv[2];
  char *head;
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
  head = g_strdup_printf (
      "tessera-worker 7\nlayout %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT
      " %d\nfds %d\njob %" G_GSIZE_FORMAT "\n",
      pool->layout.data_offset, pool->layout.footprint_offset,
      pool->layout.big_endian ? 1 : 0, pool->nfds, pool->text_len);
  ok = send_all (w, head, strlen (head))
       && send_all (w, pool->text, pool->text_len);
  g_free (head);
  if (!ok)
    {
      worker_stop (w, TRUE);
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "cannot talk to the worker %s", pool->worker);
    }
  return ok;
}

/* Block @t in the output's coordinates, for messages. */
static char *
block_name (Pool *pool, gint64 t)
{
  TessRect r = pool->source->funcs->get_block (pool->source, t);

  return g_strdup_printf ("block %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT
                          ",%" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                          "x%" G_GINT64_FORMAT ")",
                          t, r.x0, r.y0, r.width, r.height);
}

/* A worker is gone: its task goes to another, once. */
static gboolean
worker_lost (Pool *pool, Worker *w, GError **error)
{
  gint64 t = w->busy;

  worker_stop (w, TRUE);
  if (t >= 0)
    {
      /* A block only writes its own part (and pieces of coefficients,
       * which are the same whoever makes them): done again, it gives the
       * same. */
      if (++pool->tries[t] > 1)
        {
          g_autofree char *b = block_name (pool, t);
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                       "%s failed twice: its workers died", b);
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
worker_lines (Pool *pool, Worker *w, GError **error)
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
              TessRect r = pool->source->funcs->get_block (pool->source, t);
              w->busy = -1;
              pool->ndone++;
              tess__meter_add (&pool->meter, r.width * r.height);
            }
        }
      else if (g_str_has_prefix (l, "error "))
        {
          /* The worker's error, with its code (I/O for an unknown one). */
          char *end;
          gint64 code = g_ascii_strtoll (l + 6, &end, 10);
          const char *msg = end > l + 6 && *end == ' ' ? end + 1 : l + 6;

          if (end == l + 6 || code < 0 || code > TESS_ERROR_NO_MEMORY)
            code = TESS_ERROR_IO;
          if (w->busy >= 0)
            {
              g_autofree char *b = block_name (pool, w->busy);
              g_set_error (error, TESS_ERROR, (int)code, "%s: %s", b, msg);
            }
          else
            g_set_error (error, TESS_ERROR, (int)code, "%s", msg);
          return FALSE;
        }
      g_string_erase (w->line, 0, (gssize)(nl - w->line->str) + 1);
    }
  return TRUE;
}

gboolean
tess__run_processes (TessBlockSource *source, const TessBlockSink *sink,
                     int jobs, GCancellable *cancellable,
                     TessProgressFunc progress, gpointer user_data,
                     GError **error)
{
  Pool pool = { 0 };
  TessDescription *d = tess__description_new (FALSE);
  gboolean ok = FALSE;
  gsize data_bytes = 0, fp_bytes = 0, map_len = 0;
  gpointer map = MAP_FAILED;

  pool.source = source;
  pool.nblocks = source->funcs->n_blocks (source);
  pool.worker = find_worker ();
  pool.output_fd = -1;
  pool.nworkers = (int)MIN ((gint64)MAX (jobs, 1), MAX (pool.nblocks, 1));
  pool.max_spawns = pool.nworkers * 2 + 2;
  pool.workers = g_new0 (Worker, pool.nworkers);
  for (int i = 0; i < pool.nworkers; i++)
    pool.workers[i].fd = -1;

  if (!tess__block_source_describe (source, d, error))
    goto out;
  pool.text = tess__description_to_text (d, &pool.text_len);
  pool.fds = tess__description_get_fds (d, &pool.nfds);
  if (sink->layout)
    {
      pool.layout = *sink->layout;
      pool.output_fd = sink->layout->fd;
    }
  else
    {
      /* Into shared memory, copied out at the end. */
      gsize npix = (gsize)source->width * (gsize)source->height;
      data_bytes = npix * (gsize)source->nplanes * source->elem;
      fp_bytes = sink->footprint ? npix * sizeof (float) : 0;
      map_len = data_bytes + fp_bytes;
      pool.layout.data_offset = 0;
      pool.layout.footprint_offset = sink->footprint ? (gint64)data_bytes : -1;
      pool.layout.big_endian = FALSE;
      pool.output_fd = tess__shared_file ("output", map_len, error);
      if (pool.output_fd < 0)
        goto out;
    }
  tess__meter_start (&pool.meter, progress, user_data, pool.nblocks,
                     tess__block_source_pixels (source));
  for (int i = 0; i < pool.nworkers; i++)
    if (!worker_start (&pool, &pool.workers[i], error))
      goto out;

  pool.pending = g_new (gint64, MAX (pool.nblocks, 1));
  pool.tries = g_new0 (int, MAX (pool.nblocks, 1));
  for (;;)
    {
      struct pollfd fds[64];
      int idx[64], nfds = 0, alive = 0;

      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_CANCELLED, "cancelled");
          goto out;
        }
      if (pool.ndone == pool.nblocks)
        break;
      /* Hand out tasks: retried ones first. */
      for (int i = 0; i < pool.nworkers; i++)
        {
          Worker *w = &pool.workers[i];
          gint64 t;
          char cmd[64];

          if (w->pid <= 0)
            continue;
          alive++;
          if (!w->ready || w->busy >= 0)
            continue;
          if (pool.npending > 0)
            t = pool.pending[--pool.npending];
          else if (pool.next < pool.nblocks)
            t = pool.next++;
          else
            continue;
          g_snprintf (cmd, sizeof cmd, "block %" G_GINT64_FORMAT "\n", t);
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
          if (!worker_lines (&pool, w, error))
            goto out;
        }
    }
  if (sink->layout == NULL)
    {
      map = mmap (NULL, map_len, PROT_READ, MAP_SHARED, pool.output_fd, 0);
      if (map == MAP_FAILED)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                       "cannot map the shared output: %s", g_strerror (errno));
          goto out;
        }
      memcpy (sink->data, map, data_bytes);
      if (sink->footprint)
        memcpy (sink->footprint, (char *)map + data_bytes, fp_bytes);
      munmap (map, map_len);
    }
  tess__meter_finish (&pool.meter);
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
  if (sink->layout == NULL && pool.output_fd >= 0)
    close (pool.output_fd);
  tess__description_free (d);
  g_free (pool.text);
  g_free (pool.worker);
  g_free (pool.workers);
  g_free (pool.pending);
  g_free (pool.tries);
  return ok;
}

gboolean
tess__run_jobs (TessBlockSource *source, const TessBlockSink *sink,
                TessEngine engine, int jobs, GCancellable *cancellable,
                TessProgressFunc progress, gpointer user_data, GError **error)
{
  if (jobs > 1 && engine == TESS_ENGINE_PROCESSES)
    return tess__run_processes (source, sink, jobs, cancellable, progress,
                                user_data, error);
  return tess__run_threads (source, sink, jobs, cancellable, progress,
                            user_data, error);
}
