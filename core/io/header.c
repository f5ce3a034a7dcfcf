/* header.c — FITS header cards as text: reading text header files (one
 * card per line, as Montage's .hdr files and DS9's "fits header" output),
 * and looking up or replacing keywords in a string of 80-character cards.
 */
#include "config.h"

#include "base/tess-private.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* Largest text header file we read. */
#define MAX_TEXT_HEADER (64 * 1024 * 1024)

static gboolean
valid_keyword_char (char c)
{
  return g_ascii_isupper (c) || g_ascii_isdigit (c) || c == '-' || c == '_'
         || c == ' ';
}

gboolean
tess__read_text_header (const char *path, char **cards_out, int *ncards_out,
                        GError **error)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  GError *local = NULL;
  GString *cards;
  char **lines;
  int n = 0, lineno = 0;
  gboolean end = FALSE;

  if (!g_file_get_contents (path, &text, &len, &local))
    {
      /* GLib's message names the file already, in its own words. */
      g_set_error (error, TESS_ERROR, TESS_ERROR_IO, "%s: cannot read: %s",
                   path,
                   g_strerror (local->code == G_FILE_ERROR_NOENT   ? ENOENT
                               : local->code == G_FILE_ERROR_ACCES ? EACCES
                               : local->code == G_FILE_ERROR_ISDIR ? EISDIR
                                                                   : EIO));
      g_error_free (local);
      return FALSE;
    }
  if (len > MAX_TEXT_HEADER || memchr (text, '\0', len) != NULL)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: not a FITS file or a text header", path);
      return FALSE;
    }

  cards = g_string_new (NULL);
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l && !end; l++)
    {
      char *line = *l;
      gsize ll;

      lineno++;
      g_strchomp (line);
      ll = strlen (line);
      if (ll == 0)
        continue;
      if (ll > 80)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                       "%s:%d: line longer than 80 characters, not a header "
                       "card",
                       path, lineno);
          goto fail;
        }
      for (gsize i = 0; i < MIN (ll, 8); i++)
        if (!valid_keyword_char (line[i]))
          {
            g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                         "%s:%d: not a FITS header card: '%s'", path, lineno,
                         line);
            goto fail;
          }
      if (strncmp (line, "END", 3) == 0 && (ll == 3 || line[3] == ' '))
        {
          end = TRUE;
          break;
        }
      g_string_append_printf (cards, "%-80s", line);
      n++;
    }
  if (n == 0)
    {
      g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                   "%s: no header cards found", path);
      goto fail;
    }
  g_strfreev (lines);
  *ncards_out = n;
  *cards_out = g_string_free (cards, FALSE);
  return TRUE;

fail:
  g_strfreev (lines);
  g_string_free (cards, TRUE);
  return FALSE;
}

/* Index of the card holding @key, or -1. */
static int
find_card (const char *cards, int ncards, const char *key)
{
  gsize n = strlen (key);

  for (int i = 0; i < ncards; i++)
    {
      const char *c = cards + (gsize)i * 80;
      if (strncmp (c, key, n) == 0 && (n == 8 || c[n] == ' ' || c[n] == '='))
        {
          /* Make sure the whole 8-character field matches. */
          gboolean ok = TRUE;
          for (gsize j = n; j < 8; j++)
            if (c[j] != ' ')
              ok = FALSE;
          if (ok)
            return i;
        }
    }
  return -1;
}

/* The value field of @key's card, stripped, into @buf (72 bytes). */
static gboolean
card_value (const char *cards, int ncards, const char *key, char *buf)
{
  int i = find_card (cards, ncards, key);
  const char *c;

  if (i < 0)
    return FALSE;
  c = cards + (gsize)i * 80;
  if (c[8] != '=')
    return FALSE;
  memcpy (buf, c + 10, 70);
  buf[70] = '\0';
  g_strstrip (buf);
  return TRUE;
}

/* Nothing but blanks or a comment after a number. */
static gboolean
ends_well (const char *end)
{
  while (*end == ' ')
    end++;
  return *end == '\0' || *end == '/';
}

gboolean
tess__cards_get_int (const char *cards, int ncards, const char *key,
                     gint64 *value)
{
  char buf[72], *end;
  gint64 v;

  if (!card_value (cards, ncards, key, buf))
    return FALSE;
  errno = 0;
  v = g_ascii_strtoll (buf, &end, 10);
  if (end == buf || errno || !ends_well (end))
    return FALSE;
  *value = v;
  return TRUE;
}

gboolean
tess__cards_get_double (const char *cards, int ncards, const char *key,
                        double *value)
{
  char buf[72], *end;
  double v;

  if (!card_value (cards, ncards, key, buf))
    return FALSE;
  /* FITS allows a D exponent. */
  for (char *d = buf; *d && *d != '/'; d++)
    if (*d == 'D' || *d == 'd')
      *d = 'E';
  v = g_ascii_strtod (buf, &end);
  if (end == buf || !isfinite (v) || !ends_well (end))
    return FALSE;
  *value = v;
  return TRUE;
}

char *
tess__cards_get_string (const char *cards, int ncards, const char *key)
{
  char buf[72];
  GString *v;

  if (!card_value (cards, ncards, key, buf) || buf[0] != '\'')
    return NULL;
  v = g_string_new (NULL);
  for (const char *p = buf + 1; *p; p++)
    {
      if (*p == '\'')
        {
          if (p[1] != '\'')
            {
              /* Trailing blanks are not significant. */
              while (v->len > 0 && v->str[v->len - 1] == ' ')
                g_string_truncate (v, v->len - 1);
              return g_string_free (v, FALSE);
            }
          p++;
        }
      g_string_append_c (v, *p);
    }
  g_string_free (v, TRUE);
  return NULL;
}

void
tess__cards_append (GString *cards, const char *card)
{
  char buf[81];

  g_snprintf (buf, sizeof buf, "%-80.80s", card);
  g_string_append_len (cards, buf, 80);
}

static void
cards_set (GString *cards, const char *key, const char *value,
           const char *comment)
{
  char card[128];
  int i;

  if (comment)
    g_snprintf (card, sizeof card, "%-8.8s= %20s / %s", key, value, comment);
  else
    g_snprintf (card, sizeof card, "%-8.8s= %20s", key, value);
  i = find_card (cards->str, (int)(cards->len / 80), key);
  if (i >= 0)
    {
      char buf[81];
      g_snprintf (buf, sizeof buf, "%-80.80s", card);
      memcpy (cards->str + (gsize)i * 80, buf, 80);
    }
  else
    tess__cards_append (cards, card);
}

void
tess__cards_set_double (GString *cards, const char *key, double value,
                        const char *comment)
{
  char v[G_ASCII_DTOSTR_BUF_SIZE];

  /* 17 significant digits round-trip every double; FITS wants an
   * exponent letter E. */
  g_ascii_formatd (v, sizeof v, "%.17G", value);
  if (strchr (v, '.') == NULL && strchr (v, 'E') == NULL)
    g_strlcat (v, ".0", sizeof v);
  cards_set (cards, key, v, comment);
}

void
tess__cards_set_int (GString *cards, const char *key, gint64 value,
                     const char *comment)
{
  char v[32];

  g_snprintf (v, sizeof v, "%" G_GINT64_FORMAT, value);
  cards_set (cards, key, v, comment);
}

void
tess__cards_set_string (GString *cards, const char *key, const char *value,
                        const char *comment)
{
  char v[72];

  /* @value comes quoted ('...'); FITS strings are left-aligned. */
  g_snprintf (v, sizeof v, "%-20s", value);
  cards_set (cards, key, v, comment);
}
