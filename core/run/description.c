/* description.c — a block source described as text any process rebuilds
 * it from (see TessDescription in tess-run.h), and the table of the kinds
 * of sources that can be rebuilt.
 *
 * The text is a GKeyFile: group "source" says the kind ("plan",
 * "mosaic"), the kind's own groups the rest.  Doubles are written as the
 * hexadecimal of their bits, so that a rebuilt source computes the same
 * bits; descriptors are written as their index in the list shared.
 */
#include "config.h"

#include "run/tess-run.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct _TessDescription
{
  GKeyFile *keys;
  GArray *fds; /* int, owned */
  gboolean portable;
  char *scratch_dir;
};

TessDescription *
tess__description_new (gboolean portable)
{
  TessDescription *d = g_new0 (TessDescription, 1);

  d->keys = g_key_file_new ();
  d->fds = g_array_new (FALSE, FALSE, sizeof (int));
  d->portable = portable;
  g_key_file_set_boolean (d->keys, "source", "portable", portable);
  return d;
}

void
tess__description_free (TessDescription *d)
{
  if (d == NULL)
    return;
  for (guint i = 0; i < d->fds->len; i++)
    close (g_array_index (d->fds, int, i));
  g_array_free (d->fds, TRUE);
  g_key_file_free (d->keys);
  g_free (d->scratch_dir);
  g_free (d);
}

gboolean
tess__description_is_portable (const TessDescription *d)
{
  return d->portable;
}

char *
tess__description_to_text (const TessDescription *d, gsize *length)
{
  return g_key_file_to_data (d->keys, length, NULL);
}

TessDescription *
tess__description_from_text (const char *text, gsize length, const int *fds,
                             int nfds, GError **error)
{
  TessDescription *d = tess__description_new (FALSE);
  GError *local = NULL;

  for (int i = 0; i < nfds; i++)
    g_array_append_val (d->fds, fds[i]);
  if (!g_key_file_load_from_data (d->keys, text, length, G_KEY_FILE_NONE,
                                  &local))
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "not a description of a job: %s", local->message);
      g_error_free (local);
      tess__description_free (d);
      return NULL;
    }
  d->portable = g_key_file_get_boolean (d->keys, "source", "portable", NULL);
  return d;
}

void
tess__description_set_scratch_dir (TessDescription *d, const char *dir)
{
  g_free (d->scratch_dir);
  d->scratch_dir = g_strdup (dir);
}

const int *
tess__description_get_fds (const TessDescription *d, int *nfds)
{
  *nfds = (int)d->fds->len;
  return (const int *)(gconstpointer)d->fds->data;
}

void
tess__description_set_string (TessDescription *d, const char *group,
                              const char *key, const char *value)
{
  g_key_file_set_string (d->keys, group, key, value);
}

void
tess__description_set_int64 (TessDescription *d, const char *group,
                             const char *key, gint64 value)
{
  g_key_file_set_int64 (d->keys, group, key, value);
}

void
tess__description_set_double (TessDescription *d, const char *group,
                              const char *key, double value)
{
  guint64 bits;
  char text[24];

  memcpy (&bits, &value, 8);
  g_snprintf (text, sizeof text, "0x%016" G_GINT64_MODIFIER "x", bits);
  g_key_file_set_value (d->keys, group, key, text);
}

void
tess__description_set_rect (TessDescription *d, const char *group,
                            const char *key, const TessRect *r)
{
  char *text = g_strdup_printf ("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                                " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                                r->x0, r->y0, r->width, r->height);

  g_key_file_set_value (d->keys, group, key, text);
  g_free (text);
}

void
tess__description_set_fd (TessDescription *d, const char *group,
                          const char *key, int fd)
{
  g_key_file_set_integer (d->keys, group, key, (int)d->fds->len);
  g_array_append_val (d->fds, fd);
}

gboolean
tess__description_has (const TessDescription *d, const char *group,
                       const char *key)
{
  return g_key_file_has_key (d->keys, group, key, NULL);
}

/* The value under @key, as written (@raw) or unescaped, or NULL with
 * @error naming what is missing. */
static char *
lookup (const TessDescription *d, const char *group, const char *key,
        gboolean raw, GError **error)
{
  char *v = raw ? g_key_file_get_value (d->keys, group, key, NULL)
                : g_key_file_get_string (d->keys, group, key, NULL);

  if (v == NULL)
    g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                 "incomplete description of a job: no %s in [%s]", key, group);
  return v;
}

static gboolean
malformed (const char *group, const char *key, const char *value,
           GError **error)
{
  g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
               "bad description of a job: [%s] %s=%s", group, key, value);
  return FALSE;
}

char *
tess__description_get_string (const TessDescription *d, const char *group,
                              const char *key, GError **error)
{
  return lookup (d, group, key, FALSE, error);
}

gboolean
tess__description_get_int64 (const TessDescription *d, const char *group,
                             const char *key, gint64 *value, GError **error)
{
  g_autofree char *v = lookup (d, group, key, TRUE, error);

  if (v == NULL)
    return FALSE;
  if (!g_ascii_string_to_signed (v, 10, G_MININT64, G_MAXINT64, value, NULL))
    return malformed (group, key, v, error);
  return TRUE;
}

gboolean
tess__description_get_double (const TessDescription *d, const char *group,
                              const char *key, double *value, GError **error)
{
  g_autofree char *v = lookup (d, group, key, TRUE, error);
  guint64 bits;

  if (v == NULL)
    return FALSE;
  if (!g_str_has_prefix (v, "0x")
      || !g_ascii_string_to_unsigned (v + 2, 16, 0, G_MAXUINT64, &bits, NULL))
    return malformed (group, key, v, error);
  memcpy (value, &bits, 8);
  return TRUE;
}

gboolean
tess__description_get_rect (const TessDescription *d, const char *group,
                            const char *key, TessRect *r, GError **error)
{
  g_autofree char *v = lookup (d, group, key, TRUE, error);
  g_auto (GStrv) parts = NULL;
  gint64 x[4];

  if (v == NULL)
    return FALSE;
  parts = g_strsplit (v, " ", 0);
  if (g_strv_length (parts) != 4)
    return malformed (group, key, v, error);
  for (int i = 0; i < 4; i++)
    if (!g_ascii_string_to_signed (parts[i], 10, i < 2 ? G_MININT64 : 1,
                                   G_MAXINT64, &x[i], NULL))
      return malformed (group, key, v, error);
  r->x0 = x[0];
  r->y0 = x[1];
  r->width = x[2];
  r->height = x[3];
  return TRUE;
}

int
tess__description_get_fd (const TessDescription *d, const char *group,
                          const char *key, GError **error)
{
  gint64 i;

  if (!tess__description_get_int64 (d, group, key, &i, error))
    return -1;
  if (i < 0 || i >= (gint64)d->fds->len)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "bad description of a job: [%s] %s names descriptor "
                   "%" G_GINT64_FORMAT " of %u",
                   group, key, i, d->fds->len);
      return -1;
    }
  return g_array_index (d->fds, int, (guint)i);
}

gboolean
tess__description_set_image (TessDescription *d, const char *group,
                             const char *key, TessImage *image, GError **error)
{
  const char *path = tess_image_get_source (image);

  if (path == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "worker processes read the input from its file: this "
                   "image has none (use threads)");
      return FALSE;
    }
  if (g_path_is_absolute (path) || strstr (path, "://") != NULL)
    tess__description_set_string (d, group, key, path);
  else
    {
      /* For a process elsewhere in the file system. */
      g_autofree char *cwd = g_get_current_dir ();
      g_autofree char *full = g_build_filename (cwd, path, NULL);
      tess__description_set_string (d, group, key, full);
    }
  if (!d->portable && image->scratch_fd >= 0)
    {
      /* Its samples converted once, shared rather than converted again. */
      g_autofree char *k = g_strconcat (key, "-data", NULL);
      int fd = fcntl (image->scratch_fd, F_DUPFD_CLOEXEC, 3);

      if (fd < 0)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                       "%s: cannot share the scratch copy of the data: %s",
                       path, g_strerror (errno));
          return FALSE;
        }
      tess__description_set_fd (d, group, k, fd);
    }
  return TRUE;
}

TessImage *
tess__description_get_image (const TessDescription *d, const char *group,
                             const char *key, GError **error)
{
  g_autofree char *path = tess__description_get_string (d, group, key, error);
  g_autofree char *k = g_strconcat (key, "-data", NULL);
  int fd;

  if (path == NULL)
    return NULL;
  /* Another machine's process: mapped, as tess_image_open() does. */
  if (d->portable)
    return tess_image_open (path, d->scratch_dir, error);
  if (!tess__description_has (d, group, k))
    return tess_image_load (path, error);
  fd = tess__description_get_fd (d, group, k, error);
  return fd < 0 ? NULL : tess__image_open_on (path, fd, error);
}

void
tess__description_set_wcs (TessDescription *d, const char *group,
                           const char *key, const TessWcs *wcs)
{
  char *cards = g_strndup (wcs->cards, (gsize)wcs->ncards * 80);

  tess__description_set_string (d, group, key, cards);
  g_free (cards);
}

TessWcs *
tess__description_get_wcs (const TessDescription *d, const char *group,
                           const char *key, GError **error)
{
  g_autofree char *cards = tess__description_get_string (d, group, key, error);
  gsize len;

  if (cards == NULL)
    return NULL;
  len = strlen (cards);
  if (len % 80 != 0)
    {
      malformed (group, key, "(a header not of 80-character cards)", error);
      return NULL;
    }
  return tess_wcs_new_from_header (cards, (int)(len / 80), "the target",
                                   error);
}

void
tess__description_set_options (TessDescription *d, const char *group,
                               const TessOptions *options)
{
  GString *text = g_string_new (NULL);
  g_auto (GStrv) lines = NULL;

  tess__options_to_text (options, text);
  lines = g_strsplit (text->str, "\n", 0);
  for (int i = 0; lines[i]; i++)
    {
      char *space = strchr (lines[i], ' ');
      if (space == NULL)
        continue;
      *space = '\0';
      g_key_file_set_value (d->keys, group, lines[i], space + 1);
    }
  g_string_free (text, TRUE);
}

gboolean
tess__description_get_options (const TessDescription *d, const char *group,
                               TessOptions *options, GError **error)
{
  g_auto (GStrv) keys = g_key_file_get_keys (d->keys, group, NULL, NULL);

  tess_options_init (options);
  if (keys == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
                   "incomplete description of a job: no [%s]", group);
      return FALSE;
    }
  for (int i = 0; keys[i]; i++)
    {
      g_autofree char *v
          = g_key_file_get_value (d->keys, group, keys[i], NULL);
      gboolean known = FALSE;

      if (!tess__options_from_text (options, keys[i], v, &known, error))
        return FALSE;
      if (!known)
        return malformed (group, keys[i], v, error);
    }
  return tess_options_check (options, error);
}

gboolean
tess__block_source_describe (TessBlockSource *source, TessDescription *d,
                             GError **error)
{
  if (source->funcs->describe == NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_UNSUPPORTED,
                   "this job cannot be described for other processes");
      return FALSE;
    }
  return source->funcs->describe (source, d, error);
}

/* The kinds of sources, by name (group "source", key "kind"). */
static const struct
{
  const char *kind;
  TessBlockSource *(*rebuild) (TessDescription *d, GError **error);
} kinds[] = {
  { "plan", tess__plan_source_rebuild },
  { "mosaic", tess__mosaic_source_rebuild },
};

TessBlockSource *
tess__block_source_rebuild (TessDescription *d, GError **error)
{
  g_autofree char *kind
      = tess__description_get_string (d, "source", "kind", error);

  if (kind == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strcmp (kinds[i].kind, kind) == 0)
      return kinds[i].rebuild (d, error);
  g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
               "bad description of a job: unknown kind of job '%s'", kind);
  return NULL;
}
