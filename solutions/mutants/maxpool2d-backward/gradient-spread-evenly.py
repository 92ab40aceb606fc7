MISTAKE = {
    "en": "Gradient spread evenly over the window: that is the backward pass of average pooling. In max pooling only the maximal element reached the output, so it alone receives dout; the other elements get 0.",
    "ko": "기울기를 창 전체에 고르게 나눴습니다: 그것은 평균 풀링의 역전파입니다. 최대 풀링에서는 최댓값 원소만 출력에 전달되었으므로 그 원소만 dout을 받고 나머지는 0을 받습니다.",
}

"""Mutant of ``maxpool2d-backward`` (gradient-spread-evenly): deliberately wrong, see MISTAKE."""

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


def maxpool2d_backward(dout, x, pool_h, pool_w, stride):
    """Gradient of maxpool2d_forward: each window's dout goes to its first maximum (row-major)."""
    x = _as_4d("x", x)
    dout = np.asarray(dout)
    pool_h = _check_int("pool_h", pool_h, 1)
    pool_w = _check_int("pool_w", pool_w, 1)
    stride = _check_int("stride", stride, 1)
    N, C, H, W = x.shape
    OH = _out_size(H, pool_h, stride, 0, "height")
    OW = _out_size(W, pool_w, stride, 0, "width")
    if dout.shape != (N, C, OH, OW):
        raise ValueError(f"dout must have shape {(N, C, OH, OW)}, got {dout.shape}")
    dtype = _float_dtype(dout, x)
    dout = dout.astype(dtype, copy=False)

    windows = sliding_window_view(x, (pool_h, pool_w), axis=(2, 3))[:, :, ::stride, ::stride]
    flat = windows.reshape(N, C, OH, OW, pool_h * pool_w)
    dx = np.zeros(x.shape, dtype=dtype)
    share = dout / (pool_h * pool_w)
    for i in range(pool_h):
        for j in range(pool_w):
            dx[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += share
    return dx
