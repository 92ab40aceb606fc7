# WRONG (conv-param-count): counts only the weights, never the F biases. Base: s09_demo_prints_fullconv.py.
import numpy as np
np.set_printoptions(precision=3, suppress=True)

print("=== CNN basics HW (박지훈) ===")


def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    H, FH, S, P = input_size, filter_size, stride, pad
    if S <= 0:
        raise ValueError("stride must be positive")
    if P < 0 or H <= 0 or FH <= 0:
        raise ValueError("bad size/pad")
    if FH > H + 2 * P:
        raise ValueError("filter does not fit")
    if (H + 2 * P - FH) % S:
        raise ValueError("stride does not tile")
    return (H + 2 * P - FH) // S + 1


def pool_output_size(input_size, pool_size, stride=None) -> int:
    S = stride if stride is not None else pool_size
    if S <= 0 or input_size <= 0 or pool_size <= 0:
        raise ValueError("bad arguments")
    if pool_size > input_size or (input_size - pool_size) % S:
        raise ValueError("pool does not tile")
    return (input_size - pool_size) // S + 1


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
    return int(np.prod((out_channels, in_channels, kernel_h, kernel_w)))


def dense_param_count(in_features, out_features, bias=True) -> int:
    return int(in_features * out_features + out_features * bool(bias))


# ---- 예시 출력 ----
print("conv_output_size(7, 3, stride=2) =", conv_output_size(7, 3, stride=2))
print("pool_output_size(60, 2) =", pool_output_size(60, 2))
print("conv params (1,16,5,5) =", conv_param_count(1, 16, 5, 5))
print("dense params (14400,10) =", dense_param_count(14400, 10))
try:
    conv_output_size(7, 3, stride=3)
except ValueError as e:
    print("ValueError as expected:", e)


def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    N, C, H, W = x.shape
    OH = conv_output_size(H, filter_h, stride, pad)
    OW = conv_output_size(W, filter_w, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # 행 = (n, oh, ow), 열 = (c, fh, fw)
    rows = [xp[n, :, i * stride:i * stride + filter_h, j * stride:j * stride + filter_w].ravel()
            for n in range(N) for i in range(OH) for j in range(OW)]
    return np.array(rows).reshape(N * OH * OW, C * filter_h * filter_w)


def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    OH = conv_output_size(H, FH, stride, pad)
    OW = conv_output_size(W, FW, stride, pad)
    col = im2col(x, FH, FW, stride, pad)
    out = np.dot(col, w.reshape(F, -1).T) + b
    return out.reshape(N, OH, OW, F).transpose(0, 3, 1, 2)


def _correlate(a, k):
    """a: (N, F, Ha, Wa), k: (F, C, KH, KW) -> valid cross-correlation (N, C, Ha-KH+1, Wa-KW+1)."""
    KH, KW = k.shape[2:]
    Ho, Wo = a.shape[2] - KH + 1, a.shape[3] - KW + 1
    out = np.zeros((a.shape[0], k.shape[1], Ho, Wo), dtype=np.result_type(a, k))
    for p in range(KH):
        for q in range(KW):
            out += np.einsum("nfhw,fc->nchw", a[:, :, p:p + Ho, q:q + Wo], k[:, :, p, q])
    return out


def conv2d_backward(dout, x, w, b, stride=1, pad=0) -> tuple:
    N, C, H, W = x.shape
    F, _, FH, FW = w.shape
    OH = conv_output_size(H, FH, stride, pad)
    OW = conv_output_size(W, FW, stride, pad)

    db = dout.sum(axis=(0, 2, 3))

    col = im2col(x, FH, FW, stride, pad)
    dw = (dout.transpose(1, 0, 2, 3).reshape(F, -1) @ col).reshape(F, C, FH, FW)

    # dx = (stride만큼 벌린 dout 을 FH-1, FW-1 만큼 패딩) 과 180도 회전한 필터의 "full" 상관
    dil = np.zeros((N, F, (OH - 1) * stride + 1, (OW - 1) * stride + 1), dtype=dout.dtype)
    dil[:, :, ::stride, ::stride] = dout
    dil = np.pad(dil, ((0, 0), (0, 0), (FH - 1, FH - 1), (FW - 1, FW - 1)))
    w_rot = w[:, :, ::-1, ::-1]
    dxp = _correlate(dil, w_rot)               # (N, C, H + 2P, W + 2P)
    dx = dxp[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    OH = pool_output_size(H, pool_h, stride)
    OW = pool_output_size(W, pool_w, stride)
    col = im2col(x.reshape(N * C, 1, H, W), pool_h, pool_w, stride)
    return col.max(axis=1).reshape(N, C, OH, OW)


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
    N, C, H, W = x.shape
    OH = pool_output_size(H, pool_h, stride)
    OW = pool_output_size(W, pool_w, stride)
    col = im2col(x.reshape(N * C, 1, H, W), pool_h, pool_w, stride)   # (N*C*OH*OW, PH*PW)
    k = col.argmax(axis=1)
    m = np.arange(N * C).repeat(OH * OW)                 # 어느 (n, c) 평면인지
    i = np.tile(np.arange(OH).repeat(OW), N * C)
    j = np.tile(np.arange(OW), N * C * OH)
    rows = i * stride + k // pool_w
    cols = j * stride + k % pool_w
    flat = np.ravel_multi_index((m, rows, cols), (N * C, H, W))
    dx = np.bincount(flat, weights=dout.ravel(), minlength=N * C * H * W)   # 같은 위치는 더해짐
    return dx.reshape(N, C, H, W).astype(np.result_type(x, dout), copy=False)


# ---- 랜덤 데모 ----
rng = np.random.default_rng(42)
x = rng.standard_normal((2, 3, 7, 7))
w = rng.standard_normal((4, 3, 3, 3))
b = rng.standard_normal(4)
out = conv2d_forward(x, w, b, stride=2)
print("conv forward:", x.shape, "->", out.shape)
dx, dw, db = conv2d_backward(np.ones_like(out), x, w, b, stride=2)
print("conv backward:", dx.shape, dw.shape, db.shape, "db =", db)
pooled = maxpool2d_forward(x, 3, 3, 2)
print("maxpool:", pooled.shape)
print(maxpool2d_backward(np.ones_like(pooled), x, 3, 3, 2)[0, 0])
print("im2col shape:", im2col(x, 3, 3, stride=2).shape)
print(im2col(np.arange(9.).reshape(1, 1, 3, 3), 2, 2))
