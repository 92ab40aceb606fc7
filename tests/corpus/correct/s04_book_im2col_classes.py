# coding: utf-8
# 밑바닥부터 시작하는 딥러닝 7장 (common/util.py, common/layers.py) 을 참고하여
# 과제 형식에 맞게 고쳐 쓴 코드입니다.
import numpy as np


def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    if stride < 1 or pad < 0 or input_size < 1 or filter_size < 1:
        raise ValueError("잘못된 인자")
    num = input_size + 2 * pad - filter_size
    if num % stride != 0:
        raise ValueError("나누어떨어지지 않음")
    if num // stride + 1 < 1:
        raise ValueError("출력 크기가 1보다 작음")
    return num // stride + 1


def pool_output_size(input_size, pool_size, stride=None) -> int:
    if stride is None:
        stride = pool_size
    # 풀링은 패딩이 없는 합성곱과 같은 규칙
    return conv_output_size(input_size, pool_size, stride, 0)


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
    W_size = out_channels * in_channels * kernel_h * kernel_w
    b_size = out_channels
    return W_size + b_size if bias else W_size


def dense_param_count(in_features, out_features, bias=True) -> int:
    W_size = in_features * out_features
    return W_size + out_features if bias else W_size


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """다수의 이미지를 입력받아 2차원 배열로 변환한다(평탄화).

    Parameters
    ----------
    input_data : 4차원 배열 형태의 입력 데이터(이미지 수, 채널 수, 높이, 너비)
    filter_h : 필터의 높이
    filter_w : 필터의 너비
    stride : 스트라이드
    pad : 패딩

    Returns
    -------
    col : 2차원 배열
    """
    N, C, H, W = input_data.shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)

    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], 'constant')
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)

    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]

    col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)
    return col


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """(im2col과 반대) 2차원 배열을 입력받아 다수의 이미지 묶음으로 변환한다."""
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)

    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]

    return img[:, :, pad:H + pad, pad:W + pad]


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad

        # 중간 데이터（backward 시 사용）
        self.x = None
        self.col = None
        self.col_W = None

        # 가중치와 편향 매개변수의 기울기
        self.dW = None
        self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = conv_output_size(H, FH, self.stride, self.pad)
        out_w = conv_output_size(W, FW, self.stride, self.pad)

        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T

        out = np.dot(col, col_W) + self.b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

        self.x = x
        self.col = col
        self.col_W = col_W

        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)

        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout)
        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)

        dcol = np.dot(dout, self.col_W.T)
        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)

        return dx


class Pooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad

        self.x = None
        self.arg_max = None

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = pool_output_size(H, self.pool_h, self.stride)
        out_w = pool_output_size(W, self.pool_w, self.stride)

        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)   # (N*OH*OW*C, PH*PW)

        arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

        self.x = x
        self.arg_max = arg_max

        return out

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)

        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))

        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        dx = col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)

        return dx


# ---- 과제에서 요구하는 함수들 (위의 계층 클래스를 사용) ----

def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:
    return Convolution(w, b, stride, pad).forward(x)


def conv2d_backward(dout, x, w, b, stride=1, pad=0) -> tuple:
    layer = Convolution(w, b, stride, pad)
    layer.forward(x)            # 캐시(col, col_W)를 만들기 위해 한 번 순전파
    dx = layer.backward(dout)
    return dx, layer.dW, layer.db


def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
    return Pooling(pool_h, pool_w, stride).forward(x)


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
    layer = Pooling(pool_h, pool_w, stride)
    layer.forward(x)
    return layer.backward(dout)
