/* single-instance.h — one dialog per DS9: the first process to claim a
 * key (DS9's address) holds it until it exits; a later one asks it to
 * bring its window forward and leaves. */
#ifndef TESS_UI_SINGLE_INSTANCE_H
#define TESS_UI_SINGLE_INSTANCE_H

#include <glib.h>

typedef struct _TessSingleInstance TessSingleInstance;
typedef void (*TessPresentFunc) (gpointer user_data);

/* Claims @key.  Returns the claim, or NULL with *@other TRUE when another
 * process holds it (it has been asked to present itself), or NULL with
 * @error set.  @present is called in the main context when a later
 * process asks. */
TessSingleInstance *tess_single_instance_claim (const char *key,
                                                TessPresentFunc present,
                                                gpointer user_data,
                                                gboolean *other,
                                                GError **error);
void tess_single_instance_release (TessSingleInstance *si);

#endif /* TESS_UI_SINGLE_INSTANCE_H */
