"""HEALPix helpers of the oracle tests (tests/oracle/healpix.test).

Run with the interpreter that has astropy, reproject, astropy-healpix and
healpy (Debian: /usr/bin/python3).  Subcommands:

  make-map OUT --nside N --order ring|nested --coordsys G|C [--partial]
           [--rows-of K] [--fields K] [--nan-fraction F] [--constant C]
           [--unseen]
      a map of a smooth function of (lon, lat), written by healpy
      (implicit, or explicit indexing with --partial: a cap of the sky);
      --rows-of K writes K values per row, as Planck maps (1024); --fields
      K writes K columns, the map times 1 … K
  from-healpix OUT MAP TARGET ORDER [--field K]
                                      reproject_from_healpix onto TARGET
  to-healpix OUT IMAGE FRAME NSIDE ORDER [--nested]
                                      reproject_to_healpix, written as a
                                      HEALPix table by healpy
  make-bad OUT GOOD KIND  a broken copy of map GOOD: no-pixtype, nside
                          (100), rows (a row fewer), ordering, coordsys
  compare OURS REF --label L [--rtol R] [--max-mismatch N] [--zero-weight Z]
      values: exact equality (--rtol 0) or relative difference <= R where
      both are finite; masks equal except at most N pixels, and Z where
      ours is finite and the reference NaN; --subset: ours may be NaN
      where the reference is not
  compare-map OURS REF ...             the same for two HEALPix maps (read
                                      with healpy.read_map)
  analytic MAP                        prints the integral of the map
  check-flux OUT MAP [--rtol R]        sum of value x pixel solid angle of an
                                      image covering the whole sky against
                                      the map's integral
  check-flux-to MAP IMAGE [--rtol R]   the flux of a map made by to-healpix
                                      --method exact against the image's
  check-footprint OUT [--tol T]        footprint 1 wherever there is a value
  check-const OUT VALUE [--rtol R] [--map] [--footprint-min F]
"""

import argparse
import sys
import warnings

import numpy as np
from astropy.io import fits

warnings.simplefilter("ignore")


def analytic(lon, lat):
    """The test function, smooth on the sphere (degrees in)."""
    lo = np.radians(lon)
    la = np.radians(lat)
    x, y, z = np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)
    return 2.0 + 0.6 * x + 0.3 * y * z + 0.5 * z * z + 0.2 * x * y


def load_target(path):
    from astropy.wcs import WCS

    if path.endswith(".hdr"):
        header = fits.Header.fromtextfile(path)
    else:
        header = fits.getheader(path)
    return WCS(header).celestial, (header["NAXIS2"], header["NAXIS1"])


def cmd_make_map(a):
    import healpy
    from astropy_healpix import HEALPix

    nested = a.order == "nested"
    hp = HEALPix(nside=a.nside, order=a.order)
    lon, lat = hp.healpix_to_lonlat(np.arange(hp.npix))
    values = analytic(lon.deg, lat.deg)
    if a.constant is not None:
        values[:] = a.constant
    rng = np.random.default_rng(a.seed)
    bad = rng.random(hp.npix) < a.nan_fraction
    values[bad] = healpy.UNSEEN if a.unseen else np.nan
    coord = a.coordsys
    if a.fields > 1:
        # Several columns (as I, Q, U): field k is the map times k + 1.
        maps = [values * (k + 1) for k in range(a.fields)]
        healpy.write_map(a.out, maps, nest=nested, coord=coord,
                         overwrite=True, dtype=[np.float64] * a.fields)
    elif a.partial:
        # A cap of the sky, explicitly indexed (healpy's partial maps).
        values[lat.deg < a.partial_lat] = healpy.UNSEEN
        healpy.write_map(a.out, values, nest=nested, coord=coord,
                         partial=True, overwrite=True, dtype=np.float64)
    elif a.rows_of > 1:
        col = fits.Column(name="TEMPERATURE", format=f"{a.rows_of}E",
                          array=values.astype(np.float32).reshape(-1, a.rows_of))
        hdu = fits.BinTableHDU.from_columns([col])
        h = hdu.header
        h["PIXTYPE"] = "HEALPIX"
        h["ORDERING"] = "NESTED" if nested else "RING"
        h["COORDSYS"] = coord
        h["NSIDE"] = a.nside
        h["FIRSTPIX"] = 0
        h["LASTPIX"] = hp.npix - 1
        h["INDXSCHM"] = "IMPLICIT"
        fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(a.out, overwrite=True)
    else:
        healpy.write_map(a.out, values, nest=nested, coord=coord,
                         overwrite=True, dtype=np.float64)


def read_map(path, field=0):
    """(values with NaN for UNSEEN, nested, frame letter) of a map."""
    import healpy

    header = fits.getheader(path, 1)
    nested = header["ORDERING"].strip().upper().startswith("NEST")
    values = healpy.read_map(path, nest=nested, dtype=np.float64, field=field)
    values = np.where(values == healpy.UNSEEN, np.nan, values)
    return values, nested, header["COORDSYS"].strip()


def cmd_from_healpix(a):
    from reproject import reproject_from_healpix

    values, nested, coord = read_map(a.map, a.field)
    wcs, shape = load_target(a.target)
    order = {"nearest": "nearest-neighbor", "bilinear": "bilinear"}[a.order]
    data, _ = reproject_from_healpix((values, coord), wcs, shape_out=shape,
                                     order=order, nested=nested)
    # Where the target has no world position reproject indexes pixel -1:
    # NaN there, as tessera gives.
    yy, xx = np.indices(shape)
    lon, _ = wcs.wcs_pix2world(xx, yy, 0)
    data = np.where(np.isfinite(lon), data, np.nan)
    fits.writeto(a.out, data, wcs.to_header(), overwrite=True)


def cmd_to_healpix(a):
    import healpy
    from reproject import reproject_to_healpix

    with fits.open(a.image) as hdul:
        hdu = hdul[0]
        order = {"nearest": "nearest-neighbor", "bilinear": "bilinear"}[a.order]
        data, _ = reproject_to_healpix((hdu.data, hdu.header), a.frame,
                                       nside=a.nside, order=order,
                                       nested=a.nested)
    coord = {"galactic": "G", "icrs": "C", "ecliptic": "E"}[a.frame]
    healpy.write_map(a.out, data, nest=a.nested, coord=coord, overwrite=True,
                     dtype=np.float64)


def cmd_make_bad(a):
    """A broken copy of a good map: KIND says what is wrong."""
    with fits.open(a.good) as hdul:
        prim, tab = hdul[0].copy(), hdul[1].copy()
    h = tab.header
    if a.kind == "no-pixtype":
        del h["PIXTYPE"]
    elif a.kind == "nside":
        h["NSIDE"] = 100
    elif a.kind == "rows":
        tab = fits.BinTableHDU(tab.data[:-1], header=h)
    elif a.kind == "ordering":
        h["ORDERING"] = "SPIRAL"
    elif a.kind == "coordsys":
        h["COORDSYS"] = "X"
    else:
        raise SystemExit(f"unknown kind {a.kind}")
    fits.HDUList([prim, tab]).writeto(a.out, overwrite=True)


def quad_solid_angles(wcs, shape):
    """Solid angle of each pixel of an image: the quadrilateral with
    great-circle sides between its corners (two spherical triangles)."""
    ny, nx = shape
    yy, xx = np.indices((ny + 1, nx + 1)) - 0.5
    lon, lat = wcs.wcs_pix2world(xx, yy, 0)
    lo, la = np.radians(lon), np.radians(lat)
    v = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1)
    a, b, c, d = v[:-1, :-1], v[:-1, 1:], v[1:, 1:], v[1:, :-1]

    def tri(p, q, r):
        num = np.einsum("...i,...i", p, np.cross(q, r))
        den = 1 + np.einsum("...i,...i", p, q) + np.einsum("...i,...i", q, r) \
            + np.einsum("...i,...i", r, p)
        return np.abs(2 * np.arctan2(num, den))

    return tri(a, b, c) + tri(a, c, d)


def cmd_check_flux_to(a):
    """A map made by to-healpix --method exact keeps the image's flux:
    sum(value x footprint x pixel area) = sum over the image of value x
    pixel solid angle (finite pixels)."""
    from astropy.wcs import WCS
    import healpy

    with fits.open(a.image) as hdul:
        data = hdul[0].data.astype(np.float64)
        wcs = WCS(hdul[0].header).celestial
    omega = quad_solid_angles(wcs, data.shape)
    want = np.nansum(np.where(np.isfinite(data), data * omega, 0.0))
    values = healpy.read_map(a.map, field=0, dtype=np.float64)
    fp = healpy.read_map(a.map, field=1, dtype=np.float64)
    got = np.nansum(np.where(np.isfinite(values), values * fp, 0.0)) \
        * 4 * np.pi / values.size
    rel = abs(got - want) / abs(want)
    print(f"flux: map {got:.12g}, image {want:.12g}, relative difference "
          f"{rel:.3g} (allowed {a.rtol:g})")
    return 1 if rel > a.rtol else 0


def masks_and_values(ours, ref, label, rtol, max_mismatch, zero_weight=0,
                     subset=False):
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if ours.shape != ref.shape:
        print(f"{label}: shapes differ: {ours.shape} vs {ref.shape}")
        return 1
    fo, fr = np.isfinite(ours), np.isfinite(ref)
    # Values where reproject has NaN and tessera not: a NaN neighbour of
    # weight 0 (allowed up to zero_weight).
    extra = int(np.sum(fo & ~fr))
    if zero_weight:
        print(f"{label}: {extra} pixels finite here where the reference is "
              f"NaN (a NaN neighbour of zero weight; allowed {zero_weight})")
    mismatch = int(np.sum(fo != fr)) - min(extra, zero_weight)
    if subset:
        # Ours covers part of the reference only: NaN where it has a value
        # is fine.
        mismatch -= int(np.sum(~fo & fr))
    both = fo & fr
    if rtol == 0:
        diff = int(np.sum(ours[both] != ref[both]))
        worst = float(np.max(np.abs(ours[both] - ref[both]))) if diff else 0.0
        print(f"{label}: {both.sum()} finite in both, {diff} values differ "
              f"(largest {worst:.3g}), {mismatch} NaN-mask differences")
        bad = diff + mismatch > max_mismatch
    else:
        rel = np.abs(ours[both] - ref[both]) / np.maximum(np.abs(ref[both]), 1e-30)
        worst = float(rel.max()) if rel.size else 0.0
        print(f"{label}: {both.sum()} finite in both, largest relative "
              f"difference {worst:.3g} (allowed {rtol:g}), {mismatch} "
              f"NaN-mask differences (allowed {max_mismatch})")
        bad = worst > rtol or mismatch > max_mismatch
    if both.sum() == 0:
        print(f"{label}: no pixel is finite in both")
        return 1
    return 1 if bad else 0


def cmd_compare(a):
    ours = fits.getdata(a.ours, 0)
    ref = fits.getdata(a.ref, 0)
    return masks_and_values(ours, ref, a.label, a.rtol, a.max_mismatch,
                            a.zero_weight)


def cmd_compare_map(a):
    ours, on, oc = read_map(a.ours)
    ref, rn, rc = read_map(a.ref)
    if on != rn or oc.upper()[:1] != rc.upper()[:1]:
        print(f"{a.label}: ordering or frame differ: {on} {oc} vs {rn} {rc}")
        return 1
    return masks_and_values(ours, ref, a.label, a.rtol, a.max_mismatch,
                            a.zero_weight, a.subset)


def pixel_solid_angles(wcs, shape):
    """Solid angle of each pixel of a CAR image (exact for CAR)."""
    ny, nx = shape
    yy, xx = np.indices((ny + 1, nx + 1)) - 0.5
    lon, lat = wcs.wcs_pix2world(xx, yy, 0)
    la = np.radians(lat)
    dlon = np.radians(np.abs((np.diff(lon, axis=1) + 180.0) % 360.0 - 180.0))[:-1, :]
    dsin = np.abs(np.diff(np.sin(la), axis=0))[:, :-1]
    return dlon * dsin


def cmd_check_flux(a):
    from astropy.wcs import WCS

    with fits.open(a.out) as hdul:
        data = hdul[0].data.astype(np.float64)
        wcs = WCS(hdul[0].header).celestial
        fp = hdul["FOOTPRINT"].data.astype(np.float64)
    values, _, _ = read_map(a.map)
    npix = values.size
    integral = np.nansum(values) * 4 * np.pi / npix
    omega = pixel_solid_angles(wcs, data.shape)
    total = np.nansum(np.where(np.isfinite(data), data * fp * omega, 0.0))
    rel = abs(total - integral) / abs(integral)
    print(f"flux: image {total:.12g}, map {integral:.12g}, relative "
          f"difference {rel:.3g} (allowed {a.rtol:g}); sky covered "
          f"{omega.sum() / (4 * np.pi):.12f}")
    return 1 if rel > a.rtol else 0


def cmd_check_const(a):
    if a.map:
        values, _, _ = read_map(a.out)
        fp = None
    else:
        with fits.open(a.out) as hdul:
            values = hdul[0].data.astype(np.float64)
            fp = hdul["FOOTPRINT"].data if "FOOTPRINT" in hdul else None
    sel = np.isfinite(values)
    if fp is not None and a.footprint_min is not None:
        sel &= fp >= a.footprint_min
    if sel.sum() == 0:
        print("check-const: no finite value")
        return 1
    rel = np.abs(values[sel] - a.value) / abs(a.value)
    print(f"check-const: {sel.sum()} values, largest relative difference "
          f"from {a.value:g}: {rel.max():.3g} (allowed {a.rtol:g})")
    return 1 if rel.max() > a.rtol else 0


def cmd_check_footprint(a):
    """Where the output has a value, the footprint of an exact reprojection
    from a map without holes is 1."""
    with fits.open(a.out) as hdul:
        data = hdul[0].data
        fp = hdul["FOOTPRINT"].data.astype(np.float64)
    sel = np.isfinite(data)
    worst = float(np.max(np.abs(fp[sel] - 1))) if sel.any() else np.inf
    print(f"footprint: {sel.sum()} values, largest |footprint - 1| "
          f"{worst:.3g} (allowed {a.tol:g}); {int((fp[~sel] != 0).sum())} "
          "footprints non-zero without a value")
    return 0 if worst <= a.tol and (fp[~sel] == 0).all() else 1


def main():
    p = argparse.ArgumentParser(prog="healpix.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make-map")
    m.add_argument("out")
    m.add_argument("--nside", type=int, required=True)
    m.add_argument("--order", choices=["ring", "nested"], required=True)
    m.add_argument("--coordsys", default="G")
    m.add_argument("--partial", action="store_true")
    m.add_argument("--partial-lat", type=float, default=20.0)
    m.add_argument("--rows-of", type=int, default=1)
    m.add_argument("--fields", type=int, default=1)
    m.add_argument("--nan-fraction", type=float, default=0.01)
    m.add_argument("--unseen", action="store_true")
    m.add_argument("--constant", type=float)
    m.add_argument("--seed", type=int, default=1)
    m.set_defaults(func=cmd_make_map)
    f = sub.add_parser("from-healpix")
    for name in ("out", "map", "target", "order"):
        f.add_argument(name)
    f.add_argument("--field", type=int, default=0)
    f.set_defaults(func=cmd_from_healpix)
    t = sub.add_parser("to-healpix")
    for name in ("out", "image", "frame"):
        t.add_argument(name)
    t.add_argument("nside", type=int)
    t.add_argument("order")
    t.add_argument("--nested", action="store_true")
    t.set_defaults(func=cmd_to_healpix)
    for name, func in (("compare", cmd_compare), ("compare-map", cmd_compare_map)):
        c = sub.add_parser(name)
        c.add_argument("ours")
        c.add_argument("ref")
        c.add_argument("--label", default=name)
        c.add_argument("--rtol", type=float, default=0.0)
        c.add_argument("--max-mismatch", type=int, default=0)
        c.add_argument("--zero-weight", type=int, default=0)
        c.add_argument("--subset", action="store_true")
        c.set_defaults(func=func)
    b = sub.add_parser("make-bad")
    b.add_argument("out")
    b.add_argument("good")
    b.add_argument("kind")
    b.set_defaults(func=cmd_make_bad)
    ft = sub.add_parser("check-flux-to")
    ft.add_argument("map")
    ft.add_argument("image")
    ft.add_argument("--rtol", type=float, default=1e-6)
    ft.set_defaults(func=cmd_check_flux_to)
    fl = sub.add_parser("check-flux")
    fl.add_argument("out")
    fl.add_argument("map")
    fl.add_argument("--rtol", type=float, default=1e-6)
    fl.set_defaults(func=cmd_check_flux)
    cf = sub.add_parser("check-footprint")
    cf.add_argument("out")
    cf.add_argument("--tol", type=float, default=1e-6)
    cf.set_defaults(func=cmd_check_footprint)
    k = sub.add_parser("check-const")
    k.add_argument("out")
    k.add_argument("value", type=float)
    k.add_argument("--rtol", type=float, default=1e-6)
    k.add_argument("--map", action="store_true")
    k.add_argument("--footprint-min", type=float)
    k.set_defaults(func=cmd_check_const)
    a = p.parse_args()
    sys.exit(a.func(a))


if __name__ == "__main__":
    main()
