"""Reference solutions and mutants: trusted code, run in the trusted process.

The reference computes every expected answer; each mutant is a realistic wrong
variant whose answers let the grader name a student's likely mistake.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Callable

from .models import Localized


@dataclass(frozen=True)
class Answer:
    """What trusted code did on a case: returned ``value``, or raised ``raised``."""

    value: Any = None
    raised: str | None = None


@dataclass(frozen=True)
class Mutant:
    slug: str
    mistake: Localized
    path: Path


@cache
def load_function(path: Path, name: str) -> Callable:
    module_name = f"_grader_trusted_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, name, None)
    if not callable(function):
        raise ImportError(f"{path} does not define {name}()")
    return function


def run_trusted(function: Callable, args: list, kwargs: dict) -> Answer:
    """Run trusted code on deep copies, so the case's inputs stay pristine."""
    try:
        value = function(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except Exception as error:  # noqa: BLE001 - an expected exception is an answer
        return Answer(raised=type(error).__name__)
    return Answer(value=value)


def read_mutants(directory: Path) -> list[Mutant]:
    """Mutants of one exercise, with their ``MISTAKE`` text read without running them."""
    mutants = []
    for path in sorted(directory.glob("*.py")) if directory.is_dir() else []:
        mutants.append(Mutant(slug=path.stem, mistake=_read_mistake(path), path=path))
    return mutants


def _read_mistake(path: Path) -> Localized:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "MISTAKE" for target in node.targets
        ):
            return Localized.model_validate(ast.literal_eval(node.value))
    raise ValueError(f"{path}: a mutant must define MISTAKE = {{'en': ..., 'ko': ...}}")
