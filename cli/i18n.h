/* i18n.h — messages in the user's language: the programs' set-up of
 * gettext (domain "tessera"). */
#ifndef TESS_I18N_H
#define TESS_I18N_H

/* setlocale() and the message catalogue: from $TESSERA_LOCALEDIR when
 * set (running from the build tree), else the installed one. */
void tess_i18n_init (void);

#endif /* TESS_I18N_H */
