MISTAKE = {
    "en": "Padding ignored: the input is never zero-padded, so there are too few rows. Pad H and W on both sides (e.g. with np.pad) before extracting the windows.",
    "ko": "패딩을 적용하지 않았습니다: 입력에 0을 채우지 않아서 행의 개수가 모자랍니다. 창을 뽑기 전에 H와 W의 양쪽에 패딩하세요(예: np.pad).",
}

"""Mutant of ``im2col`` (padding-ignored): deliberately wrong, see MISTAKE."""

import operator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _check_int(name, value, minimum):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _as_4d(name, a):
    a = np.asarray(a)
    if a.ndim != 4:
        raise ValueError(f"{name} must be 4-D, got shape {a.shape}")
    return a


def _out_size(size, window, stride, pad, axis):
    span = size + 2 * pad - window
    if span < 0:
        raise ValueError(f"window {window} is larger than the padded {axis} {size} + 2*{pad}")
    if span % stride != 0:
        raise ValueError(f"stride={stride} does not tile {axis}={size} with window={window}, pad={pad}")
    return span // stride + 1


def _float_dtype(*arrays):
    dtype = np.result_type(*(a.dtype for a in arrays))
    if not np.issubdtype(dtype, np.inexact):
        dtype = np.dtype(np.float64)
    return dtype


def im2col(x, filter_h, filter_w, stride=1, pad=0):
    """Unfold x (N,C,H,W) into rows (n, oh, ow) x columns (c, fh, fw), as in Deep Learning from Scratch."""
    x = _as_4d("x", x)
    filter_h = _check_int("filter_h", filter_h, 1)
    filter_w = _check_int("filter_w", filter_w, 1)
    stride = _check_int("stride", stride, 1)
    pad = _check_int("pad", pad, 0)
    N, C, H, W = x.shape
    if H < 1 or W < 1:
        raise ValueError("spatial sizes of x must be >= 1")
    OH = _out_size(H, filter_h, stride, pad, "height")
    OW = _out_size(W, filter_w, stride, pad, "width")
    dtype = _float_dtype(x)

    xp = x.astype(dtype, copy=False)
    OH, OW = (H - filter_h) // stride + 1, (W - filter_w) // stride + 1
    windows = sliding_window_view(xp, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride]  # (N, C, OH, OW, fh, fw)
    out = np.empty((N, OH, OW, C, filter_h, filter_w), dtype=dtype)
    out[...] = windows.transpose(0, 2, 3, 1, 4, 5)
    return out.reshape(N * OH * OW, C * filter_h * filter_w)
