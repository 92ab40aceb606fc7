MISTAKE = {
    "en": "No check that the filter fits: when the filter is larger than the padded input the formula gives 0 or a negative size. Raise ValueError instead of returning it.",
    "ko": "필터가 입력 안에 들어가는지 확인하지 않았습니다: 필터가 패딩된 입력보다 크면 공식의 결과가 0 이하가 됩니다. 그 값을 반환하지 말고 ValueError를 발생시키세요.",
}

"""Mutant of ``conv-output-size`` (no-minimum-check): deliberately wrong, see MISTAKE."""

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
    if span % stride != 0:
        raise ValueError(f"stride={stride} does not tile input_size={input_size}, filter_size={filter_size}, pad={pad}")
    return span // stride + 1
