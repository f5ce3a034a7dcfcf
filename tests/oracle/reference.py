#!/usr/bin/python3
"""Reference reprojection for the Tessera tests, done with astropy's reproject.

usage: reference.py INPUT TARGET OUTPUT [--method M] [--size WxH] [--no-roundtrip]
                    [adaptive options as tessera's: --kernel K --kernel-width W
                     --sample-region-width W --boundary-mode M
                     --boundary-fill-value V --boundary-ignore-threshold F
                     --conserve-flux --center-jacobian --x-cyclic --y-cyclic]

INPUT   FITS image; a cfitsio HDU suffix is understood ('in.fits[1]',
        'in.fits[SCI]').  Without one, the first HDU holding an image.
TARGET  FITS file (its header's WCS and NAXIS1/NAXIS2) or text header
        (one card a line, END last).
OUTPUT  written (overwritten) as float64 FITS: primary = reprojected image
        with the target's celestial WCS, extension FOOTPRINT.

The method maps to reproject_interp's spline order: nearest 0, bilinear 1,
biquadratic 2, bicubic 3; adaptive is reproject_adaptive (with the options
above, all that reproject 0.10 has), exact is reproject_exact.  An input with more than two axes (a cube,
planes first in numpy order) is reprojected plane by plane with the 2-D
celestial WCS of input and target: reproject broadcasts the leading axes.

Must run under the Python that has reproject (Debian: /usr/bin/python3).
"""

import argparse

import numpy as np

from oraclelib import OracleError, celestial_wcs, die, fits, load_header, load_image, parse_size

try:
    from reproject import reproject_adaptive, reproject_exact, reproject_interp
except ImportError as exc:  # pragma: no cover - environment problem
    die(f"cannot import reproject ({exc}); use /usr/bin/python3 with python3-reproject")

ORDER = {"nearest": 0, "bilinear": 1, "biquadratic": 2, "bicubic": 3}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input")
    parser.add_argument("target")
    parser.add_argument("output")
    parser.add_argument("--method", choices=sorted(ORDER) + ["adaptive", "exact"],
                        default="bilinear")
    parser.add_argument("--kernel", default="gaussian")
    parser.add_argument("--kernel-width", type=float, default=1.3)
    parser.add_argument("--sample-region-width", type=float, default=4.0)
    parser.add_argument("--boundary-mode", default="strict")
    parser.add_argument("--boundary-fill-value", type=float, default=0.0)
    parser.add_argument("--boundary-ignore-threshold", type=float, default=0.5)
    for flag in ("--conserve-flux", "--center-jacobian", "--x-cyclic", "--y-cyclic"):
        parser.add_argument(flag, action="store_true")
    parser.add_argument("--size", help="WxH: output size instead of the target's NAXIS1/2")
    parser.add_argument("--no-roundtrip", action="store_true",
                        help="roundtrip_coords=False (no check of the pixel round trip)")
    args = parser.parse_args()

    try:
        data, in_header, _ = load_image(args.input)
        target = load_header(args.target)
        if args.size:
            nx, ny = parse_size(args.size)
        else:
            try:
                nx, ny = int(target["NAXIS1"]), int(target["NAXIS2"])
            except KeyError as exc:
                raise OracleError(f"{args.target}: no NAXIS1/NAXIS2 and no --size") from exc
        wcs_in = celestial_wcs(in_header)
        wcs_out = celestial_wcs(target)
    except OracleError as exc:
        die(str(exc))

    # Leading (non-celestial) axes are kept as they are: reproject loops
    # over them, reusing one coordinate transformation.
    shape_out = data.shape[:-2] + (ny, nx)
    if args.method == "adaptive":
        result, footprint = reproject_adaptive(
            (data, wcs_in),
            wcs_out,
            shape_out=shape_out,
            roundtrip_coords=not args.no_roundtrip,
            kernel=args.kernel,
            kernel_width=args.kernel_width,
            sample_region_width=args.sample_region_width,
            boundary_mode=args.boundary_mode,
            boundary_fill_value=args.boundary_fill_value,
            boundary_ignore_threshold=args.boundary_ignore_threshold,
            conserve_flux=args.conserve_flux,
            center_jacobian=args.center_jacobian,
            x_cyclic=args.x_cyclic,
            y_cyclic=args.y_cyclic,
        )
        what = f"reproject_adaptive kernel={args.kernel}"
    elif args.method == "exact":
        result, footprint = reproject_exact((data, wcs_in), wcs_out, shape_out=shape_out)
        what = "reproject_exact"
    else:
        result, footprint = reproject_interp(
            (data, wcs_in),
            wcs_out,
            shape_out=shape_out,
            order=ORDER[args.method],
            roundtrip_coords=not args.no_roundtrip,
        )
        what = f"reproject_interp order={ORDER[args.method]}"

    header = wcs_out.to_header(relax=True)
    header["ORACLE"] = (what, "reference")
    header["ROUNDTRP"] = (not args.no_roundtrip, "roundtrip_coords")
    hdus = fits.HDUList([
        fits.PrimaryHDU(np.asarray(result, dtype=np.float64), header),
        fits.ImageHDU(np.asarray(footprint, dtype=np.float32), name="FOOTPRINT"),
    ])
    hdus.writeto(args.output, overwrite=True)


if __name__ == "__main__":
    main()
