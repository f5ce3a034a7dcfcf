#!/usr/bin/python3
"""The exact (flux-conserving) reprojection of a TAN image, computed
independently, and the verdict on the peers: for exact-small-pixels.test.

usage: exact_truth.py truth INPUT TARGET OUT
       exact_truth.py judge INPUT TARGET TRUTH OURS MONTAGE

truth:

Pixels are quadrilaterals with great-circle edges between their corners.
In the gnomonic plane of a TAN input without distortion, great circles are
straight lines, so the input pixels are unit squares of its pixel plane
and each output pixel is the quadrilateral through its four corners
mapped there (astropy's exact transforms).  Each output pixel is clipped
against every input pixel it meets (convex polygons, half-plane by
half-plane); the solid angle of each piece is its area times the density
of the gnomonic projection, (1 + x² + y²)^(-3/2) in radians of the
intermediate plane, at the piece's centroid (its error, second order in
the pixel size, is ~1e-9 relative for arcsecond pixels).  OUT gets the
solid-angle-weighted mean of the input values (primary HDU) and the
fraction of the output pixel's solid angle covered (extension FOOTPRINT),
in float64.

judge: compares Tessera's output OURS, mProjectPP's MONTAGE (its coverage
in MONTAGE_area.fits) and reproject_exact's (computed here) with TRUTH.
Differences are relative to the true value, floored at 1e-3 of the median
|value| (values cross zero).  Prints the figures and fails (exit 1) unless
Tessera is within 2e-7 of the truth on every pixel it covers wholly, its
footprint within 1e-7 of the true coverage on every pixel, and — where
mProjectPP and reproject_exact differ by more than 1e-5 on pixels both
cover wholly (at least 50 such pixels must exist) — mProjectPP is the
closer to the truth at 95 % of them or more, its median error there at
least 5 times smaller than reproject_exact's.
"""
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning

warnings.simplefilter("ignore", FITSFixedWarning)


def clip(poly, axis, value, keep_below):
    """Sutherland-Hodgman: the part of a convex polygon (list of (x, y))
    on one side of the line coordinate[axis] = value."""
    out = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        pin = (p[axis] <= value) if keep_below else (p[axis] >= value)
        qin = (q[axis] <= value) if keep_below else (q[axis] >= value)
        if pin:
            out.append(p)
        if pin != qin:
            t = (value - p[axis]) / (q[axis] - p[axis])
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def area_centroid(poly):
    a = cx = cy = 0.0
    n = len(poly)
    for i in range(n):
        x0, y0 = poly[i]
        x1, y1 = poly[(i + 1) % n]
        c = x0 * y1 - x1 * y0
        a += c
        cx += (x0 + x1) * c
        cy += (y0 + y1) * c
    if a == 0.0:
        return 0.0, 0.0, 0.0
    return abs(a) / 2.0, cx / (3.0 * a), cy / (3.0 * a)


def read_target(path):
    with open(path) as f:
        return fits.Header.fromstring(f.read(), sep="\n")


def truth(src, target, out):
    with fits.open(src) as h:
        data = np.asarray(h[0].data, dtype=np.float64)
        win = WCS(h[0].header).celestial
    if not all(c.endswith("-TAN") for c in win.wcs.ctype) or win.sip is not None:
        sys.exit("exact_truth.py: the input must be TAN without distortion")
    th = read_target(target)
    wout = WCS(th).celestial
    nx, ny = th["NAXIS1"], th["NAXIS2"]
    # Input pixel → intermediate plane (radians), for the density.
    cd = win.pixel_scale_matrix * np.pi / 180.0
    crpix = win.wcs.crpix - 1.0

    def density(px, py):
        x = cd[0, 0] * (px - crpix[0]) + cd[0, 1] * (py - crpix[1])
        y = cd[1, 0] * (px - crpix[0]) + cd[1, 1] * (py - crpix[1])
        return (1.0 + x * x + y * y) ** -1.5

    det = abs(np.linalg.det(cd))
    # Output pixel corners → input pixels.
    gx, gy = np.meshgrid(np.arange(nx + 1) - 0.5, np.arange(ny + 1) - 0.5)
    sky = wout.pixel_to_world_values(gx.ravel(), gy.ravel())
    ix, iy = win.world_to_pixel_values(*sky)
    ix = ix.reshape(gy.shape)
    iy = iy.reshape(gy.shape)
    value = np.full((ny, nx), np.nan)
    cover = np.zeros((ny, nx))
    h_in, w_in = data.shape
    for j in range(ny):
        for i in range(nx):
            quad = [(ix[j, i], iy[j, i]), (ix[j, i + 1], iy[j, i + 1]),
                    (ix[j + 1, i + 1], iy[j + 1, i + 1]), (ix[j + 1, i], iy[j + 1, i])]
            xs = [p[0] for p in quad]
            ys = [p[1] for p in quad]
            # The output pixel's own solid angle, by the same rule over
            # its whole quadrilateral.
            a, cx, cy = area_centroid(quad)
            total = a * density(cx, cy) * det
            wsum = vsum = 0.0
            for m in range(max(0, int(np.floor(min(ys) + 0.5))),
                           min(h_in, int(np.floor(max(ys) + 0.5)) + 1)):
                for k in range(max(0, int(np.floor(min(xs) + 0.5))),
                               min(w_in, int(np.floor(max(xs) + 0.5)) + 1)):
                    p = quad
                    p = clip(p, 0, k - 0.5, False)
                    p = clip(p, 0, k + 0.5, True) if p else p
                    p = clip(p, 1, m - 0.5, False) if p else p
                    p = clip(p, 1, m + 0.5, True) if p else p
                    if len(p) < 3:
                        continue
                    pa, pcx, pcy = area_centroid(p)
                    w = pa * density(pcx, pcy) * det
                    wsum += w
                    vsum += w * data[m, k]
            if wsum > 0.0:
                value[j, i] = vsum / wsum
                cover[j, i] = wsum / total
    hdr = wout.to_header()
    fits.HDUList([fits.PrimaryHDU(value, hdr),
                  fits.ImageHDU(cover, hdr, name="FOOTPRINT")]).writeto(out, overwrite=True)


def judge(src, target, truth_path, ours_path, montage_path):
    from reproject import reproject_exact

    tv = fits.getdata(truth_path).astype(np.float64)
    tc = fits.getdata(truth_path, "FOOTPRINT").astype(np.float64)
    with fits.open(ours_path) as h:
        ours = np.asarray(h[0].data, dtype=np.float64)
        ofp = np.asarray(h["FOOTPRINT"].data, dtype=np.float64)
    mont = fits.getdata(montage_path).astype(np.float64)
    marea = fits.getdata(montage_path[:-5] + "_area.fits").astype(np.float64)
    with fits.open(src) as h:
        rep, rfp = reproject_exact(h[0], read_target(target))
    whole = tc > 1.0 - 1e-9
    both = whole & (marea >= 0.9999 * marea.max()) & np.isfinite(rep)
    scale = np.median(np.abs(tv[whole]))
    den = np.maximum(np.abs(tv), 1e-3 * scale)
    e_ours = np.abs(ours - tv) / den
    e_mont = np.abs(mont - tv) / den
    e_rep = np.abs(rep - tv) / den
    ok = True
    worst = float(np.max(e_ours[whole]))
    fp_worst = float(np.max(np.abs(ofp - tc)))
    print("tessera: max error %.3g (median %.3g) over %d whole pixels; footprint "
          "within %.3g of the coverage" % (worst, np.median(e_ours[whole]), whole.sum(), fp_worst))
    print("reproject_exact: max error %.3g, footprint within %.3g; mProjectPP: max "
          "error %.3g" % (np.max(e_rep[both]), np.nanmax(np.abs(rfp - tc)), np.max(e_mont[both])))
    if not worst <= 2e-7:
        print("FAIL: tessera's error exceeds 2e-7")
        ok = False
    if not fp_worst <= 1e-7:
        print("FAIL: tessera's footprint differs from the coverage by more than 1e-7")
        ok = False
    sel = both & (np.abs(mont - rep) / den > 1e-5)
    n = int(sel.sum())
    if n < 50:
        print("FAIL: mProjectPP and reproject_exact differ by more than 1e-5 at only %d pixels" % n)
        return 1
    closer = float(np.mean(e_mont[sel] < e_rep[sel]))
    med_m, med_r = float(np.median(e_mont[sel])), float(np.median(e_rep[sel]))
    print("where mProjectPP and reproject_exact differ by more than 1e-5 (%d pixels): "
          "mProjectPP is the closer to the truth at %.1f %% of them; median errors "
          "there: mProjectPP %.3g, reproject_exact %.3g, tessera %.3g"
          % (n, 100 * closer, med_m, med_r, np.median(e_ours[sel])))
    if closer < 0.95 or not med_r >= 5 * med_m:
        print("FAIL: mProjectPP is not the right one where they differ")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "truth":
        truth(*sys.argv[2:])
    elif len(sys.argv) == 7 and sys.argv[1] == "judge":
        sys.exit(judge(*sys.argv[2:]))
    else:
        sys.exit(__doc__)
