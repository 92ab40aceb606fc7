"""Reference solution for exercise ``maxpool2d-forward``."""

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


def maxpool2d_forward(x, pool_h, pool_w, stride):
    """Max pooling of x (N,C,H,W) with a pool_h x pool_w window; returns (N,C,OH,OW)."""
    x = _as_4d("x", x)
    pool_h = _check_int("pool_h", pool_h, 1)
    pool_w = _check_int("pool_w", pool_w, 1)
    stride = _check_int("stride", stride, 1)
    N, C, H, W = x.shape
    OH = _out_size(H, pool_h, stride, 0, "height")
    OW = _out_size(W, pool_w, stride, 0, "width")

    out = None
    for i in range(pool_h):
        for j in range(pool_w):
            part = x[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
            out = part.copy() if out is None else np.maximum(out, part, out=out)
    return out
