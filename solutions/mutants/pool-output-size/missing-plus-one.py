MISTAKE = {
    "en": "Forgot the +1: (input_size - pool_size) / stride counts how many times the window moves; the number of windows is one more than that.",
    "ko": "+1을 빠뜨렸습니다: (input_size - pool_size) / stride는 창이 이동하는 횟수이고, 창의 개수는 그보다 하나 많습니다.",
}

"""Mutant of ``pool-output-size`` (missing-plus-one): deliberately wrong, see MISTAKE."""

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
        stride = pool_size
    stride = _check_int("stride", stride, 1)
    span = input_size - pool_size
    if span < 0:
        raise ValueError(f"pool_size={pool_size} is larger than input_size={input_size}")
    if span % stride != 0:
        raise ValueError(f"stride={stride} does not tile input_size={input_size}, pool_size={pool_size}")
    return span // stride
