#!/usr/bin/python3
"""Geometry helpers for bench/run (astropy only).

  geometry.py t1-center IN.fits DX DY
      Sky position (RA,Dec degrees) of input pixel centre + (DX, DY) pixels.
  geometry.py t2-params IN.fits SIZE MARGIN
      For a Galactic CAR target with CRVAL (0,0), SIZE x SIZE pixels: the
      pixel scale (arcsec, rounded down to 0.01") that keeps every output pixel
      at least MARGIN input pixels inside the input, and the CRPIX that centres
      the target on the input's centre.  Prints "SCALE CRPIX1,CRPIX2".
  geometry.py inside IN.fits TARGET.hdr
      Smallest distance, in input pixels, from any target edge pixel to the
      edge of the input (negative: part of the target lies outside).
"""
import sys
import warnings

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning
from astropy.coordinates import SkyCoord
import astropy.units as u

warnings.simplefilter("ignore", FITSFixedWarning)


def input_wcs(path):
    h = fits.getheader(path)
    return WCS(h), h["NAXIS1"], h["NAXIS2"]


def edge_pixels(nx, ny):
    """0-based coordinates of every pixel on the border of an nx x ny image."""
    x = np.arange(nx, dtype=float)
    y = np.arange(ny, dtype=float)
    xs = np.concatenate([x, x, np.zeros(ny), np.full(ny, nx - 1.0)])
    ys = np.concatenate([np.zeros(nx), np.full(nx, ny - 1.0), y, y])
    return xs, ys


def margin(win, nxi, nyi, wout, nxo, nyo):
    """Smallest distance of the target's border, mapped into the input, from
    the input's edge (pixel centres 0 .. n-1), in input pixels."""
    xs, ys = edge_pixels(nxo, nyo)
    sky = wout.pixel_to_world(xs, ys)
    xi, yi = win.world_to_pixel(sky)
    if not (np.all(np.isfinite(xi)) and np.all(np.isfinite(yi))):
        return -np.inf
    return float(min(xi.min(), yi.min(), nxi - 1 - xi.max(), nyi - 1 - yi.max()))


def car_wcs(size, scale_arcsec, crpix):
    w = WCS(naxis=2)
    w.wcs.ctype = ["GLON-CAR", "GLAT-CAR"]
    w.wcs.cunit = ["deg", "deg"]
    w.wcs.crval = [0.0, 0.0]
    w.wcs.cdelt = [-scale_arcsec / 3600.0, scale_arcsec / 3600.0]
    w.wcs.crpix = list(crpix)
    w.pixel_shape = (size, size)
    return w


def car_crpix(size, scale_arcsec, centre_gal):
    """CRPIX (1-based) putting centre_gal at the middle of a size x size image."""
    w = car_wcs(size, scale_arcsec, (1.0, 1.0))
    px, py = w.world_to_pixel(centre_gal)       # 0-based, relative to CRPIX 1
    mid = (size - 1) / 2.0                      # 0-based centre
    return (1.0 + mid - float(px), 1.0 + mid - float(py))


def main(argv):
    cmd = argv[1]
    if cmd == "t1-center":
        win, nx, ny = input_wcs(argv[2])
        dx, dy = float(argv[3]), float(argv[4])
        c = win.pixel_to_world((nx - 1) / 2.0 + dx, (ny - 1) / 2.0 + dy)
        print(f"{c.ra.deg:.9f},{c.dec.deg:.9f}")
    elif cmd == "t2-params":
        win, nx, ny = input_wcs(argv[2])
        size, want = int(argv[3]), float(argv[4])
        centre = win.pixel_to_world((nx - 1) / 2.0, (ny - 1) / 2.0)
        gal = SkyCoord(centre).galactic
        half_in = (min(nx, ny) - 1) / 2.0
        # The mapping is close to linear over the field: the border's reach
        # into the input grows in proportion to the scale.  Two refinements
        # then round down to 0.01" and step down until the margin holds.
        scale = 1.0
        for _ in range(3):
            m = margin(win, nx, ny, car_wcs(size, scale, car_crpix(size, scale, gal)),
                       size, size)
            reach = half_in - m
            scale = scale * (half_in - want) / reach
        scale = np.floor(scale * 100.0) / 100.0
        while True:
            crpix = car_crpix(size, scale, gal)
            if margin(win, nx, ny, car_wcs(size, scale, crpix), size, size) >= want:
                break
            scale -= 0.01
        print(f"{scale:.2f} {crpix[0]:.3f},{crpix[1]:.3f}")
    elif cmd == "inside":
        win, nx, ny = input_wcs(argv[2])
        th = fits.Header.fromtextfile(argv[3])
        wout = WCS(th)
        print(f"{margin(win, nx, ny, wout, th['NAXIS1'], th['NAXIS2']):.2f}")
    else:
        sys.exit(f"geometry.py: unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
