MISTAKE = {
    "en": "Gradient sent to every tied maximum: the forward pass used only one element of the window, so when several elements share the maximum, route dout only to the first one in row-major order (np.argmax on the flattened window).",
    "ko": "동점인 최댓값 모두에 기울기를 보냈습니다: 순전파는 창에서 원소 하나만 사용했으므로, 같은 최댓값이 여러 개이면 행 우선 순서로 첫 번째인 원소(평탄화한 창에 np.argmax)에만 dout을 보내세요.",
}

"""Mutant of ``maxpool2d-backward`` (ties-to-all-maxima): deliberately wrong, see MISTAKE."""

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
    is_max = flat == flat.max(axis=-1, keepdims=True)  # (N, C, OH, OW, pool_h*pool_w)
    dx = np.zeros(x.shape, dtype=dtype)
    for i in range(pool_h):
        for j in range(pool_w):
            routed = np.where(is_max[..., i * pool_w + j], dout, 0)
            dx[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += routed
    return dx
