#!/usr/bin/env python
# coding: utf-8

# # 과제 3: CNN 기초
# 
# 이름: 정하늘 / 학번: 2022xxxxxx
# 
# (Colab 에서 "다운로드 > .py" 로 내보낸 파일입니다)

# In[1]:


get_ipython().run_line_magic('matplotlib', 'inline')
import numpy as np
from functools import lru_cache
import matplotlib.pyplot as plt


# In[2]:


get_ipython().system('nvidia-smi')


# ## 1. 출력 크기

# In[3]:


def _check_int(name, v):
    if not isinstance(v, int) or isinstance(v, bool):
        raise TypeError(f"{name} must be int, got {type(v).__name__}")


@lru_cache(maxsize=None)
def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    for name, v in (("input_size", input_size), ("filter_size", filter_size), ("stride", stride), ("pad", pad)):
        _check_int(name, v)
    if stride < 1:
        raise ValueError("stride < 1")
    if pad < 0:
        raise ValueError("pad < 0")
    if input_size < 1 or filter_size < 1:
        raise ValueError("size < 1")
    if (input_size + 2 * pad - filter_size) % stride != 0:
        raise ValueError("not divisible")
    oh = (input_size + 2 * pad - filter_size) // stride + 1
    if oh < 1:
        raise ValueError("output < 1")
    return oh


@lru_cache(maxsize=None)
def pool_output_size(input_size, pool_size, stride=None) -> int:
    if stride is None:
        stride = pool_size
    return conv_output_size(input_size, pool_size, stride, 0)


# In[4]:


print(conv_output_size(7, 3, stride=2), pool_output_size(60, 2))


# ## 2. 파라미터 수

# In[5]:


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
    if not isinstance(bias, bool):
        raise TypeError("bias must be a bool")
    w = out_channels * in_channels * kernel_h * kernel_w
    return w + out_channels if bias else w


def dense_param_count(in_features, out_features, bias=True) -> int:
    if not isinstance(bias, bool):
        raise TypeError("bias must be a bool")
    w = in_features * out_features
    return w + out_features if bias else w


# ## 3. 합성곱

# In[6]:


def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    N, C, H, W = x.shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)], 'constant')
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=x.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x_ in range(filter_w):
            x_max = x_ + stride * out_w
            col[:, :, y, x_, :, :] = img[:, :, y:y_max:stride, x_:x_max:stride]
    col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)
    return col


def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:
    N, C, H, W = x.shape
    F, C_, FH, FW = w.shape
    out_h = conv_output_size(H, FH, stride, pad)
    out_w = conv_output_size(W, FW, stride, pad)
    col = im2col(x, FH, FW, stride, pad)
    out = np.dot(col, w.reshape(F, -1).T) + b
    out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
    print("[debug] conv2d_forward", x.shape, "->", out.shape)   # TODO: 제출 전에 지우기
    return out


def conv2d_backward(dout, x, w, b, stride=1, pad=0) -> tuple:
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    out_h = conv_output_size(H, FH, stride, pad)
    out_w = conv_output_size(W, FW, stride, pad)
    col = im2col(x, FH, FW, stride, pad)
    d = dout.transpose(0, 2, 3, 1).reshape(-1, F)
    db = np.sum(d, axis=0)
    dW = np.dot(col.T, d).transpose(1, 0).reshape(F, C, FH, FW)
    dcol = np.dot(d, w.reshape(F, -1))
    # col2im (책 코드)
    dcol = dcol.reshape(N, out_h, out_w, C, FH, FW).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=dcol.dtype)
    for y in range(FH):
        y_max = y + stride * out_h
        for x_ in range(FW):
            x_max = x_ + stride * out_w
            img[:, :, y:y_max:stride, x_:x_max:stride] += dcol[:, :, y, x_, :, :]
    dx = img[:, :, pad:H + pad, pad:W + pad]
    print("[debug] dx", dx.shape, "dW", dW.shape, "db", db.shape)
    return dx, dW, db


# In[7]:


x = np.random.randn(1, 1, 4, 4)
plt.imshow(x[0, 0])


# ## 4. 풀링

# In[8]:


def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    out_h = pool_output_size(H, pool_h, stride)
    out_w = pool_output_size(W, pool_w, stride)
    col = im2col(x, pool_h, pool_w, stride).reshape(-1, pool_h * pool_w)
    out = np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
    return out


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    out_h = pool_output_size(H, pool_h, stride)
    out_w = pool_output_size(W, pool_w, stride)
    dx = np.zeros_like(x)
    for i in range(out_h):
        for j in range(out_w):
            region = x[:, :, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w]
            flat = region.reshape(N * C, -1)
            arg = np.argmax(flat, axis=1)
            mask = np.zeros_like(flat)
            mask[np.arange(N * C), arg] = 1
            dx[:, :, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w] += \
                mask.reshape(N, C, pool_h, pool_w) * dout[:, :, i, j][:, :, None, None]
    return dx


# In[9]:


get_ipython().run_cell_magic('time', '', 'x = np.random.randn(16, 8, 32, 32)\nprint(maxpool2d_forward(x, 2, 2, 2).shape)\n')


# In[ ]:




