#!/usr/bin/python3
"""The Python package tessera against astropy's reproject, in one process,
on arrays in memory: the same calls to reproject_interp (bilinear,
bicubic), reproject_adaptive and reproject_exact, timed (median of
--repeat runs), with their agreement.  Not part of `make check`; run it
by hand on an idle machine, with the package of a build:

    PYTHONPATH=_build/main/python bench/python.py [--size N] [--repeat R]
        [--parallel N]

The input is an N × N TAN field of 0.36″ pixels with noise, the target
the same size, rotated by 20° and shifted; the exact method runs on a
quarter of the size (reproject_exact is slow).  The agreement is the
relative difference over the pixels finite in both (max and median).
"""

import argparse
import statistics
import time

import numpy as np
import reproject
from astropy.wcs import WCS

import tessera


def tan(crval, n, scale, rotation=0.0):
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = crval
    wcs.wcs.crpix = [n / 2 + 0.5, n / 2 + 0.5]
    c, s = np.cos(np.radians(rotation)), np.sin(np.radians(rotation))
    wcs.wcs.cd = [[-scale * c, scale * s], [scale * s, scale * c]]
    return wcs


def timed(call, repeat):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=2, help="threads for tessera's parallel runs")
    args = parser.parse_args()
    cases = [
        ("interp bilinear", "reproject_interp", {"order": "bilinear"}, args.size),
        ("interp bicubic", "reproject_interp", {"order": "bicubic"}, args.size),
        ("adaptive", "reproject_adaptive", {}, args.size),
        ("exact", "reproject_exact", {}, args.size // 4),
    ]
    print(f"{'case':16} {'size':>6} {'reproject':>10} {'tessera':>9} {'ratio':>6} "
          f"{'parallel':>9} {'ratio':>6} {'max rel':>8} {'median':>8}")
    for name, function, kwargs, n in cases:
        rng = np.random.default_rng(0)
        data = 10 + rng.standard_normal((n, n))
        scale = 1e-4 * 2000 / n
        wcs_in = tan([150.0, 30.0], n, scale)
        wcs_out = tan([150.0 + 0.05 * scale * n / 2, 30.0 + 0.05 * scale * n / 2], n, 1.1 * scale, 20.0)
        call = lambda module, **kw: getattr(module, function)((data, wcs_in), wcs_out, shape_out=(n, n), **kwargs, **kw)
        t_ref, ref = timed(lambda: call(reproject), args.repeat)
        t_ours, ours = timed(lambda: call(tessera), args.repeat)
        t_par, par = timed(lambda: call(tessera, parallel=args.parallel), args.repeat)
        assert np.array_equal(par[0], ours[0], equal_nan=True)
        both = np.isfinite(ref[0]) & np.isfinite(ours[0])
        rel = np.abs(ours[0][both] - ref[0][both]) / np.abs(ref[0][both])
        print(f"{name:16} {n:6} {t_ref:9.3f}s {t_ours:8.3f}s {t_ref / t_ours:5.0f}x "
              f"{t_par:8.3f}s {t_ref / t_par:5.0f}x {rel.max():8.1e} {np.median(rel):8.1e}")


if __name__ == "__main__":
    main()
