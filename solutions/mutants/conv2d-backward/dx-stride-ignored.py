MISTAKE = {
    "en": "Stride ignored when scattering dx: output (oh, ow) came from the window starting at (oh*stride, ow*stride), so its gradient must be sent back to that window.",
    "ko": "dx를 뿌릴 때 stride를 무시했습니다: 출력 (oh, ow)는 (oh*stride, ow*stride)에서 시작하는 창에서 나왔으므로 기울기도 그 창으로 돌려보내야 합니다.",
}

"""Mutant of ``conv2d-backward`` (dx-stride-ignored): deliberately wrong, see MISTAKE."""

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


def conv2d_backward(dout, x, w, b, stride=1, pad=0):
    """Gradients (dx, dw, db) of conv2d_forward(x, w, b, stride, pad) given upstream dout (N,F,OH,OW)."""
    x = _as_4d("x", x)
    w = _as_4d("w", w)
    b = np.asarray(b)
    dout = np.asarray(dout)
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
    if dout.shape != (N, F, OH, OW):
        raise ValueError(f"dout must have shape {(N, F, OH, OW)}, got {dout.shape}")
    dtype = _float_dtype(dout, x, w)
    dout = dout.astype(dtype, copy=False)

    xp = np.pad(x.astype(dtype, copy=False), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.empty((C, HH, WW, N, OH, OW), dtype=dtype)  # im2col of the padded input
    for i in range(HH):
        for j in range(WW):
            col[:, i, j] = xp[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride].transpose(1, 0, 2, 3)
    dout_f = dout.transpose(1, 0, 2, 3).reshape(F, N * OH * OW)

    db = dout.sum(axis=(0, 2, 3))
    dw = (dout_f @ col.reshape(C * HH * WW, N * OH * OW).T).reshape(F, C, HH, WW)

    dcol = (w.astype(dtype, copy=False).reshape(F, C * HH * WW).T @ dout_f).reshape(C, HH, WW, N, OH, OW)
    dxp = np.zeros(xp.shape, dtype=dtype)
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i:i + OH, j:j + OW] += dcol[:, i, j].transpose(1, 0, 2, 3)
    dx = dxp[:, :, pad:pad + H, pad:pad + W].copy()
    return dx, dw, db
