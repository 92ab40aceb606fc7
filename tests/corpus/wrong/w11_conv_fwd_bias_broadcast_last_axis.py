# WRONG (conv2d-forward): adds b with plain broadcasting (out += b), i.e. along the last (width) axis instead of the filter axis. Base: s05_as_strided_einsum.py.
import numpy as np
from numpy.lib.stride_tricks import as_strided

# 과제 3 - as_strided 로 창(window)을 만들고 einsum 으로 계산
# (as_strided 는 메모리를 복사하지 않으므로 절대 결과에 쓰지 않는다!)


def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    if not (stride >= 1 and pad >= 0 and input_size >= 1 and filter_size >= 1):
        raise ValueError("stride >= 1, pad >= 0, sizes >= 1 required")
    total = input_size + 2 * pad - filter_size
    if total < 0 or total % stride:
        raise ValueError(f"conv output size is not an integer >= 1 (H={input_size}, FH={filter_size}, S={stride}, P={pad})")
    return total // stride + 1


def pool_output_size(input_size, pool_size, stride=None) -> int:
    stride = pool_size if stride is None else stride
    if not (stride >= 1 and input_size >= 1 and pool_size >= 1):
        raise ValueError("stride >= 1, sizes >= 1 required")
    total = input_size - pool_size
    if total < 0 or total % stride:
        raise ValueError("pool output size is not an integer >= 1")
    return total // stride + 1


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
    # np.prod 는 numpy 정수를 돌려준다
    n = np.prod([out_channels, in_channels, kernel_h, kernel_w])
    return n + out_channels * bias


def dense_param_count(in_features, out_features, bias=True) -> int:
    W_shape = (in_features, out_features)
    b_shape = (out_features,)
    n = np.prod(W_shape)
    if bias:
        n += np.prod(b_shape)
    return n


def window_view(x, kh, kw, stride):
    """x: (N, C, H, W) -> (N, C, OH, OW, kh, kw) view, no copy."""
    N, C, H, W = x.shape
    OH = (H - kh) // stride + 1
    OW = (W - kw) // stride + 1
    sN, sC, sH, sW = x.strides
    return as_strided(x, shape=(N, C, OH, OW, kh, kw),
                      strides=(sN, sC, sH * stride, sW * stride, sH, sW),
                      writeable=False)


def pad_hw(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:
    x = np.ascontiguousarray(x)
    conv_output_size(x.shape[2], w.shape[2], stride, pad)
    conv_output_size(x.shape[3], w.shape[3], stride, pad)
    view = window_view(pad_hw(x, pad), w.shape[2], w.shape[3], stride)
    out = np.einsum('nchwij,fcij->nfhw', view, w)
    out += b
    return out


def conv2d_backward(dout, x, w, b, stride=1, pad=0) -> tuple:
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    OH = conv_output_size(H, FH, stride, pad)
    OW = conv_output_size(W, FW, stride, pad)

    xp = pad_hw(x, pad)
    view = window_view(xp, FH, FW, stride)

    db = np.einsum('nfhw->f', dout)
    dw = np.einsum('nfhw,nchwij->fcij', dout, view)

    # 각 창에 대한 기울기를 계산한 다음 np.add.at 으로 원래 위치에 흩뿌린다
    dwin = np.einsum('nfhw,fcij->nchwij', dout, w)          # (N, C, OH, OW, FH, FW)
    rows = (np.arange(OH) * stride)[:, None, None, None] + np.arange(FH)[None, None, :, None]
    cols = (np.arange(OW) * stride)[None, :, None, None] + np.arange(FW)[None, None, None, :]
    rows = np.broadcast_to(rows, (OH, OW, FH, FW))
    cols = np.broadcast_to(cols, (OH, OW, FH, FW))
    dxp = np.zeros_like(xp, dtype=dwin.dtype)
    np.add.at(dxp, (slice(None), slice(None), rows, cols), dwin)
    dx = dxp[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
    x = np.ascontiguousarray(x)
    pool_output_size(x.shape[2], pool_h, stride)
    pool_output_size(x.shape[3], pool_w, stride)
    return window_view(x, pool_h, pool_w, stride).max(axis=(4, 5))


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
    x = np.ascontiguousarray(x)
    N, C, H, W = x.shape
    OH = pool_output_size(H, pool_h, stride)
    OW = pool_output_size(W, pool_w, stride)
    view = window_view(x, pool_h, pool_w, stride).reshape(N, C, OH, OW, -1)
    idx = np.argmax(view, axis=-1)
    dy, dx_ = np.divmod(idx, pool_w)
    hh = np.arange(OH).reshape(1, 1, OH, 1) * stride + dy
    ww = np.arange(OW).reshape(1, 1, 1, OW) * stride + dx_
    nn = np.arange(N).reshape(N, 1, 1, 1)
    cc = np.arange(C).reshape(1, C, 1, 1)
    grad = np.zeros_like(x, dtype=dout.dtype)
    np.add.at(grad, (nn, cc, hh, ww), dout)
    return grad


def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    N, C, H, W = x.shape
    OH = conv_output_size(H, filter_h, stride, pad)
    OW = conv_output_size(W, filter_w, stride, pad)
    view = window_view(pad_hw(x, pad), filter_h, filter_w, stride)   # N C OH OW FH FW
    col = np.transpose(view, (0, 2, 3, 1, 4, 5)).reshape(N * OH * OW, -1)
    return col.copy()
