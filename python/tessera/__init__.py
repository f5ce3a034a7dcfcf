# tessera — astropy reproject's interface on libtessera: the same
# functions, arguments and results, computed by Tessera.  Switching is
# `from tessera import reproject_interp` instead of
# `from reproject import reproject_interp`.

from . import _tessera
from ._reproject import reproject_adaptive, reproject_exact, reproject_interp

__version__ = _tessera.version

__all__ = ["reproject_interp", "reproject_adaptive", "reproject_exact"]
