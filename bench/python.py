#!/usr/bin/python3
"""The Python package tessera against astropy's reproject, in one process,
on arrays in memory: the same calls to reproject_interp (bilinear,
bicubic), reproject_adaptive and reproject_exact, timed (median of
--repeat runs), with their agreement.  Not part of `make check`; run it
by hand on an idle machine, with the package of a build:

    PYTHONPATH=_build/main/python bench/python.py [--size N] [--repeat R]
        [--parallel N]
    PYTHONPATH=_build/main/python bench/python.py --bench-dir DIR [--repeat R]

The input is an N × N TAN field of 0.36″ pixels with noise, the target
the same size, rotated by 20° and shifted; the exact method runs on a
quarter of the size (reproject_exact is slow).  The agreement is the
relative difference over the pixels finite in both (max and median).

With --bench-dir (bench/python runs it so): bench/run's cases — DIR's
4096² in.fits, read into memory once, onto t1.hdr and t2.hdr —
tessera.reproject_interp (bilinear, bicubic; parallel 1 and 2; return_type
'dask' computed by dask's synchronous scheduler and by its threads) against
reproject.reproject_interp (bilinear, bicubic), each call timed alone
(the array already in memory; tessera's after one untimed call), medians
of --repeat (reproject's: one run, it takes seconds), and the bars: bilinear ≥ 20× reproject, the threaded
dask compute ≥ 1.6× the synchronous one.
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


def bench_cases(directory, repeat):
    """bench/run's cases, timed in this process; prints the table and the
    bars, returns 0."""
    import os

    import dask
    from astropy.io import fits

    with fits.open(os.path.join(directory, "in.fits")) as hdul:
        data = np.array(hdul[0].data, dtype=np.float32)  # native, in memory
        wcs_in = WCS(hdul[0].header)
    rows, ratios = [], {}
    for t in ("t1", "t2"):
        with open(os.path.join(directory, t + ".hdr")) as f:
            target = fits.Header.fromstring(f.read(), sep="\n")
        for order in ("bilinear", "bicubic"):
            def ours(**kw):
                return tessera.reproject_interp((data, wcs_in), target, order=order, **kw)

            ours()  # once first: the input's pages and the allocator warm
            t1, plain = timed(lambda: ours(), repeat)
            t2, par = timed(lambda: ours(parallel=2), repeat)
            assert np.array_equal(par[0], plain[0], equal_nan=True)

            def lazy_compute(scheduler, workers):
                lazy = ours(return_type="dask", block_size=(256, 2048), return_footprint=False)
                with dask.config.set(scheduler=scheduler, num_workers=workers):
                    return lazy.compute()

            ts, got = timed(lambda: lazy_compute("synchronous", 1), repeat)
            tt, got2 = timed(lambda: lazy_compute("threads", 2), repeat)
            assert np.array_equal(got, plain[0], equal_nan=True)
            assert np.array_equal(got2, plain[0], equal_nan=True)
            tr, ref = timed(
                lambda: reproject.reproject_interp((data, wcs_in), target, order=order), 1
            )
            both = np.isfinite(ref[0]) & np.isfinite(plain[0])
            rel = np.abs(plain[0][both] - ref[0][both]) / np.maximum(np.abs(ref[0][both]), 1e-30)
            rows.append((t, order, tr, t1, t2, ts, tt, np.median(rel) if both.any() else np.nan))
            ratios[t, order] = (tr / t1, ts / tt)
    print(f"{'case':14} {'reproject':>10} {'tessera':>9} {'x':>6} {'par=2':>8} "
          f"{'dask sync':>10} {'dask thr':>9} {'thr/sync':>8} {'median rel':>10}")
    for t, order, tr, t1, t2, ts, tt, med in rows:
        # (reproject's spline methods spread the input's NaN over the whole
        # output: then nothing to compare.)
        agree = f"{med:10.1e}" if np.isfinite(med) else f"{'n/a':>10}"
        print(f"{t + ' ' + order:14} {tr:9.3f}s {t1:8.3f}s {tr / t1:5.0f}x {t2:7.3f}s "
              f"{ts:9.3f}s {tt:8.3f}s {ts / tt:7.2f}x {agree}")
    if any(not np.isfinite(r[-1]) for r in rows):
        print("  n/a: reproject_interp's output is all NaN (its spline prefilter spreads "
              "the input's NaN pixels everywhere)")
    print("Bars")
    for t in ("t1", "t2"):
        speed = ratios[t, "bilinear"][0]
        print(f"  {'PASS' if speed >= 20 else 'MISS'} {t} bilinear in-process call vs "
              f"reproject_interp: x{speed:.1f} (bar >= 20)")
    for t in ("t1", "t2"):
        for order in ("bilinear", "bicubic"):
            gain = ratios[t, order][1]
            print(f"  {'PASS' if gain >= 1.6 else 'MISS'} {t} {order} dask threads (2) vs "
                  f"synchronous: x{gain:.2f} (bar >= 1.6)")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parallel", type=int, default=2, help="threads for tessera's parallel runs")
    parser.add_argument("--bench-dir", help="bench/run's work directory: its cases instead")
    args = parser.parse_args()
    if args.bench_dir:
        return bench_cases(args.bench_dir, args.repeat)
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
    raise SystemExit(main())
