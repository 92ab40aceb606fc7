MISTAKE = {
    "en": "Silently rounds down: when (input_size - pool_size) is not divisible by stride the windows do not tile the input, and you must raise ValueError instead of flooring with `//`.",
    "ko": "나누어떨어지지 않을 때 조용히 내림합니다: (input_size - pool_size)가 stride로 나누어떨어지지 않으면 창이 입력에 딱 맞게 놓이지 않으므로, `//`로 내림하지 말고 ValueError를 발생시켜야 합니다.",
}

"""Mutant of ``pool-output-size`` (floor-without-check): deliberately wrong, see MISTAKE."""

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
    return span // stride + 1
