"""Reference solution for exercise ``pool-output-size``."""

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
    return span // stride + 1
