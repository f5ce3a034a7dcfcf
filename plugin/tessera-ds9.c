/* tessera-ds9.c — the DS9 plug-in: reprojects the image of a DS9 frame
 * onto the WCS of another frame or of a header file and loads the result
 * into a new frame.  DS9 starts it from its Analysis menu
 * (plugin/tessera.ans) with its own XPA address; scripts run it with
 * --batch.
 */
#include "config.h"

#include "ds9.h"
#include "method-options.h"
#include "tessera.h"

#include <fitsio.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  char *xpa;
  gboolean batch;
  int source_frame;
  int target_frame;
  char *target_header;
  char *output;
  gboolean lock;
  gboolean version;
  TessMethodArgs m;
} Args;

static void error_line (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
error_line (const char *format, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  /* One line: newlines in messages become spaces. */
  g_strdelimit (msg, "\n", ' ');
  fprintf (stderr, "tessera-ds9: %s\n", msg);
  g_free (msg);
}

/* Removes the private temporary folder and what is in it. */
static void
remove_tmpdir (const char *dir)
{
  GDir *d;
  const char *name;

  if (dir == NULL || (d = g_dir_open (dir, 0, NULL)) == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_dir_close (d);
  g_rmdir (dir);
}

/* Says in the result's header what was done. */
static gboolean
label_result (const char *path, const char *source_path, int source,
              const char *target_desc, TessMethod method, GError **error)
{
  fitsfile *f = NULL;
  int status = 0;
  char object[72] = "", *text;

  if (fits_open_file (&f, path, READWRITE, &status))
    goto fail;
  if (fits_read_key_str (f, "OBJECT", object, NULL, &status))
    {
      status = 0;
      object[0] = '\0';
    }
  text = g_strdup_printf ("%s%sframe %d on %s (%s)", object,
                          object[0] ? ", " : "", source, target_desc,
                          tess_method_name (method));
  fits_update_key_str (f, "OBJECT", text, "reprojected by Tessera", &status);
  g_free (text);
  /* The HISTORY that names our temporary copy of the frame (a card,
   * continued on the next ones up to the file's name) names the frame. */
  {
    int nkeys = 0, first = 0, last = 0;
    GString *joined = g_string_new (NULL);
    fits_get_hdrspace (f, &nkeys, NULL, &status);
    for (int k = 1; k <= nkeys && status == 0 && last == 0; k++)
      {
        char card[FLEN_CARD];
        fits_read_record (f, k, card, &status);
        if (strncmp (card, "HISTORY ", 8) != 0)
          continue;
        if (first == 0 && strstr (card, "Reprojected by Tessera") == NULL)
          continue;
        if (first == 0)
          first = k;
        g_string_append (joined, g_strchomp (card + 8));
        if (g_str_has_suffix (joined->str, source_path))
          last = k;
      }
    g_string_free (joined, TRUE);
    for (int k = last; first > 0 && k >= first && status == 0; k--)
      fits_delete_record (f, k, &status);
  }
  text = g_strdup_printf ("Reprojected by Tessera %s (%s) from DS9 frame %d "
                          "onto %s",
                          tess_version (), tess_method_name (method), source,
                          target_desc);
  fits_write_history (f, text, &status);
  g_free (text);
  fits_close_file (f, &status);
  if (status == 0)
    return TRUE;
fail:
  {
    char msg[FLEN_STATUS];
    fits_get_errstatus (status, msg);
    g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: %s", path, msg);
  }
  return FALSE;
}

static int
run_batch (Args *a)
{
  g_autoptr (GError) error = NULL;
  TessDs9 *ds9 = NULL;
  char *tmpdir = NULL, *source_path = NULL;
  char *out_path = NULL, *target_desc = NULL;
  TessImage *input = NULL;
  TessWcs *target = NULL;
  TessPlan *plan = NULL;
  TessOptions opt;
  TessRunOptions run;
  int source = a->source_frame, frame = 0, ret = 1;

  tess_options_init (&opt);
  tess_run_options_init (&run);
  if (!tess_method_args_apply (&a->m, &opt, &error)
      || !tess_method_args_apply_run (&a->m, &run, &error))
    {
      error_line ("%s", error->message);
      return 2;
    }
  if ((a->target_frame > 0) == (a->target_header != NULL))
    {
      error_line ("give one target: --target-frame N or --target-header "
                  "FILE");
      return 2;
    }
  ds9 = tess_ds9_connect (a->xpa, &error);
  if (ds9 == NULL)
    goto out;
  if (source <= 0 && !tess_ds9_current_frame (ds9, &source, &error))
    goto out;
  tmpdir = g_dir_make_tmp ("tessera-ds9-XXXXXX", &error);
  if (tmpdir == NULL)
    goto out;

  /* The source frame's image, and its WCS checked. */
  {
    gboolean celestial = FALSE;
    g_autofree char *h
        = tess_ds9_frame_header (ds9, source, &celestial, &error);
    if (h == NULL)
      goto out;
    if (!celestial)
      {
        g_set_error (&error, TESS_ERROR, TESS_ERROR_WCS,
                     "DS9 frame %d has no celestial WCS", source);
        goto out;
      }
  }
  source_path = g_build_filename (tmpdir, "source.fits", NULL);
  if (!tess_ds9_save_frame (ds9, source, source_path, &error))
    goto out;

  /* The target. */
  if (a->target_frame > 0)
    {
      gboolean celestial = FALSE;
      g_autofree char *h
          = tess_ds9_frame_header (ds9, a->target_frame, &celestial, &error);
      if (h == NULL)
        goto out;
      if (!celestial)
        {
          g_set_error (&error, TESS_ERROR, TESS_ERROR_WCS,
                       "DS9 frame %d has no celestial WCS to reproject onto",
                       a->target_frame);
          goto out;
        }
      target_desc = g_strdup_printf ("frame %d", a->target_frame);
      {
        /* DS9 sends 80-character cards, each followed by a newline. */
        g_auto (GStrv) lines = g_strsplit (h, "\n", -1);
        g_autofree char *name
            = g_strdup_printf ("DS9 frame %d", a->target_frame);
        GString *cards = g_string_new (NULL);
        int n = 0;
        for (int i = 0; lines[i]; i++)
          if (lines[i][0])
            {
              g_string_append_printf (cards, "%-80.80s", lines[i]);
              n++;
            }
        target = tess_wcs_new_from_header (cards->str, n, name, &error);
        g_string_free (cards, TRUE);
      }
    }
  else
    {
      target_desc = g_path_get_basename (a->target_header);
      target = tess_wcs_load (a->target_header, &error);
    }
  if (target == NULL)
    goto out;
  input = run.jobs != 1 ? tess_image_open (source_path, tmpdir, &error)
                        : tess_image_load (source_path, &error);
  if (input == NULL)
    goto out;
  plan = tess_plan_new (input, target, &opt, &error);
  if (plan == NULL)
    goto out;
  out_path = a->output ? g_strdup (a->output)
                       : g_build_filename (tmpdir, "result.fits", NULL);
  if (!tess_plan_write (plan, NULL, &run, out_path,
                        a->output ? TESS_WRITE_OVERWRITE : 0, NULL, NULL, NULL,
                        &error))
    goto out;
  if (!label_result (out_path, source_path, source, target_desc, opt.method,
                     &error))
    goto out;
  if (!tess_ds9_load_new_frame (ds9, out_path, &frame, &error))
    goto out;
  if (a->lock && !tess_ds9_set (ds9, "lock frame wcs", NULL, 0, &error))
    goto out;
  printf ("%d\n", frame);
  ret = 0;

out:
  if (ret != 0 && error)
    {
      /* Errors about our temporary files name DS9's frames instead. */
      GString *msg = g_string_new (error->message);
      if (source_path)
        {
          g_autofree char *f = g_strdup_printf ("DS9 frame %d", source);
          g_string_replace (msg, source_path, f, 0);
        }
      error_line ("%s", msg->str);
      g_string_free (msg, TRUE);
    }
  if (plan)
    tess_plan_unref (plan);
  if (input)
    tess_image_unref (input);
  if (target)
    tess_wcs_unref (target);
  tess_ds9_free (ds9);
  remove_tmpdir (tmpdir);
  g_free (tmpdir);
  g_free (source_path);
  g_free (out_path);
  g_free (target_desc);
  return ret;
}

int
main (int argc, char **argv)
{
  Args a = { 0 };
  GOptionEntry entries[] = {
    { "xpa", 0, 0, G_OPTION_ARG_STRING, &a.xpa,
      "The DS9 to work with: its XPA address ($xpa_method in an analysis "
      "file) or name",
      "ADDRESS" },
    { "batch", 0, 0, G_OPTION_ARG_NONE, &a.batch,
      "Run with the options given, without the dialog", NULL },
    { "source-frame", 0, 0, G_OPTION_ARG_INT, &a.source_frame,
      "The frame to reproject (default: the current one)", "N" },
    { "target-frame", 0, 0, G_OPTION_ARG_INT, &a.target_frame,
      "Reproject onto this frame's WCS and size", "N" },
    { "target-header", 0, 0, G_OPTION_ARG_FILENAME, &a.target_header,
      "Reproject onto the WCS and size of this FITS file or text header",
      "FILE" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &a.output,
      "Also keep the result in this FITS file (replaced if it exists)",
      "FILE" },
    { "lock", 0, 0, G_OPTION_ARG_NONE, &a.lock,
      "Lock DS9's frames on WCS afterwards (for blinking)", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &a.version,
      "Print the version and exit", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  int ret;

  setlocale (LC_ALL, "");
  tess_method_args_init (&a.m);
  ctx = g_option_context_new ("--xpa ADDRESS --batch");
  g_option_context_set_summary (
      ctx, "Reproject the image of a DS9 frame onto the WCS of another frame "
           "or of a header\nfile, and load the result into a new frame.  "
           "It prints the new frame's id.");
  g_option_context_add_main_entries (ctx, entries, NULL);
  tess_method_args_add (&a.m, ctx);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      error_line ("%s (see 'tessera-ds9 --help')", error->message);
      ret = 2;
      goto out;
    }
  if (a.version)
    {
      printf ("tessera-ds9 %s\n", tess_version ());
      ret = 0;
      goto out;
    }
  if (argc > 1)
    {
      error_line ("unexpected argument '%s' (see 'tessera-ds9 --help')",
                  argv[1]);
      ret = 2;
      goto out;
    }
  if (a.xpa == NULL)
    {
      error_line ("no DS9 given (--xpa ADDRESS)");
      ret = 2;
      goto out;
    }
  if (!a.batch)
    {
      error_line ("the interactive dialog is not in this version: use "
                  "--batch with the options");
      ret = 2;
      goto out;
    }
  ret = run_batch (&a);

out:
  g_free (a.xpa);
  g_free (a.target_header);
  g_free (a.output);
  tess_method_args_clear (&a.m);
  return ret;
}
