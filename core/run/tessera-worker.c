/* tessera-worker.c — tessera-worker: the process libtessera starts for
 * each job of a run with several (see pool.c and worker.c).  Not meant to be
 * run by hand: it talks to its parent on its standard input, a socket.
 */
#include "config.h"

#include "run/tess-pool.h"

#include <stdio.h>

int
main (void)
{
  GError *error = NULL;

  if (!tess__worker_serve (0, &error))
    {
      /* The parent has the message too; this is for a human. */
      fprintf (stderr, "tessera-worker: %s\n", error->message);
      g_error_free (error);
      return 1;
    }
  return 0;
}
