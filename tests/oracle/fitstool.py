#!/usr/bin/python3
"""Small FITS chores for the Tessera tests: making special inputs and
checking results that need no reference implementation.

usage: fitstool.py COMMAND ARGS...   (fitstool.py COMMAND --help for each)

Making files:
  header IN OUT [--shift DX,DY]   text header (one card a line, END last) of
                                  IN's image, CRPIX1/2 shifted by DX/DY
  set-const FILE VALUE            overwrite the image data in place
  subtract-median IN OUT          copy of a float image less its median
  compress IN OUT                 tile-compressed (RICE_1) copy of IN's image
  to-int16 IN OUT                 BITPIX 16 copy with BSCALE/BZERO/BLANK
  strip-wcs IN OUT --mode M       copy without celestial WCS (M: linear|none)
  set-keys IN OUT KEY=VALUE...    copy with header keywords set
  add-inf IN OUT N                copy with N pixels set to +Inf/-Inf
  random-bytes OUT N SEED [--prefix TEXT]   N pseudo-random bytes

Checking files (exit 1 with a message when the check fails):
  has-keys FILE KEY[=VALUE]...    FILE's image header has the KEYs (with VALUE)
  is-compressed FILE              FILE holds a tile-compressed image
  check-shift OURS INPUT DX DY    OURS[y, x] == INPUT[y - DY, x - DX] exactly
                                  (0-based, NaN where the source is NaN or
                                  outside INPUT)
  check-const OURS VALUE          every finite pixel equals VALUE within --rtol
  check-mask OURS REF             OURS is NaN exactly where REF's image is NaN
  check-finite OURS               no infinite pixel, --min-finite fraction finite
"""

import argparse
import sys

import numpy as np

from oraclelib import OracleError, die, fits, load_image, select_hdu, split_extended, write_raw_fits

STRUCTURAL = {"SIMPLE", "XTENSION", "BITPIX", "NAXIS", "EXTEND", "PCOUNT", "GCOUNT", "END"}


def read_raw(name):
    """(raw data as stored, header) of the image 'name' (cfitsio suffix ok)."""
    path, ext = split_extended(name)
    with fits.open(path, do_not_scale_image_data=True, memmap=False) as hdul:
        hdu = select_hdu(hdul, ext, name)
        if isinstance(hdu, fits.CompImageHDU):
            raise OracleError(f"{name}: tile-compressed input not supported here")
        return np.array(hdu.data), hdu.header.copy()


def as_primary(header, bitpix, shape):
    """A primary header for data of this BITPIX and numpy shape, keeping
    every non-structural card of 'header'."""
    out = fits.Header()
    out["SIMPLE"] = True
    out["BITPIX"] = bitpix
    out["NAXIS"] = len(shape)
    for axis, length in enumerate(reversed(shape), start=1):
        out[f"NAXIS{axis}"] = length
    for card in header.cards:
        key = card.keyword
        if key in STRUCTURAL or (key.startswith("NAXIS") and key[5:].isdigit()):
            continue
        out.append(card, end=True)
    return out


def write_copy(path, header, raw):
    write_raw_fits(path, as_primary(header, int(header["BITPIX"]), raw.shape), raw)


def text_header(header):
    """The header as text: one 80-character card a line, END last."""
    cards = [str(card) for card in header.cards] + ["END".ljust(80)]
    return "\n".join(cards) + "\n"


def cmd_header(args):
    _, header = read_raw(args.input)
    if args.shift:
        dx, dy = (float(v) for v in args.shift.split(","))
        header["CRPIX1"] = float(header.get("CRPIX1", 0.0)) + dx
        header["CRPIX2"] = float(header.get("CRPIX2", 0.0)) + dy
    header = as_primary(header, int(header["BITPIX"]),
                        tuple(int(header[f"NAXIS{i}"]) for i in range(int(header["NAXIS"]), 0, -1)))
    with open(args.output, "w", encoding="ascii") as handle:
        handle.write(text_header(header))


def cmd_set_const(args):
    path, ext = split_extended(args.file)
    with fits.open(path, mode="update", memmap=False) as hdul:
        hdu = select_hdu(hdul, ext, args.file)
        if hdu.data.dtype.kind != "f":
            raise OracleError(f"{args.file}: set-const needs a floating-point image")
        hdu.data[...] = args.value


def cmd_subtract_median(args):
    raw, header = read_raw(args.input)
    if raw.dtype.kind != "f":
        raise OracleError(f"{args.input}: subtract-median needs a floating-point image")
    out = raw.astype(np.float64)
    out -= np.nanmedian(out)
    write_copy(args.output, header, out.astype(raw.dtype))


def cmd_compress(args):
    raw, header = read_raw(args.input)
    if raw.dtype.kind != "f":
        raise OracleError(f"{args.input}: compress expects a floating-point image")
    image_header = fits.Header([c for c in header.cards if c.keyword not in STRUCTURAL
                                and not (c.keyword.startswith("NAXIS") and c.keyword[5:].isdigit())])
    hdul = fits.HDUList([
        fits.PrimaryHDU(),
        fits.CompImageHDU(data=raw.astype(raw.dtype.newbyteorder("=")), header=image_header,
                          compression_type="RICE_1"),
    ])
    hdul.writeto(args.output, overwrite=True)


def cmd_to_int16(args):
    raw, header = read_raw(args.input)
    data = np.asarray(raw, dtype=np.float64)
    finite = np.isfinite(data)
    lo, hi = float(data[finite].min()), float(data[finite].max())
    bscale = (hi - lo) / 65000.0 if hi > lo else 1.0
    bzero = (hi + lo) / 2.0
    ints = np.full(data.shape, -32768, dtype=np.int16)
    ints[finite] = np.clip(np.round((data[finite] - bzero) / bscale), -32767, 32767)
    header = as_primary(header, 16, ints.shape)
    for key in ("BSCALE", "BZERO", "BLANK"):
        header.remove(key, ignore_missing=True)
    header["BSCALE"] = bscale
    header["BZERO"] = bzero
    header["BLANK"] = -32768
    write_raw_fits(args.output, header, ints)


WCS_PREFIXES = ("CTYPE", "CRVAL", "CRPIX", "CDELT", "CUNIT", "CD1_", "CD2_", "PC1_", "PC2_",
                "PV1_", "PV2_", "CROTA", "A_", "B_", "AP_", "BP_")
WCS_KEYS = {"RADESYS", "RADECSYS", "EQUINOX", "EPOCH", "LONPOLE", "LATPOLE", "WCSAXES",
            "MJD-OBS", "DATE-OBS", "WCSNAME"}


def cmd_strip_wcs(args):
    raw, header = read_raw(args.input)
    for key in list(header.keys()):
        if key in WCS_KEYS or key.startswith(WCS_PREFIXES):
            header.remove(key, ignore_missing=True, remove_all=True)
    if args.mode == "linear":
        for axis in (1, 2):
            header[f"CTYPE{axis}"] = "LINEAR"
            header[f"CRPIX{axis}"] = 1.0
            header[f"CRVAL{axis}"] = 0.0
            header[f"CDELT{axis}"] = 1.0
    write_copy(args.output, header, raw)


def cmd_set_keys(args):
    raw, header = read_raw(args.input)
    for item in args.assignments:
        key, sep, text = item.partition("=")
        if not sep:
            raise OracleError(f"bad assignment {item!r}, expected KEY=VALUE")
        try:
            value = int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                value = text
        header[key.strip().upper()] = value
    write_copy(args.output, header, raw)


def cmd_add_inf(args):
    raw, header = read_raw(args.input)
    if raw.dtype.kind != "f":
        raise OracleError(f"{args.input}: add-inf needs a floating-point image")
    data = np.array(raw)
    flat = data.reshape(-1)
    rng = np.random.default_rng(12345)
    where = rng.choice(flat.size, size=args.count, replace=False)
    flat[where] = np.where(np.arange(args.count) % 2 == 0, np.inf, -np.inf)
    write_copy(args.output, header, data)


def cmd_random_bytes(args):
    rng = np.random.default_rng(args.seed)
    body = rng.integers(0, 256, size=args.count, dtype=np.uint8).tobytes()
    prefix = args.prefix.encode("ascii") if args.prefix else b""
    with open(args.output, "wb") as handle:
        handle.write((prefix + body)[: max(args.count, len(prefix))])


def cmd_has_keys(args):
    _, header = read_raw(args.file)
    problems, found = [], []
    for item in args.keys:
        key, sep, want = item.partition("=")
        key = key.strip().upper()
        if key not in header:
            problems.append(f"no {key}")
        elif sep and str(header[key]).strip() != want.strip():
            problems.append(f"{key} = {header[key]!r}, not {want}")
        else:
            found.append(f"{key}={header[key]!r}")
    print(f"{args.file}: " + ", ".join(found + problems))
    return 1 if problems else 0


def cmd_is_compressed(args):
    path, _ = split_extended(args.file)
    with fits.open(path, memmap=False) as hdul:
        found = any(isinstance(h, fits.CompImageHDU) for h in hdul)
    print(f"{args.file}: {'tile-compressed' if found else 'not tile-compressed'}")
    return 0 if found else 1


def cmd_check_shift(args):
    ours, _, bitpix = load_image(args.ours, primary_only=True)
    source, _, in_bitpix = load_image(args.input)
    if ours.shape != source.shape:
        print(f"check-shift: FAIL: shape {ours.shape} != input {source.shape}")
        return 1
    problems = []
    if args.expect_bitpix is not None and bitpix != args.expect_bitpix:
        problems.append(f"BITPIX {bitpix}, expected {args.expect_bitpix} (input {in_bitpix})")
    dx, dy = args.dx, args.dy
    ny, nx = ours.shape[-2:]
    expected = np.full(ours.shape, np.nan)
    # ours[y, x] comes from source[y - dy, x - dx]
    ys, xs = slice(max(dy, 0), ny + min(dy, 0)), slice(max(dx, 0), nx + min(dx, 0))
    yi, xi = slice(max(-dy, 0), ny + min(-dy, 0)), slice(max(-dx, 0), nx + min(-dx, 0))
    expected[..., ys, xs] = source[..., yi, xi]
    nan_e, nan_o = np.isnan(expected), np.isnan(ours)
    wrong_nan = nan_e & ~nan_o
    wrong_fin = ~nan_e & (nan_o | (ours != expected))
    covered = ~nan_e
    for what, mask in (("should be NaN", wrong_nan), ("differ from the input", wrong_fin)):
        count = int(mask.sum())
        if count:
            idx = np.argwhere(mask)[:3]
            examples = "; ".join(
                f"x={i[-1]} y={i[-2]}: ours {ours[tuple(i)]!r} expected {expected[tuple(i)]!r}" for i in idx)
            problems.append(f"{count} pixels {what} (e.g. {examples})")
    print(f"check-shift: shift ({dx:+d}, {dy:+d}) px, {int(covered.sum())} pixels with a finite source, "
          f"{int(wrong_fin.sum())} differ, {int(wrong_nan.sum())} not NaN where they should be")
    for problem in problems:
        print(f"check-shift: FAIL: {problem}")
    return 1 if problems else 0


def cmd_check_const(args):
    ours, _, _ = load_image(args.ours, primary_only=True)
    finite = np.isfinite(ours)
    frac = float(finite.mean())
    worst = float(np.max(np.abs(ours[finite] - args.value))) / abs(args.value) if finite.any() else 0.0
    print(f"check-const: {frac:.1%} finite, max rel deviation from {args.value!r}: {worst:.3g}")
    problems = []
    if np.isinf(ours).any():
        problems.append(f"{int(np.isinf(ours).sum())} infinite pixels")
    if frac < args.min_finite:
        problems.append(f"finite fraction {frac:.4f} < {args.min_finite}")
    if not worst <= args.rtol:
        problems.append(f"max rel deviation {worst:.3g} > {args.rtol:g}")
    for problem in problems:
        print(f"check-const: FAIL: {problem}")
    return 1 if problems else 0


def cmd_check_mask(args):
    ours, _, _ = load_image(args.ours, primary_only=True)
    ref, _, _ = load_image(args.reference)
    if ours.shape != ref.shape:
        print(f"check-mask: FAIL: shape {ours.shape} != {ref.shape}")
        return 1
    nan_o, nan_r = np.isnan(ours), np.isnan(ref)
    wrong = int((nan_o != nan_r).sum())
    print(f"check-mask: {int(nan_r.sum())} NaN pixels expected, {int(nan_o.sum())} found, "
          f"{wrong} pixels disagree")
    if wrong:
        idx = np.argwhere(nan_o != nan_r)[:3]
        examples = "; ".join(f"x={i[-1]} y={i[-2]}: ours {ours[tuple(i)]!r}" for i in idx)
        print(f"check-mask: FAIL: NaN masks differ on {wrong} pixels (e.g. {examples})")
        return 1
    return 0


def cmd_check_finite(args):
    ours, _, _ = load_image(args.ours, primary_only=True)
    n_inf = int(np.isinf(ours).sum())
    frac = float(np.isfinite(ours).mean())
    print(f"check-finite: {frac:.1%} finite, {n_inf} infinite")
    problems = []
    if n_inf:
        problems.append(f"{n_inf} infinite pixels")
    if frac < args.min_finite:
        problems.append(f"finite fraction {frac:.4f} < {args.min_finite}")
    for problem in problems:
        print(f"check-finite: FAIL: {problem}")
    return 1 if problems else 0


def build_parser():
    parser = argparse.ArgumentParser(description="FITS chores for the Tessera tests.")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name, func, *arguments):
        cmd = sub.add_parser(name)
        for names, options in arguments:
            cmd.add_argument(*names, **options)
        cmd.set_defaults(func=func)

    add("header", cmd_header, (["input"], {}), (["output"], {}), (["--shift"], {}))
    add("set-const", cmd_set_const, (["file"], {}), (["value"], {"type": float}))
    add("subtract-median", cmd_subtract_median, (["input"], {}), (["output"], {}))
    add("compress", cmd_compress, (["input"], {}), (["output"], {}))
    add("to-int16", cmd_to_int16, (["input"], {}), (["output"], {}))
    add("strip-wcs", cmd_strip_wcs, (["input"], {}), (["output"], {}),
        (["--mode"], {"choices": ["linear", "none"], "required": True}))
    add("set-keys", cmd_set_keys, (["input"], {}), (["output"], {}), (["assignments"], {"nargs": "+"}))
    add("add-inf", cmd_add_inf, (["input"], {}), (["output"], {}), (["count"], {"type": int}))
    add("random-bytes", cmd_random_bytes, (["output"], {}), (["count"], {"type": int}),
        (["seed"], {"type": int}), (["--prefix"], {}))
    add("has-keys", cmd_has_keys, (["file"], {}), (["keys"], {"nargs": "+"}))
    add("is-compressed", cmd_is_compressed, (["file"], {}))
    add("check-shift", cmd_check_shift, (["ours"], {}), (["input"], {}),
        (["dx"], {"type": int}), (["dy"], {"type": int}), (["--expect-bitpix"], {"type": int}))
    add("check-const", cmd_check_const, (["ours"], {}), (["value"], {"type": float}),
        (["--rtol"], {"type": float, "default": 1e-6}), (["--min-finite"], {"type": float, "default": 0.1}))
    add("check-mask", cmd_check_mask, (["ours"], {}), (["reference"], {}))
    add("check-finite", cmd_check_finite, (["ours"], {}),
        (["--min-finite"], {"type": float, "default": 0.0}))
    return parser


def main():
    args = build_parser().parse_args()
    try:
        return args.func(args) or 0
    except OracleError as exc:
        die(str(exc))
    except (OSError, KeyError, ValueError) as exc:
        die(f"{args.command}: {exc}")


if __name__ == "__main__":
    sys.exit(main())
