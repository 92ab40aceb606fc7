MISTAKE = {
    "en": "Padding ignored: the input is never zero-padded, so the output is too small. Pad H and W on both sides (e.g. with np.pad) before sliding the filter.",
    "ko": "패딩을 적용하지 않았습니다: 입력에 0을 채우지 않아서 출력이 너무 작습니다. 필터를 움직이기 전에 H와 W의 양쪽에 패딩하세요(예: np.pad).",
}

"""Mutant of ``conv2d-forward`` (padding-ignored): deliberately wrong, see MISTAKE."""

import operator

import numpy as np


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


def conv2d_forward(x, w, b, stride=1, pad=0):
    """Cross-correlate x (N,C,H,W) with w (F,C,HH,WW), add b (F,); returns (N,F,OH,OW)."""
    x = _as_4d("x", x)
    w = _as_4d("w", w)
    b = np.asarray(b)
    N, C, H, W = x.shape
    F, Cw, HH, WW = w.shape
    if Cw != C:
        raise ValueError(f"x has {C} channels but w expects {Cw}")
    if b.shape != (F,):
        raise ValueError(f"b must have shape ({F},), got {b.shape}")
    if H < 1 or W < 1 or HH < 1 or WW < 1:
        raise ValueError("spatial sizes of x and w must be >= 1")
    stride = _check_int("stride", stride, 1)
    pad = _check_int("pad", pad, 0)
    OH = _out_size(H, HH, stride, pad, "height")
    OW = _out_size(W, WW, stride, pad, "width")
    dtype = _float_dtype(x, w, b)

    xp = x.astype(dtype, copy=False)
    OH, OW = (H - HH) // stride + 1, (W - WW) // stride + 1
    # im2col in (C, HH, WW, N, OH, OW) layout: one strided copy per kernel offset
    col = np.empty((C, HH, WW, N, OH, OW), dtype=dtype)
    for i in range(HH):
        for j in range(WW):
            col[:, i, j] = xp[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride].transpose(1, 0, 2, 3)
    out = w.astype(dtype, copy=False).reshape(F, C * HH * WW) @ col.reshape(C * HH * WW, N * OH * OW)
    out = out.reshape(F, N, OH, OW) + b.astype(dtype, copy=False).reshape(F, 1, 1, 1)
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3))
