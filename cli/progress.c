/* progress.c — a one-line progress bar on stderr for terminals. */
#include "config.h"

#include "cli.h"

#include <stdio.h>
#include <unistd.h>

struct _TessProgressBar
{
  char *label;
  gboolean enabled;
  gboolean drawn;
};

TessProgressBar *
tess_progress_bar_new (const char *label, gboolean enabled)
{
  TessProgressBar *bar = g_new0 (TessProgressBar, 1);

  bar->label = g_strdup (label);
  bar->enabled = enabled && isatty (STDERR_FILENO);
  return bar;
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

  if (!bar->enabled)
    return;
  frac = p->pixels_total > 0 ? (double)p->pixels_done / (double)p->pixels_total
                             : 1.0;
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
