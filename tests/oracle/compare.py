#!/usr/bin/python3
"""Compare Tessera's reprojection with the reference one.

usage: compare.py OURS REF [--rtol X] [--max-mask-diff F]
                  [--nearest-min-equal F] [--min-finite F] [--max-finite F]
                  [--check-wcs --target FILE [--size WxH] [--input FILE]]
                  [--expect-bitpix N] [--expect-no-footprint]
                  [--footprint-atol X]

Both primary HDUs are read as float64 and must have the same shape.  A
cube is judged plane by plane (each plane must pass every bar); one
summary line is printed per plane plus a verdict.

Measures, on each plane of N pixels:
  finite   pixels finite in both images (fraction of N)
  rel      |ours - ref| / max(|ref|, floor) on pixels finite in both, where
           floor = FLOOR_FRAC * median(|ref|) over the finite ref pixels
           (FLOOR_FRAC = 1e-3 by default, --floor-frac): the sky noise
           puts many values near 0, where a pure relative error means
           nothing.  Max and median are reported.
  mask     fraction of the N pixels finite in one image and NaN in the other
  equal    (with --nearest-min-equal) pixels with the same value in both
           (REF rounded to float32 first if OURS is float32), over the
           pixels finite in at least one of them.

Bars: max rel <= --rtol (default 1e-5, none in nearest mode unless given),
mask <= --max-mask-diff (default 0.001), equal >= --nearest-min-equal,
--min-finite <= finite <= --max-finite (defaults 0.05 and 1).

--check-wcs (needs --target) also verifies OURS' header: its celestial WCS
equals the target's (CTYPE, CRVAL, CRPIX, CD matrix within 1e-10, same
celestial frame, same sky position of a grid of pixels), NAXIS1/NAXIS2 equal
the target's (or --size), extra axes of a cube equal those of --input, and
an extension FOOTPRINT (float32) equals isfinite(data) — or, with
--footprint-atol X (the exact method's overlap fractions), lies in [0, 1],
is 0 exactly where the data are NaN, and is within X of REF's FOOTPRINT.

Exit status: 0 all bars met, 1 a bar failed, 2 bad usage or unreadable file.
"""

import argparse

import numpy as np

from oraclelib import OracleError, celestial_wcs, die, fits, load_header, load_image, parse_size

WCS_TOL = 1e-10


def floor_of(ref, frac):
    """The denominator floor of the relative difference for one plane."""
    mags = np.abs(ref[np.isfinite(ref)])
    if mags.size == 0:
        return 1e-30
    scale = float(np.median(mags))
    if scale == 0.0:
        scale = float(mags.max())
    return max(frac * scale, 1e-30)


def plane_stats(ours, ref, floor_frac, out_dtype):
    """Measures of one plane, as a dict.  For 'equal', ref is first rounded
    to the precision of OURS' pixels (out_dtype)."""
    fin_o, fin_r = np.isfinite(ours), np.isfinite(ref)
    both = fin_o & fin_r
    either = fin_o | fin_r
    floor = floor_of(ref, floor_frac)
    stats = {
        "pixels": ours.size,
        "both": int(both.sum()),
        "mask": float((fin_o != fin_r).sum()) / ours.size,
        "floor": floor,
        "inf_ours": int(np.isinf(ours).sum()),
    }
    if stats["both"]:
        a, b = ours[both], ref[both]
        rel = np.abs(a - b) / np.maximum(np.abs(b), floor)
        worst = int(np.argmax(rel))
        stats["max_rel"] = float(rel[worst])
        stats["median_rel"] = float(np.median(rel))
        y, x = (int(i[worst]) for i in np.nonzero(both))
        stats["worst"] = (x, y, float(a[worst]), float(b[worst]))
    else:
        stats["max_rel"] = stats["median_rel"] = float("nan")
        stats["worst"] = None
    n_either = int(either.sum())
    equal = both & (ours == ref.astype(out_dtype).astype(np.float64))
    stats["equal"] = float(equal.sum()) / n_either if n_either else 1.0
    return stats


def judge(stats, args):
    """List of failed bars of one plane."""
    failed = []
    finite = stats["both"] / stats["pixels"]
    if finite < args.min_finite:
        failed.append(f"finite in both {finite:.4f} < {args.min_finite}")
    if finite > args.max_finite:
        failed.append(f"finite in both {finite:.4f} > {args.max_finite}")
    if args.rtol is not None and not stats["max_rel"] <= args.rtol:
        failed.append(f"max rel {stats['max_rel']:.3g} > {args.rtol:g}")
    if stats["mask"] > args.max_mask_diff:
        failed.append(f"mask diff {stats['mask']:.4%} > {args.max_mask_diff:.4%}")
    if args.nearest_min_equal is not None and stats["equal"] < args.nearest_min_equal:
        failed.append(f"equal {stats['equal']:.4%} < {args.nearest_min_equal:.4%}")
    if stats["inf_ours"]:
        failed.append(f"{stats['inf_ours']} infinite pixels in ours")
    return failed


def summary(label, stats, args):
    """One line of measures."""
    text = (
        f"{label}: {stats['pixels']} px, finite in both {stats['both']} "
        f"({stats['both'] / stats['pixels']:.1%}), max rel {stats['max_rel']:.3g}, "
        f"median rel {stats['median_rel']:.3g} (floor {stats['floor']:.3g}), "
        f"mask diff {stats['mask']:.4%}"
    )
    if args.nearest_min_equal is not None:
        text += f", equal {stats['equal']:.4%}"
    if stats["worst"] is not None and args.rtol is not None and stats["max_rel"] > args.rtol:
        x, y, a, b = stats["worst"]
        text += f"; worst at x={x} y={y} (0-based): ours {a!r} ref {b!r}"
    return text


def frame_name(wcs):
    from astropy.wcs.utils import wcs_to_celestial_frame  # slow import: only here

    try:
        frame = wcs_to_celestial_frame(wcs)
    except ValueError as exc:
        return f"unknown ({exc})"
    equinox = getattr(frame, "equinox", None)
    return f"{frame.name}" + (f" {equinox}" if equinox is not None else "")


def check_wcs(ours_header, data, hdul, args):
    """List of problems with OURS' WCS, size and footprint."""
    problems = []
    target = load_header(args.target)
    ow, tw = celestial_wcs(ours_header), celestial_wcs(target)

    if args.size:
        want = parse_size(args.size)
    else:
        want = (int(target.get("NAXIS1", -1)), int(target.get("NAXIS2", -1)))
    have = (int(ours_header.get("NAXIS1", -1)), int(ours_header.get("NAXIS2", -1)))
    if have != want:
        problems.append(f"NAXIS1 x NAXIS2 = {have}, expected {want}")

    ctypes = (list(ow.wcs.ctype), list(tw.wcs.ctype))
    if [c.strip() for c in ctypes[0]] != [c.strip() for c in ctypes[1]]:
        problems.append(f"CTYPE {ctypes[0]} != target {ctypes[1]}")
    for name, a, b in (
        ("CRVAL", ow.wcs.crval, tw.wcs.crval),
        ("CRPIX", ow.wcs.crpix, tw.wcs.crpix),
        ("CD", ow.pixel_scale_matrix, tw.pixel_scale_matrix),
    ):
        diff = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        if not diff <= WCS_TOL:
            problems.append(f"{name} differs from the target's by {diff:.3g}: "
                            f"{np.asarray(a).tolist()} vs {np.asarray(b).tolist()}")
    fo, ft = frame_name(ow), frame_name(tw)
    if fo != ft:
        problems.append(f"celestial frame {fo} != target {ft}")
    # Same sky position of a grid of pixels: catches LONPOLE, PV, SIP...
    nx, ny = want
    gx, gy = np.meshgrid(np.linspace(0, max(nx - 1, 0), 5), np.linspace(0, max(ny - 1, 0), 5))
    wo = np.array(ow.all_pix2world(gx.ravel(), gy.ravel(), 0))
    wt = np.array(tw.all_pix2world(gx.ravel(), gy.ravel(), 0))
    dlon = (wo[0] - wt[0] + 180.0) % 360.0 - 180.0
    worst = float(np.max(np.hypot(dlon * np.cos(np.radians(wt[1])), wo[1] - wt[1])))
    if not worst <= 1e-9:
        problems.append(f"pixel grid maps to sky positions {worst * 3.6e6:.3g} mas away from the target's")

    if data.ndim > 2:
        if args.input is None:
            problems.append("cube output: give --input to check the extra axes")
        else:
            _, in_header, _ = load_image(args.input)
            for axis in range(3, data.ndim + 1):
                if int(ours_header.get(f"NAXIS{axis}", -1)) != int(in_header.get(f"NAXIS{axis}", -2)):
                    problems.append(f"NAXIS{axis} differs from the input's")
                for key in ("CTYPE", "CUNIT", "CRVAL", "CRPIX", "CDELT", "CD", "PC"):
                    kw = f"{key}{axis}_{axis}" if key in ("CD", "PC") else f"{key}{axis}"
                    if kw not in in_header:
                        continue
                    a, b = ours_header.get(kw), in_header[kw]
                    same = (a == b) if isinstance(b, str) else (
                        isinstance(a, (int, float)) and abs(a - b) <= WCS_TOL * max(1.0, abs(b)))
                    if not same:
                        problems.append(f"{kw} = {a!r}, input has {b!r}")

    if args.expect_no_footprint:
        names = [h.name for h in hdul]
        if "FOOTPRINT" in names or len(hdul) > 1:
            problems.append(f"--no-footprint given but output has HDUs {names}")
        return problems
    if "FOOTPRINT" not in hdul:
        problems.append(f"no FOOTPRINT extension (HDUs: {[h.name for h in hdul]})")
        return problems
    fp_hdu = hdul["FOOTPRINT"]
    if int(fp_hdu.header["BITPIX"]) != -32:
        problems.append(f"FOOTPRINT has BITPIX {fp_hdu.header['BITPIX']}, expected -32")
    fp = np.asarray(fp_hdu.data, dtype=np.float64)
    finite = np.isfinite(data)
    if fp.shape == data.shape:
        expected = finite
    elif data.ndim > 2 and fp.shape == data.shape[-2:]:
        # A 2-D footprint of a cube: accept one matching every plane, or
        # the union or intersection of the planes' masks.
        flat = finite.reshape((-1,) + fp.shape)
        expected = next(
            (m for m in (flat[0], flat.any(axis=0), flat.all(axis=0)) if np.array_equal(fp == 1, m)),
            flat[0],
        )
    else:
        problems.append(f"FOOTPRINT shape {fp.shape} != data shape {data.shape}")
        return problems
    if args.footprint_atol is not None:
        # Fractions (the exact method): in [0, 1], zero exactly where the
        # data are NaN, and within the tolerance of the reference's.
        plane = finite.reshape((-1,) + fp.shape[-2:]).any(axis=0) if data.ndim > 2 else finite
        if not np.all((fp >= 0) & (fp <= 1)):
            problems.append("FOOTPRINT holds values outside [0, 1]")
        wrong = int(np.sum((fp > 0) != plane))
        if wrong:
            problems.append(f"FOOTPRINT is 0 where data are finite, or the reverse, on {wrong} pixels")
        ref_fp = np.asarray(fits.getdata(args.ref, "FOOTPRINT"), dtype=np.float64)
        ref_fp = ref_fp.reshape((-1,) + fp.shape[-2:])[0]
        both = plane & np.isfinite(ref_fp) & (ref_fp > 0)
        if both.any():
            worst = float(np.max(np.abs(fp[both] - ref_fp[both])))
            print(f"compare: footprint fractions: max difference {worst:.3g} from the reference's")
            if worst > args.footprint_atol:
                problems.append(f"FOOTPRINT fractions differ from the reference's by {worst:.3g}")
        return problems
    if not np.all((fp == 0) | (fp == 1)):
        problems.append("FOOTPRINT holds values other than 0 and 1")
    wrong = int(np.sum((fp == 1) != expected))
    if wrong:
        problems.append(f"FOOTPRINT differs from isfinite(data) on {wrong} pixels")
    return problems


def main():
    parser = argparse.ArgumentParser(
        description="Compare Tessera's output with the reference reprojection.",
        epilog="See the module docstring for the measures and bars.")
    parser.add_argument("ours")
    parser.add_argument("ref")
    parser.add_argument("--rtol", type=float, default=None,
                        help="bar on the max relative difference "
                        "(default 1e-5; none with --nearest-min-equal)")
    parser.add_argument("--max-mask-diff", type=float, default=0.001)
    parser.add_argument("--nearest-min-equal", type=float, default=None)
    parser.add_argument("--min-finite", type=float, default=0.05)
    parser.add_argument("--max-finite", type=float, default=1.0)
    parser.add_argument("--floor-frac", type=float, default=1e-3)
    parser.add_argument("--check-wcs", action="store_true")
    parser.add_argument("--target")
    parser.add_argument("--size")
    parser.add_argument("--input")
    parser.add_argument("--expect-bitpix", type=int)
    parser.add_argument("--expect-no-footprint", action="store_true")
    parser.add_argument("--footprint-atol", type=float, default=None,
                        help="the footprint holds overlap fractions (exact method): "
                        "compare them with REF's within this")
    args = parser.parse_args()
    if args.rtol is None and args.nearest_min_equal is None:
        args.rtol = 1e-5
    if args.check_wcs and not args.target:
        parser.error("--check-wcs needs --target")

    failed = []
    try:
        ours, ours_header, bitpix = load_image(args.ours, primary_only=True)
        ref, _, _ = load_image(args.ref, primary_only=True)
        if ours.shape != ref.shape:
            print(f"compare: FAIL: shape {ours.shape} of {args.ours} != {ref.shape} of {args.ref}")
            return 1
        if bitpix not in (-32, -64):
            failed.append(f"BITPIX {bitpix}, expected a float image")
        if args.expect_bitpix is not None and bitpix != args.expect_bitpix:
            failed.append(f"BITPIX {bitpix}, expected {args.expect_bitpix}")
        if args.check_wcs:
            with fits.open(args.ours, memmap=False) as hdul:
                failed += [f"WCS/footprint: {p}" for p in check_wcs(ours_header, ours, hdul, args)]
    except OracleError as exc:
        die(str(exc))

    planes_o = ours.reshape((-1,) + ours.shape[-2:])
    planes_r = ref.reshape((-1,) + ref.shape[-2:])
    for index, (po, pr) in enumerate(zip(planes_o, planes_r)):
        label = "compare" if len(planes_o) == 1 else f"compare plane {index}"
        stats = plane_stats(po, pr, args.floor_frac, np.float32 if bitpix == -32 else np.float64)
        print(summary(label, stats, args))
        failed += [f"plane {index}: {f}" if len(planes_o) > 1 else f for f in judge(stats, args)]

    if failed:
        for problem in failed:
            print(f"compare: FAIL: {problem}")
        return 1
    print(f"compare: OK ({args.ours} vs {args.ref})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
