# _mosaic.py — reproject_and_coadd and find_optimal_celestial_wcs with
# astropy reproject's signatures, computed by libtessera (tess_mosaic_*,
# tess_optimal_wcs).

import os

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

from . import _tessera
from ._parse import parse_input_data, parse_input_shape, parse_output_projection
from ._reproject import _threads, adaptive_options, exact_options, interp_options

__all__ = ["reproject_and_coadd", "find_optimal_celestial_wcs"]

_COMBINE = ("mean", "sum", "median", "first", "last", "min", "max")


def _method_options(reproject_function, kwargs):
    """TessOptions of reproject_function (tessera's or reproject's
    reproject_interp, reproject_adaptive or reproject_exact) with the
    keyword arguments it would be given."""
    if reproject_function is None:
        raise ValueError(
            "reproject_function should be specified (reproject_interp, "
            "reproject_adaptive or reproject_exact)"
        )
    name = getattr(reproject_function, "__name__", None)
    module = getattr(reproject_function, "__module__", "") or ""
    builders = {
        "reproject_interp": interp_options,
        "reproject_adaptive": adaptive_options,
        "reproject_exact": exact_options,
    }
    if name not in builders or not module.split(".")[0] in ("tessera", "reproject"):
        raise NotImplementedError(
            f"reproject_function {reproject_function!r}: only reproject_interp, "
            "reproject_adaptive and reproject_exact (tessera's or reproject's)"
        )
    try:
        return builders[name](**kwargs)
    except TypeError as e:
        raise TypeError(f"{name}: {e}") from None


def _weights_array(weights, hdu_weights):
    if isinstance(weights, (str, os.PathLike)):
        with fits.open(weights) as hdul:
            return _weights_array(hdul, hdu_weights)
    if isinstance(weights, fits.HDUList):
        if hdu_weights is None:
            if len(weights) > 1:
                raise ValueError(
                    "More than one HDU is present, please specify "
                    "HDU to use with ``hdu_weights=`` option"
                )
            hdu_weights = 0
        return _weights_array(weights[hdu_weights], None)
    if isinstance(weights, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
        return np.array(weights.data)
    if isinstance(weights, np.ndarray) or hasattr(weights, "__array__"):
        return np.asarray(weights)
    raise TypeError("input_weights should either be an HDU object or a Numpy array")


def reproject_and_coadd(
    input_data,
    output_projection,
    shape_out=None,
    input_weights=None,
    hdu_in=None,
    reproject_function=None,
    hdu_weights=None,
    combine_function="mean",
    match_background=False,
    background_reference=None,
    output_array=None,
    output_footprint=None,
    block_size=None,
    parallel=False,
    **kwargs,
):
    """Reproject every input onto one output and combine them, as
    reproject.reproject_and_coadd: combine_function 'mean' (weighted by the
    footprints and input_weights), 'sum', and also 'median', 'first',
    'last', 'min', 'max'; match_background with background_reference.
    The method is reproject_function's (tessera's or reproject's
    reproject_interp, reproject_adaptive or reproject_exact), with its
    options in **kwargs.  Computed band by band (block_size caps a band's
    height) in parallel threads.  Returns (array, footprint: the sum of
    the weights of each pixel)."""
    options = _method_options(reproject_function, kwargs)
    if combine_function not in _COMBINE:
        raise ValueError(f"combine_function should be one of {'/'.join(_COMBINE)}")
    threads = _threads(parallel)
    band = 0
    if block_size is not None and block_size != "auto":
        try:
            band = int(tuple(block_size)[-2])
        except (TypeError, ValueError, IndexError):
            raise TypeError(f"block_size must be a tuple of integers, not {block_size!r}") from None
        if band <= 0:
            raise ValueError(f"block_size {block_size!r} must be positive")
    header_out, shape_out = parse_output_projection(
        output_projection, shape_out=shape_out, output_array=output_array
    )
    if isinstance(input_data, (tuple, fits.HDUList, str, os.PathLike)) or not hasattr(input_data, "__iter__"):
        raise TypeError("input_data must be a list of inputs")
    inputs = []
    for item in input_data:
        data, header = parse_input_data(item, hdu_in=hdu_in)
        inputs.append((np.asanyarray(data), header))
    weights = None
    if input_weights is not None:
        input_weights = list(input_weights)
        if len(input_weights) != len(inputs):
            raise ValueError("input_weights must have one item per input")
        weights = [_weights_array(w, hdu_weights) for w in input_weights]
        for (data, _), w in zip(inputs, weights):
            if w.shape != data.shape[-2:] and w.shape != data.shape:
                raise ValueError(f"input weights of shape {w.shape} do not match data of shape {data.shape}")
    if background_reference is None:
        background_reference = -1
    elif not match_background:
        raise ValueError("background_reference needs match_background=True")
    if output_array is not None and output_array.shape != shape_out:
        raise ValueError(f"output_array has shape {output_array.shape}, not {shape_out}")
    if output_footprint is not None and output_footprint.shape != shape_out[-2:]:
        raise ValueError(f"output_footprint has shape {output_footprint.shape}, not {shape_out[-2:]}")
    # libtessera computes the mosaic band by band into arrays.
    try:
        _, planes, footprint = _tessera.mosaic(
            inputs,
            header_out,
            tuple(shape_out[-2:]),
            None,
            options=options,
            combine=combine_function,
            weights=weights,
            match_background=bool(match_background),
            background_reference=int(background_reference),
            blank=0.0 if combine_function == "sum" else np.nan,
            jobs=threads,
            block_height=band,
        )
    except _tessera.NoOverlapError:
        array = np.full(shape_out, 0.0 if combine_function == "sum" else np.nan)
        footprint = np.zeros(shape_out[-2:])
    else:
        array = planes.astype(np.float64, copy=False)
        footprint = footprint.astype(np.float64)
    if array.size != int(np.prod(shape_out)):
        raise ValueError(f"the mosaic has {array.size} pixels, not those of shape_out {shape_out}")
    array = array.reshape(shape_out)
    if output_array is not None:
        output_array[...] = array
        array = output_array
    if output_footprint is not None:
        output_footprint[...] = footprint
        footprint = output_footprint
    return array, footprint

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


def _reference_in(reference, frame, first_header):
    """(lon, lat) in degrees of SkyCoord @reference in the frame the
    optimal WCS will have: @frame, or the first input's."""
    from astropy.coordinates import BaseCoordinateFrame, SkyCoord, frame_transform_graph
    from astropy.wcs.utils import wcs_to_celestial_frame

    if not isinstance(reference, (SkyCoord, BaseCoordinateFrame)):
        raise TypeError(f"reference must be a SkyCoord, not {reference!r}")
    if frame is None:
        frame = wcs_to_celestial_frame(WCS(first_header))
    elif isinstance(frame, str):
        frame = frame_transform_graph.lookup_name(frame.lower())()
    if not reference.isscalar:
        raise ValueError("reference must be a single position")
    sph = reference.transform_to(frame).spherical
    return (float(sph.lon.deg), float(sph.lat.deg))


def find_optimal_celestial_wcs(
    input_data, frame=None, auto_rotate=False, projection="TAN", resolution=None, reference=None
):
    """The WCS and shape (numpy order) of the smallest image covering every
    input, as reproject.find_optimal_celestial_wcs: input_data a list of
    inputs (any of reproject's forms, or (shape, WCS)), frame a name or an
    astropy frame (default the first input's), resolution an angle
    (default the finest input's).  Each input's outline is sampled along
    its edges (which can bulge), not only at its corners, so the result
    may be a little larger than reproject's.  reference, a SkyCoord, is
    the reference position (CRVAL) of the result, by default the mean
    position of the inputs."""
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
    frame_name = _frame_name(frame)
    about = None
    if reference is not None:
        about = _reference_in(reference, frame, headers[0])
    text = _tessera.optimal_wcs(
        headers, frame=frame_name, projection=projection.upper(),
        resolution=degrees, auto_rotate=bool(auto_rotate), reference=about,
    )
    header = fits.Header.fromstring(text, sep="\n")
    return WCS(header), (header["NAXIS2"], header["NAXIS1"])
