import numpy as np


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True) -> int:
    """합성곱 층의 매개변수 개수 F*C*FH*FW (+ 편향 F개) 를 int로 반환합니다.

    Return the number of trainable parameters of a convolution layer as an
    ``int``: out_channels * in_channels * kernel_h * kernel_w weights, plus
    out_channels biases when bias is True.
    """
    raise NotImplementedError
