# WRONG (conv2d-backward): resets dw inside the batch loop, so dw is the last sample's gradient only. Base: s01_nested_loops.py.
# CNN 기초 과제 - 2023xxxxxx 김민수
# 반복문으로 정직하게 구현했습니다. (벡터화는 다음에...)

import numpy as np


def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    if stride < 1:
        raise ValueError("stride must be >= 1")
    if pad < 0:
        raise ValueError("pad must be >= 0")
    if input_size < 1 or filter_size < 1:
        raise ValueError("sizes must be >= 1")
    if (input_size + 2 * pad - filter_size) % stride != 0:
        raise ValueError("not divisible")
    out = (input_size + 2 * pad - filter_size) // stride + 1
    if out < 1:
        raise ValueError("output smaller than 1")
    return out


def pool_output_size(input_size, pool_size, stride=None) -> int:
    if stride is None:
        stride = pool_size
    if stride < 1:
        raise ValueError("stride must be >= 1")
    if input_size < 1 or pool_size < 1:
        raise ValueError("sizes must be >= 1")
    if (input_size - pool_size) % stride != 0:
        raise ValueError("not divisible")
    out = (input_size - pool_size) // stride + 1
    if out < 1:
        raise ValueError("output smaller than 1")
    return out


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
    count = in_channels * out_channels * kernel_h * kernel_w
    if bias:
        count += out_channels
    return count


def dense_param_count(in_features, out_features, bias=True) -> int:
    count = in_features * out_features
    if bias:
        count = count + out_features
    return count


def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    OH = conv_output_size(H, FH, stride, pad)
    OW = conv_output_size(W, FW, stride, pad)

    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, OH, OW), dtype=x.dtype)

    for n in range(N):
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    hs = i * stride
                    ws = j * stride
                    window = xp[n, :, hs:hs + FH, ws:ws + FW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out


def conv2d_backward(dout, x, w, b, stride=1, pad=0) -> tuple:
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    OH = conv_output_size(H, FH, stride, pad)
    OW = conv_output_size(W, FW, stride, pad)

    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    db = np.zeros_like(b)

    for n in range(N):
        dw = np.zeros_like(w)
        for f in range(F):
            for i in range(OH):
                for j in range(OW):
                    hs = i * stride
                    ws = j * stride
                    g = dout[n, f, i, j]
                    db[f] += g
                    dw[f] += g * xp[n, :, hs:hs + FH, ws:ws + FW]
                    dxp[n, :, hs:hs + FH, ws:ws + FW] += g * w[f]

    dx = dxp[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    if pool_h < 1 or pool_w < 1:
        raise ValueError("pool size must be >= 1")
    OH = pool_output_size(H, pool_h, stride)
    OW = pool_output_size(W, pool_w, stride)

    out = np.zeros((N, C, OH, OW), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = x[n, c, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w]
                    out[n, c, i, j] = np.max(window)
    return out


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    if pool_h < 1 or pool_w < 1:
        raise ValueError("pool size must be >= 1")
    OH = pool_output_size(H, pool_h, stride)
    OW = pool_output_size(W, pool_w, stride)

    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    hs = i * stride
                    ws = j * stride
                    window = x[n, c, hs:hs + pool_h, ws:ws + pool_w]
                    k = np.argmax(window)          # 첫 번째 최댓값 (행 우선)
                    r, s = k // pool_w, k % pool_w
                    dx[n, c, hs + r, ws + s] += dout[n, c, i, j]
    return dx


def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    N, C, H, W = x.shape
    OH = conv_output_size(H, filter_h, stride, pad)
    OW = conv_output_size(W, filter_w, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))

    col = np.zeros((N * OH * OW, C * filter_h * filter_w), dtype=x.dtype)
    row = 0
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                hs = i * stride
                ws = j * stride
                col[row, :] = xp[n, :, hs:hs + filter_h, ws:ws + filter_w].reshape(-1)
                row += 1
    return col
