# CNN basics — adapted from my CS231n assignment 2 code (im2col with fancy indexing),
# changed to the book's (N*OH*OW, C*FH*FW) layout that this course uses.
from collections import namedtuple

import numpy as np

ConvGrads = namedtuple("ConvGrads", ["dx", "dw", "db"])


def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    if stride < 1:
        raise ValueError("stride must be at least 1")
    if pad < 0:
        raise ValueError("pad must be non-negative")
    if min(input_size, filter_size) < 1:
        raise ValueError("input_size and filter_size must be positive")
    if filter_size > input_size + 2 * pad:
        raise ValueError("filter is larger than the padded input")
    assert_msg = "Invalid conv params: (%d + 2*%d - %d) %% %d != 0" % (input_size, pad, filter_size, stride)
    if (input_size + 2 * pad - filter_size) % stride != 0:
        raise ValueError(assert_msg)
    return (input_size + 2 * pad - filter_size) // stride + 1


def pool_output_size(input_size, pool_size, stride=None) -> int:
    if stride is None:
        stride = pool_size
    return conv_output_size(input_size, pool_size, stride, 0)


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
    shapes = [(out_channels, in_channels, kernel_h, kernel_w)]
    if bias:
        shapes.append((out_channels,))
    return sum(int(np.prod(s)) for s in shapes)


def dense_param_count(in_features, out_features, bias=True) -> int:
    params = {"W": (in_features, out_features)}
    if bias:
        params["b"] = (out_features,)
    return sum(int(np.prod(shape)) for shape in params.values())


def get_im2col_indices(x_shape, field_height, field_width, padding=1, stride=1):
    N, C, H, W = x_shape
    out_height = conv_output_size(H, field_height, stride, padding)
    out_width = conv_output_size(W, field_width, stride, padding)

    i0 = np.repeat(np.arange(field_height), field_width)
    i0 = np.tile(i0, C)
    i1 = stride * np.repeat(np.arange(out_height), out_width)
    j0 = np.tile(np.arange(field_width), field_height * C)
    j1 = stride * np.tile(np.arange(out_width), out_height)
    i = i0.reshape(-1, 1) + i1.reshape(1, -1)
    j = j0.reshape(-1, 1) + j1.reshape(1, -1)

    k = np.repeat(np.arange(C), field_height * field_width).reshape(-1, 1)

    return (k, i, j)


def _cols_cs231n(x, field_height, field_width, padding, stride):
    """(C*FH*FW, N*OH*OW) with the batch OUTER (n, oh, ow) — so that .T is the book layout."""
    p = padding
    x_padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode='constant')
    k, i, j = get_im2col_indices(x.shape, field_height, field_width, padding, stride)
    cols = x_padded[:, k, i, j]                       # (N, C*FH*FW, OH*OW)
    C = x.shape[1]
    cols = cols.transpose(1, 0, 2).reshape(field_height * field_width * C, -1)
    return cols


def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    return _cols_cs231n(x, filter_h, filter_w, pad, stride).T


def col2im_indices(cols, x_shape, field_height=3, field_width=3, padding=1, stride=1):
    """cols: (C*FH*FW, N*OH*OW) with the batch outer, as produced by _cols_cs231n."""
    N, C, H, W = x_shape
    H_padded, W_padded = H + 2 * padding, W + 2 * padding
    x_padded = np.zeros((N, C, H_padded, W_padded), dtype=cols.dtype)
    k, i, j = get_im2col_indices(x_shape, field_height, field_width, padding, stride)
    cols_reshaped = cols.reshape(C * field_height * field_width, N, -1)
    cols_reshaped = cols_reshaped.transpose(1, 0, 2)
    np.add.at(x_padded, (slice(None), k, i, j), cols_reshaped)
    if padding == 0:
        return x_padded
    return x_padded[:, :, padding:-padding, padding:-padding]


def conv2d_forward(x, W, b, stride=1, pad=0) -> np.ndarray:
    N, C, H, Wd = x.shape
    F, _, HH, WW = W.shape
    H_out = conv_output_size(H, HH, stride, pad)
    W_out = conv_output_size(Wd, WW, stride, pad)
    x_cols = _cols_cs231n(x, HH, WW, pad, stride)            # (C*HH*WW, N*H_out*W_out)
    res = W.reshape(F, -1).dot(x_cols) + b.reshape(-1, 1)     # (F, N*H_out*W_out)
    out = res.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)
    return out


def conv2d_backward(dout, x, W, b, stride=1, pad=0) -> tuple:
    N, C, H, Wd = x.shape
    F, _, HH, WW = W.shape
    conv_output_size(H, HH, stride, pad)
    conv_output_size(Wd, WW, stride, pad)
    x_cols = _cols_cs231n(x, HH, WW, pad, stride)

    db = np.sum(dout, axis=(0, 2, 3))
    dout_reshaped = dout.transpose(1, 0, 2, 3).reshape(F, -1)  # (F, N*OH*OW), batch outer
    dw = dout_reshaped.dot(x_cols.T).reshape(W.shape)
    dx_cols = W.reshape(F, -1).T.dot(dout_reshaped)
    dx = col2im_indices(dx_cols, x.shape, HH, WW, pad, stride)
    return ConvGrads(dx, dw, db)


def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    out_h = pool_output_size(H, pool_h, stride)
    out_w = pool_output_size(W, pool_w, stride)
    x_split = x.reshape(N * C, 1, H, W)
    cols = _cols_cs231n(x_split, pool_h, pool_w, 0, stride)     # (PH*PW, N*C*OH*OW)
    out = cols.max(axis=0)
    return out.reshape(N, C, out_h, out_w)


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    pool_output_size(H, pool_h, stride)
    pool_output_size(W, pool_w, stride)
    x_split = x.reshape(N * C, 1, H, W)
    cols = _cols_cs231n(x_split, pool_h, pool_w, 0, stride)
    max_idx = np.argmax(cols, axis=0)
    dcols = np.zeros_like(cols, dtype=dout.dtype)
    dcols[max_idx, np.arange(max_idx.size)] = dout.ravel()
    dx = col2im_indices(dcols, (N * C, 1, H, W), pool_h, pool_w, 0, stride)
    return dx.reshape(x.shape)
