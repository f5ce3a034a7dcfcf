#!/usr/bin/python3
"""Checks for bench/run (numpy + astropy).

  compare.py coverage OUT.fits
      Fraction of finite pixels in the whole image and in each one-pixel edge
      strip (bottom, top, left, right).  A target that leaves the input shows
      up as an edge strip with few or no finite pixels.
  compare.py reproject LABEL A.fits B.fits
      A against B where both are finite: max and median of |A-B|/|B|; and the
      fraction of pixels finite in one image but not the other.
  compare.py swarp LABEL A.fits SWARP.fits SWARP.weight.fits
      A against SWarp where SWarp's weight > 0 and A is finite (SWarp writes
      0 with weight 0 where the others write NaN); the mask difference is the
      fraction of pixels where (weight > 0) differs from (A finite).
Each comparison prints one line.
"""
import sys

import numpy as np
from astropy.io import fits


def image(path):
    with fits.open(path, memmap=False) as h:
        return np.asarray(h[0].data, dtype=np.float64)


def same_shape(label, a, b):
    if a.shape != b.shape:
        print(f"{label}: shapes differ {a.shape} vs {b.shape}")
        sys.exit(1)


def rel_stats(a, b, sel):
    n = int(sel.sum())
    if n == 0:
        return n, float("nan"), float("nan")
    d = np.abs(a[sel] - b[sel])
    den = np.abs(b[sel])
    den[den == 0] = np.finfo(np.float64).tiny
    r = d / den
    return n, float(r.max()), float(np.median(r))


def main(argv):
    cmd = argv[1]
    if cmd == "coverage":
        d = image(argv[2])
        f = np.isfinite(d)
        edges = [f[0, :].mean(), f[-1, :].mean(), f[:, 0].mean(), f[:, -1].mean()]
        print(f"{f.mean():.4f} {min(edges):.4f} "
              + " ".join(f"{e:.4f}" for e in edges))
    elif cmd == "reproject":
        label, a, b = argv[2], image(argv[3]), image(argv[4])
        same_shape(label, a, b)
        fa, fb = np.isfinite(a), np.isfinite(b)
        n, rmax, rmed = rel_stats(a, b, fa & fb)
        mask = float((fa != fb).mean())
        print(f"{label}: {n} pixels finite in both, max rel diff {rmax:.2e}, "
              f"median {rmed:.2e}; NaN-mask differs on {mask:.2e} of pixels "
              f"({int((fa & ~fb).sum())} finite only in first, "
              f"{int((~fa & fb).sum())} only in second)")
    elif cmd == "swarp":
        label, a, b, w = argv[2], image(argv[3]), image(argv[4]), image(argv[5])
        same_shape(label, a, b)
        same_shape(label, a, w)
        fa, fw = np.isfinite(a), (w > 0)
        n, rmax, rmed = rel_stats(a, b, fa & fw)
        mask = float((fa != fw).mean())
        print(f"{label}: {n} pixels with weight > 0 and finite, max rel diff {rmax:.2e}, "
              f"median {rmed:.2e}; mask (weight > 0 vs finite) differs on {mask:.2e} of pixels "
              f"({int((fa & ~fw).sum())} finite with weight 0, "
              f"{int((~fa & fw).sum())} NaN with weight > 0)")
    else:
        sys.exit(f"compare.py: unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
