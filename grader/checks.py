"""Pure comparators: an expected answer, what the student's code produced -> a finding.

No I/O and no knowledge of exercises. Everything the student produced arrives
here as plain data decoded by the sandbox protocol (ints, floats, tuples,
lists, plain ndarrays, ``Unsupported``), so nothing of theirs is ever called.
A finding carries a reason code and facts safe to show for any case (types,
shapes, dtypes, counts); the values themselves are added only for public cases.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .catalog.models import CheckSpec
from .sandbox.protocol import UNCHANGED, Unsupported


@dataclass(frozen=True)
class Finding:
    """Why a value is wrong. ``facts`` are safe to show for hidden cases too;
    ``values`` only for public ones."""

    reason: str
    where: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


def kind_of(value: Any) -> str:
    """A student-facing name for a value's type."""
    if isinstance(value, Unsupported):
        return value.type_name
    if isinstance(value, np.ndarray):
        return "ndarray"
    if isinstance(value, np.generic):
        return f"numpy.{type(value).__name__}"
    return type(value).__name__


def _is_int(value: Any) -> bool:
    return (type(value) is int) or isinstance(value, np.integer)


def _is_real(value: Any) -> bool:
    return _is_int(value) or type(value) is float or isinstance(value, np.floating)


def compare(expected: Any, got: Any, check: CheckSpec, where: str = "", names: list[str] | None = None) -> Finding | None:
    """None when ``got`` is acceptable as ``expected``, else the first difference found."""
    if isinstance(expected, (tuple, list)):
        return _compare_sequence(expected, got, check, where, names)
    if isinstance(expected, np.ndarray):
        return _compare_array(expected, got, check, where)
    if type(expected) is bool or isinstance(expected, np.bool_):
        if type(got) is bool or isinstance(got, np.bool_):
            return None if bool(got) == bool(expected) else Finding("wrong_value", where, values={"got": got, "expected": expected})
        return Finding("wrong_type", where, {"got_type": kind_of(got), "expected_type": "bool"})
    if _is_int(expected):
        return _compare_int(int(expected), got, where)
    if _is_real(expected):
        if not _is_real(got) or type(got) is bool:
            return Finding("wrong_type", where, {"got_type": kind_of(got), "expected_type": "float"})
        try:
            got_float = float(got)
        except OverflowError:  # an int too large for a float is certainly not the answer
            return Finding("wrong_value", where, values={"got": got, "expected": expected})
        return _compare_array(np.asarray(float(expected)), np.asarray(got_float), check, where, scalar=True)
    if expected is None:
        return None if got is None else Finding("wrong_type", where, {"got_type": kind_of(got), "expected_type": "None"})
    if isinstance(expected, str):
        if type(got) is not str:
            return Finding("wrong_type", where, {"got_type": kind_of(got), "expected_type": "str"})
        return None if got == expected else Finding("wrong_value", where, values={"got": got, "expected": expected})
    raise TypeError(f"cannot compare against a {type(expected).__name__}")


def _compare_int(expected: int, got: Any, where: str) -> Finding | None:
    if type(got) is bool or not _is_int(got):
        facts = {"got_type": kind_of(got), "expected_type": "int"}
        if _is_real(got) and float(got) == expected:
            # The book's formula returns a float such as 3.0: right number, wrong type.
            return Finding("int_as_float", where, facts, values={"got": got})
        return Finding("wrong_type", where, facts, values={"got": got})
    if int(got) != expected:
        return Finding("wrong_value", where, values={"got": int(got), "expected": expected})
    return None


def _compare_sequence(expected: tuple | list, got: Any, check: CheckSpec, where: str,
                      names: list[str] | None) -> Finding | None:
    if not isinstance(got, (tuple, list)):
        parts = ", ".join(names[:len(expected)]) if names and len(names) >= len(expected) else str(len(expected))
        return Finding("not_a_tuple", where, {"got_type": kind_of(got), "expected_length": len(expected),
                                              "expected_parts": parts})
    if len(got) != len(expected):
        return Finding("wrong_length", where, {"got_length": len(got), "expected_length": len(expected)})
    for index, (want, have) in enumerate(zip(expected, got)):
        label = names[index] if names and index < len(names) else f"{where}[{index}]"
        finding = compare(want, have, check, label)
        if finding:
            if _reordered(expected, got, check):
                return Finding("wrong_order", where, {"expected_order": ", ".join(
                    names[index] if names and index < len(names) else str(index) for index in range(len(expected)))})
            return finding
    return None


def _reordered(expected: tuple | list, got: tuple | list, check: CheckSpec) -> bool:
    """Whether ``got`` holds exactly the expected parts in another order (a few parts only)."""
    if not 2 <= len(expected) <= 4:
        return False
    in_place = tuple(range(len(got)))
    return any(order != in_place and all(compare(want, got[index], check) is None for want, index in zip(expected, order))
               for order in itertools.permutations(in_place))


def _compare_array(expected: np.ndarray, got: Any, check: CheckSpec, where: str, scalar: bool = False) -> Finding | None:
    if not scalar:
        if isinstance(got, list | tuple) and _wraps_an_answer(got):
            return Finding("array_in_sequence", where, {"got_type": kind_of(got), "expected_type": "ndarray"})
        if isinstance(got, list | tuple) or (isinstance(got, Unsupported) and got.type_name in ("list", "tuple")):
            return Finding("list_not_array", where, {"got_type": kind_of(got), "expected_type": "ndarray"})
        if not isinstance(got, np.ndarray):
            return Finding("wrong_type", where, {"got_type": kind_of(got), "expected_type": "ndarray"})
        expected_shape = tuple(check.shape) if check.shape is not None else expected.shape
        if got.shape != expected_shape:
            return Finding("wrong_shape", where, {"got_shape": got.shape, "expected_shape": expected_shape})
        dtype_finding = _check_dtype(expected, got, check, where)
        if dtype_finding:
            return dtype_finding
    if got.dtype.kind not in "biuf":
        return Finding("wrong_dtype", where, {"got_dtype": str(got.dtype), "expected_dtype": str(expected.dtype)})
    if _identical(expected, got):
        return None  # the common case for a right answer, at the cost of one memcmp
    got_float, expected_float = got.astype(np.float64), expected.astype(np.float64)
    bad = ~np.isfinite(got_float) & np.isfinite(expected_float)
    if bad.any():
        return Finding("not_finite", where, {"count": int(bad.sum()), "size": int(got.size)})
    if check.compare == "exact" or expected.dtype.kind in "biu":
        wrong = ~((got_float == expected_float) | (np.isnan(got_float) & np.isnan(expected_float)))
        tolerance = 0.0
    else:
        finite = expected_float[np.isfinite(expected_float)]
        scale = float(np.abs(finite).max()) if finite.size else 0.0
        tolerance = check.atol + check.rtol * max(scale, 1e-12)
        with np.errstate(invalid="ignore"):
            difference = np.abs(got_float - expected_float)
        same_special = ~np.isfinite(expected_float) & (got_float == expected_float)
        wrong = ~((difference <= tolerance) | same_special | (np.isnan(got_float) & np.isnan(expected_float)))
    if not wrong.any():
        return None
    if got.dtype.kind == "f" and got.dtype.itemsize < 4 and expected.dtype.kind == "f":
        return Finding("too_imprecise", where, {"got_dtype": str(got.dtype)})
    facts = {"wrong_count": int(wrong.sum()), "size": int(wrong.size)}
    if scalar:
        return Finding("wrong_value", where, facts, values={"got": got.item(), "expected": expected.item()})
    first = tuple(int(i) for i in np.unravel_index(int(np.argmax(wrong)), wrong.shape))
    return Finding("wrong_values", where, facts, values={
        "index": first, "got": got_float[first].item(), "expected": expected_float[first].item(),
    })


def _wraps_an_answer(items: list | tuple) -> bool:
    """A sequence that holds the answer rather than being its rows: one array
    alone (``return out,``), or arrays among other things or of several shapes
    (``(out, cache)``). np.array(...) around it would not help."""
    arrays = [item for item in items if isinstance(item, np.ndarray)]
    return bool(arrays) and (len(items) == 1 or len(arrays) < len(items) or len({array.shape for array in arrays}) > 1)


def _check_dtype(expected: np.ndarray, got: np.ndarray, check: CheckSpec, where: str) -> Finding | None:
    if check.dtype is not None:
        if got.dtype != np.dtype(check.dtype):
            return Finding("wrong_dtype", where, {"got_dtype": str(got.dtype), "expected_dtype": check.dtype})
        return None
    expected_kind = {"u": "i"}.get(expected.dtype.kind, expected.dtype.kind)
    got_kind = {"u": "i"}.get(got.dtype.kind, got.dtype.kind)
    if expected_kind != got_kind:
        return Finding("wrong_dtype", where, {"got_dtype": str(got.dtype), "expected_dtype": str(expected.dtype)})
    return None


def _identical(expected: np.ndarray, got: np.ndarray) -> bool:
    """Same shape, dtype and bytes: equal under every check (NaN where NaN is expected too)."""
    return expected.dtype == got.dtype and expected.shape == got.shape and expected.tobytes() == got.tobytes()


def modified_inputs(pristine: list[Any], after: list[Any]) -> list[int]:
    """Positions of array arguments that the call changed in place."""
    changed = []
    for position, (before, now) in enumerate(zip(pristine, after)):
        if now is UNCHANGED:
            continue
        if not isinstance(now, np.ndarray) or now.shape != before.shape or now.dtype != before.dtype:
            changed.append(position)
        elif not _identical(before, now) and not np.array_equal(before, now, equal_nan=before.dtype.kind == "f"):
            changed.append(position)
    return changed


def exception_matches(expected_name: str, mro: list[str]) -> bool:
    """Whether a raised exception is the expected one (by name, subclasses too)."""
    return expected_name in mro
