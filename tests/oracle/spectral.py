"""spectral.py — spectral cubes for tests/oracle/spectral.test.

    spectral.py make DIR                 inputs and targets in DIR
    spectral.py compare OURS TARGET IN METHOD   against reproject_interp
    spectral.py analytic OURS TARGET     planes of a cube linear in frequency

make writes cube.fits (40x36x30, FREQ axis, RESTFRQ, SPECSYS LSRK; smooth
in every axis), cube-nan.fits (the same with NaN pixels), lin.fits (the
value of every pixel is 1 + 2e-9 (f - 1.42e9), f its frequency in Hz) and
the targets: t-freq.hdr (another frequency grid, shifted and coarser, that
runs past the input's end), t-vrad.hdr (radio velocity in km/s), t-vopt.hdr
(optical velocity), t-wave.hdr (vacuum wavelength in m), t-far.hdr (a
frequency grid the input does not reach), t-time.hdr (a TIME axis),
t-lsrk.hdr (t-freq with SPECSYS BARYCENT).

compare: the cube reprojected by reproject 0.10 (all three axes at once)
against ours: values within 1e-6 of the data's range; NaN masks identical,
except that reproject's bilinear is also NaN next to a NaN of no weight
(up to 1 % of the pixels).  analytic (for the methods linear along the axis: bilinear, adaptive,
exact): each output plane at world coordinate w must hold
1 + 2e-9 (f(w) - 1.42e9), f(w) the frequency of w by the radio, optical or
wavelength relation, computed here independently (within 1e-9 relative,
where finite; and planes beyond the input's range NaN).
"""
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning

warnings.simplefilter("ignore", AstropyWarning)

C = 299792458.0
F0 = 1.420405752e9


def base_header():
    h = fits.Header()
    h["NAXIS"] = 3
    h["NAXIS1"], h["NAXIS2"], h["NAXIS3"] = 40, 36, 30
    h["CTYPE1"], h["CTYPE2"], h["CTYPE3"] = "RA---TAN", "DEC--TAN", "FREQ"
    h["CRVAL1"], h["CRVAL2"], h["CRVAL3"] = 150.0, 2.0, 1.42e9
    h["CDELT1"], h["CDELT2"], h["CDELT3"] = -0.001, 0.001, 1.0e5
    h["CRPIX1"], h["CRPIX2"], h["CRPIX3"] = 20.5, 18.5, 15.0
    h["CUNIT1"], h["CUNIT2"], h["CUNIT3"] = "deg", "deg", "Hz"
    h["RESTFRQ"] = F0
    h["SPECSYS"] = "LSRK"
    return h


def write_header(h, path):
    h.tofile(path, sep="\n", endcard=True, padding=False, overwrite=True)


def make(d):
    h = base_header()
    z, y, x = np.mgrid[0:30, 0:36, 0:40].astype(np.float64)
    data = np.sin(x / 5.0) * np.cos(y / 7.0) + 0.3 * np.sin(z / 3.0) + 0.01 * z * x / 40 + 2.0
    fits.PrimaryHDU(data.astype(np.float32), h).writeto(d + "/cube.fits", overwrite=True)
    rng = np.random.default_rng(3)
    nan = data.copy()
    nan[rng.random(nan.shape) < 0.01] = np.nan
    fits.PrimaryHDU(nan.astype(np.float32), h).writeto(d + "/cube-nan.fits", overwrite=True)
    f = h["CRVAL3"] + (z + 1 - h["CRPIX3"]) * h["CDELT3"]
    lin = 1.0 + 2e-9 * (f - 1.42e9) + 0.0 * x
    hd = h.copy()
    hd["BITPIX"] = -64
    fits.PrimaryHDU(lin, hd).writeto(d + "/lin.fits", overwrite=True)

    t = h.copy()
    t["CRVAL1"], t["CRPIX1"], t["NAXIS1"], t["NAXIS2"] = 150.002, 18.0, 34, 30
    t["CRVAL3"], t["CDELT3"], t["CRPIX3"], t["NAXIS3"] = 1.4203e9, 1.3e5, 1.0, 16
    write_header(t, d + "/t-freq.hdr")
    s = t.copy()
    s["SPECSYS"] = "BARYCENT"
    write_header(s, d + "/t-lsrk.hdr")
    far = t.copy()
    far["CRVAL3"] = 1.5e9
    write_header(far, d + "/t-far.hdr")
    tm = t.copy()
    tm["CTYPE3"], tm["CUNIT3"], tm["CRVAL3"], tm["CDELT3"] = "TIME", "s", 0.0, 1.0
    write_header(tm, d + "/t-time.hdr")
    # Velocities across the input's frequencies (1.41855e9 … 1.42155e9 Hz)
    # and past their low end.
    v = t.copy()
    v["CTYPE3"], v["CUNIT3"] = "VRAD", "km/s"
    v["CRVAL3"], v["CDELT3"], v["CRPIX3"], v["NAXIS3"] = -220.0, 25.0, 1.0, 34
    write_header(v, d + "/t-vrad.hdr")
    o = v.copy()
    o["CTYPE3"] = "VOPT"
    write_header(o, d + "/t-vopt.hdr")
    w = t.copy()
    w["CTYPE3"], w["CUNIT3"] = "WAVE", "m"
    w["CRVAL3"], w["CDELT3"], w["CRPIX3"], w["NAXIS3"] = 0.21085, 2.0e-5, 1.0, 22
    write_header(w, d + "/t-wave.hdr")


def read_target(path):
    with open(path) as f:
        return fits.Header.fromstring(f.read(), sep="\n")


def compare(ours_path, target, src, method):
    from reproject import reproject_interp

    order = {"nearest": "nearest-neighbor"}.get(method, method)
    with fits.open(src) as h:
        ref, _ = reproject_interp(h[0], read_target(target), order=order)
    ours = fits.getdata(ours_path).astype(np.float64)
    if ours.shape != ref.shape:
        print("FAIL: shape %s, reproject's %s" % (ours.shape, ref.shape))
        return 1
    # reproject's bilinear is NaN wherever a NaN lies among the 2x2x2
    # neighbours, even with no weight; ours only where it has weight.
    extra = int((np.isfinite(ours) & ~np.isfinite(ref)).sum())
    mism = int((~np.isfinite(ours) & np.isfinite(ref)).sum())
    m = np.isfinite(ours) & np.isfinite(ref)
    span = np.nanmax(ref) - np.nanmin(ref)
    err = float(np.max(np.abs(ours - ref)[m]) / span) if m.any() else 0.0
    print("%s: %d values compared, max difference %.3g of the range; NaN only in "
          "ours: %d, only in reproject's: %d"
          % (method, int(m.sum()), err, mism, extra))
    allowed = ours.size // 100 if method == "bilinear" else 0
    if mism or extra > allowed or not err <= 1e-6 or m.sum() < ours.size // 3:
        print("FAIL: %s differs from reproject_interp" % method)
        return 1
    return 0


def analytic(ours_path, target):
    t = read_target(target)
    ours = fits.getdata(ours_path).astype(np.float64)
    ctype, unit = t["CTYPE3"][:4], t.get("CUNIT3", "")
    s = np.arange(t["NAXIS3"], dtype=np.float64)
    w = t["CRVAL3"] + (s + 1 - t["CRPIX3"]) * t["CDELT3"]
    w *= {"km/s": 1e3, "m/s": 1.0, "m": 1.0, "Hz": 1.0}[unit]
    if ctype == "VRAD":
        f = F0 * (1 - w / C)
    elif ctype == "VOPT":
        f = F0 / (1 + w / C)
    elif ctype == "WAVE":
        f = C / w
    else:
        f = w
    expect = 1.0 + 2e-9 * (f - 1.42e9)
    # Inside the input's frequencies (its planes ± half a plane).
    fmin, fmax = 1.42e9 - 14.5e5, 1.42e9 + 15.5e5
    inside = (f >= fmin + 1.0) & (f <= fmax - 1.0)
    outside = (f < fmin - 1.0) | (f > fmax + 1.0)
    bad = 0
    for k in range(len(s)):
        plane = ours[k]
        if inside[k]:
            fin = plane[np.isfinite(plane)]
            if fin.size < plane.size // 3:
                print("FAIL: plane %d (f = %.6g Hz) is mostly NaN" % (k, f[k]))
                bad += 1
                continue
            e = float(np.max(np.abs(fin - expect[k]) / expect[k]))
            if not e <= 1e-9:
                print("FAIL: plane %d (f = %.6g Hz): error %.3g" % (k, f[k], e))
                bad += 1
        elif outside[k] and np.isfinite(plane).any():
            print("FAIL: plane %d (f = %.6g Hz) lies outside the input but has values" % (k, f[k]))
            bad += 1
    print("%s: %d planes inside the input checked, %d outside; %d bad"
          % (ctype, int(inside.sum()), int(outside.sum()), bad))
    if inside.sum() < 5 or outside.sum() < 1:
        print("FAIL: the target does not cover both sides")
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "make":
        make(a[1])
    elif len(a) == 5 and a[0] == "compare":
        sys.exit(compare(*a[1:]))
    elif len(a) == 3 and a[0] == "analytic":
        sys.exit(analytic(*a[1:]))
    else:
        sys.exit(__doc__)
