/* angle.c — angles as astronomers type them: decimal degrees, or
 * sexagesimal hours or degrees ("12:30:49.4", "12h30m49.4s",
 * "+12 23 28", "-0d30m").
 */
#include "config.h"

#include "tessera.h"

#include <math.h>
#include <string.h>

/* Reads an unsigned decimal number at *p (no sign, no exponent). */
static gboolean
read_number (const char **p, double *v)
{
  const char *s = *p, *e = s;
  char buf[64];

  while (g_ascii_isdigit (*e))
    e++;
  if (*e == '.')
    for (e++; g_ascii_isdigit (*e); e++)
      ;
  if (e == s || (e == s + 1 && *s == '.') || (gsize)(e - s) >= sizeof buf)
    return FALSE;
  memcpy (buf, s, (gsize)(e - s));
  buf[e - s] = '\0';
  *v = g_ascii_strtod (buf, NULL);
  *p = e;
  return TRUE;
}

gboolean
tess_angle_parse (const char *text, gboolean hours, double *degrees,
                  GError **error)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  const char *p = copy;
  double part[3] = { 0.0, 0.0, 0.0 }, sign = 1.0, v;
  int n = 0;
  gboolean sexagesimal = FALSE, in_hours = hours, unit_seen = FALSE;

  if (*p == '+' || *p == '-')
    sign = *p++ == '-' ? -1.0 : 1.0;
  while (*p && n < 3)
    {
      if (!read_number (&p, &part[n]))
        goto bad;
      /* Only the last field may have a fraction. */
      if (n > 0 && part[n - 1] != floor (part[n - 1]))
        goto bad;
      n++;
      if (*p == ':' || *p == ' ')
        {
          sexagesimal = TRUE;
          while (*p == ':' || *p == ' ')
            p++;
          if (*p == '\0')
            goto bad;
          continue;
        }
      /* A unit letter after each field: h or d, then m, then s. */
      if ((*p == 'h' || *p == 'd') && n == 1)
        {
          in_hours = *p == 'h';
          sexagesimal = unit_seen = TRUE;
          p++;
        }
      else if ((*p == 'm' || *p == '\'') && n == 2 && unit_seen)
        p++;
      else if ((*p == 's' || *p == '"') && n == 3 && unit_seen)
        p++;
      else if (*p != '\0')
        goto bad;
      while (*p == ' ')
        p++;
    }
  if (n == 0 || *p != '\0')
    goto bad;
  if (!sexagesimal)
    {
      /* Plain degrees. */
      *degrees = sign * part[0];
      return TRUE;
    }
  if (part[1] >= 60.0 || part[2] >= 60.0)
    goto bad;
  v = part[0] + part[1] / 60.0 + part[2] / 3600.0;
  *degrees = sign * (in_hours ? 15.0 * v : v);
  return TRUE;

bad:
  g_set_error (error, TESS_ERROR, TESS_ERROR_INVALID,
               "'%s' is not an angle: expected degrees (12.5) or "
               "sexagesimal %s",
               text,
               hours ? "hours (12:30:00 or 12h30m00s)"
                     : "degrees (-12:30:00 or -12d30m00s)");
  return FALSE;
}

char *
tess_angle_format (double degrees, gboolean hours, int decimals)
{
  double v = fabs (degrees) / (hours ? 15.0 : 1.0), unit;
  gint64 whole, total;
  int a, b;
  double c;

  decimals = CLAMP (decimals, 0, 6);
  unit = pow (10.0, decimals);
  /* Round once, in units of the last digit, so that 59.99.. carries. */
  total = (gint64)llround (v * 3600.0 * unit);
  whole = total / (gint64)unit;
  c = (double)(total - whole * (gint64)unit) / unit + (double)(whole % 60);
  b = (int)((whole / 60) % 60);
  a = (int)(whole / 3600);
  if (hours)
    return g_strdup_printf ("%02d:%02d:%0*.*f", a, b,
                            decimals + (decimals ? 3 : 2), decimals, c);
  return g_strdup_printf ("%c%02d:%02d:%0*.*f", degrees < 0 ? '-' : '+', a, b,
                          decimals + (decimals ? 3 : 2), decimals, c);
}
