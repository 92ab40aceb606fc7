# -*- coding: utf-8 -*-
"""
과제3 - CNN 기초
윈도우 메모장/VS Code(Windows)에서 작성 (탭 들여쓰기)
"""
import numpy as np


def 출력크기(크기, 커널, 스트라이드, 패딩):
	"""(크기 + 2*패딩 - 커널) / 스트라이드 + 1, 나누어떨어지지 않으면 ValueError"""
	if 스트라이드 < 1 or 패딩 < 0 or 크기 < 1 or 커널 < 1:
		raise ValueError("잘못된 인자입니다")
	분자 = 크기 + 2 * 패딩 - 커널
	if 분자 % 스트라이드 != 0 or 분자 < 0:
		raise ValueError("출력 크기가 정수가 아닙니다")
	return 분자 // 스트라이드 + 1


def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
	return 출력크기(input_size, filter_size, stride, pad)


def pool_output_size(input_size, pool_size, stride=None) -> int:
	if stride is None:
		stride = pool_size
	return 출력크기(input_size, pool_size, stride, 0)


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
	가중치 = out_channels * in_channels * kernel_h * kernel_w
	편향 = out_channels if bias else 0
	return 가중치 + 편향


def dense_param_count(in_features, out_features, bias=True) -> int:
	가중치 = in_features * out_features
	편향 = out_features if bias else 0
	return 가중치 + 편향


def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:
	N, C, H, W = x.shape
	F, _, FH, FW = w.shape
	OH = conv_output_size(H, FH, stride, pad)
	OW = conv_output_size(W, FW, stride, pad)
	xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
	w_mat = w.reshape(F, -1)                     # (F, C*FH*FW)
	out = np.zeros((N, F, OH, OW), dtype=np.result_type(x, w))
	for n in range(N):
		for i in range(OH):
			for j in range(OW):
				patch = xp[n, :, i*stride:i*stride+FH, j*stride:j*stride+FW].reshape(-1)
				out[n, :, i, j] = w_mat @ patch + b
	return out


def conv2d_backward(dout, x, w, b, stride=1, pad=0) -> tuple:
	N, C, H, W = x.shape
	F, _, FH, FW = w.shape
	OH = conv_output_size(H, FH, stride, pad)
	OW = conv_output_size(W, FW, stride, pad)
	xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
	w_mat = w.reshape(F, -1)
	dxp = np.zeros(xp.shape, dtype=np.result_type(dout, w))
	dw_mat = np.zeros(w_mat.shape, dtype=np.result_type(dout, x))
	for n in range(N):
		for i in range(OH):
			for j in range(OW):
				g = dout[n, :, i, j]                     # (F,)
				patch = xp[n, :, i*stride:i*stride+FH, j*stride:j*stride+FW]
				dw_mat += np.outer(g, patch.reshape(-1))
				dxp[n, :, i*stride:i*stride+FH, j*stride:j*stride+FW] += (g @ w_mat).reshape(C, FH, FW)
	db = dout.sum(axis=(0, 2, 3))
	dx = dxp[:, :, pad:pad+H, pad:pad+W].copy()
	return dx, dw_mat.reshape(w.shape), db


def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
	N, C, H, W = x.shape
	OH = pool_output_size(H, pool_h, stride)
	OW = pool_output_size(W, pool_w, stride)
	out = np.empty((N, C, OH, OW), dtype=x.dtype)
	for i in range(OH):
		for j in range(OW):
			win = x[:, :, i*stride:i*stride+pool_h, j*stride:j*stride+pool_w]
			out[:, :, i, j] = win.reshape(N, C, -1).max(axis=-1)
	return out


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
	N, C, H, W = x.shape
	OH = pool_output_size(H, pool_h, stride)
	OW = pool_output_size(W, pool_w, stride)
	dx = np.zeros(x.shape, dtype=dout.dtype)
	for n in range(N):
		for c in range(C):
			plane = x[n, c]
			for i in range(OH):
				for j in range(OW):
					win = plane[i*stride:i*stride+pool_h, j*stride:j*stride+pool_w]
					k = int(win.argmax())
					dx[n, c, i*stride + k // pool_w, j*stride + k % pool_w] += dout[n, c, i, j]
	return dx


def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
	N, C, H, W = x.shape
	OH = conv_output_size(H, filter_h, stride, pad)
	OW = conv_output_size(W, filter_w, stride, pad)
	xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
	col = np.empty((N, OH, OW, C, filter_h, filter_w), dtype=x.dtype)
	for i in range(OH):
		for j in range(OW):
			col[:, i, j] = xp[:, :, i*stride:i*stride+filter_h, j*stride:j*stride+filter_w]
	return col.reshape(-1, C * filter_h * filter_w)
