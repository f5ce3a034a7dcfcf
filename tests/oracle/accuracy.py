"""accuracy.py — inputs for measuring the error of the interpolated
coordinate grid (tests/oracle/transform-accuracy.test).

    accuracy.py make DIR           one case per projection in DIR/CASE/
    accuracy.py error DIR/CASE     the grid's error for one case

A case is an input whose pixel values are its own pixel coordinates (rx:
the column, ry: the row, float64); the test makes its target.  Bilinear interpolation
reproduces a linear function exactly, so `tessera reproject` of rx gives,
at each output pixel, the input column that pixel maps to: its default
output minus its `--exact-transform` output is the error of the grid,
independent of any interpolation of the data.

The inputs are the 28 projections of the WCS Paper II test field (the
1904-66 headers shipped with astropy's tests).
"""
import glob
import os
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import FITSFixedWarning

warnings.simplefilter("ignore", AstropyWarning)
warnings.simplefilter("ignore", FITSFixedWarning)


def maps_dir():
    import astropy.wcs

    d = os.path.join(os.path.dirname(astropy.wcs.__file__), "tests", "data", "maps")
    files = sorted(glob.glob(os.path.join(d, "1904-66_*.hdr")))
    if len(files) < 20:
        sys.exit("accuracy.py: astropy's 1904-66 test headers not found in " + d)
    return files


def make(out):
    for path in maps_dir():
        name = os.path.basename(path)[len("1904-66_"):-len(".hdr")]
        with open(path, "rb") as f:
            h = fits.Header.fromstring(f.read().decode("ascii"))
        h["BITPIX"] = -64
        for k in ("BSCALE", "BZERO", "BLANK"):
            h.remove(k, ignore_missing=True)
        n1, n2 = h["NAXIS1"], h["NAXIS2"]
        case = os.path.join(out, name)
        os.makedirs(case, exist_ok=True)
        yy, xx = np.mgrid[0:n2, 0:n1].astype(np.float64)
        fits.PrimaryHDU(xx, h).writeto(os.path.join(case, "rx.fits"), overwrite=True)
        fits.PrimaryHDU(yy, h).writeto(os.path.join(case, "ry.fits"), overwrite=True)
        print(name)


def error(case):
    """Prints: max error, median error, pixels compared, NaN mask mismatches."""
    worst, med, n, mismatch = 0.0, [], 0, 0
    for axis, size_key in (("rx", "NAXIS1"), ("ry", "NAXIS2")):
        size = fits.getheader(os.path.join(case, axis + ".fits"))[size_key]
        a = fits.getdata(os.path.join(case, axis + "-grid.fits")).astype(np.float64)
        b = fits.getdata(os.path.join(case, axis + "-exact.fits")).astype(np.float64)
        mismatch += int((np.isfinite(a) != np.isfinite(b)).sum())
        # Inside the input: the outer half pixel is clamped, not interpolated.
        m = np.isfinite(a) & np.isfinite(b) & (b > 0) & (b < size - 1)
        d = np.abs(a - b)[m]
        n += int(m.sum())
        if d.size:
            worst = max(worst, float(d.max()))
            med.append(float(np.median(d)))
    print("%.3g %.3g %d %d" % (worst, max(med) if med else 0.0, n, mismatch))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "error":
        error(sys.argv[2])
    else:
        sys.exit(__doc__)
