MISTAKE = {
    "en": "Bias not counted: with bias=True every output neuron has one learnable bias, so add out_features.",
    "ko": "편향을 세지 않았습니다: bias=True이면 출력 뉴런마다 학습 가능한 편향이 하나씩 있으므로 out_features를 더하세요.",
}

"""Mutant of ``dense-param-count`` (bias-forgotten): deliberately wrong, see MISTAKE."""

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
    biases = out_features if bias else 0
    return weights
