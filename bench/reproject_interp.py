#!/usr/bin/python3
"""astropy reproject_interp, as bench/run times it (whole process).

  reproject_interp.py IN.fits TARGET.hdr OUT.fits ORDER [PARALLEL]
ORDER is bilinear or bicubic.  The result (float64) is written as float32,
like Tessera's output, with the target header.  With PARALLEL (a number of
processes), reproject_interp(..., parallel=PARALLEL, block_size=(512, 512))
(reproject 0.10 needs a block size for parallel runs).
"""
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.wcs import FITSFixedWarning
from reproject import reproject_interp

warnings.simplefilter("ignore", FITSFixedWarning)

inp, target, out, order = sys.argv[1:5]
extra = {}
if len(sys.argv) > 5:
    extra = {"parallel": int(sys.argv[5]), "block_size": (512, 512)}
data, header = fits.getdata(inp, header=True)
th = fits.Header.fromtextfile(target)
result, footprint = reproject_interp((data, header), th, order=order, **extra)
fits.writeto(out, result.astype(np.float32), th, overwrite=True)
