MISTAKE = {
    "en": "Bias counted per input feature: there is one bias per output neuron (b has shape (out_features,)), so add out_features, not in_features.",
    "ko": "편향을 입력 특성 수만큼 셌습니다: 편향은 출력 뉴런마다 하나(b의 모양은 (out_features,))이므로 in_features가 아니라 out_features를 더해야 합니다.",
}

"""Mutant of ``dense-param-count`` (bias-uses-in-features): deliberately wrong, see MISTAKE."""

import operator


def _check_int(name, value, minimum):
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def dense_param_count(in_features, out_features, bias=True):
    """Learnable parameters of a fully connected layer: in*out weights (+ one bias per output)."""
    in_features = _check_int("in_features", in_features, 1)
    out_features = _check_int("out_features", out_features, 1)
    weights = in_features * out_features
    biases = in_features if bias else 0
    return weights + biases
