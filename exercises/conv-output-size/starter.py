import numpy as np


def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:
    """합성곱 출력의 한 변 크기 (H + 2P - FH) / S + 1 을 int로 반환합니다.

    Return the output size of a convolution along one axis,
    (input_size + 2*pad - filter_size) / stride + 1, as an ``int``
    (not a float such as 3.0).

    Raises ValueError if (input_size + 2*pad - filter_size) is not divisible
    by stride, if the result would be smaller than 1, or if stride < 1,
    pad < 0, input_size < 1 or filter_size < 1.
    """
    raise NotImplementedError
