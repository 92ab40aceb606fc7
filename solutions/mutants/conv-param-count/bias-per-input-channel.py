MISTAKE = {
    "en": "Bias counted per input channel: there is one bias per filter, i.e. per output channel, so add out_channels, not in_channels.",
    "ko": "편향을 입력 채널 수만큼 셌습니다: 편향은 필터(출력 채널)마다 하나이므로 in_channels가 아니라 out_channels를 더해야 합니다.",
}

"""Mutant of ``conv-param-count`` (bias-per-input-channel): deliberately wrong, see MISTAKE."""

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
    weights = out_channels * in_channels * kernel_h * kernel_w
    biases = in_channels if bias else 0
    return weights + biases
