MISTAKE = {
    "en": "Forgot the +1: (input_size + 2*pad - filter_size) / stride counts how many times the filter moves; the number of positions is one more than that.",
    "ko": "+1을 빠뜨렸습니다: (input_size + 2*pad - filter_size) / stride는 필터가 이동하는 횟수이고, 출력 위치의 개수는 그보다 하나 많습니다.",
}

"""Mutant of ``conv-output-size`` (missing-plus-one): deliberately wrong, see MISTAKE."""

import operator


def _check_int(name, value, minimum):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def conv_output_size(input_size, filter_size, stride=1, pad=0):
    """Output length of a convolution: (input_size + 2*pad - filter_size) / stride + 1."""
    input_size = _check_int("input_size", input_size, 1)
    filter_size = _check_int("filter_size", filter_size, 1)
    stride = _check_int("stride", stride, 1)
    pad = _check_int("pad", pad, 0)
    span = input_size + 2 * pad - filter_size
    if span < 0:
        raise ValueError(f"filter_size={filter_size} is larger than the padded input ({input_size} + 2*{pad})")
    if span % stride != 0:
        raise ValueError(f"stride={stride} does not tile input_size={input_size}, filter_size={filter_size}, pad={pad}")
    return span // stride
