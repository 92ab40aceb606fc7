MISTAKE = {
    "en": "Input channels forgotten: each filter spans all input channels, so one filter has in_channels*kernel_h*kernel_w weights and the layer has out*in*kh*kw.",
    "ko": "입력 채널 수를 빠뜨렸습니다: 필터 하나는 모든 입력 채널에 걸쳐 있으므로 가중치가 in_channels*kernel_h*kernel_w개이고, 계층 전체로는 out*in*kh*kw개입니다.",
}

"""Mutant of ``conv-param-count`` (in-channels-forgotten): deliberately wrong, see MISTAKE."""

import operator


def _check_int(name, value, minimum):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def conv_param_count(in_channels, out_channels, kernel_h, kernel_w, bias=True):
    """Learnable parameters of a conv layer: out*in*kh*kw weights (+ one bias per output channel)."""
    in_channels = _check_int("in_channels", in_channels, 1)
    out_channels = _check_int("out_channels", out_channels, 1)
    kernel_h = _check_int("kernel_h", kernel_h, 1)
    kernel_w = _check_int("kernel_w", kernel_w, 1)
    weights = out_channels * kernel_h * kernel_w
    biases = out_channels if bias else 0
    return weights + biases
