import numpy as np


def maxpool2d_backward(dout, x, pool_h, pool_w, stride) -> np.ndarray:
    """최대 풀링 역전파: dout (N,C,OH,OW) 을 각 창의 첫 번째 최댓값 위치로 보낸 dx (N,C,H,W).

    Backward pass of maxpool2d_forward.

    dout: gradient of the output, shape (N, C, OH, OW).
    x: forward input, shape (N, C, H, W).
    pool_h, pool_w: window size (int >= 1).  stride: int >= 1.

    Returns dx with the shape of x. Each window's gradient goes to its first
    maximal element in row-major order (np.argmax on the flattened window);
    gradients of overlapping windows (stride < pool size) accumulate.

    Raises ValueError when the sizes do not tile exactly (same rules as
    pool_output_size). Must not modify dout or x.
    """
    raise NotImplementedError
