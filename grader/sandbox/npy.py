"""The ``.npy`` array format, written and read strictly: never a pickle.

Arrays cross the sandbox boundary in this format. Reading parses the header
numpy itself writes with a strict pattern (anything else goes through numpy's
own literal parser), then views the data in place.

Imported by the child runner too: standard library and numpy only.
"""

from __future__ import annotations

import io
import re
import struct

import numpy as np

ARRAY_KINDS = "biufcSU"  # numbers and fixed-width text: nothing else crosses as an array
MAX_NPY_HEADER = 65536


class NpyError(ValueError):
    """Bytes that are not an acceptable ``.npy`` array."""


_WRITTEN: dict[tuple[np.dtype, tuple], bytes] = {}  # headers made before, by (dtype, shape)
_READ: dict[bytes, tuple[np.dtype, tuple, bool, int]] = {}  # headers accepted before, with their data size
_MAGIC = b"\x93NUMPY"
_CACHED = 1024  # entries per cache: the same few shapes cross again and again


def npy_header(dtype: np.dtype, shape: tuple) -> bytes:
    """The ``.npy`` (version 1.0) header numpy would write for a C-ordered array."""
    key = (dtype, shape)
    header = _WRITTEN.get(key)
    if header is None:
        header = _make_header(dtype, tuple(shape))
        if len(_WRITTEN) < _CACHED:
            _WRITTEN[key] = header
    return header


def _make_header(dtype: np.dtype, shape: tuple) -> bytes:
    text = "{'descr': %r, 'fortran_order': False, 'shape': %r, }" % (dtype.str, tuple(shape))
    size = 10 + len(text) + 1
    text += " " * (-size % 64) + "\n"
    if len(text) > 65535 or dtype.descr != [("", dtype.str)]:
        header = io.BytesIO()  # unusual dtypes and huge ranks: numpy's own writer
        np.lib.format.write_array_header_2_0(
            header, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": tuple(shape)})
        return header.getvalue()
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin-1")


# The header numpy itself writes: {'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }
_NPY_HEADER = re.compile(
    r"\{'descr': '([<>|=]?[a-zA-Z]\d{0,9})', 'fortran_order': (True|False), 'shape': \(((?:\d{1,12}, ?)*\d{0,12})\), \} *\n")


def load_npy(data) -> np.ndarray:
    """An array from ``.npy`` bytes: the header as numpy writes it (parsed by a
    strict pattern, never a pickle), then the raw data viewed in place;
    anything else is an error."""
    view = data if type(data) is memoryview and data.format == "B" and data.ndim == 1 else memoryview(data).cast("B")
    prefix = view[:10].tobytes()
    if len(prefix) < 10 or prefix[:6] != _MAGIC or prefix[6] not in (1, 2, 3):
        raise NpyError("malformed array: no .npy magic")
    if prefix[6] == 1:
        length_size, length = 2, prefix[8] | prefix[9] << 8
    else:
        length_size, (length,) = 4, struct.unpack_from("<I", view, 8)
    start = 8 + length_size + length
    if start > len(view) or length > MAX_NPY_HEADER:
        raise NpyError("malformed array: header runs past the data")
    text = view[8 + length_size:start].tobytes()
    known = _READ.get(text)
    if known is None:
        dtype, shape, fortran_order = _parse_header(text)
        count = 1
        for size in shape:
            count *= size
        known = (dtype, shape, fortran_order, count * dtype.itemsize)
        if len(_READ) < _CACHED and len(text) <= 256:  # what a child sends must not fill memory
            _READ[text] = known
    dtype, shape, fortran_order, size = known
    if len(view) - start != size:
        raise NpyError("array data does not match its header")
    try:
        return np.ndarray(shape, dtype, buffer=view, offset=start, order="F" if fortran_order else "C")
    except Exception as error:  # noqa: BLE001 - sizes numpy cannot represent, and the like
        raise NpyError(f"malformed array: {type(error).__name__}") from error


def _parse_header(text: bytes) -> tuple[np.dtype, tuple, bool]:
    """(dtype, shape, fortran order) of an acceptable header; NpyError otherwise.
    Only the header numpy writes for an acceptable array is read: numpy's own
    reader, for anything else, takes tens of milliseconds on a crafted header."""
    match = _NPY_HEADER.fullmatch(text.decode("latin-1"))
    if match is None:
        raise NpyError("malformed array: not a header numpy writes")
    descr, fortran, shape_text = match.groups()
    try:
        dtype = np.dtype(descr)
    except TypeError as error:
        raise NpyError(f"malformed array: {type(error).__name__}") from error
    shape = tuple(int(size) for size in shape_text.replace(" ", "").split(",") if size)
    if dtype.hasobject or dtype.fields is not None or dtype.kind not in ARRAY_KINDS or dtype.itemsize == 0:
        raise NpyError(f"arrays of dtype {dtype} are not accepted")
    return dtype, shape, fortran == "True"
