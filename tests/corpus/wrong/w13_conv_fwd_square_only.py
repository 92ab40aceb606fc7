# WRONG (conv2d-forward): assumes square inputs: OW = OH. Base: s08_selftest_main.py.
import numpy as np


# ============================================================
# 1. 출력 크기
# ============================================================

def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    if stride < 1 or pad < 0:
        raise ValueError("stride는 1 이상, pad는 0 이상이어야 합니다")
    if input_size < 1 or filter_size < 1:
        raise ValueError("크기는 1 이상이어야 합니다")
    oh = (input_size + 2 * pad - filter_size) / stride + 1
    if not oh.is_integer():          # 나누어떨어지지 않음
        raise ValueError(f"출력 크기 {oh} 가 정수가 아닙니다")
    if oh < 1:
        raise ValueError("출력 크기가 1보다 작습니다")
    return int(oh)


def pool_output_size(input_size, pool_size, stride=None) -> int:
    if stride is None:
        stride = pool_size
    if stride < 1 or input_size < 1 or pool_size < 1:
        raise ValueError("stride, 크기는 1 이상")
    oh = (input_size - pool_size) / stride + 1
    if not oh.is_integer() or oh < 1:
        raise ValueError(f"풀링 출력 크기 {oh} 가 올바르지 않습니다")
    return int(oh)


# top-level sanity checks (과제 설명의 예시)
assert conv_output_size(7, 3, stride=2) == 3
assert conv_output_size(64, 5) == 60
assert conv_output_size(5, 3, pad=1) == 5
assert pool_output_size(60, 2) == 30
assert pool_output_size(7, 3, stride=2) == 3


# ============================================================
# 2. 매개변수 수
# ============================================================

def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
    w_shape = (out_channels, in_channels, kernel_h, kernel_w)
    n = 1
    for d in w_shape:
        n *= d
    return n + (out_channels if bias else 0)


def dense_param_count(in_features, out_features, bias=True) -> int:
    return in_features * out_features + (out_features if bias else 0)


assert conv_param_count(1, 16, 5, 5) == 416
assert conv_param_count(3, 32, 3, 3) == 896
assert dense_param_count(14400, 10) == 144010


# ============================================================
# 3. 합성곱
# ============================================================

def _padded(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant", constant_values=0)


def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:
    N, C, H, W = x.shape
    F, Cw, FH, FW = w.shape
    OH = conv_output_size(H, FH, stride, pad)
    OW = OH  # 이미지는 정사각형
    xp = _padded(x, pad)
    out = np.zeros((N, F, OH, OW), dtype=np.result_type(x.dtype, w.dtype, b.dtype))
    for i in range(OH):
        for j in range(OW):
            win = xp[:, :, i * stride:i * stride + FH, j * stride:j * stride + FW]
            out[:, :, i, j] = np.einsum("nchw,fchw->nf", win, w) + b
    return out


def conv2d_backward(dout, x, w, b, stride=1, pad=0) -> tuple:
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    OH = conv_output_size(H, FH, stride, pad)
    OW = conv_output_size(W, FW, stride, pad)
    if dout.shape != (N, F, OH, OW):
        raise ValueError("dout shape mismatch")
    xp = _padded(x, pad)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i in range(OH):
        for j in range(OW):
            hs, ws = i * stride, j * stride
            win = xp[:, :, hs:hs + FH, ws:ws + FW]
            dw += np.einsum("nf,nchw->fchw", dout[:, :, i, j], win)
            dxp[:, :, hs:hs + FH, ws:ws + FW] += np.einsum("nf,fchw->nchw", dout[:, :, i, j], w)
    db = np.sum(dout, axis=(0, 2, 3))
    if pad > 0:
        dx = dxp[:, :, pad:-pad, pad:-pad]
    else:
        dx = dxp
    return dx, dw, db


# ============================================================
# 4. 최대 풀링
# ============================================================

def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    OH = pool_output_size(H, pool_h, stride)
    OW = pool_output_size(W, pool_w, stride)
    out = np.full((N, C, OH, OW), -np.inf, dtype=x.dtype)
    for p in range(pool_h):
        for q in range(pool_w):
            np.maximum(out, x[:, :, p:p + stride * (OH - 1) + 1:stride, q:q + stride * (OW - 1) + 1:stride], out=out)
    return out


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    OH = pool_output_size(H, pool_h, stride)
    OW = pool_output_size(W, pool_w, stride)
    dx = np.zeros_like(x, dtype=np.result_type(x, dout))
    nn, cc = np.indices((N, C))
    for i in range(OH):
        for j in range(OW):
            win = x[:, :, i * stride:i * stride + pool_h, j * stride:j * stride + pool_w]
            flat_idx = win.reshape(N, C, -1).argmax(-1)
            r, s = np.unravel_index(flat_idx, (pool_h, pool_w))
            dx[nn, cc, i * stride + r, j * stride + s] += dout[:, :, i, j]
    return dx


# ============================================================
# 5. im2col
# ============================================================

def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    N, C, H, W = x.shape
    OH = conv_output_size(H, filter_h, stride, pad)
    OW = conv_output_size(W, filter_w, stride, pad)
    xp = _padded(x, pad)
    col = np.empty((N, C, filter_h, filter_w, OH, OW), dtype=x.dtype)
    for p in range(filter_h):
        for q in range(filter_w):
            col[:, :, p, q] = xp[:, :, p:p + stride * OH:stride, q:q + stride * OW:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, -1)


# ============================================================
# 자체 테스트 (python hw.py 로 실행)
# ============================================================

def _numerical_grad(f, a, h=1e-5):
    g = np.zeros_like(a)
    it = np.nditer(a, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        idx = it.multi_index
        old = a[idx]
        a[idx] = old + h
        fp = f()
        a[idx] = old - h
        fm = f()
        a[idx] = old
        g[idx] = (fp - fm) / (2 * h)
        it.iternext()
    return g


def _self_test():
    rng = np.random.default_rng(0)
    x = np.arange(9.).reshape(1, 1, 3, 3)
    w = np.array([[[[1., 2.], [3., 4.]]]])
    b = np.array([1.])
    out = conv2d_forward(x, w, b)
    assert np.allclose(out, [[[[28, 38], [58, 68]]]]), out
    dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2)), x, w, b)
    assert np.allclose(db, [4])
    assert np.allclose(dw, [[[[8, 12], [20, 24]]]])
    assert np.allclose(dx, [[[[1, 3, 2], [4, 10, 6], [3, 7, 4]]]])

    # 수치 미분과 비교
    for stride, pad in [(1, 0), (1, 1), (2, 1)]:
        x = rng.normal(size=(2, 3, 5, 5))
        w = rng.normal(size=(4, 3, 3, 3))
        b = rng.normal(size=4)
        out = conv2d_forward(x, w, b, stride, pad)
        dout = rng.normal(size=out.shape)
        loss = lambda: np.sum(conv2d_forward(x, w, b, stride, pad) * dout)
        dx, dw, db = conv2d_backward(dout, x, w, b, stride, pad)
        assert np.allclose(dx, _numerical_grad(loss, x), atol=1e-6)
        assert np.allclose(dw, _numerical_grad(loss, w), atol=1e-6)
        assert np.allclose(db, _numerical_grad(loss, b), atol=1e-6)

    x = np.array([[[[1, 3, 0, 4], [3, 2, 1, 2], [5, 6, 7, 8], [0, 1, 2, 9]]]], dtype=float)
    assert np.array_equal(maxpool2d_forward(x, 2, 2, 2), [[[[3, 4], [6, 9]]]])
    dx = maxpool2d_backward(np.array([[[[10., 20.], [30., 40.]]]]), x, 2, 2, 2)
    assert dx[0, 0, 0, 1] == 10 and dx[0, 0, 1, 0] == 0 and dx.sum() == 100

    col = im2col(np.arange(18.).reshape(1, 2, 3, 3), 2, 2)
    assert col.shape == (4, 8) and list(col[0]) == [0, 1, 3, 4, 9, 10, 12, 13]

    try:
        conv_output_size(7, 3, stride=3)
    except ValueError:
        pass
    else:
        raise AssertionError("ValueError expected")
    print("모든 자체 테스트 통과!")


if __name__ == "__main__":
    _self_test()
