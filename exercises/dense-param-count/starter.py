import numpy as np


def dense_param_count(in_features, out_features, bias=True) -> int:
    """완전연결 층의 매개변수 개수 in*out (+ 편향 out개) 를 int로 반환합니다.

    Return the number of trainable parameters of a fully connected layer as
    an ``int``: in_features * out_features weights, plus out_features biases
    when bias is True.
    """
    raise NotImplementedError
