# _mosaic.py — find_optimal_celestial_wcs with astropy reproject's
# signature, computed by libtessera (tess_optimal_wcs).

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

from . import _tessera
from ._parse import parse_input_shape

__all__ = ["find_optimal_celestial_wcs"]

# astropy frame names → Tessera's; equinoxes checked below.
_FRAMES = {
    "icrs": "icrs",
    "fk5": "fk5",
    "fk4": "fk4",
    "fk4noeterms": "fk4-no-e",
    "galactic": "galactic",
    "barycentricmeanecliptic": "ecliptic",
}


def _frame_name(frame):
    if frame is None:
        return None
    if isinstance(frame, str):
        from astropy.coordinates import frame_transform_graph

        cls = frame_transform_graph.lookup_name(frame.lower())
        if cls is None:
            raise ValueError(f"frame {frame!r} is not a celestial frame astropy knows")
        frame = cls()
    name = getattr(frame, "name", None)
    if name not in _FRAMES:
        raise NotImplementedError(
            f"frame {name or frame!r}: Tessera knows {', '.join(sorted(_FRAMES))}"
        )
    from astropy.time import Time

    wanted = {"fk5": "J2000", "fk4": "B1950", "fk4noeterms": "B1950",
              "barycentricmeanecliptic": "J2000"}.get(name)
    for attr in ("equinox",):
        if wanted and hasattr(frame, attr) and getattr(frame, attr) != Time(wanted):
            raise NotImplementedError(f"frame {name} with equinox {getattr(frame, attr)}: only {wanted}")
    if name == "fk4" and getattr(frame, "obstime", None) not in (None, Time("B1950")):
        raise NotImplementedError("fk4 frames are B1950 only")
    return _FRAMES[name]


def find_optimal_celestial_wcs(
    input_data, frame=None, auto_rotate=False, projection="TAN", resolution=None, reference=None
):
    """The WCS and shape (numpy order) of the smallest image covering every
    input, as reproject.find_optimal_celestial_wcs: input_data a list of
    inputs (any of reproject's forms, or (shape, WCS)), frame a name or an
    astropy frame (default the first input's), resolution an angle
    (default the finest input's).  Each input's outline is sampled along
    its edges (which can bulge), not only at its corners, so the result
    may be a little larger than reproject's.  reference (the centre) is
    not supported yet."""
    if reference is not None:
        raise NotImplementedError("find_optimal_celestial_wcs: reference is not supported yet")
    if isinstance(input_data, (tuple, fits.HDUList)) and not isinstance(input_data, list):
        inputs = [input_data]
    else:
        inputs = list(input_data)
    headers = []
    for item in inputs:
        shape, header = parse_input_shape(item)
        if len(shape) != 2:
            raise ValueError(f"Input data is not 2-dimensional (got shape {shape!r})")
        headers.append(header)
    if not isinstance(projection, str) or len(projection) != 3:
        raise ValueError(f"projection {projection!r} is not a three-letter code")
    if resolution is None:
        degrees = 0.0
    else:
        import astropy.units as u

        try:
            degrees = float(resolution.to_value(u.deg))
        except (AttributeError, u.UnitsError):
            raise TypeError(f"resolution must be an angle (astropy Quantity), not {resolution!r}") from None
        if not degrees > 0:
            raise ValueError(f"resolution {resolution} must be positive")
    if not isinstance(auto_rotate, (bool, np.bool_)):
        raise TypeError("auto_rotate must be True or False")
    text = _tessera.optimal_wcs(
        headers, frame=_frame_name(frame), projection=projection.upper(),
        resolution=degrees, auto_rotate=bool(auto_rotate),
    )
    header = fits.Header.fromstring(text, sep="\n")
    return WCS(header), (header["NAXIS2"], header["NAXIS1"])
