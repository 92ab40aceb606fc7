MISTAKE = {
    "en": "bias=False still counts the bias: the test `bias is not None` is true for False too. Test the flag itself (`if bias:`).",
    "ko": "bias=False인데도 편향을 셉니다: `bias is not None`은 False일 때도 참입니다. 플래그 자체를 검사하세요(`if bias:`).",
}

"""Mutant of ``dense-param-count`` (bias-flag-is-not-none): deliberately wrong, see MISTAKE."""

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
    biases = out_features if bias is not None else 0
    return weights + biases
