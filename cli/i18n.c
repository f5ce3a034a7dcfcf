/* i18n.c — gettext set-up for the programs (i18n.h). */
#include "config.h"

#include "i18n.h"

#include <glib/gi18n.h>
#include <locale.h>

void
tess_i18n_init (void)
{
  const char *dir = g_getenv ("TESSERA_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, dir && *dir ? dir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}
