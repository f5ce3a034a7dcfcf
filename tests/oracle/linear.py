"""linear.py — images with a non-celestial (linear) WCS, for
tests/oracle/linear.test.

    linear.py make DIR
    linear.py compare OURS TARGET IN METHOD   against reproject 0.10
    linear.py flux OURS IN                    the exact method's sums

make writes lin.fits (80x60, CTYPE X/Y in mm, smooth), lin-nan.fits (with
NaN pixels), and targets: t.hdr (rotated by 0.3 rad, 0.9 times the pixel,
shifted), big.hdr (coarser and rotated, covering the whole input with a
margin), shift.hdr (the input's grid shifted by 3 and -2 pixels), and the
mismatches t-xz.hdr (axis types X/Z), t-m.hdr (units m), t-cel.hdr (a
celestial target).

compare: values within 1e-6 of the range, NaN masks identical
(reproject_interp for nearest, bilinear, bicubic; reproject_adaptive).
flux: on a target covering the input, sum(out * area_out) equals
sum(in * area_in) within 1e-6 relative, and the footprint sums to the
input's area.
"""
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS

warnings.simplefilter("ignore", AstropyWarning)


def write_header(h, path):
    h.tofile(path, sep="\n", endcard=True, padding=False, overwrite=True)


def make(d):
    h = fits.Header()
    h["NAXIS"], h["NAXIS1"], h["NAXIS2"] = 2, 80, 60
    h["CTYPE1"], h["CTYPE2"], h["CUNIT1"], h["CUNIT2"] = "X", "Y", "mm", "mm"
    h["CRVAL1"], h["CRVAL2"], h["CDELT1"], h["CDELT2"] = 0.0, 0.0, 0.1, 0.1
    h["CRPIX1"], h["CRPIX2"] = 40.5, 30.5
    y, x = np.mgrid[0:60, 0:80].astype(np.float64)
    data = np.sin(x / 6.0) * np.cos(y / 5.0) + 2.0 + 0.01 * x
    fits.PrimaryHDU(data.astype(np.float32), h).writeto(d + "/lin.fits", overwrite=True)
    nan = data.copy()
    nan[np.random.default_rng(4).random(nan.shape) < 0.01] = np.nan
    fits.PrimaryHDU(nan.astype(np.float32), h).writeto(d + "/lin-nan.fits", overwrite=True)

    def rotated(angle, scale, n1, n2, crpix1, crpix2, crval1):
        t = h.copy()
        t["NAXIS1"], t["NAXIS2"] = n1, n2
        t["CDELT1"] = t["CDELT2"] = 0.1 * scale
        t["CRPIX1"], t["CRPIX2"], t["CRVAL1"] = crpix1, crpix2, crval1
        c, s = np.cos(angle), np.sin(angle)
        t["PC1_1"], t["PC1_2"], t["PC2_1"], t["PC2_2"] = c, -s, s, c
        return t

    write_header(rotated(0.3, 0.9, 70, 64, 35.0, 33.0, 0.3), d + "/t.hdr")
    write_header(rotated(0.5, 2.3, 60, 60, 30.5, 30.5, 0.0), d + "/big.hdr")
    s = h.copy()
    s["CRPIX1"], s["CRPIX2"] = h["CRPIX1"] + 3, h["CRPIX2"] - 2
    write_header(s, d + "/shift.hdr")
    xz = h.copy()
    xz["CTYPE2"] = "Z"
    write_header(xz, d + "/t-xz.hdr")
    m = h.copy()
    m["CUNIT1"] = m["CUNIT2"] = "m"
    m["CDELT1"] = m["CDELT2"] = 1e-4
    write_header(m, d + "/t-m.hdr")
    cel = h.copy()
    cel["CTYPE1"], cel["CTYPE2"], cel["CUNIT1"], cel["CUNIT2"] = "RA---TAN", "DEC--TAN", "deg", "deg"
    cel["CDELT1"], cel["CDELT2"] = -1e-4, 1e-4
    write_header(cel, d + "/t-cel.hdr")


def read_target(path):
    with open(path) as f:
        return fits.Header.fromstring(f.read(), sep="\n")


def compare(ours_path, target, src, method):
    from reproject import reproject_adaptive, reproject_interp

    with fits.open(src) as h:
        if method == "adaptive":
            ref, _ = reproject_adaptive(h[0], read_target(target))
        else:
            order = {"nearest": "nearest-neighbor"}.get(method, method)
            ref, _ = reproject_interp(h[0], read_target(target), order=order)
    ours = fits.getdata(ours_path).astype(np.float64)
    m = np.isfinite(ours) & np.isfinite(ref)
    only_ref = int((np.isfinite(ours) & ~np.isfinite(ref)).sum())
    only_ours = int((~np.isfinite(ours) & np.isfinite(ref)).sum())
    span = np.nanmax(ref) - np.nanmin(ref)
    err = float(np.max(np.abs(ours - ref)[m]) / span) if m.any() else 0.0
    print("%s: %d values, max difference %.3g of the range; NaN only in ours %d, only in "
          "reproject's %d" % (method, int(m.sum()), err, only_ours, only_ref))
    # reproject's bilinear is NaN next to a NaN of no weight too.
    allowed = ours.size // 100 if method == "bilinear" else 0
    if only_ours or only_ref > allowed or not err <= 1e-6 or m.sum() < ours.size // 3:
        print("FAIL: %s differs from reproject" % method)
        return 1
    return 0


def flux(ours_path, src):
    with fits.open(ours_path) as h:
        out = np.asarray(h[0].data, dtype=np.float64)
        fp = np.asarray(h["FOOTPRINT"].data, dtype=np.float64)
        wout = WCS(h[0].header)
    with fits.open(src) as h:
        data = np.asarray(h[0].data, dtype=np.float64)
        win = WCS(h[0].header)
    a_out = abs(np.linalg.det(wout.pixel_scale_matrix))
    a_in = abs(np.linalg.det(win.pixel_scale_matrix))
    total_in = np.nansum(data) * a_in
    # Mean value times covered area = the flux in each output pixel.
    total_out = np.nansum(out * fp) * a_out
    area = fp.sum() * a_out
    e1 = abs(total_out - total_in) / abs(total_in)
    e2 = abs(area - data.size * a_in) / (data.size * a_in)
    print("flux in %.9g, out %.9g (rel %.3g); covered area %.9g of %.9g (rel %.3g)"
          % (total_in, total_out, e1, area, data.size * a_in, e2))
    return 0 if e1 <= 1e-6 and e2 <= 1e-9 else 1


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "make":
        make(a[1])
    elif len(a) == 5 and a[0] == "compare":
        sys.exit(compare(*a[1:]))
    elif len(a) == 3 and a[0] == "flux":
        sys.exit(flux(*a[1:]))
    else:
        sys.exit(__doc__)
