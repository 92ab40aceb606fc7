import numpy as np


def maxpool2d_forward(x, pool_h, pool_w, stride) -> np.ndarray:
    """최대 풀링 순전파: x (N,C,H,W) -> 각 창의 최댓값 (N,C,OH,OW).

    Forward pass of max pooling, applied to each channel independently.

    x: input of shape (N, C, H, W).
    pool_h, pool_w: window size (int >= 1).  stride: int >= 1 (required).

    Returns an array of shape (N, C, OH, OW) with
    OH = (H - pool_h) / stride + 1 and OW = (W - pool_w) / stride + 1,
    where out[n, c, i, j] is the maximum of the window starting at
    (i*stride, j*stride).

    Raises ValueError when the sizes do not tile exactly (same rules as
    pool_output_size). Must not modify x.
    """
    raise NotImplementedError
