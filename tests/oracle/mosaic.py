"""mosaic.py — inputs and checks for tests/oracle/mosaic.test.

usage:
  mosaic.py tiles BIG OUTDIR OFFSETS     cut 4 overlapping tiles of BIG (with
                                         their WCS), adding OFFSETS[i] to tile i
  mosaic.py same-inside BIG MOSAIC RTOL  the mosaic equals BIG where covered,
                                         a 3-pixel border left out
  mosaic.py offsets PRINTED INJECTED REF the offsets printed by tessera equal
                                         the injected ones (relative to input
                                         REF, or to their mean when REF is -1)
                                         within 1e-3 of their size
  mosaic.py coadd OUT TARGET COMBINE IN...  reproject_and_coadd (bilinear); an
                                         input IMAGE:WEIGHTS has a weight image
  mosaic.py weights IN OUT               a smooth positive weight image for IN
  mosaic.py small OUTDIR                 hand-made 4x4 inputs on one grid
  mosaic.py check-small OUTDIR           every combination's pixels as
                                         computed by hand
"""
import sys

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS


def tiles(big, outdir, offsets):
    data = fits.getdata(big).astype(np.float32)
    w = WCS(fits.getheader(big))
    h, wd = data.shape
    offs = [float(v) for v in offsets.split(",")]
    # 2 x 2 tiles overlapping by about a fifth.
    xs = [(0, int(wd * 0.6)), (int(wd * 0.4), wd)]
    ys = [(0, int(h * 0.6)), (int(h * 0.4), h)]
    k = 0
    for y0, y1 in ys:
        for x0, x1 in xs:
            sub = w[y0:y1, x0:x1]
            hdr = sub.to_header()
            fits.writeto(f"{outdir}/tile{k}.fits", data[y0:y1, x0:x1] + np.float32(offs[k]),
                         hdr, overwrite=True)
            k += 1


def same_inside(big, mosaic, rtol):
    a = fits.getdata(big).astype(np.float64)[3:-3, 3:-3]
    b = fits.getdata(mosaic).astype(np.float64)[3:-3, 3:-3]
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.mean() < 0.99:
        print(f"  only {ok.mean():.4f} of the inside is finite in both")
        return 1
    floor = 1e-3 * np.median(np.abs(a[ok]))
    rel = np.abs(a[ok] - b[ok]) / np.maximum(np.abs(a[ok]), floor)
    print(f"  inside: finite {ok.mean():.4f}, max rel {rel.max():.3g}")
    return 0 if rel.max() <= float(rtol) else 1


def offsets(printed, injected, ref):
    got = np.array([float(line.split()[1]) for line in open(printed) if line.strip()])
    want = np.array([float(v) for v in injected.split(",")])
    ref = int(ref)
    want = want - (want[ref] if ref >= 0 else want.mean())
    size = np.abs(want).max()
    err = np.abs(got - want).max()
    print(f"  offsets {np.round(got, 6).tolist()} vs {want.tolist()}: max error {err:.3g} "
          f"({err / size:.2g} of the largest)")
    return 0 if err <= 1e-3 * size else 1


def coadd(out, target, combine, inputs):
    from reproject import reproject_interp
    from reproject.mosaicking import reproject_and_coadd
    hdr = fits.Header.fromtextfile(target)
    shape = (hdr["NAXIS2"], hdr["NAXIS1"])
    # "IMAGE:WEIGHTS" gives an input its weight image.
    images = [p.split(":")[0] for p in inputs]
    weights = [p.split(":")[1] for p in inputs if ":" in p]
    arr, fp = reproject_and_coadd([fits.open(p)[0] for p in images], WCS(hdr),
                                  shape_out=shape, reproject_function=reproject_interp,
                                  combine_function=combine,
                                  input_weights=[fits.open(w)[0] for w in weights] or None)
    fits.writeto(out, arr.astype(np.float64), WCS(hdr).to_header(), overwrite=True)
    return 0


# Hand-made: three 4x4 images on one grid (identity, nearest).
A = np.full((4, 4), 1.0, np.float32)
B = np.full((4, 4), 5.0, np.float32)
B[1, 1] = np.nan
C = np.full((4, 4), 3.0, np.float32)
C[:, 2:] = np.nan  # C covers the left half only


def small(outdir):
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [150.0, 2.0]
    w.wcs.crpix = [2.5, 2.5]
    w.wcs.cdelt = [-1 / 3600, 1 / 3600]
    hdr = w.to_header()
    for name, arr in (("a", A), ("b", B), ("c", C)):
        fits.writeto(f"{outdir}/{name}.fits", arr, hdr, overwrite=True)
    return 0


def check_small(outdir):
    stack = np.stack([A, B, C]).astype(np.float64)
    fin = np.isfinite(stack)
    want = {
        "mean": np.nanmean(stack, axis=0),
        "sum": np.nansum(stack, axis=0),
        "median": np.nanmedian(stack, axis=0),
        "min": np.nanmin(stack, axis=0),
        "max": np.nanmax(stack, axis=0),
        # first: A everywhere; last: C where it has a value, else B, else A.
        "first": A.astype(np.float64),
        "last": np.where(fin[2], C, np.where(fin[1], B, A)).astype(np.float64),
    }
    bad = 0
    for name, w in want.items():
        got = fits.getdata(f"{outdir}/small-{name}.fits").astype(np.float64)
        cov = fits.getdata(f"{outdir}/small-{name}.fits", 1)
        ok = np.allclose(got, w, rtol=1e-6, equal_nan=True)
        cov_ok = np.array_equal(cov, fin.sum(axis=0).astype(np.float32))
        print(f"  {name}: values {'ok' if ok else 'WRONG'}, coverage {'ok' if cov_ok else 'WRONG'}")
        if not ok:
            print(f"    got {got.tolist()}\n    want {w.tolist()}")
        bad += (not ok) + (not cov_ok)
    return 1 if bad else 0


def weights(inp, out):
    h = fits.getheader(inp)
    ny, nx = h["NAXIS2"], h["NAXIS1"]
    y, x = np.mgrid[0:ny, 0:nx]
    w = (0.2 + x / nx + 0.5 * (y / ny) ** 2).astype(np.float32)
    fits.writeto(out, w, WCS(h).to_header(), overwrite=True)
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "weights":
        return weights(*args)
    if cmd == "tiles":
        tiles(*args)
        return 0
    if cmd == "same-inside":
        return same_inside(*args)
    if cmd == "offsets":
        return offsets(*args)
    if cmd == "coadd":
        return coadd(args[0], args[1], args[2], args[3:])
    if cmd == "small":
        return small(*args)
    if cmd == "check-small":
        return check_small(*args)
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
