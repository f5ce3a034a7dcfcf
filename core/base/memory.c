/* memory.c — allocation of large pixel buffers.
 *
 * Filling a freshly allocated 64 MiB buffer costs 16 384 page faults with
 * 4 KiB pages: more than reading the file or reprojecting it.  Large
 * buffers are therefore aligned to 2 MiB and marked for transparent huge
 * pages (where the kernel offers them, in "madvise" or "always" mode),
 * which cuts the faults 512-fold.  Free them with g_free().
 */
#include "config.h"

#include "io/tess-stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE ((gsize)2 << 20)

guint64
tess__physical_memory (void)
{
  long pages = sysconf (_SC_PHYS_PAGES), size = sysconf (_SC_PAGESIZE);

  if (pages > 0 && size > 0)
    return (guint64)pages * (guint64)size;
  return G_MAXUINT64;
}

gpointer
tess__alloc_large (gsize size)
{
  gpointer p = NULL;

  /* Refuse what could only end with the process killed for want of
   * memory: with overcommit, malloc() itself rarely says no. */
  if ((guint64)size > tess__physical_memory () / 4 * 3)
    return NULL;

  if (size < 2 * HUGE_PAGE)
    return g_try_malloc (size ? size : 1);
  if (posix_memalign (&p, HUGE_PAGE, size) != 0)
    return NULL;
#ifdef MADV_HUGEPAGE
  {
    gsize page = (gsize)sysconf (_SC_PAGESIZE);
    /* Advice only: failure (no THP in this kernel) changes nothing. */
    (void)madvise (p, (size + page - 1) / page * page, MADV_HUGEPAGE);
  }
#endif
  return p;
}

/* Big-endian to native, in place. */
TESS__CLONES void
tess__swap_to_native (gpointer data, gsize n, gsize elem)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  /* In runs of 16: loops of a known length, which the compiler vectorises
   * (byte shuffles: in the AVX2 version). */
  gsize i = 0;

  if (elem == 4)
    {
      guint32 *p = data;
      for (; i + 16 <= n; i += 16)
        for (gsize j = i; j < i + 16; j++)
          p[j] = TESS__BSWAP32 (p[j]);
      for (; i < n; i++)
        p[i] = TESS__BSWAP32 (p[i]);
    }
  else
    {
      guint64 *p = data;
      for (; i + 16 <= n; i += 16)
        for (gsize j = i; j < i + 16; j++)
          p[j] = TESS__BSWAP64 (p[j]);
      for (; i < n; i++)
        p[i] = TESS__BSWAP64 (p[i]);
    }
#else
  (void)data;
  (void)n;
  (void)elem;
#endif
}

int
tess__shared_file (const char *name, guint64 bytes, GError **error)
{
  int fd = -1;
  const char *dir = NULL;

  if (bytes < tess__map_threshold ())
    fd = memfd_create (name, MFD_CLOEXEC);
  else
    {
      dir = g_get_tmp_dir ();
      fd = open (dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
      if (fd >= 0 && !tess__check_disk_space (fd, bytes, dir, error))
        {
          g_prefix_error (error, "the %s: ", name);
          close (fd);
          return -1;
        }
    }
  if (fd < 0 || ftruncate (fd, (off_t)bytes) != 0)
    {
      if (dir)
        g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                     "cannot make a file for the shared %s in %s: %s", name,
                     dir, g_strerror (errno));
      else
        g_set_error (error, TESS_ERROR, TESS_ERROR_IO,
                     "cannot make the shared %s: %s", name,
                     g_strerror (errno));
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return fd;
}
