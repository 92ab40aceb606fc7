"""Integer expressions in specs, such as ``(H + 2*P - FH) // S + 1`` or ``H >= FH``.

Only integer literals, variable names, ``+ - * // %``, comparisons, ``and``,
``or``, ``not`` and parentheses are allowed; nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
import operator

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
            ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge}


class ExpressionError(ValueError):
    pass


class DivisionByZero(ExpressionError):
    pass


def _parse(text: str) -> ast.expr:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"cannot parse expression {text!r}") from error
    for node in ast.walk(tree):
        allowed = (ast.Expression, ast.Name, ast.Load, ast.BinOp, ast.UnaryOp, ast.USub,
                   ast.Compare, ast.BoolOp, ast.And, ast.Or, ast.Not, *_BINARY, *_COMPARE)
        if isinstance(node, ast.Constant):
            if type(node.value) is not int:
                raise ExpressionError(f"only integer constants are allowed in {text!r}")
        elif not isinstance(node, allowed):
            raise ExpressionError(f"{type(node).__name__} is not allowed in {text!r}")
    return tree.body


def check_expression(text: str) -> None:
    _parse(text)


def names_in(text: str) -> set[str]:
    return {node.id for node in ast.walk(_parse(text)) if isinstance(node, ast.Name)}


def evaluate(text: str, variables: dict[str, int]) -> int | bool:
    return _evaluate(_parse(text), variables, text)


def _evaluate(node: ast.expr, variables: dict[str, int], text: str) -> int | bool:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in variables:
            raise ExpressionError(f"unknown variable {node.id!r} in {text!r}")
        return variables[node.id]
    if isinstance(node, ast.UnaryOp):
        value = _evaluate(node.operand, variables, text)
        return -value if isinstance(node.op, ast.USub) else not value
    if isinstance(node, ast.BinOp):
        left, right = (_evaluate(side, variables, text) for side in (node.left, node.right))
        if isinstance(node.op, (ast.FloorDiv, ast.Mod)) and right == 0:
            raise DivisionByZero(f"division by zero in {text!r}")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.BoolOp):
        values = (_evaluate(value, variables, text) for value in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, variables, text)
        for op, comparator in zip(node.ops, node.comparators):
            right = _evaluate(comparator, variables, text)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    raise ExpressionError(f"cannot evaluate {text!r}")
