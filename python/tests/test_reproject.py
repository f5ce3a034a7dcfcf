# test_reproject.py — the Python package tessera against astropy's
# reproject 0.10 (Debian python3-reproject): the same calls, within the
# bars of the C oracle tests (tests/oracle/compare.py: relative 1e-5 of
# max(|ref|, 1e-3 × median |ref|)), with identical NaN masks; every
# input form, dtypes and byte orders, output arrays, blocks and threads
# giving identical bits, and bad arguments.

import os
import threading

import numpy as np
import pytest
import reproject
from astropy.io import fits
from astropy.wcs import WCS

import tessera

ORDERS = ["nearest-neighbor", "bilinear", "biquadratic", "bicubic"]


def celestial_wcs(ctype, crval, shape, scale, rotation=0.0):
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ctype
    wcs.wcs.crval = crval
    wcs.wcs.crpix = [shape[1] / 2 + 0.5, shape[0] / 2 + 0.5]
    c, s = np.cos(np.radians(rotation)), np.sin(np.radians(rotation))
    wcs.wcs.cd = np.array([[-scale * c, scale * s], [scale * s, scale * c]])
    return wcs


SHAPE_IN = (200, 200)
WCS_IN = celestial_wcs(["RA---TAN", "DEC--TAN"], [150.0, 30.0], SHAPE_IN, 0.01)
TARGETS = {
    "rotated": (celestial_wcs(["RA---TAN", "DEC--TAN"], [150.1, 30.05], (180, 190), 0.011, 25.0), (180, 190)),
    "shifted": (celestial_wcs(["RA---TAN", "DEC--TAN"], [149.3, 29.6], (150, 160), 0.008), (150, 160)),
    "galactic-car": (celestial_wcs(["GLON-CAR", "GLAT-CAR"], [196.4, 52.2], (170, 170), 0.012, 10.0), (170, 170)),
}


def sky(nan=False, dtype=np.float64):
    """A smooth field with noise, positive (relative errors mean something);
    with a few NaN when asked."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[: SHAPE_IN[0], : SHAPE_IN[1]]
    data = 3 + np.sin(x / 7.0) + np.cos(y / 11.0) + 0.1 * rng.standard_normal(SHAPE_IN)
    if nan:
        data[50:53, 120:124] = np.nan
        data[150, 30] = np.nan
    return data.astype(dtype)


def assert_agrees(ours, ref, rtol=1e-5, footprint_atol=None, edge_rtol=None):
    """Values within @rtol (@edge_rtol where a footprint is below 1: the
    exact method's input edge), identical NaN masks, footprints equal or
    within @footprint_atol."""
    (a, fa), (b, fb) = ours, ref
    assert a.shape == b.shape and a.dtype == np.float64
    assert np.array_equal(np.isnan(a), np.isnan(b)), (
        f"NaN masks differ at {np.count_nonzero(np.isnan(a) != np.isnan(b))} pixels"
    )
    finite = np.isfinite(b)
    assert finite.mean() > 0.2
    floor = 1e-3 * np.median(np.abs(b[finite]))
    rel = np.abs(a - b) / np.maximum(np.abs(b), floor)
    edge = finite & ((fa < 1) | (fb < 1)) if edge_rtol else np.zeros_like(finite)
    assert rel[finite & ~edge].max() <= rtol, f"max rel {rel[finite & ~edge].max():.3g}"
    if edge.any():
        assert rel[edge].max() <= edge_rtol, f"max rel at the edge {rel[edge].max():.3g}"
    if footprint_atol is None:
        assert np.array_equal(fa, fb)
    else:
        assert np.abs(fa - fb).max() <= footprint_atol


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("order", ORDERS + [0, 3])
def test_interp_agrees(order, target):
    wcs_out, shape = TARGETS[target]
    # reproject 0.10 makes every pixel NaN when the input has a NaN for
    # the spline orders: NaN only for the others.
    data = sky(nan=order in ("nearest-neighbor", "bilinear", 0))
    ours = tessera.reproject_interp((data, WCS_IN), wcs_out, shape_out=shape, order=order)
    ref = reproject.reproject_interp((data, WCS_IN), wcs_out, shape_out=shape, order=order)
    assert_agrees(ours, ref)


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize(
    "options",
    [{}, {"kernel": "hann"}, {"boundary_mode": "ignore", "conserve_flux": True},
     {"kernel_width": 2.0, "sample_region_width": 6, "center_jacobian": True}],
    ids=["default", "hann", "ignore-flux", "wide-centred"],
)
def test_adaptive_agrees(options, target):
    wcs_out, shape = TARGETS[target]
    data = sky(nan=True)
    ours = tessera.reproject_adaptive((data, WCS_IN), wcs_out, shape_out=shape, **options)
    ref = reproject.reproject_adaptive((data, WCS_IN), wcs_out, shape_out=shape, **options)
    assert_agrees(ours, ref, footprint_atol=0)


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_exact_agrees(target):
    wcs_out, shape = TARGETS[target]
    data = sky()
    ours = tessera.reproject_exact((data, WCS_IN), wcs_out, shape_out=shape)
    ref = reproject.reproject_exact((data, WCS_IN), wcs_out, shape_out=shape)
    # reproject_exact's overlaps stray: on "shifted", 336 footprints of
    # pixels whose corners lie more than 2 pixels inside the input are
    # 0.9989-0.9999 instead of 1, which moves their values by up to
    # 1.8e-5; elsewhere the values agree within 1e-8.  Tessera's
    # footprint is 1 there (checked below from the corners).
    assert_agrees(ours, ref, footprint_atol=2e-3, edge_rtol=1e-4)
    y, x = np.mgrid[: shape[0] + 1, : shape[1] + 1] - 0.5
    cx, cy = WCS_IN.world_to_pixel(wcs_out.pixel_to_world(x, y))
    inside = (cx > 0) & (cx < SHAPE_IN[1] - 1) & (cy > 0) & (cy < SHAPE_IN[0] - 1)
    inside = inside[:-1, :-1] & inside[1:, :-1] & inside[:-1, 1:] & inside[1:, 1:]
    assert inside.sum() > 1000 and (ours[1][inside] == 1).all()


def header_out(target):
    wcs_out, shape = TARGETS[target]
    header = wcs_out.to_header()
    header["NAXIS"] = 2
    header["NAXIS1"], header["NAXIS2"] = shape[1], shape[0]
    return header


def test_input_forms(tmp_path):
    data = sky(nan=True)
    header = WCS_IN.to_header()
    expected = tessera.reproject_interp((data, WCS_IN), header_out("rotated"))
    path = tmp_path / "in.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, header)]).writeto(path)
    forms = [
        ((data, header), {}),
        (fits.PrimaryHDU(data, header), {}),
        (fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, header)]), {"hdu_in": 1}),
        (str(path), {"hdu_in": 1}),
        (path, {"hdu_in": 1}),
    ]
    for input_data, kwargs in forms:
        got = tessera.reproject_interp(input_data, header_out("rotated"), **kwargs)
        assert np.array_equal(got[0], expected[0], equal_nan=True)
        assert np.array_equal(got[1], expected[1])
    # The output as a WCS with shape_out, and as a Header.
    got = tessera.reproject_interp((data, WCS_IN), TARGETS["rotated"][0], shape_out=(180, 190))
    assert np.array_equal(got[0], expected[0], equal_nan=True)


def test_sip_survives():
    data = sky()
    wcs = WCS_IN.deepcopy()
    wcs.wcs.ctype = ["RA---TAN-SIP", "DEC--TAN-SIP"]
    a = np.zeros((3, 3))
    b = np.zeros((3, 3))
    a[2, 0], b[0, 2] = 2e-5, -3e-5
    from astropy.wcs import Sip

    wcs.sip = Sip(a, b, None, None, wcs.wcs.crpix)
    ours = tessera.reproject_interp((data, wcs), header_out("rotated"))
    ref = reproject.reproject_interp((data, wcs), header_out("rotated"))
    assert_agrees(ours, ref)
    plain = tessera.reproject_interp((data, WCS_IN), header_out("rotated"))
    assert not np.allclose(plain[0], ours[0], equal_nan=True)


@pytest.mark.parametrize("dtype", [">f8", ">f4", "<f4", "i2", ">i2", "u1", "i4"])
def test_dtypes(dtype):
    data = (sky() * 1000).astype(dtype)
    ours = tessera.reproject_interp((data, WCS_IN), header_out("shifted"))
    ref = reproject.reproject_interp((data, WCS_IN), header_out("shifted"))
    assert_agrees(ours, ref, rtol=1e-5 if np.dtype(dtype).itemsize == 8 else 1e-6)
    native = tessera.reproject_interp((data.astype(data.dtype.newbyteorder("=")), WCS_IN), header_out("shifted"))
    assert np.array_equal(ours[0], native[0], equal_nan=True)


def test_non_contiguous_input():
    data = sky()
    big = np.zeros((400, 400))
    big[::2, ::2] = data
    ours = tessera.reproject_interp((big[::2, ::2], WCS_IN), header_out("rotated"))
    ref = tessera.reproject_interp((data, WCS_IN), header_out("rotated"))
    assert np.array_equal(ours[0], ref[0], equal_nan=True)


def test_return_footprint_and_output_arrays():
    data = sky(nan=True)
    array, footprint = tessera.reproject_interp((data, WCS_IN), header_out("rotated"))
    only = tessera.reproject_interp((data, WCS_IN), header_out("rotated"), return_footprint=False)
    assert isinstance(only, np.ndarray) and np.array_equal(only, array, equal_nan=True)
    for dtype in (np.float64, np.float32):
        out = np.zeros((180, 190), dtype=dtype)
        fp = np.zeros((180, 190))
        got = tessera.reproject_interp(
            (data, WCS_IN), header_out("rotated"), output_array=out, output_footprint=fp
        )
        assert got[0] is out and got[1] is fp
        assert np.array_equal(out, array.astype(dtype), equal_nan=True)
        assert np.array_equal(fp, footprint)
    with pytest.raises(ValueError, match="shape"):
        tessera.reproject_interp((data, WCS_IN), header_out("rotated"), output_array=np.zeros((10, 10)))


def test_float32_input_in_place():
    # A float32 output array of a float32 input is filled by the library.
    data = sky(dtype=np.float32)
    out = np.full((180, 190), 7.0, dtype=np.float32)
    tessera.reproject_interp((data, WCS_IN), header_out("rotated"), output_array=out)
    ref = tessera.reproject_interp((data, WCS_IN), header_out("rotated"))[0]
    assert np.array_equal(out, ref.astype(np.float32), equal_nan=True)


@pytest.mark.parametrize("method", ["bilinear", "bicubic", "adaptive", "exact"])
def test_blocks_and_parallel_identical(method):
    data = sky(nan=method != "bicubic")
    functions = {
        "bilinear": lambda **kw: tessera.reproject_interp((data, WCS_IN), header_out("galactic-car"), **kw),
        "bicubic": lambda **kw: tessera.reproject_interp(
            (data, WCS_IN), header_out("galactic-car"), order="bicubic", **kw),
        "adaptive": lambda **kw: tessera.reproject_adaptive((data, WCS_IN), header_out("galactic-car"), **kw),
        "exact": lambda **kw: tessera.reproject_exact((data, WCS_IN), header_out("galactic-car"), **kw),
    }
    plain = functions[method]()
    for kwargs in ({"block_size": (37, 53)}, {"parallel": 2}, {"parallel": True, "block_size": (16, 170)}):
        got = functions[method](**kwargs)
        assert np.array_equal(got[0], plain[0], equal_nan=True), kwargs
        assert np.array_equal(got[1], plain[1]), kwargs


def test_threads_identical():
    data = sky(nan=True)
    plain = tessera.reproject_adaptive((data, WCS_IN), header_out("rotated"))
    results = [None] * 8
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()
        results[i] = tessera.reproject_adaptive((data, WCS_IN), header_out("rotated"))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in results:
        assert np.array_equal(r[0], plain[0], equal_nan=True)
        assert np.array_equal(r[1], plain[1])


def test_cube_planes():
    data = np.stack([sky(), 2 * sky(), -sky()])
    array, footprint = tessera.reproject_interp((data[0], WCS_IN), header_out("rotated"))
    wcs3 = WCS(naxis=3)
    wcs3.wcs.ctype = ["RA---TAN", "DEC--TAN", "FREQ"]
    wcs3.wcs.crval = [150.0, 30.0, 1e9]
    wcs3.wcs.crpix = [100.5, 100.5, 1]
    wcs3.wcs.cdelt = [-0.01, 0.01, 1e6]
    got, fp = tessera.reproject_interp((data, wcs3), header_out("rotated"))
    assert got.shape == (3, 180, 190) and fp.shape == (3, 180, 190)
    assert np.array_equal(np.isnan(got[0]), np.isnan(array))
    assert np.allclose(got[0], array, equal_nan=True, rtol=1e-12, atol=0)
    assert np.allclose(got[2], -array, equal_nan=True, rtol=1e-12, atol=0)
    assert np.array_equal(fp[1], footprint)


def test_no_overlap():
    far = celestial_wcs(["RA---TAN", "DEC--TAN"], [10.0, -40.0], (50, 60), 0.01)
    array, footprint = tessera.reproject_interp((sky(), WCS_IN), far, shape_out=(50, 60))
    ref = reproject.reproject_interp((sky(), WCS_IN), far, shape_out=(50, 60))
    assert np.isnan(array).all() and np.isnan(ref[0]).all()
    assert np.array_equal(footprint, ref[1])


def test_bad_arguments():
    data = sky()
    target = header_out("rotated")
    with pytest.raises(ValueError, match="order 'cubic'"):
        tessera.reproject_interp((data, WCS_IN), target, order="cubic")
    with pytest.raises(ValueError, match="order 5"):
        tessera.reproject_interp((data, WCS_IN), target, order=5)
    with pytest.raises(TypeError, match="unknown_keyword"):
        tessera.reproject_interp((data, WCS_IN), target, unknown_keyword=1)
    with pytest.raises(ValueError, match="shape_out"):
        tessera.reproject_interp((data, WCS_IN), TARGETS["rotated"][0], shape_out=(0, 10))
    with pytest.raises(TypeError, match="shape_out"):
        tessera.reproject_interp((data, WCS_IN), TARGETS["rotated"][0], shape_out="big")
    with pytest.raises(ValueError, match="shape_out"):
        tessera.reproject_interp((data, WCS_IN), TARGETS["rotated"][0])
    with pytest.raises(ValueError, match="kernel 'box'"):
        tessera.reproject_adaptive((data, WCS_IN), target, kernel="box")
    with pytest.raises(ValueError, match="boundary_mode"):
        tessera.reproject_adaptive((data, WCS_IN), target, boundary_mode="wrap")
    with pytest.raises(ValueError, match="kernel_width|kernel width"):
        tessera.reproject_adaptive((data, WCS_IN), target, kernel_width=-1)
    with pytest.raises(ValueError, match="output_array"):
        tessera.reproject_interp((data, WCS_IN), target, return_type="dask", output_array=np.zeros((180, 190)))
    with pytest.raises(ValueError, match="parallel"):
        tessera.reproject_interp((data, WCS_IN), target, return_type="dask", parallel=2)
    with pytest.raises(ValueError, match="return_type"):
        tessera.reproject_interp((data, WCS_IN), target, return_type="list")
    with pytest.raises(ValueError, match="parallel"):
        tessera.reproject_exact((data, WCS_IN), target, parallel=-2)
    with pytest.raises(ValueError, match="block_size"):
        tessera.reproject_interp((data, WCS_IN), target, block_size=(0, 4))
    with pytest.raises(TypeError, match="input_data"):
        tessera.reproject_interp(data, target)
    with pytest.raises(TypeError, match="real numbers"):
        tessera.reproject_interp((data.astype(complex), WCS_IN), target)
    with pytest.raises(ValueError, match="dimensions"):
        tessera.reproject_interp((data[0], WCS_IN), target)
    bad = fits.Header()
    bad["NAXIS"], bad["NAXIS1"], bad["NAXIS2"] = 2, 10, 10
    with pytest.raises(ValueError):
        tessera.reproject_interp((data, WCS_IN), bad)


def write_file(path, data, header, extension=True):
    hdus = [fits.PrimaryHDU(), fits.ImageHDU(data, header)] if extension else [fits.PrimaryHDU(data, header)]
    fits.HDUList(hdus).writeto(path)
    return path


@pytest.mark.parametrize("method", ["bilinear", "bicubic", "adaptive", "exact"])
def test_file_workers_identical(tmp_path, method):
    # A file name goes to libtessera: parallel=N in worker processes, the
    # same bits as one job and as the array read by astropy.
    data = sky(nan=method != "bicubic")
    path = write_file(tmp_path / "in.fits", data, WCS_IN.to_header())
    call = {
        "bilinear": tessera.reproject_interp,
        "bicubic": lambda *a, **kw: tessera.reproject_interp(*a, order="bicubic", **kw),
        "adaptive": tessera.reproject_adaptive,
        "exact": tessera.reproject_exact,
    }[method]
    plain = call((data, WCS_IN), header_out("galactic-car"))
    for kwargs in ({}, {"parallel": 2}, {"parallel": 2, "block_size": (20, 170)}):
        got = call(str(path), header_out("galactic-car"), hdu_in=1, **kwargs)
        assert np.array_equal(got[0], plain[0], equal_nan=True), kwargs
        assert np.array_equal(got[1], plain[1]), kwargs


def test_file_parallel_uses_workers(tmp_path):
    # With a worker that cannot start, parallel=2 fails and one job does
    # not: the blocks of a file's parallel run go to worker processes.
    import subprocess
    import sys

    path = write_file(tmp_path / "in.fits", sky(), WCS_IN.to_header(), extension=False)
    script = (
        "import sys, tessera\n"
        "from astropy.io import fits\n"
        "h = fits.Header.fromstring(sys.argv[2])\n"
        "tessera.reproject_interp(sys.argv[1], h, parallel=int(sys.argv[3]))\n"
    )
    env = dict(os.environ, TESSERA_WORKER=str(tmp_path / "no-such-worker"))
    text = header_out("rotated").tostring()
    one = subprocess.run([sys.executable, "-c", script, str(path), text, "1"], env=env, capture_output=True, text=True)
    two = subprocess.run([sys.executable, "-c", script, str(path), text, "2"], env=env, capture_output=True, text=True)
    assert one.returncode == 0, one.stderr
    assert two.returncode != 0 and "no-such-worker" in two.stderr, two.stderr


def test_file_int16_scaled(tmp_path):
    # BITPIX 16 with BSCALE, BZERO and BLANK: scaled, BLANK → NaN, as
    # reproject reads it through astropy.
    raw = (sky() * 1000).astype(np.int16)
    raw[10:14, 60:70] = -32768
    hdu = fits.PrimaryHDU(raw, WCS_IN.to_header())
    hdu.header["BSCALE"], hdu.header["BZERO"], hdu.header["BLANK"] = 0.5, 100.0, -32768
    hdu.writeto(tmp_path / "int16.fits")
    ours = tessera.reproject_interp(str(tmp_path / "int16.fits"), header_out("rotated"))
    ref = reproject.reproject_interp(str(tmp_path / "int16.fits"), header_out("rotated"))
    assert_agrees(ours, ref, rtol=1e-6)
    assert np.isnan(ours[0]).sum() > np.isnan(tessera.reproject_interp((sky(), WCS_IN), header_out("rotated"))[0]).sum()


def test_gil_released():
    # Another Python thread runs while libtessera computes.
    data = np.tile(sky(), (6, 6))
    wcs = WCS_IN.deepcopy()
    wcs.wcs.crpix = [600.5, 600.5]
    wcs.wcs.cd = wcs.wcs.cd / 6
    stop = threading.Event()
    ticks = []

    def count():
        while not stop.is_set():
            ticks.append(1)

    t = threading.Thread(target=count)
    t.start()
    try:
        before = len(ticks)
        tessera.reproject_adaptive((data, wcs), header_out("rotated"), block_size=(180, 190))
        during = len(ticks) - before
    finally:
        stop.set()
        t.join()
    assert during > 1000


def test_native_float_not_copied():
    # A contiguous float64 input (native or big-endian) is read in place:
    # the call allocates far less than the input's size.
    import tracemalloc

    data = np.tile(sky(), (5, 5))
    wcs = WCS_IN.deepcopy()
    wcs.wcs.crpix = [500.5, 500.5]
    for array in (data, data.astype(">f8"), data.astype(np.float32)):
        tracemalloc.start()
        tessera.reproject_interp((array, wcs), header_out("shifted"), return_footprint=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < array.nbytes / 4, (array.dtype, peak, array.nbytes)


OPTIMAL_INPUTS = [
    (SHAPE_IN, WCS_IN),
    ((150, 220), celestial_wcs(["RA---TAN", "DEC--TAN"], [151.2, 30.6], (150, 220), 0.012, 30.0)),
]


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"frame": "galactic"}, {"resolution": 0.02}, {"projection": "CAR"}],
    ids=["default", "galactic", "resolution", "car"],
)
def test_find_optimal_celestial_wcs(kwargs):
    # As reproject's: the same frame, projection and resolution, the centre
    # within 0.5″, the shape within 2 pixels (Tessera samples the edges,
    # reproject the corners); every input's outline inside.
    import astropy.units as u
    from reproject.mosaicking import find_optimal_celestial_wcs as ref_optimal

    if "resolution" in kwargs:
        kwargs = dict(kwargs, resolution=kwargs["resolution"] * u.deg)
    wcs, shape = tessera.find_optimal_celestial_wcs(OPTIMAL_INPUTS, **kwargs)
    ref_wcs, ref_shape = ref_optimal(OPTIMAL_INPUTS, **kwargs)
    assert list(wcs.wcs.ctype) == list(ref_wcs.wcs.ctype)
    assert np.allclose(np.abs(wcs.pixel_scale_matrix.diagonal()),
                       np.abs(ref_wcs.pixel_scale_matrix.diagonal()), rtol=1e-9)
    assert np.abs(wcs.wcs.crval - ref_wcs.wcs.crval).max() < 0.5 / 3600
    assert all(abs(a - b) <= 2 for a, b in zip(shape, ref_shape)), (shape, ref_shape)
    assert_outlines_inside(wcs, shape)


def assert_outlines_inside(wcs, shape):
    """Every input's outline lies inside the image of @wcs and @shape."""
    for in_shape, in_wcs in OPTIMAL_INPUTS:
        ny, nx = in_shape
        edge = np.linspace(-0.5, 1.0, 50)
        x = np.concatenate([edge * 0 - 0.5, edge * 0 + nx - 0.5, np.linspace(-0.5, nx - 0.5, 50), np.linspace(-0.5, nx - 0.5, 50)])
        y = np.concatenate([np.linspace(-0.5, ny - 0.5, 50), np.linspace(-0.5, ny - 0.5, 50), edge * 0 - 0.5, edge * 0 + ny - 0.5])
        ox, oy = wcs.world_to_pixel(in_wcs.pixel_to_world(x, y))
        assert ox.min() >= -0.5 - 1e-6 and ox.max() <= shape[1] - 0.5 + 1e-6
        assert oy.min() >= -0.5 - 1e-6 and oy.max() <= shape[0] - 0.5 + 1e-6


@pytest.mark.parametrize("frame", [None, "galactic"])
def test_find_optimal_celestial_wcs_reference(frame):
    # As reproject's with the same reference: CRVAL the reference (in the
    # result's frame), the shape within 2 pixels, the outlines inside; and
    # other than without it.
    from astropy.coordinates import SkyCoord
    from reproject.mosaicking import find_optimal_celestial_wcs as ref_optimal

    reference = SkyCoord(150.8, 30.1, unit="deg", frame="fk5")
    wcs, shape = tessera.find_optimal_celestial_wcs(OPTIMAL_INPUTS, frame=frame, reference=reference)
    ref_wcs, ref_shape = ref_optimal(OPTIMAL_INPUTS, frame=frame, reference=reference)
    assert list(wcs.wcs.ctype) == list(ref_wcs.wcs.ctype)
    assert np.abs(wcs.wcs.crval - ref_wcs.wcs.crval).max() < 1e-9
    assert all(abs(a - b) <= 2 for a, b in zip(shape, ref_shape)), (shape, ref_shape)
    assert_outlines_inside(wcs, shape)
    mean = tessera.find_optimal_celestial_wcs(OPTIMAL_INPUTS, frame=frame)
    assert np.abs(mean[0].wcs.crval - wcs.wcs.crval).max() > 0.01
    with pytest.raises(TypeError, match="SkyCoord"):
        tessera.find_optimal_celestial_wcs(OPTIMAL_INPUTS, reference=(150.8, 30.1))


def test_find_optimal_celestial_wcs_forms_and_errors(tmp_path):
    data = sky()
    path = write_file(tmp_path / "in.fits", data, WCS_IN.to_header(), extension=False)
    base = tessera.find_optimal_celestial_wcs([(data, WCS_IN)])
    for form in ([(data, WCS_IN.to_header())], [fits.PrimaryHDU(data, WCS_IN.to_header())], [str(path)], (data, WCS_IN)):
        got = tessera.find_optimal_celestial_wcs(form)
        assert got[1] == base[1] and np.allclose(got[0].wcs.crval, base[0].wcs.crval)
    auto = tessera.find_optimal_celestial_wcs(OPTIMAL_INPUTS, auto_rotate=True)
    plain = tessera.find_optimal_celestial_wcs(OPTIMAL_INPUTS)
    assert auto[1][0] * auto[1][1] < plain[1][0] * plain[1][1]
    with pytest.raises(ValueError, match="frame"):
        tessera.find_optimal_celestial_wcs(OPTIMAL_INPUTS, frame="nowhere")
    with pytest.raises(NotImplementedError, match="altaz"):
        tessera.find_optimal_celestial_wcs(OPTIMAL_INPUTS, frame="altaz")
    with pytest.raises(TypeError, match="resolution"):
        tessera.find_optimal_celestial_wcs(OPTIMAL_INPUTS, resolution=0.01)
    with pytest.raises(ValueError, match="projection"):
        tessera.find_optimal_celestial_wcs(OPTIMAL_INPUTS, projection="TANGENT")
    with pytest.raises(ValueError, match="2-dimensional"):
        tessera.find_optimal_celestial_wcs([((3, 200, 200), WCS_IN)])


@pytest.mark.parametrize("method", ["bilinear", "bicubic", "adaptive", "exact"])
def test_dask_return_type(tmp_path, method):
    # Lazy chunks computed by the plan's regions: the same bits as the
    # numpy result, any chunks, any dask threads; from arrays and files.
    import dask
    import dask.array as da

    data = sky(nan=method != "bicubic")
    call = {
        "bilinear": tessera.reproject_interp,
        "bicubic": lambda *a, **kw: tessera.reproject_interp(*a, order="bicubic", **kw),
        "adaptive": tessera.reproject_adaptive,
        "exact": tessera.reproject_exact,
    }[method]
    plain = call((data, WCS_IN), header_out("galactic-car"))
    path = write_file(tmp_path / "in.fits", data, WCS_IN.to_header(), extension=False)
    for input_data, block in (((data, WCS_IN), None), ((data, WCS_IN), (33, 47)), (str(path), (170, 20))):
        array, footprint = call(input_data, header_out("galactic-car"), return_type="dask", block_size=block)
        assert isinstance(array, da.Array) and isinstance(footprint, da.Array)
        if block:
            assert array.chunks[0][0] == block[0] and array.chunks[1][0] == block[1]
        with dask.config.set(scheduler="threads", num_workers=2):
            got, got_fp = dask.compute(array, footprint)
        assert np.array_equal(got, plain[0], equal_nan=True)
        assert np.array_equal(got_fp, plain[1])
    only = call((data, WCS_IN), header_out("galactic-car"), return_type="dask", return_footprint=False)
    assert isinstance(only, da.Array)
    assert np.array_equal(only[40:90, 10:100].compute(), plain[0][40:90, 10:100], equal_nan=True)


def test_dask_no_overlap_and_cube():
    import dask.array as da

    far = celestial_wcs(["RA---TAN", "DEC--TAN"], [10.0, -40.0], (50, 60), 0.01)
    array, footprint = tessera.reproject_interp((sky(), WCS_IN), far, shape_out=(50, 60), return_type="dask")
    assert np.isnan(array.compute()).all() and (footprint.compute() == 0).all()
    cube = np.stack([sky(), 2 * sky()])
    wcs3 = WCS(naxis=3)
    wcs3.wcs.ctype = ["RA---TAN", "DEC--TAN", "FREQ"]
    wcs3.wcs.crval = [150.0, 30.0, 1e9]
    wcs3.wcs.crpix = [100.5, 100.5, 1]
    wcs3.wcs.cdelt = [-0.01, 0.01, 1e6]
    plain = tessera.reproject_interp((cube, wcs3), header_out("rotated"))
    lazy = tessera.reproject_interp((cube, wcs3), header_out("rotated"), return_type="dask", block_size=(64, 64))
    assert isinstance(lazy[0], da.Array) and lazy[0].shape == (2, 180, 190)
    assert np.array_equal(lazy[0].compute(), plain[0], equal_nan=True)
    assert np.array_equal(lazy[1].compute(), plain[1])


def scratch_files():
    import glob
    import tempfile

    return sorted(glob.glob(os.path.join(tempfile.gettempdir(), "tessera-dask-*")))


def test_dask_array_input():
    # A dask array as input is written, chunk by chunk, to a scratch file,
    # which is reprojected as a file (in worker processes with parallel)
    # and removed after; the same bits as the numpy input.
    import dask.array as da

    before = scratch_files()
    data = sky(nan=True)
    lazy_in = da.from_array(data, chunks=(64, 48))
    for call in (tessera.reproject_adaptive, tessera.reproject_interp):
        plain = call((data, WCS_IN), header_out("rotated"))
        got = call((lazy_in, WCS_IN), header_out("rotated"))
        assert np.array_equal(got[0], plain[0], equal_nan=True)
        assert np.array_equal(got[1], plain[1])
    got = tessera.reproject_interp((lazy_in, WCS_IN), header_out("rotated"), parallel=2)
    assert np.array_equal(got[0], plain[0], equal_nan=True)
    assert scratch_files() == before
    # A dask result from a dask input keeps its scratch file while it lives.
    lazy = tessera.reproject_interp((lazy_in, WCS_IN), header_out("rotated"), return_type="dask")
    assert len(scratch_files()) == len(before) + 1
    assert np.array_equal(lazy[0].compute(), plain[0], equal_nan=True)
    del lazy
    import gc

    gc.collect()
    assert scratch_files() == before


@pytest.mark.parametrize("scheduler", ["threads", "synchronous", "processes"])
def test_dask_schedulers(scheduler):
    # dask's local schedulers, processes included (the plan is rebuilt in
    # each process from what the graph carries): the numpy result's bits.
    import dask
    import dask.array as da

    data = sky(nan=True)
    plain = tessera.reproject_interp((data, WCS_IN), header_out("galactic-car"), order="bicubic")
    for input_data in ((data, WCS_IN), (da.from_array(data, chunks=(100, 100)), WCS_IN)):
        lazy, lazy_fp = tessera.reproject_interp(
            input_data, header_out("galactic-car"), order="bicubic",
            return_type="dask", block_size=(40, 50),
        )
        with dask.config.set(scheduler=scheduler, num_workers=2):
            got, got_fp = dask.compute(lazy, lazy_fp)
        assert np.array_equal(got, plain[0], equal_nan=True)
        assert np.array_equal(got_fp, plain[1])


def test_threaded_chunks_at_once():
    # Eight dask threads computing chunks of one plan at the same time.
    import dask

    data = sky(nan=True)
    plain = tessera.reproject_exact((data, WCS_IN), header_out("rotated"))
    lazy = tessera.reproject_exact((data, WCS_IN), header_out("rotated"), return_type="dask",
                                   block_size=(23, 29))
    with dask.config.set(scheduler="threads", num_workers=8):
        got, got_fp = dask.compute(*lazy)
    assert np.array_equal(got, plain[0], equal_nan=True)
    assert np.array_equal(got_fp, plain[1])


def test_distributed_local_cluster():
    # A dask.distributed cluster of 2 worker processes with 2 threads
    # each computes the lazy result, from an array and from a dask input.
    import dask.array as da
    from distributed import Client, LocalCluster

    data = sky(nan=True)
    plain = tessera.reproject_adaptive((data, WCS_IN), header_out("rotated"))
    lazy = tessera.reproject_adaptive((data, WCS_IN), header_out("rotated"), return_type="dask",
                                      block_size=(45, 64))
    lazy_in = tessera.reproject_adaptive((da.from_array(data, chunks=(64, 64)), WCS_IN),
                                         header_out("rotated"), return_type="dask",
                                         block_size=(45, 64))
    with LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        got, got_fp = client.compute(list(lazy), sync=True)
        got_in = client.compute(lazy_in[0], sync=True)
    assert np.array_equal(got, plain[0], equal_nan=True)
    assert np.array_equal(got_fp, plain[1])
    assert np.array_equal(got_in, plain[0], equal_nan=True)


def test_large_dask_input_bounded_memory(tmp_path):
    # A 1 GiB dask input (16384 x 16384 float32) is never held whole: the
    # peak resident memory of the process that reprojects it stays far
    # below its size.
    import subprocess
    import sys

    script = tmp_path / "big.py"
    script.write_text(
        "import resource\n"
        "import numpy as np, dask.array as da\n"
        "from astropy.wcs import WCS\n"
        "import tessera\n"
        "n = 16384\n"
        "w = WCS(naxis=2)\n"
        "w.wcs.ctype = ['RA---TAN', 'DEC--TAN']\n"
        "w.wcs.crval = [150, 2]\n"
        "w.wcs.cdelt = [-1 / 3600, 1 / 3600]\n"
        "w.wcs.crpix = [n / 2 + 0.5, n / 2 + 0.5]\n"
        "data = da.fromfunction(lambda y, x: (x % 97 + y % 89).astype(np.float32),\n"
        "                       shape=(n, n), chunks=(1024, 4096), dtype=np.float32)\n"
        "t = w.deepcopy()\n"
        "t.wcs.cdelt = [-16 / 3600, 16 / 3600]\n"
        "t.wcs.crpix = [512.5, 512.5]\n"
        "out, fp = tessera.reproject_interp((data, w), t, shape_out=(1024, 1024))\n"
        "y, x = np.mgrid[0:1024, 0:1024]\n"
        "expect = ((16 * x + 7.5) % 97 + (16 * y + 7.5) % 89)\n"
        "inside = (((16 * x + 7.5) % 97) < 95) & (((16 * y + 7.5) % 89) < 87)\n"
        "err = np.nanmax(np.abs(out - expect)[inside])\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(f'{rss:.0f} {np.isfinite(out).mean():.4f} {err:.3g}')\n"
    )
    env = dict(os.environ, TMPDIR=str(tmp_path))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    rss, finite, err = (float(v) for v in done.stdout.split())
    print(f"1 GiB dask input: peak RSS {rss:.0f} MiB, finite {finite}, max error {err}")
    assert finite > 0.99 and err < 1e-3
    assert rss < 512, f"peak RSS {rss:.0f} MiB for a 1024 MiB input"
    assert not list(tmp_path.glob("tessera-dask-*"))


def test_plan_regions():
    # The low-level plan: any region, the same bits as the whole output;
    # regions outside are refused.
    data = sky(nan=True)
    from tessera._parse import parse_input_data

    _, header_in = parse_input_data((data, WCS_IN))
    text = header_out("rotated").tostring(sep="", endcard=False, padding=False)
    plan = tessera._tessera.Plan(text, (180, 190), data=data, header_in=header_in, options={"method": "bicubic"})
    whole, fp = plan.compute(0, 0, 190, 180)
    part, part_fp = plan.compute(17, 30, 101, 77)
    assert plan.nplanes == 1 and plan.dtype == np.float64
    assert np.array_equal(part[0], whole[0, 30:107, 17:118], equal_nan=True)
    assert np.array_equal(part_fp, fp[30:107, 17:118])
    with pytest.raises(ValueError, match="region"):
        plan.compute(100, 0, 100, 10)
    with pytest.raises(ValueError, match="unknown option colour"):
        tessera._tessera.Plan(text, (180, 190), data=data, header_in=header_in, options={"colour": 1})
    with pytest.raises(TypeError, match="path"):
        tessera._tessera.Plan(text, (180, 190))


def coadd_inputs(offsets=(0, 0, 0)):
    rng = np.random.default_rng(3)
    inputs = []
    for k, (centre, rotation) in enumerate((([149.9, 29.95], 10), ([150.1, 30.05], -25), ([150.0, 30.1], 40))):
        wcs = celestial_wcs(["RA---TAN", "DEC--TAN"], centre, (120, 130), 0.01, rotation)
        y, x = np.mgrid[:120, :130]
        data = 3 + np.sin(x / 9 + k) + 0.1 * rng.standard_normal((120, 130)) + offsets[k]
        inputs.append((data, wcs))
    return inputs


@pytest.mark.parametrize("combine", ["mean", "sum"])
@pytest.mark.parametrize("function", ["reproject_interp", "reproject_adaptive", "reproject_exact"])
def test_coadd_agrees(function, combine):
    # As reproject_and_coadd (1e-5; 1e-4, the C mosaic test's bar, for the
    # exact method, whose footprints in reproject stray by 1.2e-5 here),
    # identical NaN masks.
    from reproject.mosaicking import reproject_and_coadd as ref_coadd

    inputs = coadd_inputs()
    wcs, shape = tessera.find_optimal_celestial_wcs(inputs)
    ours = tessera.reproject_and_coadd(inputs, wcs, shape_out=shape, reproject_function=getattr(tessera, function), combine_function=combine)
    ref = ref_coadd(inputs, wcs, shape_out=shape, reproject_function=getattr(reproject, function), combine_function=combine)
    rtol = 1e-4 if function == "reproject_exact" else 1e-5
    assert_agrees(ours, ref, rtol=rtol, footprint_atol=2e-5 if function == "reproject_exact" else 0)
    # parallel threads and bands: the same bits.
    again = tessera.reproject_and_coadd(inputs, wcs, shape_out=shape, reproject_function=getattr(tessera, function),
                                        combine_function=combine, parallel=2, block_size=(17, 1000))
    assert np.array_equal(again[0], ours[0], equal_nan=True) and np.array_equal(again[1], ours[1])


def test_coadd_weights_options_and_files(tmp_path):
    from reproject.mosaicking import reproject_and_coadd as ref_coadd

    inputs = coadd_inputs()
    wcs, shape = tessera.find_optimal_celestial_wcs(inputs)
    y, x = np.mgrid[:120, :130]
    weights = [1 + x / 130.0, np.ones((120, 130)) * 0.5, 1 + y / 60.0]
    ours = tessera.reproject_and_coadd(inputs, wcs, shape_out=shape, input_weights=weights,
                                       reproject_function=tessera.reproject_interp, order="bicubic")
    ref = ref_coadd(inputs, wcs, shape_out=shape, input_weights=weights,
                    reproject_function=reproject.reproject_interp, order="bicubic")
    # (The mosaic's footprint, a sum of weights, is float32.)
    assert_agrees(ours, ref, rtol=1e-5, footprint_atol=2e-6)
    unweighted = tessera.reproject_and_coadd(inputs, wcs, shape_out=shape, reproject_function=tessera.reproject_interp, order="bicubic")
    assert not np.allclose(unweighted[0], ours[0], equal_nan=True)
    # Files (hdu_in) and an output array.
    paths = [write_file(tmp_path / f"in{k}.fits", d, w.to_header()) for k, (d, w) in enumerate(inputs)]
    out = np.zeros(shape)
    got = tessera.reproject_and_coadd([str(p) for p in paths], wcs, shape_out=shape, hdu_in=1, input_weights=weights,
                                      reproject_function=tessera.reproject_interp, order="bicubic", output_array=out)
    assert got[0] is out and np.array_equal(out, ours[0], equal_nan=True)


def test_coadd_match_background():
    # Offsets added to the inputs are found again and taken off.
    offsets = (0.0, 5.0, -3.0)
    plain = coadd_inputs()
    shifted = coadd_inputs(offsets)
    wcs, shape = tessera.find_optimal_celestial_wcs(plain)
    ref = tessera.reproject_and_coadd(plain, wcs, shape_out=shape, reproject_function=tessera.reproject_interp)
    got = tessera.reproject_and_coadd(shifted, wcs, shape_out=shape, reproject_function=tessera.reproject_interp,
                                      match_background=True, background_reference=0)
    finite = np.isfinite(ref[0])
    assert np.abs(got[0][finite] - ref[0][finite]).max() < 0.05
    raw = tessera.reproject_and_coadd(shifted, wcs, shape_out=shape, reproject_function=tessera.reproject_interp)
    assert np.abs(raw[0][finite] - ref[0][finite]).max() > 1


def test_coadd_bad_arguments():
    inputs = coadd_inputs()
    wcs, shape = tessera.find_optimal_celestial_wcs(inputs)
    with pytest.raises(ValueError, match="reproject_function"):
        tessera.reproject_and_coadd(inputs, wcs, shape_out=shape)
    with pytest.raises(NotImplementedError, match="reproject_function"):
        tessera.reproject_and_coadd(inputs, wcs, shape_out=shape, reproject_function=np.mean)
    with pytest.raises(ValueError, match="combine_function"):
        tessera.reproject_and_coadd(inputs, wcs, shape_out=shape, reproject_function=tessera.reproject_interp,
                                    combine_function="average")
    with pytest.raises(TypeError, match="kernel"):
        tessera.reproject_and_coadd(inputs, wcs, shape_out=shape, reproject_function=tessera.reproject_interp,
                                    kernel="hann")
    with pytest.raises(ValueError, match="input_weights"):
        tessera.reproject_and_coadd(inputs, wcs, shape_out=shape, reproject_function=tessera.reproject_exact,
                                    input_weights=[np.ones((120, 130))])
    with pytest.raises(ValueError, match="background_reference"):
        tessera.reproject_and_coadd(inputs, wcs, shape_out=shape, reproject_function=tessera.reproject_exact,
                                    background_reference=1)
