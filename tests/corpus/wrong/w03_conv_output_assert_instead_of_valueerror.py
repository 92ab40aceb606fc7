# WRONG (conv-output-size): validates with assert, so invalid sizes raise AssertionError instead of ValueError. Base: s02_output_position_loops.py.
"""CNN basics assignment.

Loops only over the output positions (i, j); the batch, channel and filter
axes are handled with numpy (tensordot / broadcasting).
"""
import numpy as np


def _out_size(n, k, s, p):
    # 공통 검사: 나누어떨어지지 않거나 결과가 1보다 작으면 ValueError
    if s < 1 or p < 0 or n < 1 or k < 1:
        raise ValueError(f"invalid arguments: size={n}, kernel={k}, stride={s}, pad={p}")
    span = n + 2 * p - k
    if span < 0:
        raise ValueError("kernel larger than the (padded) input")
    if span % s:
        raise ValueError(f"({n} + 2*{p} - {k}) is not divisible by {s}")
    return span // s + 1


def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    assert stride >= 1 and pad >= 0 and input_size >= 1 and filter_size >= 1, "invalid arguments"
    span = input_size + 2 * pad - filter_size
    assert span >= 0, "kernel larger than the (padded) input"
    assert span % stride == 0, f"({input_size} + 2*{pad} - {filter_size}) is not divisible by {stride}"
    return span // stride + 1


def pool_output_size(input_size, pool_size, stride=None) -> int:
    return _out_size(input_size, pool_size, pool_size if stride is None else stride, 0)


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
    return out_channels * (in_channels * kernel_h * kernel_w + (1 if bias else 0))


def dense_param_count(in_features, out_features, bias=True) -> int:
    return (in_features + int(bool(bias))) * out_features


def _pad(x, p):
    if p == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")


def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:
    N, C, H, W = x.shape
    F, C2, FH, FW = w.shape
    OH = _out_size(H, FH, stride, pad)
    OW = _out_size(W, FW, stride, pad)
    xp = _pad(x, pad)

    out = np.empty((N, F, OH, OW), dtype=np.result_type(x, w, b))
    for i in range(OH):
        for j in range(OW):
            patch = xp[:, :, i * stride:i * stride + FH, j * stride:j * stride + FW]  # (N, C, FH, FW)
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))      # (N, F)
    out += b[None, :, None, None]
    return out


def conv2d_backward(dout, x, w, b, stride=1, pad=0) -> tuple:
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    OH = _out_size(H, FH, stride, pad)
    OW = _out_size(W, FW, stride, pad)
    xp = _pad(x, pad)

    dxp = np.zeros(xp.shape, dtype=np.result_type(dout, w))
    dw = np.zeros(w.shape, dtype=np.result_type(dout, x))
    for i in range(OH):
        for j in range(OW):
            hs, ws = i * stride, j * stride
            patch = xp[:, :, hs:hs + FH, ws:ws + FW]      # (N, C, FH, FW)
            g = dout[:, :, i, j]                           # (N, F)
            dw += np.tensordot(g, patch, axes=([0], [0]))  # (F, C, FH, FW)
            dxp[:, :, hs:hs + FH, ws:ws + FW] += np.tensordot(g, w, axes=([1], [0]))  # (N, C, FH, FW)
    db = dout.sum(axis=(0, 2, 3))
    dx = dxp[:, :, pad:pad + H, pad:pad + W].copy()
    return (dx, dw, db)


def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    OH = pool_output_size(H, pool_h, stride)
    OW = pool_output_size(W, pool_w, stride)
    out = np.empty((N, C, OH, OW), dtype=x.dtype)
    for i in range(OH):
        for j in range(OW):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w].max(axis=(2, 3))
    return out


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    OH = pool_output_size(H, pool_h, stride)
    OW = pool_output_size(W, pool_w, stride)
    dx = np.zeros(x.shape, dtype=np.result_type(x, dout))
    n_idx, c_idx = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    for i in range(OH):
        for j in range(OW):
            hs, ws = i * stride, j * stride
            window = x[:, :, hs:hs + pool_h, ws:ws + pool_w].reshape(N, C, -1)
            k = window.argmax(axis=2)                      # first maximum, row-major
            r, s = np.divmod(k, pool_w)
            # (n, c) pairs are all distinct inside one window, so += is safe here
            dx[n_idx, c_idx, hs + r, ws + s] += dout[:, :, i, j]
    return dx


def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    N, C, H, W = x.shape
    OH = _out_size(H, filter_h, stride, pad)
    OW = _out_size(W, filter_w, stride, pad)
    xp = _pad(x, pad)
    col = np.empty((N, OH, OW, C * filter_h * filter_w), dtype=x.dtype)
    for i in range(OH):
        for j in range(OW):
            col[:, i, j, :] = xp[:, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w].reshape(N, -1)
    return col.reshape(N * OH * OW, -1)
