# _reproject.py — reproject_interp, reproject_adaptive and reproject_exact
# with astropy reproject's signatures and semantics, computed by
# libtessera (tessera._tessera).

import os
import tempfile
import threading
import uuid
import weakref

import numpy as np

from . import _tessera
from ._parse import parse_input_data, parse_output_projection

__all__ = ["reproject_interp", "reproject_adaptive", "reproject_exact"]

ORDER = {
    "nearest-neighbor": "nearest",
    "bilinear": "bilinear",
    "biquadratic": "biquadratic",
    "bicubic": "bicubic",
}
_ORDER_NUMBERS = ["nearest", "bilinear", "biquadratic", "bicubic"]


def _method_of_order(order):
    if isinstance(order, str):
        if order not in ORDER:
            raise ValueError(
                f"order {order!r} is not one of {', '.join(map(repr, ORDER))} or 0-3"
            )
        return ORDER[order]
    if isinstance(order, (int, np.integer)) and not isinstance(order, bool):
        if 0 <= order <= 3:
            return _ORDER_NUMBERS[order]
    raise ValueError(f"order {order!r} is not one of {', '.join(map(repr, ORDER))} or 0-3")


def _threads(parallel):
    if parallel is False or parallel is None:
        return 1
    if parallel is True:
        return os.cpu_count() or 1
    if isinstance(parallel, (int, np.integer)) and parallel >= 1:
        return int(parallel)
    raise ValueError(f"parallel must be True, False or a positive integer, not {parallel!r}")


def _block(block_size, shape_out):
    if block_size is None or (isinstance(block_size, str) and block_size == "auto"):
        return None
    try:
        block = tuple(int(n) for n in block_size)
    except (TypeError, ValueError):
        raise TypeError(f"block_size must be a tuple of integers or 'auto', not {block_size!r}") from None
    if len(block) < 2 or len(block) > len(shape_out) or any(n <= 0 for n in block):
        raise ValueError(f"block_size {block_size!r} must have 2 to {len(shape_out)} positive lengths")
    # Blocks span every plane: only the last two lengths cut the image.
    lead = block[:-2]
    if lead and lead != tuple(shape_out[len(shape_out) - len(block) : -2]):
        raise NotImplementedError(
            f"block_size {block_size!r}: blocks must span every plane of the output"
        )
    return block[-2:]


def _check_return_type(return_type):
    if return_type is None or return_type in ("numpy", "dask"):
        return
    raise ValueError(f"return_type must be 'numpy' or 'dask', not {return_type!r}")


class _LazyPlan:
    """What a dask chunk needs to rebuild the plan: its arguments (a file
    name, or an array with its header) and a token.  Pickled to other
    processes without the C plan, which each process makes once (and
    shares between its threads: plans are thread-safe).  @keep holds
    what must live as long as the plan (a scratch file's finaliser)."""

    _cache = {}
    _lock = threading.Lock()

    def __init__(self, plan_args, keep=None):
        self.plan_args = plan_args
        self.token = uuid.uuid4().hex
        self.keep = keep

    def __getstate__(self):
        return {"plan_args": self.plan_args, "token": self.token, "keep": None}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def get(self):
        with _LazyPlan._lock:
            plan = _LazyPlan._cache.get(self.token)
            if plan is None:
                plan = _tessera.Plan(**self.plan_args)
                _LazyPlan._cache[self.token] = plan
            return plan


def _chunk(lazy, nplanes, return_footprint, block_info=None):
    (y0, y1), (x0, x1) = block_info[None]["array-location"][-2:]
    data, fp = lazy.get().compute(x0, y0, x1 - x0, y1 - y0, footprint=return_footprint)
    out = np.empty((2, nplanes, y1 - y0, x1 - x0))
    out[0] = data
    out[1] = fp if fp is not None else 0
    return out


def _chunk_data(lazy, block_info=None):
    (y0, y1), (x0, x1) = block_info[None]["array-location"][-2:]
    data, _ = lazy.get().compute(x0, y0, x1 - x0, y1 - y0, footprint=False)
    return data.astype(np.float64, copy=False)


def _is_dask_array(data):
    try:
        import dask.array as da
    except ImportError:  # pragma: no cover
        return False
    return isinstance(data, da.Array)


def _dask_to_scratch(data, header_in):
    """A dask array written, chunk by chunk, into a FITS file in $TMPDIR
    (never whole in memory): libtessera maps it and lets go of its pages
    block by block, and worker processes can read it.  Returns its name
    and the object whose life the file's is (a _ScratchOwner)."""
    import dask.array as da
    from astropy.io import fits

    dtype = np.dtype(">f4") if data.dtype == np.float32 else np.dtype(">f8")
    header = fits.Header.fromstring(header_in)
    for key in ("SIMPLE", "BITPIX", "EXTEND", "BSCALE", "BZERO", "BLANK"):
        header.remove(key, ignore_missing=True, remove_all=True)
    for i in range(1, 10):
        header.remove(f"NAXIS{i}", ignore_missing=True)
    header.remove("NAXIS", ignore_missing=True)
    primary = fits.Header()
    primary["SIMPLE"] = True
    primary["BITPIX"] = -8 * dtype.itemsize
    primary["NAXIS"] = data.ndim
    for i, n in enumerate(reversed(data.shape)):
        primary[f"NAXIS{i + 1}"] = int(n)
    primary.extend(header, end=True)
    text = primary.tostring().encode("ascii")
    nbytes = int(np.prod(data.shape)) * dtype.itemsize
    fd, path = tempfile.mkstemp(prefix="tessera-dask-", suffix=".fits")
    owner = _ScratchOwner(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text)
            f.truncate(len(text) + (nbytes + 2879) // 2880 * 2880)
            # Chunk by chunk, each of its rows written with pwrite at its
            # place in the file: nothing stays mapped or held.
            da.store(
                data, _RowWriter(f.fileno(), len(text), data.shape, dtype), lock=False
            )
    except BaseException:
        owner._done()
        raise
    return path, owner


class _RowWriter:
    """A da.store target: a chunk's rows (runs along the last axis)
    written at their place in the file, big-endian.  (No shape or dtype
    attributes: with them dask takes it for an array and fills one.)"""

    def __init__(self, fd, offset, shape, dtype):
        self._fd, self._offset, self._shape, self._dtype = fd, offset, shape, dtype

    def __setitem__(self, key, value):
        start = [k.start or 0 for k in key]
        value = np.ascontiguousarray(value, dtype=self._dtype)
        for index in np.ndindex(*value.shape[:-1]):
            at = [s + i for s, i in zip(start, index)] + [start[-1]]
            pos = self._offset + int(np.ravel_multi_index(at, self._shape)) * self._dtype.itemsize
            buf = value[index].tobytes()
            done = 0
            while done < len(buf):
                done += os.pwrite(self._fd, buf[done:], pos + done)


class _ScratchOwner:
    """The scratch file of a dask input lives as long as this object."""

    def __init__(self, path):
        self.path = path
        self._done = weakref.finalize(self, _remove, path)


def _remove(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _dask_result(plan_args, shape_out, image_shape, block, return_footprint, keep=None):
    """Lazy dask arrays of the output and its footprint: each chunk (of
    @block, whole planes) computed by the plan when dask asks for it."""
    import dask
    import dask.array as da

    height, width = image_shape
    lazy = _LazyPlan(plan_args, keep)
    try:
        plan = lazy.get()
    except _tessera.NoOverlapError:
        array = da.full(shape_out, np.nan, chunks=shape_out[:-2] + (block or image_shape))
        footprint = da.zeros(shape_out, chunks=array.chunks)
        return (array, footprint) if return_footprint else array
    bh, bw = block or (min(256, height), min(2048, width))
    rows = tuple(min(bh, height - y) for y in range(0, height, bh))
    cols = tuple(min(bw, width - x) for x in range(0, width, bw))
    nplanes = plan.nplanes

    # The plan's arguments are one key of the graph (sent once to each
    # worker of a cluster, not with every chunk).
    lazy_key = dask.delayed(lazy, pure=False, traverse=False)
    if not return_footprint:
        # The values alone: one array a chunk.
        array = da.map_blocks(
            _chunk_data, lazy_key, chunks=((nplanes,), rows, cols), dtype=np.float64,
            meta=np.empty((0, 0, 0)),
        )
        if nplanes * height * width != int(np.prod(shape_out)):
            raise ValueError(f"the output has {nplanes} planes, not those of shape_out {shape_out}")
        return array.reshape(shape_out)
    both = da.map_blocks(
        _chunk, lazy_key, nplanes, bool(return_footprint),
        chunks=((2,), (nplanes,), rows, cols), dtype=np.float64,
        meta=np.empty((0, 0, 0, 0)),
    )
    if nplanes * height * width != int(np.prod(shape_out)):
        raise ValueError(f"the output has {nplanes} planes, not those of shape_out {shape_out}")
    array = both[0].reshape(shape_out)
    if not return_footprint:
        return array
    return array, both[1].reshape(shape_out)


# The options of each method, as libtessera's TessOptions fields: keyword
# arguments with reproject's names and defaults (reproject_and_coadd
# passes its **kwargs through them).


def interp_options(*, order="bilinear", roundtrip_coords=True, independent_celestial_slices=False):
    if not isinstance(independent_celestial_slices, (bool, np.bool_)):
        raise TypeError("independent_celestial_slices must be True or False")
    return {"method": _method_of_order(order), "roundtrip": bool(roundtrip_coords)}


def adaptive_options(
    *,
    center_jacobian=False,
    roundtrip_coords=True,
    conserve_flux=False,
    kernel="gaussian",
    kernel_width=1.3,
    sample_region_width=4,
    boundary_mode="strict",
    boundary_fill_value=0,
    boundary_ignore_threshold=0.5,
    x_cyclic=False,
    y_cyclic=False,
    bad_value_mode="strict",
    bad_fill_value=0,
    despike_jacobian=False,
):
    for name, value, allowed in (
        ("kernel", kernel, ("gaussian", "hann")),
        ("boundary_mode", boundary_mode,
         ("strict", "constant", "grid-constant", "ignore", "ignore_threshold", "nearest")),
        ("bad_value_mode", bad_value_mode, ("strict", "constant", "ignore")),
    ):
        if not isinstance(value, str) or value.lower() not in allowed:
            raise ValueError(f"{name} {value!r} is not one of {', '.join(map(repr, allowed))}")
    options = {
        "method": "adaptive",
        "roundtrip": bool(roundtrip_coords),
        "center_jacobian": bool(center_jacobian),
        "despike_jacobian": bool(despike_jacobian),
        "conserve_flux": bool(conserve_flux),
        "kernel": kernel.lower(),
        "kernel_width": float(kernel_width),
        "sample_region_width": float(sample_region_width),
        "boundary_mode": boundary_mode.lower(),
        "boundary_fill_value": float(boundary_fill_value),
        "boundary_ignore_threshold": float(boundary_ignore_threshold),
        "x_cyclic": bool(x_cyclic),
        "y_cyclic": bool(y_cyclic),
        "bad_value_mode": bad_value_mode.lower(),
        "bad_fill_value": float(bad_fill_value),
    }
    return options


def exact_options():
    # An output pixel that overlaps a NaN input pixel is NaN, as in
    # reproject (libtessera's default skips them).
    return {"method": "exact", "nan_mode": "propagate"}


def _reproject(
    input_data,
    output_projection,
    shape_out,
    hdu_in,
    options,
    return_footprint,
    output_array,
    output_footprint,
    block_size,
    parallel,
    return_type,
):
    _check_return_type(return_type)
    threads = _threads(parallel)
    source = None
    scratch = None
    if isinstance(input_data, (str, os.PathLike)):
        # A file goes to libtessera itself (mapped, shared with the worker
        # processes of parallel=N); astropy reads only its header here.
        from astropy.io import fits

        path = os.fspath(input_data)
        with fits.open(path) as hdul:
            if hdu_in is None and len(hdul) > 1:
                raise ValueError(
                    "More than one HDU is present, please specify "
                    "HDU to use with ``hdu_in=`` option"
                )
            hdu = hdul[0 if hdu_in is None else hdu_in]
            if not isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)) or not hdu.shape:
                raise ValueError(f"{path}: HDU {hdu_in!r} holds no image")
            in_shape = tuple(hdu.shape)
            bitpix = hdu.header.get("ZBITPIX", hdu.header["BITPIX"])
            in_dtype = np.float32 if bitpix in (8, 16, -32) else np.float64
            source = f"{path}[{hdul.index_of(hdu)}]"
    else:
        data, header_in = parse_input_data(input_data, hdu_in=hdu_in)
        if _is_dask_array(data):
            # Into a scratch file, a chunk at a time; then as a file.
            in_shape = data.shape
            in_dtype = np.float32 if data.dtype == np.float32 else np.float64
            path, scratch = _dask_to_scratch(data, header_in)
            source = path
        else:
            data = np.asanyarray(data)
            in_shape, in_dtype = data.shape, data.dtype
    header_out, shape_out = parse_output_projection(
        output_projection, shape_out=shape_out, output_array=output_array
    )
    if len(in_shape) < 2:
        raise ValueError(f"input data must have 2 or more dimensions, not {len(in_shape)}")
    block = _block(block_size, shape_out)
    image_shape = shape_out[-2:]
    # Planes: the target's own axes 3+ when it has them, else the input's.
    if len(shape_out) == 2 and len(in_shape) > 2:
        shape_out = tuple(in_shape[:-2]) + tuple(shape_out)
    if output_array is not None and output_array.shape != shape_out:
        raise ValueError(
            f"output_array has shape {output_array.shape}, not {shape_out}"
        )
    if output_footprint is not None and output_footprint.shape != shape_out:
        raise ValueError(
            f"output_footprint has shape {output_footprint.shape}, not {shape_out}"
        )
    # Computed straight into output_array when it has the result's type
    # (float32 for a float32 input, else float64), else copied in.
    out = None
    if (
        output_array is not None
        and isinstance(output_array, np.ndarray)
        and output_array.flags.c_contiguous
        and output_array.flags.writeable
        and output_array.dtype.isnative
        and output_array.dtype == (np.float32 if in_dtype == np.float32 else np.float64)
    ):
        out = output_array
    want_footprint = bool(return_footprint) or output_footprint is not None
    if return_type == "dask":
        if output_array is not None or output_footprint is not None:
            raise ValueError("return_type='dask' takes no output_array or output_footprint")
        if threads != 1:
            raise ValueError(
                "return_type='dask' takes no parallel: dask's scheduler runs the chunks"
            )
        if source is not None:
            plan_args = {"path": source}
        else:
            plan_args = {"data": data, "header_in": header_in}
        plan_args.update(header_out=header_out, shape_out=image_shape, options=options)
        return _dask_result(
            plan_args, shape_out, image_shape, block, bool(return_footprint), keep=scratch
        )
    try:
        if source is not None:
            array, footprint = _tessera.reproject_file(
                source,
                header_out,
                image_shape,
                options=options,
                block_size=block,
                jobs=threads,
                footprint=want_footprint,
                out=out,
            )
        else:
            array, footprint = _tessera.reproject(
                data,
                header_in,
                header_out,
                image_shape,
                options=options,
                block_size=block,
                threads=threads,
                footprint=want_footprint,
                out=out,
            )
    except _tessera.NoOverlapError:
        # reproject's result off the input: no values, no footprint.
        array = np.full(shape_out, np.nan)
        footprint = np.zeros(image_shape, dtype=np.float32)
    if array.size != int(np.prod(shape_out)):
        raise ValueError(
            f"the output has {array.size} pixels, not those of shape_out {shape_out}"
        )
    if output_array is None:
        output_array = array.reshape(shape_out).astype(np.float64, copy=False)
    elif array is not output_array:
        output_array[...] = array.reshape(shape_out)
    if not want_footprint:
        return output_array
    if output_footprint is None:
        output_footprint = np.empty(shape_out, dtype=np.float64)
    output_footprint[...] = np.broadcast_to(footprint, shape_out)
    if return_footprint:
        return output_array, output_footprint
    return output_array


def reproject_interp(
    input_data,
    output_projection,
    shape_out=None,
    hdu_in=0,
    order="bilinear",
    independent_celestial_slices=False,
    output_array=None,
    return_footprint=True,
    output_footprint=None,
    block_size=None,
    parallel=False,
    roundtrip_coords=True,
    return_type=None,
):
    """Reproject data to a new projection by interpolation, as
    reproject.reproject_interp (order: 'nearest-neighbor', 'bilinear',
    'biquadratic', 'bicubic' or 0-3).  Planes beyond the two celestial
    axes are always reprojected independently, so
    independent_celestial_slices makes no difference.  Returns
    (array, footprint), or the array when return_footprint is False."""
    options = interp_options(
        order=order,
        roundtrip_coords=roundtrip_coords,
        independent_celestial_slices=independent_celestial_slices,
    )
    return _reproject(
        input_data, output_projection, shape_out, hdu_in, options,
        return_footprint, output_array, output_footprint, block_size,
        parallel, return_type,
    )


def reproject_adaptive(
    input_data,
    output_projection,
    shape_out=None,
    hdu_in=0,
    return_footprint=True,
    center_jacobian=False,
    roundtrip_coords=True,
    conserve_flux=False,
    kernel="gaussian",
    kernel_width=1.3,
    sample_region_width=4,
    boundary_mode="strict",
    boundary_fill_value=0,
    boundary_ignore_threshold=0.5,
    x_cyclic=False,
    y_cyclic=False,
    bad_value_mode="strict",
    bad_fill_value=0,
    despike_jacobian=False,
    output_array=None,
    output_footprint=None,
    block_size=None,
    parallel=False,
    return_type=None,
):
    """Reproject data with the adaptive, anti-aliased method (DeForest
    2004), as reproject.reproject_adaptive, with the same options and
    defaults (positional order as reproject 0.10; bad_value_mode,
    bad_fill_value, despike_jacobian and the arguments after them are
    later reproject's, to be given by name)."""
    options = adaptive_options(
        center_jacobian=center_jacobian,
        roundtrip_coords=roundtrip_coords,
        conserve_flux=conserve_flux,
        kernel=kernel,
        kernel_width=kernel_width,
        sample_region_width=sample_region_width,
        boundary_mode=boundary_mode,
        boundary_fill_value=boundary_fill_value,
        boundary_ignore_threshold=boundary_ignore_threshold,
        x_cyclic=x_cyclic,
        y_cyclic=y_cyclic,
        bad_value_mode=bad_value_mode,
        bad_fill_value=bad_fill_value,
        despike_jacobian=despike_jacobian,
    )
    return _reproject(
        input_data, output_projection, shape_out, hdu_in, options,
        return_footprint, output_array, output_footprint, block_size,
        parallel, return_type,
    )


def reproject_exact(
    input_data,
    output_projection,
    shape_out=None,
    hdu_in=0,
    parallel=False,
    return_footprint=True,
    output_array=None,
    output_footprint=None,
    block_size=None,
    return_type=None,
):
    """Reproject data with the exact, flux-conserving overlap method, as
    reproject.reproject_exact: an output pixel that overlaps a NaN input
    pixel is NaN, as in reproject."""
    options = exact_options()
    return _reproject(
        input_data, output_projection, shape_out, hdu_in, options,
        return_footprint, output_array, output_footprint, block_size,
        parallel, return_type,
    )
