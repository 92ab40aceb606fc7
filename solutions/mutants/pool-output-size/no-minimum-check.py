MISTAKE = {
    "en": "No check that the window fits: when pool_size is larger than input_size the formula gives 0 or a negative size. Raise ValueError instead of returning it.",
    "ko": "풀링 창이 입력 안에 들어가는지 확인하지 않았습니다: pool_size가 input_size보다 크면 공식의 결과가 0 이하가 됩니다. 그 값을 반환하지 말고 ValueError를 발생시키세요.",
}

"""Mutant of ``pool-output-size`` (no-minimum-check): deliberately wrong, see MISTAKE."""

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
    if span % stride != 0:
        raise ValueError(f"stride={stride} does not tile input_size={input_size}, pool_size={pool_size}")
    return span // stride + 1
