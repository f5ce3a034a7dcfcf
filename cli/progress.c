/* progress.c — progress on stderr: a one-line bar on a terminal; with
 * --verbose elsewhere (a log, a batch job), a line at every tenth. */
#include "config.h"

#include "cli.h"

#include <stdio.h>
#include <unistd.h>

struct _TessProgressBar
{
  char *label;
  gboolean enabled; /* a bar */
  gboolean lines;   /* lines */
  int tenths;       /* lines printed up to this tenth */
  gboolean drawn;
};

TessProgressBar *
tess_progress_bar_new (const char *label, TessVerbosity verb)
{
  TessProgressBar *bar = g_new0 (TessProgressBar, 1);
  gboolean tty = isatty (STDERR_FILENO);

  bar->label = g_strdup (label);
  bar->enabled = verb >= TESS_VERBOSITY_NORMAL && tty;
  bar->lines = verb >= TESS_VERBOSITY_VERBOSE && !tty;
  return bar;
}

static void
progress_line (TessProgressBar *bar, const TessProgress *p, double frac)
{
  int tenths = (int)(frac * 10.0);

  if (tenths <= bar->tenths)
    return;
  bar->tenths = tenths;
  fprintf (stderr,
           "%s: %s: %3.0f%%  %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
           " blocks  %.1f s\n",
           tess_cli_engine->program, bar->label, frac * 100.0, p->blocks_done,
           p->blocks_total, p->elapsed);
}

void
tess_progress_bar_update (const TessProgress *p, gpointer data)
{
  TessProgressBar *bar = data;
  enum
  {
    WIDTH = 30
  };
  char cells[WIDTH + 1];
  double frac;
  int filled;

  if (!bar->enabled && !bar->lines)
    return;
  frac = p->pixels_total > 0 ? (double)p->pixels_done / (double)p->pixels_total
                             : 1.0;
  if (bar->lines)
    {
      progress_line (bar, p, frac);
      return;
    }
  filled = (int)(frac * WIDTH + 0.5);
  for (int i = 0; i < WIDTH; i++)
    cells[i] = i < filled ? '#' : '.';
  cells[WIDTH] = '\0';
  if (p->eta >= 0.0 && p->blocks_done < p->blocks_total)
    fprintf (stderr,
             "\r%s [%s] %3.0f%%  %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
             " blocks  ETA %.1f s ",
             bar->label, cells, frac * 100.0, p->blocks_done, p->blocks_total,
             p->eta);
  else
    fprintf (stderr,
             "\r%s [%s] %3.0f%%  %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
             " blocks  %.1f s      ",
             bar->label, cells, frac * 100.0, p->blocks_done, p->blocks_total,
             p->elapsed);
  bar->drawn = TRUE;
}

void
tess_progress_bar_free (TessProgressBar *bar)
{
  if (bar == NULL)
    return;
  if (bar->drawn)
    fputc ('\n', stderr);
  g_free (bar->label);
  g_free (bar);
}
