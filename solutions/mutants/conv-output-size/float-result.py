MISTAKE = {
    "en": "Returns a float (e.g. 3.0): the book's formula uses `/`. An output size counts positions, so return an int: check that the division is exact, then divide with `//`.",
    "ko": "실수(예: 3.0)를 반환합니다: 책의 공식처럼 `/`로 나누면 float가 됩니다. 출력 크기는 위치의 개수이므로, 나누어떨어지는지 확인한 뒤 `//`로 나누어 int를 반환하세요.",
}

"""Mutant of ``conv-output-size`` (float-result): deliberately wrong, see MISTAKE."""

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
    return span / stride + 1
