import numpy as np


def conv2d_backward(dout, x, w, b, stride=1, pad=0) -> tuple:
    """합성곱 층의 역전파: dout (N,F,OH,OW) 로부터 (dx, dw, db) 튜플을 반환합니다.

    Backward pass of conv2d_forward (cross-correlation, zero padding).

    dout: gradient of the output, shape (N, F, OH, OW).
    x: forward input (N, C, H, W).  w: filters (F, C, FH, FW).  b: biases (F,).
    stride, pad: as in the forward pass.

    Returns the tuple (dx, dw, db) with dx shaped like x, dw shaped like w and
    db of shape (F,). Gradients of overlapping windows accumulate.

    Raises ValueError when the sizes do not tile exactly (same rules as
    conv_output_size). Must not modify dout, x, w or b.
    """
    raise NotImplementedError
