MISTAKE = {
    "en": "Only one bias counted: the bias is a vector with one entry per output neuron, so add out_features, not 1.",
    "ko": "편향을 하나만 셌습니다: 편향은 출력 뉴런마다 값이 하나씩 있는 벡터이므로 1이 아니라 out_features를 더해야 합니다.",
}

"""Mutant of ``dense-param-count`` (single-bias): deliberately wrong, see MISTAKE."""

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
    biases = 1 if bias else 0
    return weights + biases
