# WRONG (pool-output-size): counts windows with a while loop and never checks stride < 1: stride=0 loops forever. Base: s10_float64_cast_fastpath.py.
# 과제: CNN 기초 (numpy)
# - 계산은 항상 float64 로 (정밀도 문제 방지) -> 결과도 float64
# - 풀링은 stride == pool 크기일 때 reshape 로 빠르게, 아니면 일반 경로
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view as swv


def _check(H, K, S, P):
    if S < 1:
        raise ValueError("stride < 1")
    if P < 0:
        raise ValueError("pad < 0")
    if H < 1 or K < 1:
        raise ValueError("size < 1")
    span = H + 2 * P - K
    if span < 0:
        raise ValueError("window larger than input")
    if span % S != 0:
        raise ValueError("not divisible")
    return span // S + 1


def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    return _check(input_size, filter_size, stride, pad)


def pool_output_size(input_size, pool_size, stride=None) -> int:
    if stride is None:
        stride = pool_size
    if input_size < 1 or pool_size < 1:
        raise ValueError("size < 1")
    # 창을 실제로 밀어 보면서 센다
    count, pos = 0, 0
    while pos + pool_size <= input_size:
        count += 1
        pos += stride
    if count < 1 or pos - stride + pool_size != input_size:
        raise ValueError("windows do not tile the input")
    return count


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
    n_w = in_channels * kernel_h * kernel_w * out_channels
    n_b = out_channels if bias else 0
    return n_w + n_b


def dense_param_count(in_features, out_features, bias=True) -> int:
    if bias:
        return in_features * out_features + out_features
    return in_features * out_features


def _f64(a):
    return np.asarray(a, dtype=np.float64)


def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:
    x, w, b = _f64(x), _f64(w), _f64(b)
    _check(x.shape[2], w.shape[2], stride, pad)
    _check(x.shape[3], w.shape[3], stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = swv(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]    # (N, C, OH, OW, FH, FW)
    out = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3]))              # (N, OH, OW, F)
    out = out + b
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def conv2d_backward(dout, x, w, b, stride=1, pad=0) -> tuple:
    dout, x, w = _f64(dout), _f64(x), _f64(w)
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    OH = _check(H, FH, stride, pad)
    OW = _check(W, FW, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = swv(xp, (FH, FW), axis=(2, 3))[:, :, ::stride, ::stride]        # (N, C, OH, OW, FH, FW)

    db = dout.sum(axis=(0, 2, 3))
    dw = np.tensordot(dout, win, axes=([0, 2, 3], [0, 2, 3]))           # (F, C, FH, FW)
    dcols = np.tensordot(dout, w, axes=([1], [0]))                       # (N, OH, OW, C, FH, FW)

    dxp = np.zeros_like(xp)
    for i in range(OH):
        for j in range(OW):
            dxp[:, :, i * stride:i * stride + FH, j * stride:j * stride + FW] += dcols[:, i, j]
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, db


def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
    x = _f64(x)
    N, C, H, W = x.shape
    OH = _check(H, pool_h, stride, 0)
    OW = _check(W, pool_w, stride, 0)
    if stride == pool_h == pool_w:
        return x.reshape(N, C, OH, pool_h, OW, pool_w).max(axis=(3, 5))
    return swv(x, (pool_h, pool_w), axis=(2, 3))[:, :, ::stride, ::stride].max(axis=(4, 5))


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
    dout, x = _f64(dout), _f64(x)
    N, C, H, W = x.shape
    OH = _check(H, pool_h, stride, 0)
    OW = _check(W, pool_w, stride, 0)

    if stride == pool_h and stride == pool_w:
        # 겹치지 않는 경우: (N, C, OH, OW, PH*PW) 로 바꿔 argmax
        blocks = x.reshape(N, C, OH, pool_h, OW, pool_w).transpose(0, 1, 2, 4, 3, 5).reshape(N, C, OH, OW, -1)
        onehot = np.zeros_like(blocks)
        np.put_along_axis(onehot, blocks.argmax(axis=-1)[..., None], dout[..., None], axis=-1)
        onehot = onehot.reshape(N, C, OH, OW, pool_h, pool_w).transpose(0, 1, 2, 4, 3, 5)
        return onehot.reshape(N, C, H, W)

    # 일반 경우: 창마다 첫 번째 최댓값 위치에 누적
    dx = np.zeros_like(x)
    for i in range(OH):
        for j in range(OW):
            win = x[:, :, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w].reshape(N, C, -1)
            one = np.zeros_like(win)
            np.put_along_axis(one, win.argmax(axis=2)[..., None], dout[:, :, i, j][..., None], axis=2)
            dx[:, :, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w] += one.reshape(N, C, pool_h, pool_w)
    return dx


def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    x = _f64(x)
    N, C, H, W = x.shape
    OH = _check(H, filter_h, stride, pad)
    OW = _check(W, filter_w, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = swv(xp, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.moveaxis(win, 1, 3).reshape(N * OH * OW, C * filter_h * filter_w)
