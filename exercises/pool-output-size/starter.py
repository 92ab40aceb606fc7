import numpy as np


def pool_output_size(input_size, pool_size, stride=None) -> int:
    """풀링 출력의 한 변 크기 (H - PH) / S + 1 을 int로 반환합니다 (stride 기본값은 pool_size).

    Return the output size of a pooling layer along one axis,
    (input_size - pool_size) / stride + 1, as an ``int``.
    If stride is None, it defaults to pool_size (non-overlapping windows).

    Raises ValueError if (input_size - pool_size) is not divisible by stride,
    if the result would be smaller than 1, or if stride < 1,
    input_size < 1 or pool_size < 1.
    """
    raise NotImplementedError
