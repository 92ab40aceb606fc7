import numpy as np


def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:
    """합성곱 층의 순전파: x (N,C,H,W), w (F,C,FH,FW), b (F,) -> 출력 (N,F,OH,OW).

    Forward pass of a convolution layer (cross-correlation, no kernel flip).

    x: input of shape (N, C, H, W).
    w: filters of shape (F, C, FH, FW).
    b: biases of shape (F,).
    stride: int >= 1.  pad: int >= 0, zero padding on both sides of H and W.

    Returns a float array of shape (N, F, OH, OW) with
    OH = (H + 2*pad - FH) / stride + 1 and OW = (W + 2*pad - FW) / stride + 1.

    Raises ValueError when the sizes do not tile exactly (same rules as
    conv_output_size). Must not modify x, w or b.
    """
    raise NotImplementedError
