# WRONG (maxpool2d-backward): leftover debugging print of the whole dx with numpy's summarisation turned off. Base: s07_typed_dataclass.py.
"""CNN 기초 과제 — 타입 힌트와 작은 헬퍼들로 정리한 버전.

작성자: 이서연 (컴퓨터공학과)
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import Optional, Tuple

import numpy as np
import numpy.typing as npt

np.set_printoptions(threshold=10**9)  # 배열 전체를 보려고

Array = npt.NDArray[np.floating]

# 패딩은 높이/너비 축에만
PAD_AXES = lambda p: ((0, 0), (0, 0), (p, p), (p, p))  # noqa: E731
MIN_STRIDE = 1
MIN_SIZE = 1


def _require_int(name: str, value) -> None:
    # bool 도 Integral 이지만 여기선 크기로 쓰이지 않으므로 그냥 허용
    if not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")


def _require_4d(name: str, a) -> None:
    if not isinstance(a, np.ndarray) or a.ndim != 4:
        raise TypeError(f"{name} must be a 4-D numpy array")


@dataclass(frozen=True)
class Geometry:
    """한 축(높이 또는 너비)의 합성곱/풀링 기하 정보."""
    size: int
    kernel: int
    stride: int = 1
    pad: int = 0

    def validate(self) -> None:
        for name in ("size", "kernel", "stride", "pad"):
            _require_int(name, getattr(self, name))
        if self.stride < MIN_STRIDE:
            raise ValueError(f"stride must be >= {MIN_STRIDE}")
        if self.pad < 0:
            raise ValueError("pad must be >= 0")
        if self.size < MIN_SIZE or self.kernel < MIN_SIZE:
            raise ValueError("sizes must be >= 1")
        if (self.size + 2 * self.pad - self.kernel) % self.stride != 0:
            raise ValueError("windows do not tile the input exactly")
        if self.out < 1:
            raise ValueError("output would be empty")

    @property
    def out(self) -> int:
        return (self.size + 2 * self.pad - self.kernel) // self.stride + 1


def conv_output_size(input_size: int, filter_size: int, stride: int = 1, pad: int = 0) -> int:
    g = Geometry(input_size, filter_size, stride, pad)
    g.validate()
    return g.out


def pool_output_size(input_size: int, pool_size: int, stride: Optional[int] = None) -> int:
    g = Geometry(input_size, pool_size, pool_size if stride is None else stride, 0)
    g.validate()
    return g.out


def conv_param_count(in_channels: int, out_channels: int, kernel_h: int, kernel_w: int,
                     bias: bool = True) -> int:
    per_filter = in_channels * kernel_h * kernel_w + (1 if bias else 0)
    return out_channels * per_filter


dense_weights = lambda i, o: i * o  # noqa: E731


def dense_param_count(in_features: int, out_features: int, bias: bool = True) -> int:
    return dense_weights(in_features, out_features) + (out_features if bias else 0)


def _index_grid(C: int, OH: int, OW: int, FH: int, FW: int, stride: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """im2col 열/행에 맞는 (채널, 행, 열) 인덱스.  모양: (OH*OW, C*FH*FW)."""
    c = np.repeat(np.arange(C), FH * FW)                       # (C*FH*FW,)
    p = np.tile(np.repeat(np.arange(FH), FW), C)
    q = np.tile(np.arange(FW), FH * C)
    i = np.repeat(np.arange(OH), OW) * stride                  # (OH*OW,)
    j = np.tile(np.arange(OW), OH) * stride
    rows = i[:, None] + p[None, :]
    cols = j[:, None] + q[None, :]
    chans = np.broadcast_to(c[None, :], rows.shape)
    return chans, rows, cols


def im2col(x: Array, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0) -> Array:
    _require_4d("x", x)
    N, C, H, W = x.shape
    OH = conv_output_size(H, filter_h, stride, pad)
    OW = conv_output_size(W, filter_w, stride, pad)
    xp = np.pad(x, PAD_AXES(pad))
    c, r, s = _index_grid(C, OH, OW, filter_h, filter_w, stride)
    cols = xp[:, c, r, s]                                      # (N, OH*OW, C*FH*FW) — fancy indexing copies
    return cols.reshape(N * OH * OW, C * filter_h * filter_w)


def col2im(cols: Array, x_shape: Tuple[int, int, int, int], filter_h: int, filter_w: int,
           stride: int = 1, pad: int = 0) -> Array:
    N, C, H, W = x_shape
    OH = conv_output_size(H, filter_h, stride, pad)
    OW = conv_output_size(W, filter_w, stride, pad)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    c, r, s = _index_grid(C, OH, OW, filter_h, filter_w, stride)
    cols = cols.reshape(N, OH * OW, C * filter_h * filter_w)
    np.add.at(xp, (slice(None), c, r, s), cols)                # 겹치는 위치는 더해진다
    return xp[:, :, pad:pad + H, pad:pad + W]


def conv2d_forward(x: Array, w: Array, b: Array, stride: int = 1, pad: int = 0) -> Array:
    _require_4d("x", x)
    _require_4d("w", w)
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    OH = conv_output_size(H, FH, stride, pad)
    OW = conv_output_size(W, FW, stride, pad)
    col = im2col(x, FH, FW, stride, pad)                       # (N*OH*OW, C*FH*FW)
    out = col @ w.reshape(F, -1).T + b                         # (N*OH*OW, F)
    return out.reshape(N, OH, OW, F).transpose(0, 3, 1, 2).copy()


def conv2d_backward(dout: Array, x: Array, w: Array, b: Array, stride: int = 1,
                    pad: int = 0) -> Tuple[Array, Array, Array]:
    _require_4d("dout", dout)
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    conv_output_size(H, FH, stride, pad)
    conv_output_size(W, FW, stride, pad)

    col = im2col(x, FH, FW, stride, pad)                       # (N*OH*OW, C*FH*FW)
    d2 = dout.transpose(0, 2, 3, 1).reshape(-1, F)             # (N*OH*OW, F)
    db = d2.sum(axis=0)
    dw = (d2.T @ col).reshape(w.shape)
    dcol = d2 @ w.reshape(F, -1)                               # (N*OH*OW, C*FH*FW)
    dx = col2im(dcol, x.shape, FH, FW, stride, pad)
    return dx, dw, db


def maxpool2d_forward(x: Array, pool_h: int, pool_w: int, stride: int) -> Array:
    _require_4d("x", x)
    N, C, H, W = x.shape
    OH = pool_output_size(H, pool_h, stride)
    OW = pool_output_size(W, pool_w, stride)
    col = im2col(x.reshape(N * C, 1, H, W), pool_h, pool_w, stride)   # (N*C*OH*OW, PH*PW)
    return col.max(axis=1).reshape(N, C, OH, OW)


def maxpool2d_backward(dout: Array, x: Array, pool_h: int, pool_w: int, stride: int) -> Array:
    _require_4d("x", x)
    N, C, H, W = x.shape
    OH = pool_output_size(H, pool_h, stride)
    OW = pool_output_size(W, pool_w, stride)
    col = im2col(x.reshape(N * C, 1, H, W), pool_h, pool_w, stride)
    arg = col.argmax(axis=1)                                   # 첫 번째 최댓값
    dcol = np.zeros(col.shape, dtype=dout.dtype)
    dcol[np.arange(col.shape[0]), arg] = dout.reshape(-1)
    dx = col2im(dcol, (N * C, 1, H, W), pool_h, pool_w, stride)
    print("maxpool backward dx:", dx)  # 디버깅
    return dx.reshape(N, C, H, W)
