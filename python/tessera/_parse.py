# _parse.py — astropy reproject's input conventions: input data as an
# (array, WCS) or (array, Header) tuple, an HDU, an HDUList (with hdu_in),
# a file name or an NDData; output projections as a WCS, a Header or a
# file name.  Turns them into what tessera._tessera takes: an array and
# FITS header text (80-character cards).

import os

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

__all__ = ["parse_input_data", "parse_output_projection"]

_HDU_TYPES = (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)


def _cards(header):
    """The header as consecutive 80-character cards, without END."""
    return header.tostring(sep="", endcard=False, padding=False)


def _with_shape(header, shape):
    """A copy of @header whose NAXIS and NAXISn describe @shape (numpy
    order)."""
    header = header.copy()
    header["NAXIS"] = len(shape)
    for i, n in enumerate(reversed(shape)):
        header[f"NAXIS{i + 1}"] = int(n)
    return header


def _wcs_header(wcs, shape, what):
    """Header text of an astropy WCS for an image of @shape; SIP kept."""
    if not isinstance(wcs, WCS):
        raise NotImplementedError(
            f"{what}: only astropy.wcs.WCS objects are supported, not "
            f"{type(wcs).__name__}"
        )
    return _cards(_with_shape(wcs.to_header(relax=True), shape))


def parse_input_data(input_data, hdu_in=0):
    """The input array and its header text, from any of reproject's input
    forms.  The array is the caller's (no copy); a file is opened with
    memory mapping."""
    if isinstance(input_data, (str, os.PathLike)):
        with fits.open(input_data) as hdul:
            return parse_input_data(hdul, hdu_in=hdu_in)
    if isinstance(input_data, fits.HDUList):
        if hdu_in is None:
            if len(input_data) > 1:
                raise ValueError(
                    "More than one HDU is present, please specify "
                    "HDU to use with ``hdu_in=`` option"
                )
            hdu_in = 0
        return parse_input_data(input_data[hdu_in])
    if isinstance(input_data, _HDU_TYPES):
        data = input_data.data
        if data is None:
            raise ValueError("the input HDU has no data")
        return data, _cards(_with_shape(input_data.header, data.shape))
    if isinstance(input_data, tuple) and len(input_data) == 2:
        data, wcs = input_data
        if not hasattr(data, "shape"):
            data = np.asarray(data)
        if isinstance(wcs, fits.Header):
            return data, _cards(_with_shape(wcs, data.shape))
        return data, _wcs_header(wcs, data.shape, "input_data")
    try:
        from astropy.nddata import NDDataBase
    except ImportError:  # pragma: no cover
        NDDataBase = ()
    if isinstance(input_data, NDDataBase):
        return np.asarray(input_data.data), _wcs_header(
            input_data.wcs, input_data.data.shape, "input_data"
        )
    raise TypeError(
        "input_data should either be an HDU object or a tuple "
        "of (array, WCS) or (array, Header)"
    )


def parse_output_projection(output_projection, shape_out=None, output_array=None):
    """The output's header text and shape (numpy order), as reproject
    reads them: a Header's NAXISn when complete, else shape_out."""
    if shape_out is None:
        if output_array is not None:
            shape_out = output_array.shape
    elif output_array is not None and tuple(shape_out) != output_array.shape:
        raise ValueError("shape_out does not match shape of output_array")
    if isinstance(output_projection, fits.Header):
        header = output_projection
        try:
            shape_out = [header[f"NAXIS{i + 1}"] for i in range(header["NAXIS"])][::-1]
        except KeyError:
            if shape_out is None:
                raise ValueError(
                    "Need to specify shape since output header "
                    "does not contain complete shape information"
                ) from None
    elif isinstance(output_projection, (str, os.PathLike)):
        with fits.open(output_projection) as hdul:
            header = hdul[0].header.copy()
            shape_out = hdul[0].data.shape
    elif hasattr(output_projection, "low_level_wcs") or isinstance(
        output_projection, WCS
    ):
        if shape_out is None:
            raise ValueError(
                "Need to specify shape_out when specifying "
                "output_projection as WCS object"
            )
        header = None
    else:
        raise TypeError(
            "output_projection should either be a Header, a WCS object, or a filename"
        )
    try:
        shape_out = tuple(int(n) for n in shape_out)
    except (TypeError, ValueError):
        raise TypeError(f"shape_out must be a tuple of integers, not {shape_out!r}") from None
    if len(shape_out) == 0:
        raise ValueError("The shape of the output image should not be an empty tuple")
    if any(n <= 0 for n in shape_out):
        raise ValueError(f"shape_out {shape_out} must have positive lengths")
    if len(shape_out) < 2:
        raise ValueError(f"shape_out {shape_out} must have at least 2 dimensions")
    if header is None:
        return _wcs_header(output_projection, shape_out, "output_projection"), shape_out
    return _cards(_with_shape(header, shape_out)), shape_out


def parse_input_shape(input_shape, hdu_in=None):
    """The shape and header text of an input given as reproject's
    find_optimal_celestial_wcs takes it: as parse_input_data's forms, or
    (shape tuple, WCS or Header).  Data are not read."""
    if isinstance(input_shape, (str, os.PathLike)):
        with fits.open(input_shape) as hdul:
            return parse_input_shape(hdul, hdu_in=hdu_in)
    if isinstance(input_shape, fits.HDUList):
        if hdu_in is None:
            if len(input_shape) > 1:
                raise ValueError(
                    "More than one HDU is present, please specify "
                    "HDU to use with ``hdu_in=`` option"
                )
            hdu_in = 0
        return parse_input_shape(input_shape[hdu_in])
    if isinstance(input_shape, _HDU_TYPES):
        shape = tuple(input_shape.shape)
        return shape, _cards(_with_shape(input_shape.header, shape))
    if isinstance(input_shape, tuple) and len(input_shape) == 2:
        first, wcs = input_shape
        shape = tuple(first) if isinstance(first, tuple) else tuple(np.shape(first))
        if isinstance(wcs, fits.Header):
            return shape, _cards(_with_shape(wcs, shape))
        return shape, _wcs_header(wcs, shape, "input_data")
    try:
        from astropy.nddata import NDDataBase
    except ImportError:  # pragma: no cover
        NDDataBase = ()
    if isinstance(input_shape, NDDataBase):
        shape = tuple(np.shape(input_shape.data))
        return shape, _wcs_header(input_shape.wcs, shape, "input_data")
    raise TypeError(
        "input_shape should either be an HDU object or a tuple "
        "of (array-or-shape, WCS) or (array-or-shape, Header)"
    )
