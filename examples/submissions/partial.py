"""CNN basics: my solutions (sample submission)."""

from numpy.lib.stride_tricks import sliding_window_view
import numpy as np
import operator


# --- conv-output-size ---
def _check_int(name, value, minimum):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def conv_output_size(input_size, filter_size, stride=1, pad=0):
    """Output length of a convolution: (input_size + 2*pad - filter_size) / stride + 1."""
    input_size = _check_int("input_size", input_size, 1)
    filter_size = _check_int("filter_size", filter_size, 1)
    stride = _check_int("stride", stride, 1)
    pad = _check_int("pad", pad, 0)
    span = input_size + 2 * pad - filter_size
    if span < 0:
        raise ValueError(f"filter_size={filter_size} is larger than the padded input ({input_size} + 2*{pad})")
    if span % stride != 0:
        raise ValueError(f"stride={stride} does not tile input_size={input_size}, filter_size={filter_size}, pad={pad}")
    return span / stride + 1


# --- pool-output-size ---
def _check_int(name, value, minimum):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def pool_output_size(input_size, pool_size, stride=None):
    """Output length of pooling: (input_size - pool_size) / stride + 1; stride defaults to pool_size."""
    input_size = _check_int("input_size", input_size, 1)
    pool_size = _check_int("pool_size", pool_size, 1)
    if stride is None:
        stride = pool_size
    stride = _check_int("stride", stride, 1)
    span = input_size - pool_size
    if span < 0:
        raise ValueError(f"pool_size={pool_size} is larger than input_size={input_size}")
    if span % stride != 0:
        raise ValueError(f"stride={stride} does not tile input_size={input_size}, pool_size={pool_size}")
    return span // stride + 1


# --- conv-param-count ---
def _check_int(name, value, minimum):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True):
    """Learnable parameters of a conv layer: out*in*kh*kw weights (+ one bias per output channel)."""
    in_channels = _check_int("in_channels", in_channels, 1)
    out_channels = _check_int("out_channels", out_channels, 1)
    kernel_h = _check_int("kernel_h", kernel_h, 1)
    kernel_w = _check_int("kernel_w", kernel_w, 1)
    weights = out_channels * in_channels * kernel_h * kernel_w
    biases = out_channels if bias else 0
    return weights + biases


# --- dense-param-count ---
def _check_int(name, value, minimum):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def dense_param_count(in_features, out_features, bias=True):
    """Learnable parameters of a fully connected layer: in*out weights (+ one bias per output)."""
    in_features = _check_int("in_features", in_features, 1)
    out_features = _check_int("out_features", out_features, 1)
    weights = in_features * out_features
    biases = out_features if bias else 0
    return weights + biases


# --- conv2d-forward ---
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

    xp = np.pad(x.astype(dtype, copy=False), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # im2col in (C, HH, WW, N, OH, OW) layout: one strided copy per kernel offset
    col = np.empty((C, HH, WW, N, OH, OW), dtype=dtype)
    for i in range(HH):
        for j in range(WW):
            col[:, i, j] = xp[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride].transpose(1, 0, 2, 3)
    out = w[:, :, ::-1, ::-1].astype(dtype).reshape(F, C * HH * WW) @ col.reshape(C * HH * WW, N * OH * OW)
    out = out.reshape(F, N, OH, OW) + b.astype(dtype, copy=False).reshape(F, 1, 1, 1)
    return np.ascontiguousarray(out.transpose(1, 0, 2, 3))


# --- conv2d-backward ---
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
            dxp[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += dcol[:, i, j].transpose(1, 0, 2, 3)
    dx = dxp[:, :, pad:pad + H, pad:pad + W].copy()
    return dx, dw, db


# --- maxpool2d-forward ---
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


# --- maxpool2d-backward ---
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
