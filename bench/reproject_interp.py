#!/usr/bin/python3
"""astropy reproject_interp, as bench/run times it (whole process).

  reproject_interp.py IN.fits TARGET.hdr OUT.fits ORDER
ORDER is bilinear or bicubic.  The result (float64) is written as float32,
like Tessera's output, with the target header.
"""
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.wcs import FITSFixedWarning
from reproject import reproject_interp

warnings.simplefilter("ignore", FITSFixedWarning)

inp, target, out, order = sys.argv[1:5]
data, header = fits.getdata(inp, header=True)
th = fits.Header.fromtextfile(target)
result, footprint = reproject_interp((data, header), th, order=order)
fits.writeto(out, result.astype(np.float32), th, overwrite=True)
