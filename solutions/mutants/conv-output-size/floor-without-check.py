MISTAKE = {
    "en": "Silently rounds down: when (input_size + 2*pad - filter_size) is not divisible by stride, the filter does not tile the input and you must raise ValueError instead of flooring with `//`.",
    "ko": "나누어떨어지지 않을 때 조용히 내림합니다: (input_size + 2*pad - filter_size)가 stride로 나누어떨어지지 않으면 필터가 입력에 딱 맞게 놓이지 않으므로, `//`로 내림하지 말고 ValueError를 발생시켜야 합니다.",
}

"""Mutant of ``conv-output-size`` (floor-without-check): deliberately wrong, see MISTAKE."""

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
    return span // stride + 1
