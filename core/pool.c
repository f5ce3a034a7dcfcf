/* pool.c — running the blocks of a plan in worker processes.
 *
 * Workers are separate executables (tessera-worker), started with
 * GSubprocess, which is safe from a multi-threaded program: nothing runs
 * between fork and exec.  Each worker gets the job — the input file, the
 * target header (written to a temporary file), the options — on a socket
 * that is its standard input and output, then block after block; it
 * writes each block straight into a shared memory file (memfd, its fd 3)
 * that holds the output, and answers "done ID".  The parent hands out
 * blocks, reports progress, cancels (killing the workers), and gives the
 * block of a worker that dies to another one, once.
 *
 * Protocol (text lines), parent → worker:
 *   tessera-worker 1 / input PATH / target PATH / method NAME /
 *   roundtrip 0|1 / exact 0|1 / tolerance X / step N /
 *   output X0 Y0 W H / go / block ID X Y W H ... / quit
 * worker → parent: ready / done ID / error [ID] MESSAGE
 */
#include "config.h"

#include "tess-pool.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct
{
  GSubprocess *proc;
  int fd;      /* our end of its socket */
  gint64 busy; /* block it computes, or -1 */
  gboolean ready;
  GString *line;
} Worker;

typedef struct
{
  const TessPoolJob *job;
  Worker *workers;
  int nworkers, spawned, max_spawns;
  char *header_path;
  char *tmpdir;
  int memfd;
} Pool;

static const char *
worker_path (void)
{
  const char *env = g_getenv ("TESSERA_WORKER");

  return env && *env ? env : LIBEXECDIR "/tessera-worker";
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
worker_stop (Worker *w, gboolean kill)
{
  if (w->proc == NULL)
    return;
  if (kill)
    g_subprocess_force_exit (w->proc);
  else
    send_line (w, "quit\n");
  close (w->fd);
  w->fd = -1;
  g_subprocess_wait (w->proc, NULL, NULL);
  g_clear_object (&w->proc);
  g_string_free (w->line, TRUE);
  w->line = NULL;
}

static gboolean
worker_start (Pool *pool, Worker *w, GError **error)
{
  const TessPoolJob *job = pool->job;
  GSubprocessLauncher *l;
  int sv[2];
  char *spec;
  gboolean ok;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "cannot start a worker: %s", g_strerror (errno));
      return FALSE;
    }
  l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_take_stdin_fd (l, sv[1]);
  g_subprocess_launcher_take_stdout_fd (l, dup (sv[1]));
  g_subprocess_launcher_take_fd (l, dup (pool->memfd), 3);
  w->proc = g_subprocess_launcher_spawn (l, error, worker_path (), NULL);
  g_object_unref (l);
  if (w->proc == NULL)
    {
      close (sv[0]);
      g_prefix_error (error, "cannot start the worker %s: ", worker_path ());
      return FALSE;
    }
  pool->spawned++;
  w->fd = sv[0];
  w->busy = -1;
  w->ready = FALSE;
  w->line = g_string_new (NULL);
  spec = g_strdup_printf (
      "tessera-worker 1\ninput %s\ntarget %s\nmethod %s\nroundtrip %d\n"
      "exact %d\ntolerance %.17g\nstep %d\noutput %" G_GINT64_FORMAT
      " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\ngo\n",
      job->input_path, pool->header_path,
      tess_method_name (job->options.method), job->options.roundtrip ? 1 : 0,
      job->options.exact_transform ? 1 : 0, job->options.transform_tolerance,
      job->options.grid_step, job->rect.x0, job->rect.y0, job->rect.width,
      job->rect.height);
  ok = send_line (w, spec);
  g_free (spec);
  if (!ok)
    {
      worker_stop (w, TRUE);
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "cannot talk to the worker %s", worker_path ());
    }
  return ok;
}

/* Writes the target header as a text file for the workers. */
static gboolean
write_header (Pool *pool, GError **error)
{
  GString *text = g_string_new (NULL);
  gboolean ok;

  pool->tmpdir = g_dir_make_tmp ("tessera-XXXXXX", error);
  if (pool->tmpdir == NULL)
    return FALSE;
  for (int i = 0; i < pool->job->ncards; i++)
    {
      g_string_append_len (text, pool->job->cards + (gsize)i * 80, 80);
      g_string_append_c (text, '\n');
    }
  g_string_append (text, "END\n");
  pool->header_path = g_build_filename (pool->tmpdir, "target.hdr", NULL);
  ok = g_file_set_contents (pool->header_path, text->str, (gssize)text->len,
                            error);
  g_string_free (text, TRUE);
  return ok;
}

gboolean
tess__pool_run (const TessPoolJob *job, GCancellable *cancellable,
                TessPoolBlockDone block_done, gpointer user_data,
                GError **error)
{
  Pool pool = { 0 };
  gint64 nb = job->nblocks, next = 0, ndone = 0;
  gint64 *pending = g_new (gint64, nb);
  int *tries = g_new0 (int, nb);
  gint64 npending = 0;
  gboolean ok = FALSE;
  gsize map_len = job->data_bytes + job->footprint_bytes;
  gpointer map = MAP_FAILED;

  pool.job = job;
  pool.memfd = -1;
  pool.nworkers = (int)MIN ((gint64)job->jobs, nb);
  pool.max_spawns = pool.nworkers * 2 + 2;
  pool.workers = g_new0 (Worker, pool.nworkers);
  for (int i = 0; i < pool.nworkers; i++)
    pool.workers[i].fd = -1;

  pool.memfd = memfd_create ("tessera-output", MFD_CLOEXEC);
  if (pool.memfd < 0 || ftruncate (pool.memfd, (off_t)map_len) != 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "cannot make the shared output: %s", g_strerror (errno));
      goto out;
    }
  map = mmap (NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, pool.memfd,
              0);
  if (map == MAP_FAILED)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                   "cannot map the shared output: %s", g_strerror (errno));
      goto out;
    }
  if (!write_header (&pool, error))
    goto out;
  for (int i = 0; i < pool.nworkers; i++)
    if (!worker_start (&pool, &pool.workers[i], error))
      goto out;

  while (ndone < nb)
    {
      struct pollfd fds[64];
      int idx[64], nfds = 0, alive = 0;

      if (g_cancellable_is_cancelled (cancellable))
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_CANCELLED, "cancelled");
          goto out;
        }
      /* Hand out blocks: retried ones first. */
      for (int i = 0; i < pool.nworkers; i++)
        {
          Worker *w = &pool.workers[i];
          gint64 b;
          char cmd[160];

          if (w->proc == NULL)
            continue;
          alive++;
          if (!w->ready || w->busy >= 0)
            continue;
          if (npending > 0)
            b = pending[--npending];
          else if (next < nb)
            b = next++;
          else
            continue;
          g_snprintf (cmd, sizeof cmd,
                      "block %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                      " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                      " %" G_GINT64_FORMAT "\n",
                      b, job->blocks[b].x0, job->blocks[b].y0,
                      job->blocks[b].width, job->blocks[b].height);
          w->busy = b;
          send_line (w, cmd); /* a failure shows as the worker's end */
        }
      if (alive == 0)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                       "all the workers died (%s)", worker_path ());
          goto out;
        }
      for (int i = 0; i < pool.nworkers && nfds < 64; i++)
        if (pool.workers[i].proc)
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
          char *nl;

          if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          n = recv (w->fd, buf, sizeof buf, 0);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              /* The worker is gone: its block goes to another, once. */
              gint64 b = w->busy;
              worker_stop (w, TRUE);
              if (b >= 0)
                {
                  if (++tries[b] > 1)
                    {
                      g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                                   "block %" G_GINT64_FORMAT
                                   " (%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT
                                   " %" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
                                   ") failed twice: its workers died",
                                   b, job->blocks[b].x0, job->blocks[b].y0,
                                   job->blocks[b].width,
                                   job->blocks[b].height);
                      goto out;
                    }
                  pending[npending++] = b;
                }
              if (pool.spawned < pool.max_spawns
                  && !worker_start (&pool, w, error))
                goto out;
              continue;
            }
          g_string_append_len (w->line, buf, n);
          while ((nl = strchr (w->line->str, '\n')) != NULL)
            {
              *nl = '\0';
              if (strcmp (w->line->str, "ready") == 0)
                w->ready = TRUE;
              else if (g_str_has_prefix (w->line->str, "done "))
                {
                  gint64 b = g_ascii_strtoll (w->line->str + 5, NULL, 10);
                  if (b == w->busy)
                    {
                      w->busy = -1;
                      ndone++;
                      if (block_done)
                        block_done (b, ndone, user_data);
                    }
                }
              else if (g_str_has_prefix (w->line->str, "error "))
                {
                  g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s",
                               w->line->str + 6);
                  goto out;
                }
              g_string_erase (w->line, 0, (gssize)(nl - w->line->str) + 1);
            }
        }
    }
  memcpy (job->data, map, job->data_bytes);
  memcpy (job->footprint, (char *)map + job->data_bytes, job->footprint_bytes);
  ok = TRUE;

out:
  for (int i = 0; i < pool.nworkers; i++)
    worker_stop (&pool.workers[i], !ok);
  if (map != MAP_FAILED)
    munmap (map, map_len);
  if (pool.memfd >= 0)
    close (pool.memfd);
  if (pool.header_path)
    g_unlink (pool.header_path);
  if (pool.tmpdir)
    g_rmdir (pool.tmpdir);
  g_free (pool.header_path);
  g_free (pool.tmpdir);
  g_free (pool.workers);
  g_free (pending);
  g_free (tries);
  return ok;
}
