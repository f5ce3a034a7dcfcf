#!/usr/bin/python3
"""astropy reproject_adaptive or reproject_exact, as bench/methods times it
(whole process).

  reproject_methods.py IN.fits TARGET.hdr OUT.fits adaptive|exact
Default options.  The result (float64) is written as float32, like Tessera's
output, with the target header, and its footprint as an extension.
"""
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.wcs import FITSFixedWarning
from reproject import reproject_adaptive, reproject_exact

warnings.simplefilter("ignore", FITSFixedWarning)

inp, target, out, method = sys.argv[1:5]
data, header = fits.getdata(inp, header=True)
th = fits.Header.fromtextfile(target)
run = reproject_adaptive if method == "adaptive" else reproject_exact
result, footprint = run((data, header), th)
fits.HDUList([
    fits.PrimaryHDU(result.astype(np.float32), th),
    fits.ImageHDU(footprint.astype(np.float32), name="FOOTPRINT"),
]).writeto(out, overwrite=True)
