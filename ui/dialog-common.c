/* dialog-common.c — what the dialogs share (dialog-common.h). */
#include "config.h"

#include "dialog-common.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>

char *
tess_ui_progress_text (const TessProgress *p)
{
  double frac = p->pixels_total > 0
                    ? (double)p->pixels_done / (double)p->pixels_total
                    : 0.0;

  if (p->eta >= 0.0 && p->pixels_done > 0)
    return g_strdup_printf (_ ("%d of %d blocks, %.0f%%, about %.0f s left"),
                            (int)p->blocks_done, (int)p->blocks_total,
                            100.0 * frac, ceil (p->eta));
  return g_strdup_printf (_ ("%d of %d blocks, %.0f%%"), (int)p->blocks_done,
                          (int)p->blocks_total, 100.0 * frac);
}

typedef struct
{
  GtkWidget *bar;
  GCancellable *cancel;
  TessProgress p;
} Posted;

static gboolean
show_posted (gpointer data)
{
  Posted *u = data;

  /* The bar (or what holds it) is shown only while a job runs; nothing is
   * shown once Cancel was asked for. */
  if (gtk_widget_is_visible (u->bar)
      && !g_cancellable_is_cancelled (u->cancel))
    {
      g_autofree char *text = tess_ui_progress_text (&u->p);
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (u->bar),
                                     u->p.pixels_total > 0
                                         ? (double)u->p.pixels_done
                                               / (double)u->p.pixels_total
                                         : 0.0);
      gtk_progress_bar_set_text (GTK_PROGRESS_BAR (u->bar), text);
    }
  g_object_unref (u->bar);
  g_object_unref (u->cancel);
  g_free (u);
  return G_SOURCE_REMOVE;
}

void
tess_ui_post_progress (GtkWidget *bar, GCancellable *cancel,
                       const TessProgress *progress)
{
  Posted *u = g_new (Posted, 1);

  u->bar = g_object_ref (bar);
  u->cancel = g_object_ref (cancel);
  u->p = *progress;
  g_idle_add (show_posted, u);
}

void
tess_ui_log (const char *path, const char *format, ...)
{
  va_list ap;
  FILE *f;
  char *msg;

  if (path == NULL || (f = fopen (path, "a")) == NULL)
    return;
  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  fprintf (f, "%.3f %s\n", (double)g_get_monotonic_time () / 1e6, msg);
  fclose (f);
  g_free (msg);
}

/* ui/resources.c, generated from tessera.gresource.xml. */
void tess_ui_register_resource (void);

void
tess_ui_ensure_resources (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      tess_ui_register_resource ();
      g_once_init_leave (&done, 1);
    }
}
