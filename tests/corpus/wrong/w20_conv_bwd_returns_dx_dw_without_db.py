# WRONG (conv2d-backward): returns (dx, dw) and forgets db. Base: s06_offset_loops_masks.py.
#!/usr/bin/env python3
"""HW: CNN basics  (student id 20211234)

Strategy: loop over the offsets (p, q) inside the filter / pooling window and
do everything else with whole-array slicing.  Max-pool backward uses boolean
masks with a "already taken" flag so that only the FIRST maximum (row-major)
of each window receives the gradient.
"""
import numpy as np

__all__ = [
    "conv_output_size", "pool_output_size", "conv_param_count", "dense_param_count",
    "conv2d_forward", "conv2d_backward", "maxpool2d_forward", "maxpool2d_backward", "im2col",
]


def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    problems = []
    if stride < 1:
        problems.append("stride < 1")
    if pad < 0:
        problems.append("pad < 0")
    if input_size < 1:
        problems.append("input_size < 1")
    if filter_size < 1:
        problems.append("filter_size < 1")
    if problems:
        raise ValueError(", ".join(problems))
    numerator = input_size + 2 * pad - filter_size
    if numerator % stride != 0:
        raise ValueError("H + 2P - FH is not divisible by S")
    result = numerator // stride + 1
    if result < 1:
        raise ValueError("filter larger than padded input")
    return int(result)


def pool_output_size(input_size, pool_size, stride=None) -> int:
    if stride is None:
        stride = pool_size
    return conv_output_size(input_size, pool_size, stride=stride, pad=0)


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
    total = out_channels * in_channels * kernel_h * kernel_w
    if bias is True:
        total += out_channels
    return total


def dense_param_count(in_features, out_features, bias=True) -> int:
    return in_features * out_features + bias * out_features


def _sizes(x_shape, kh, kw, stride, pad):
    return (conv_output_size(x_shape[2], kh, stride, pad),
            conv_output_size(x_shape[3], kw, stride, pad))


def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:
    N = x.shape[0]
    F, C, FH, FW = w.shape
    OH, OW = _sizes(x.shape, FH, FW, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))

    out = np.zeros((N, OH, OW, F), dtype=np.promote_types(x.dtype, w.dtype))
    for p in range(FH):
        for q in range(FW):
            sl = xp[:, :, p:p + stride * OH:stride, q:q + stride * OW:stride]  # (N, C, OH, OW)
            out += np.tensordot(sl, w[:, :, p, q], axes=([1], [1]))           # (N, OH, OW, F)
    out += b
    return np.moveaxis(out, 3, 1)


def conv2d_backward(dout, x, w, b, stride=1, pad=0) -> tuple:
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    OH, OW = _sizes(x.shape, FH, FW, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))

    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for p in range(FH):
        for q in range(FW):
            sl = xp[:, :, p:p + stride * OH:stride, q:q + stride * OW:stride]     # (N, C, OH, OW)
            dw[:, :, p, q] = np.tensordot(dout, sl, axes=([0, 2, 3], [0, 2, 3]))  # (F, C)
            dxp[:, :, p:p + stride * OH:stride, q:q + stride * OW:stride] += \
                np.tensordot(w[:, :, p, q], dout, axes=([0], [1])).transpose(1, 0, 2, 3)
    db = dout.sum(axis=0).sum(axis=1).sum(axis=1)
    dx = dxp[:, :, pad:pad + H, pad:pad + W]
    return dx, dw


def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
    OH = pool_output_size(x.shape[2], pool_h, stride)
    OW = pool_output_size(x.shape[3], pool_w, stride)
    out = None
    for p in range(pool_h):
        for q in range(pool_w):
            sl = x[:, :, p:p + stride * OH:stride, q:q + stride * OW:stride]
            out = sl.copy() if out is None else np.maximum(out, sl)
    return out


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
    OH = pool_output_size(x.shape[2], pool_h, stride)
    OW = pool_output_size(x.shape[3], pool_w, stride)
    m = maxpool2d_forward(x, pool_h, pool_w, stride)
    dx = np.zeros(x.shape, dtype=dout.dtype)
    taken = np.zeros(m.shape, dtype=bool)     # 이미 최댓값을 찾은 창
    for p in range(pool_h):                   # 행 우선 순서로 훑는다
        for q in range(pool_w):
            sl = x[:, :, p:p + stride * OH:stride, q:q + stride * OW:stride]
            mask = (sl == m) & ~taken
            taken |= mask
            dx[:, :, p:p + stride * OH:stride, q:q + stride * OW:stride] += np.where(mask, dout, 0)
    return dx


def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    N, C = x.shape[:2]
    OH, OW = _sizes(x.shape, filter_h, filter_w, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    pieces = [xp[:, :, p:p + stride * OH:stride, q:q + stride * OW:stride]
              for p in range(filter_h) for q in range(filter_w)]
    col = np.stack(pieces, axis=2)                       # (N, C, FH*FW, OH, OW)
    col = col.transpose(0, 3, 4, 1, 2)                    # (N, OH, OW, C, FH*FW)
    return col.reshape(N * OH * OW, C * filter_h * filter_w)
