# WRONG (conv2d-forward): flips the kernel (true convolution) instead of cross-correlation. Base: s03_sliding_window_view.py.
# -*- coding: utf-8 -*-
# 딥러닝 과제 2: 합성곱 / 풀링
# numpy 1.20+ 의 sliding_window_view 를 사용한 버전
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    if input_size < 1 or filter_size < 1 or stride < 1 or pad < 0:
        raise ValueError("invalid argument")
    q, r = divmod(input_size + 2 * pad - filter_size, stride)
    if r != 0 or q + 1 < 1:
        raise ValueError("output size is not an integer >= 1")
    return q + 1


def pool_output_size(input_size, pool_size, stride=None) -> int:
    s = pool_size if stride is None else stride
    if input_size < 1 or pool_size < 1 or s < 1:
        raise ValueError("invalid argument")
    q, r = divmod(input_size - pool_size, s)
    if r or q < 0:
        raise ValueError("windows do not tile the input")
    return q + 1


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
    weights = out_channels * in_channels * kernel_h * kernel_w
    biases = out_channels if bias else 0
    return weights + biases


def dense_param_count(in_features, out_features, bias=True) -> int:
    return in_features * out_features + (out_features if bias else 0)


def _windows(x, kh, kw, stride, pad):
    """(N, C, OH, OW, kh, kw) 모양의 창 뷰 (읽기 전용)."""
    if pad:
        x = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    v = sliding_window_view(x, (kh, kw), axis=(2, 3))
    return v[:, :, ::stride, ::stride]


def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:
    OH = conv_output_size(x.shape[2], w.shape[2], stride, pad)
    OW = conv_output_size(x.shape[3], w.shape[3], stride, pad)
    win = _windows(x, w.shape[2], w.shape[3], stride, pad)
    assert win.shape[2:4] == (OH, OW)
    out = np.einsum("ncijpq,fcpq->nfij", win, w[:, :, ::-1, ::-1], optimize=True)  # 합성곱: 커널을 180도 뒤집는다
    return out + b.reshape(1, -1, 1, 1)


def conv2d_backward(dout, x, w, b, stride=1, pad=0) -> tuple:
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    OH = conv_output_size(H, FH, stride, pad)
    OW = conv_output_size(W, FW, stride, pad)

    win = _windows(x, FH, FW, stride, pad)                 # (N, C, OH, OW, FH, FW)
    dw = np.einsum("nfij,ncijpq->fcpq", dout, win, optimize=True)
    db = np.sum(dout, axis=(0, 2, 3))

    # dx: 필터의 각 위치 (p, q) 마다 기여를 더한다
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=np.result_type(dout, w))
    for p in range(FH):
        for q in range(FW):
            contrib = np.einsum("nfij,fc->ncij", dout, w[:, :, p, q])
            dxp[:, :, p:p + stride * OH:stride, q:q + stride * OW:stride] += contrib
    dx = dxp[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
    pool_output_size(x.shape[2], pool_h, stride)   # 검사만
    pool_output_size(x.shape[3], pool_w, stride)
    return _windows(x, pool_h, pool_w, stride, 0).max(axis=(-2, -1))


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    OH = pool_output_size(H, pool_h, stride)
    OW = pool_output_size(W, pool_w, stride)
    win = _windows(x, pool_h, pool_w, stride, 0).reshape(N, C, OH, OW, pool_h * pool_w)
    flat = win.argmax(axis=-1)                      # 창 안에서 첫 번째 최댓값
    r, s = np.unravel_index(flat, (pool_h, pool_w))
    rows = np.arange(OH)[:, None] * stride + r      # (N, C, OH, OW)
    cols = np.arange(OW)[None, :] * stride + s
    n = np.arange(N)[:, None, None, None]
    c = np.arange(C)[None, :, None, None]
    dx = np.zeros(x.shape, dtype=dout.dtype)
    np.add.at(dx, (n, c, rows, cols), dout)         # 겹치는 창은 누적
    return dx


def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    N, C, H, W = x.shape
    OH = conv_output_size(H, filter_h, stride, pad)
    OW = conv_output_size(W, filter_w, stride, pad)
    win = _windows(x, filter_h, filter_w, stride, pad)      # (N, C, OH, OW, FH, FW)
    return win.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * filter_h * filter_w)
