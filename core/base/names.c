/* names.c — the names of enumerations: one lookup for every enumeration
 * the library names (methods, modes, frames, combinations, HEALPix
 * orderings), so that each reads its names back the same way and says
 * the same about a name it does not know.
 */
#include "config.h"

#include "base/tess-private.h"

const char *
tess__enum_name (const char *const *names, unsigned n, unsigned value)
{
  return value < n && names[value] ? names[value] : "unknown";
}

/* Does @name spell @known?  Case does not matter, nor '-' versus '_'. */
static gboolean
same_name (const char *name, const char *known)
{
  const char *a = name, *b = known;

  while (*a && *b
         && (g_ascii_tolower (*a) == g_ascii_tolower (*b)
             || ((*a == '-' || *a == '_') && (*b == '-' || *b == '_'))))
    a++, b++;
  return *a == '\0' && *b == '\0';
}

gboolean
tess__enum_parse (const char *const *names, unsigned n, const char *what,
                  const char *name, int *value, GError **error)
{
  GString *choices;
  unsigned listed = 0, count = 0;

  for (unsigned i = 0; i < n; i++)
    if (names[i] && name && same_name (name, names[i]))
      {
        *value = (int)i;
        return TRUE;
      }
  for (unsigned i = 0; i < n; i++)
    count += names[i] != NULL;
  choices = g_string_new (NULL);
  for (unsigned i = 0; i < n; i++)
    {
      if (names[i] == NULL)
        continue;
      listed++;
      g_string_append_printf (choices, "%s%s",
                              listed == 1       ? ""
                              : listed == count ? " or "
                                                : ", ",
                              names[i]);
    }
  g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
               "unknown %s '%s' (expected %s)", what, name ? name : "",
               choices->str);
  g_string_free (choices, TRUE);
  return FALSE;
}
