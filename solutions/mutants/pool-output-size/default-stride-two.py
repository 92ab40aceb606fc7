MISTAKE = {
    "en": "Default stride is 2 (thinking only of the usual 2x2 pooling): when stride is None it must default to pool_size, whatever the pool size is.",
    "ko": "stride가 None일 때 2를 사용했습니다(흔한 2x2 풀링만 생각한 경우): 기본 stride는 풀 크기와 상관없이 pool_size여야 합니다.",
}

"""Mutant of ``pool-output-size`` (default-stride-two): deliberately wrong, see MISTAKE."""

import operator


def _check_int(name, value, minimum):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def pool_output_size(input_size, pool_size, stride=None):
    """Output length of pooling: (input_size - pool_size) / stride + 1; stride defaults to pool_size."""
    input_size = _check_int("input_size", input_size, 1)
    pool_size = _check_int("pool_size", pool_size, 1)
    if stride is None:
        stride = 2
    stride = _check_int("stride", stride, 1)
    span = input_size - pool_size
    if span < 0:
        raise ValueError(f"pool_size={pool_size} is larger than input_size={input_size}")
    if span % stride != 0:
        raise ValueError(f"stride={stride} does not tile input_size={input_size}, pool_size={pool_size}")
    return span // stride + 1
