MISTAKE = {
    "en": "Input x overwritten: the gradient is built in x's own memory (dx = x), which destroys the caller's array. The values are right, but never modify an input; allocate a new dx (e.g. np.zeros_like(x)).",
    "ko": "입력 x를 덮어썼습니다: 기울기를 x의 메모리에 그대로 만들어서(dx = x) 호출한 쪽의 배열이 망가집니다. 값은 맞지만 입력은 절대 수정하지 말고, dx는 새로 만드세요(예: np.zeros_like(x)).",
}

"""Mutant of ``maxpool2d-backward`` (modifies-x-in-place): deliberately wrong, see MISTAKE."""

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
    idx = flat.argmax(axis=-1)  # first maximum, row-major within the window
    rows = np.arange(OH).reshape(OH, 1) * stride + idx // pool_w
    cols = np.arange(OW).reshape(1, OW) * stride + idx % pool_w
    target = np.arange(N * C).reshape(N, C, 1, 1) * (H * W) + rows * W + cols
    dx = x  # reuse x's memory for the gradient
    dx[...] = 0
    np.add.at(dx, np.unravel_index(target, dx.shape), dout)  # overlapping windows accumulate
    return dx
