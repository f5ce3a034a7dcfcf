"""Shared helpers of the Tessera oracle scripts.

Imported by reference.py, compare.py and fitstool.py, which must be run with
the interpreter that has astropy and reproject (Debian: /usr/bin/python3).
"""

import re
import sys
import warnings

import numpy as np

try:
    from astropy.io import fits
except ImportError as exc:  # pragma: no cover - environment problem
    sys.exit(
        f"{sys.argv[0]}: cannot import astropy ({exc}); run this script with "
        "the interpreter that has astropy and reproject (e.g. /usr/bin/python3)"
    )


def _wcs_class():
    """astropy.wcs.WCS, imported on first use (it takes a while to import)."""
    from astropy.wcs import WCS, FITSFixedWarning

    # astropy "fixes" some headers (DATE-OBS, RADECSYS...) and says so; the
    # oracle output should stay readable.
    warnings.simplefilter("ignore", FITSFixedWarning)
    return WCS

_SUFFIX = re.compile(r"^(?P<path>.+?)\[(?P<ext>[^\[\]]*)\]$")

IMAGE_HDUS = (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)


class OracleError(Exception):
    """A problem with an input of the oracle scripts (reported, exit 2)."""


def split_extended(name):
    """Split cfitsio's 'file.fits[ext]' into ('file.fits', ext).

    ext is None (no suffix), an int (HDU number, 0 = primary) or a
    (EXTNAME, EXTVER-or-None) tuple.  Only the HDU selector is understood,
    not image sections or filters.
    """
    match = _SUFFIX.match(name)
    if match is None:
        return name, None
    path, ext = match.group("path"), match.group("ext").strip()
    if re.fullmatch(r"\d+", ext):
        return path, int(ext)
    if "," in ext:
        extname, extver = (part.strip() for part in ext.split(",", 1))
        return path, (extname, int(extver))
    return path, (ext, None)


def select_hdu(hdul, ext, name):
    """The HDU that cfitsio would open for 'name' (fits_open_image rules)."""
    if ext is None:
        for hdu in hdul:
            if isinstance(hdu, IMAGE_HDUS) and hdu.header.get("NAXIS", 0) >= 2:
                return hdu
        raise OracleError(f"{name}: no image HDU with NAXIS >= 2")
    try:
        if isinstance(ext, int):
            return hdul[ext]
        extname, extver = ext
        return hdul[(extname, extver)] if extver is not None else hdul[extname]
    except (KeyError, IndexError) as exc:
        raise OracleError(f"{name}: no HDU {ext!r}") from exc


def image_data(hdu):
    """Physical pixel values of an image HDU as float64.

    Integer data are scaled with BSCALE/BZERO and BLANK pixels become NaN;
    this is done here explicitly rather than trusting astropy's float32
    scaling.  Tile-compressed HDUs are decoded by astropy (ZBLANK,
    quantization and scaling included).
    """
    if isinstance(hdu, fits.CompImageHDU):
        return np.asarray(hdu.data, dtype=np.float64)
    raw = hdu.data
    if raw is None:
        raise OracleError("HDU has no data")
    header = hdu.header
    data = np.asarray(raw, dtype=np.float64)
    if raw.dtype.kind in "iu":
        blank = header.get("BLANK")
        bad = raw == blank if blank is not None else np.zeros(raw.shape, bool)
        data = data * float(header.get("BSCALE", 1.0)) + float(header.get("BZERO", 0.0))
        data[bad] = np.nan
    else:
        bscale = float(header.get("BSCALE", 1.0))
        bzero = float(header.get("BZERO", 0.0))
        if bscale != 1.0 or bzero != 0.0:
            data = data * bscale + bzero
    return data


def load_image(name, primary_only=False):
    """(data float64, header, bitpix) of the image named 'name'.

    'name' may carry a cfitsio HDU suffix ('file.fits[1]', 'file.fits[SCI]').
    With primary_only the primary HDU is used, whatever it holds.
    """
    path, ext = split_extended(name)
    try:
        hdul = fits.open(path, do_not_scale_image_data=True, memmap=False)
    except (OSError, ValueError) as exc:
        raise OracleError(f"{name}: cannot open: {exc}") from exc
    with hdul:
        hdu = hdul[0] if primary_only else select_hdu(hdul, ext, name)
        if hdu.header.get("NAXIS", 0) < 2:
            raise OracleError(f"{name}: HDU has NAXIS < 2")
        data = image_data(hdu)
        header = hdu.header.copy()
        bitpix = int(header["BITPIX"])
    return data, header, bitpix


def is_text_header(path):
    """True if 'path' looks like a text header (cards separated by newlines)."""
    with open(path, "rb") as handle:
        head = handle.read(2880)
    return b"\n" in head


def load_header(name):
    """Header of a target: a FITS file (cfitsio suffix allowed) or a text
    header file, one card a line, END last."""
    path, ext = split_extended(name)
    try:
        if ext is None and is_text_header(path):
            return fits.Header.fromtextfile(path)
        with fits.open(path, memmap=False) as hdul:
            if ext is None:
                hdu = next(
                    (h for h in hdul if isinstance(h, IMAGE_HDUS) and h.header.get("NAXIS", 0) >= 2),
                    hdul[0],
                )
            else:
                hdu = select_hdu(hdul, ext, name)
            return hdu.header.copy()
    except (OSError, ValueError) as exc:
        raise OracleError(f"{name}: cannot read header: {exc}") from exc


def celestial_wcs(header):
    """The 2-D celestial WCS of a header (SIP kept for 2-D headers)."""
    wcs = _wcs_class()(header)
    if wcs.naxis == 2 and wcs.has_celestial:
        return wcs
    cel = wcs.celestial
    if cel.naxis != 2:
        raise OracleError("header has no celestial WCS")
    return cel


def parse_size(text):
    """'WxH' -> (W, H)."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if match is None:
        raise OracleError(f"bad size {text!r}, expected WxH")
    return int(match.group(1)), int(match.group(2))


def write_raw_fits(path, header, raw):
    """Write one HDU with exactly these header cards and raw (unscaled) data.

    Used to build integer images with BSCALE/BZERO/BLANK, which astropy
    would otherwise rescale or drop.
    """
    dtype = {8: ">u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}[header["BITPIX"]]
    body = np.ascontiguousarray(raw, dtype=dtype).tobytes()
    text = header.tostring(endcard=True, padding=True).encode("ascii")
    pad = (-len(body)) % 2880
    with open(path, "wb") as handle:
        handle.write(text)
        handle.write(body)
        handle.write(b"\0" * pad)


def die(message, code=2):
    """Print 'prog: message' on stderr and exit."""
    prog = sys.argv[0].rsplit("/", 1)[-1]
    print(f"{prog}: {message}", file=sys.stderr)
    sys.exit(code)
