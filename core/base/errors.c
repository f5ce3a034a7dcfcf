/* errors.c — the TESS_ERROR domain and the adapters that turn cfitsio and
 * wcslib status codes into GErrors. */
#include "config.h"

#include "base/tess-private.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <wcslib/wcserr.h>

G_DEFINE_QUARK (tess - error - quark, tess_error)

/* cfitsio keeps a per-process stack of messages; its first entry is the
 * most specific one.  Drain it so that later errors start clean. */
static char *
fits_messages (int status)
{
  char text[FLEN_STATUS] = "";
  char msg[FLEN_ERRMSG];
  GString *all = g_string_new (NULL);

  fits_get_errstatus (status, text);
  g_string_append (all, text);
  /* Keep only the first stacked message: it usually names the cause. */
  if (fits_read_errmsg (msg))
    {
      g_strchomp (msg);
      if (*msg && strstr (all->str, msg) == NULL)
        g_string_append_printf (all, " (%s)", msg);
    }
  fits_clear_errmsg ();
  return g_string_free (all, FALSE);
}

void
tess__set_fits_error (GError **error, int status, const char *path,
                      const char *what)
{
  g_autofree char *text = fits_messages (status);
  int code;

  /* A file shorter than a FITS block: no FITS file at all (cfitsio only
   * says it could not read it). */
  if (status == READ_ERROR && path)
    {
      g_autofree char *file = g_strdup (path);
      char *bracket = strchr (file, '[');
      GStatBuf st;

      if (bracket && bracket != file)
        *bracket = '\0';
      if (g_stat (file, &st) == 0 && S_ISREG (st.st_mode) && st.st_size < 2880)
        {
          g_set_error (error, TESS_ERROR, TESS_ERROR_FORMAT,
                       "%s: %s: not a FITS file (%lld bytes: a FITS file is "
                       "made of blocks of 2880)",
                       path, what, (long long)st.st_size);
          return;
        }
    }
  switch (status)
    {
    case FILE_NOT_OPENED:
    case FILE_NOT_CREATED:
    case WRITE_ERROR:
    case READ_ERROR:
    case FILE_NOT_CLOSED:
    case URL_PARSE_ERROR:
      code = TESS_ERROR_IO;
      break;
    case MEMORY_ALLOCATION:
      code = TESS_ERROR_NO_MEMORY;
      break;
    default:
      code = TESS_ERROR_FORMAT;
      break;
    }
  g_set_error (error, TESS_ERROR, code, "%s: %s: %s", path, what, text);
}

void
tess__set_wcs_error (GError **error, const struct wcsprm *wcs, int status,
                     const char *source, const char *what)
{
  const char *msg = NULL;

  if (wcs && wcs->err && wcs->err->msg && *wcs->err->msg)
    msg = wcs->err->msg;
  else if (status > 0 && status <= WCSERR_UNSET)
    msg = wcs_errmsg[status];
  else
    msg = "unknown WCS error";
  g_set_error (error, TESS_ERROR, TESS_ERROR_WCS, "%s: %s: %s", source, what,
               msg);
}
