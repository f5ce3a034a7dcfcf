/* tessera.c — the `tessera` command: dispatches to its subcommands. */
#include "config.h"

#include "cli.h"
#include "i18n.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void
usage (FILE *out)
{
  fprintf (out,
           _ ("Usage: tessera COMMAND [OPTIONS...]\n"
              "\n"
              "Fast, exact reprojection of astronomical images.\n"
              "\n"
              "Commands:\n"
              "  reproject     reproject a FITS image onto a target WCS\n"
              "  mosaic        combine many images into one mosaic\n"
              "  optimal-wcs   print the WCS of the smallest image covering "
              "images\n"
              "  to-healpix    make a HEALPix map of a FITS image\n"
              "\n"
              "Options:\n"
              "  -h, --help     show this help\n"
              "  -V, --version  show the version\n"
              "\n"
              "Run 'tessera COMMAND --help' for the options of a command.\n"
              "Exit status: 0 success, 1 failure, 2 bad command line, 130 "
              "cancelled.\n"));
}

int
main (int argc, char **argv)
{
  tess_i18n_init ();

  if (argc < 2)
    {
      usage (stderr);
      return TESS_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      usage (stdout);
      return TESS_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0)
    {
      printf ("tessera %s\n", tess_version ());
      return TESS_EXIT_OK;
    }
  if (strcmp (argv[1], "reproject") == 0)
    return tess_cmd_reproject (argc - 1, argv + 1);
  if (strcmp (argv[1], "mosaic") == 0)
    return tess_cmd_mosaic (argc - 1, argv + 1);
  if (strcmp (argv[1], "optimal-wcs") == 0)
    return tess_cmd_optimal_wcs (argc - 1, argv + 1);
  if (strcmp (argv[1], "to-healpix") == 0)
    return tess_cmd_to_healpix (argc - 1, argv + 1);

  tess_cli_error (_ ("unknown command '%s' (see 'tessera --help')"), argv[1]);
  return TESS_EXIT_USAGE;
}
