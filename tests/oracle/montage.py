#!/usr/bin/python3
"""Compare Tessera's exact reprojection with Montage's mProjectPP.

usage: montage.py OURS MONTAGE [--rtol X] [--min-compared F]

MONTAGE is mProjectPP's output; its coverage is MONTAGE with _area before
.fits.  Both images are on the same grid (the target header's).  Compared:
pixels that both cover wholly — our FOOTPRINT >= 1 - 1e-6 and Montage's area
>= 0.9999 of its largest (Montage's areas at the edges of its output are
its own business) — by the relative difference |ours - montage| /
max(|montage|, 1e-3 median |montage|).  Fails when the largest exceeds
--rtol (default 1e-5) or fewer than --min-compared (default 0.5) of the
pixels could be compared.  Exit status 0 pass, 1 fail, 2 unreadable input.
"""

import argparse
import sys

import numpy as np

from oraclelib import fits


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ours")
    parser.add_argument("montage")
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--min-compared", type=float, default=0.5)
    args = parser.parse_args()
    area_path = args.montage[:-5] + "_area.fits" if args.montage.endswith(".fits") else None
    try:
        with fits.open(args.ours, memmap=False) as h:
            ours = np.asarray(h[0].data, dtype=np.float64)
            fp = np.asarray(h["FOOTPRINT"].data, dtype=np.float64)
        theirs = np.asarray(fits.getdata(args.montage), dtype=np.float64)
        area = np.asarray(fits.getdata(area_path), dtype=np.float64)
    except (OSError, KeyError, TypeError) as exc:
        print(f"montage.py: {exc}", file=sys.stderr)
        return 2
    if ours.shape != theirs.shape:
        print(f"montage.py: FAIL: shapes {ours.shape} and {theirs.shape} differ")
        return 1
    full = (fp >= 1 - 1e-6) & (area >= 0.9999 * np.nanmax(area))
    both = full & np.isfinite(ours) & np.isfinite(theirs)
    n = int(both.sum())
    if n < args.min_compared * ours.size:
        print(f"montage.py: FAIL: only {n} of {ours.size} pixels covered by both")
        return 1
    floor = 1e-3 * float(np.median(np.abs(theirs[both])))
    rel = np.abs(ours[both] - theirs[both]) / np.maximum(np.abs(theirs[both]), floor)
    print(f"montage.py: {n} of {ours.size} pixels, max rel {rel.max():.3g}, median {np.median(rel):.3g}")
    if rel.max() > args.rtol:
        print(f"montage.py: FAIL: max relative difference {rel.max():.3g} > {args.rtol}")
        return 1
    print("montage.py: OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
