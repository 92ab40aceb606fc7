import numpy as np


def im2col(x, filter_h, filter_w, stride=1, pad=0) -> np.ndarray:
    """입력 x (N,C,H,W) 의 각 창을 한 행으로 펼친 (N*OH*OW, C*FH*FW) 행렬을 반환합니다.

    Unroll the convolution windows of x into a 2-D matrix, using the layout of
    "Deep Learning from Scratch" (common/util.py), not CS231n's transposed one.

    x: input of shape (N, C, H, W).
    filter_h, filter_w: filter size (int >= 1).
    stride: int >= 1.  pad: int >= 0, zero padding on both sides of H and W.

    Returns an array of shape (N*OH*OW, C*filter_h*filter_w) whose rows are
    ordered (n, oh, ow) and whose columns are ordered (c, fh, fw):
    col[(n*OH + i)*OW + j, (c*FH + p)*FW + q] = xpad[n, c, i*stride + p, j*stride + q].

    Raises ValueError when the sizes do not tile exactly (same rules as
    conv_output_size). Must not modify x.
    """
    raise NotImplementedError
