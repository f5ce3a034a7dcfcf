# tessera — astropy reproject's interface on libtessera: the same
# functions, arguments and results, computed by Tessera.  Switching is
# `from tessera import reproject_interp` instead of
# `from reproject import reproject_interp`.

import os as _os

from . import _tessera

# From a build tree (python/tessera/ of the build), parallel=N starts the
# build's worker, not an installed one (set before any thread runs).
_top = _os.path.join(_os.path.dirname(__file__), _os.pardir, _os.pardir)
if "TESSERA_WORKER" not in _os.environ and _os.path.isfile(
    _os.path.join(_top, "libtessera.la")
):
    _worker = _os.path.abspath(_os.path.join(_top, "tessera-worker"))
    if _os.access(_worker, _os.X_OK):
        _os.environ["TESSERA_WORKER"] = _worker
del _top
from ._mosaic import find_optimal_celestial_wcs, reproject_and_coadd
from ._reproject import reproject_adaptive, reproject_exact, reproject_interp

__version__ = _tessera.version

__all__ = [
    "reproject_interp",
    "reproject_adaptive",
    "reproject_exact",
    "reproject_and_coadd",
    "find_optimal_celestial_wcs",
]
