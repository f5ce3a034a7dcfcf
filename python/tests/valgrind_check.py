"""The C extension under valgrind (scripts/test): small calls of every
method, threads (parallel=2) and a dask result computed by threads, each
checked against the single-threaded numpy result.  Run as
PYTHONMALLOC=malloc valgrind python3 valgrind_check.py; exits non-zero
(an AssertionError) when a result differs."""
import dask
import numpy as np
from astropy.wcs import WCS

import tessera


def wcs(crpix, scale):
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [150, 2]
    w.wcs.cdelt = [-scale / 3600, scale / 3600]
    w.wcs.crpix = crpix
    return w


def main():
    w_in, w_out = wcs([32.5, 32.5], 1.0), wcs([30, 31], 1.2)
    data = np.random.default_rng(1).random((2, 64, 64)).astype(np.float32)
    data[0, 10, 10] = np.nan
    for order in ("nearest-neighbor", "bilinear", "biquadratic", "bicubic"):
        one = tessera.reproject_interp((data, w_in), w_out, shape_out=(40, 50), order=order)
        two = tessera.reproject_interp(
            (data, w_in), w_out, shape_out=(40, 50), order=order, parallel=2, block_size=(7, 50)
        )
        assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(one, two)), order
        # The target reaches past the input: some 85 % of it is covered.
        assert 0.8 < np.isfinite(one[0]).mean() < 0.9, order
    for function in (tessera.reproject_exact, tessera.reproject_adaptive):
        one = function((data, w_in), w_out, shape_out=(20, 24))
        two = function((data, w_in), w_out, shape_out=(20, 24), parallel=2, block_size=(5, 24))
        assert all(np.array_equal(a, b, equal_nan=True) for a, b in zip(one, two)), function
    lazy = tessera.reproject_interp(
        (data[0], w_in), w_out, shape_out=(40, 50), order="bicubic",
        return_type="dask", block_size=(16, 16), return_footprint=False,
    )
    with dask.config.set(scheduler="threads", num_workers=2):
        got = lazy.compute()
    want = tessera.reproject_interp((data[0], w_in), w_out, shape_out=(40, 50), order="bicubic")[0]
    assert np.array_equal(got, want, equal_nan=True)
    print("valgrind_check: every result as expected")


if __name__ == "__main__":
    main()
