/* frame-tool.c — converts positions between celestial frames, for the
 * comparison with astropy in frames.test.
 *
 * Usage: frame-tool FROM TO < positions
 *
 * Reads lines "lon lat" (degrees) from standard input and writes the
 * converted "lon lat" (%.15g) to standard output, one line per input
 * line.  Blank lines and lines starting with '#' are skipped.
 */
#include "config.h"

#include "tessera.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses "lon lat" with nothing else on the line but spaces. */
static gboolean
parse_line (const char *line, double *lon, double *lat)
{
  const char *p = line;
  char *end;

  *lon = g_ascii_strtod (p, &end);
  if (end == p)
    return FALSE;
  p = end;
  *lat = g_ascii_strtod (p, &end);
  if (end == p)
    return FALSE;
  for (p = end; *p; p++)
    if (!g_ascii_isspace (*p))
      return FALSE;
  return TRUE;
}

int
main (int argc, char **argv)
{
  TessFrame from, to;
  GError *error = NULL;
  GArray *lon, *lat;
  char line[1024];
  long lineno = 0;

  setlocale (LC_ALL, "C");
  if (argc != 3)
    {
      fprintf (stderr, "usage: %s FROM TO < positions\n",
               argc > 0 ? argv[0] : "frame-tool");
      return 2;
    }
  if (!tess_frame_from_name (argv[1], &from, &error)
      || !tess_frame_from_name (argv[2], &to, &error))
    {
      fprintf (stderr, "frame-tool: %s\n", error->message);
      g_error_free (error);
      return 2;
    }

  lon = g_array_new (FALSE, FALSE, sizeof (double));
  lat = g_array_new (FALSE, FALSE, sizeof (double));
  while (fgets (line, sizeof line, stdin) != NULL)
    {
      const char *p = line;
      double a, b;

      lineno++;
      if (strchr (line, '\n') == NULL && !feof (stdin))
        {
          fprintf (stderr, "frame-tool: line %ld is too long\n", lineno);
          return 1;
        }
      while (g_ascii_isspace (*p))
        p++;
      if (*p == '\0' || *p == '#')
        continue;
      if (!parse_line (p, &a, &b))
        {
          g_strchomp (line);
          fprintf (stderr,
                   "frame-tool: line %ld: expected \"lon lat\", "
                   "got '%s'\n",
                   lineno, line);
          return 1;
        }
      g_array_append_val (lon, a);
      g_array_append_val (lat, b);
    }
  if (ferror (stdin))
    {
      fprintf (stderr, "frame-tool: cannot read the standard input\n");
      return 1;
    }

  tess_frame_convert (from, to, lon->len, (double *)(void *)lon->data,
                      (double *)(void *)lat->data);
  for (guint k = 0; k < lon->len; k++)
    printf ("%.15g %.15g\n", g_array_index (lon, double, k),
            g_array_index (lat, double, k));

  g_array_free (lon, TRUE);
  g_array_free (lat, TRUE);
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      fprintf (stderr, "frame-tool: cannot write the standard output\n");
      return 1;
    }
  return 0;
}
