"""What the child's imports and names find: the standard library and numpy
only (``OnlyTheGradingRuntime``), stand-ins for the display-only packages
notebooks import (matplotlib, IPython.display, ipywidgets, tqdm), for the
names Jupyter provides (``display``, ``get_ipython``), and for the aliases
NumPy 2 removed.

Graded code may use only the standard library and numpy, but a notebook that
plots its results or wraps a loop in a progress bar is no less correct for it.
Importing one of these gives a module that does nothing: ``tqdm(x)`` is ``x``,
``display(...)`` and every matplotlib call return an inert object, so a
leftover plot or progress bar costs nothing, on every backend alike. Nothing
here computes a value: code that needs one of these packages for an answer
still fails.

Imported by the child runner: standard library only.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import sysconfig
import types

# Top-level names whose modules (and submodules) are stand-ins.
STAND_INS = frozenset({"matplotlib", "tqdm", "IPython", "ipywidgets", "seaborn"})


class Inert:
    """What every call and attribute of a stand-in gives: more of itself.
    Iterating it gives nothing; unpacking it into two gives two of it
    (``fig, ax = plt.subplots()``)."""

    def __call__(self, *args, **kwargs) -> "Inert":
        return self

    def __getattr__(self, name: str) -> "Inert":
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key) -> "Inert":
        return self

    def __setitem__(self, key, value) -> None:
        pass

    def __iter__(self):
        return iter((self, self))

    def __enter__(self) -> "Inert":
        return self

    def __exit__(self, *exc_info) -> bool:
        return False

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<display-only stand-in>"


INERT = Inert()


def _passthrough(iterable=None, *args, **kwargs):
    """tqdm(iterable, ...) is the iterable; tqdm(total=n) a bar that does nothing."""
    return INERT if iterable is None else iterable


def _trange(*args, **kwargs):
    return range(*args)


def _subplots(nrows=1, ncols=1, *args, squeeze=True, **kwargs):
    """plt.subplots: a figure and its axes shaped as matplotlib shapes them
    (``fig, (ax1, ax2, ax3) = plt.subplots(1, 3)`` unpacks)."""
    import numpy

    axes = numpy.empty((nrows, ncols), dtype=object)
    axes.fill(INERT)
    if squeeze:
        axes = axes.item() if axes.size == 1 else axes.squeeze()
    return INERT, axes


class StandInModule(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        if name == "subplots" and self.__name__.startswith("matplotlib"):
            return _subplots
        return INERT


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        module = StandInModule(spec.name)
        module.__path__ = []  # a package: its submodules are stand-ins too
        if spec.name.partition(".")[0] == "tqdm":
            module.tqdm = module.tqdm_notebook = _passthrough
            module.trange = _trange
        if spec.name.startswith("IPython"):
            module.display = module.clear_output = lambda *args, **kwargs: None
        return module

    def exec_module(self, module) -> None:
        pass


_LOADER = _Loader()


# Cell magics whose body is Python, run as such (in a notebook's cells, and in
# the .py that nbconvert exports from one).
PYTHON_BODY_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})


class _Shell(Inert):
    """``get_ipython()``: nbconvert's .py export calls it for every magic. A
    cell magic whose body is Python (``%%time``, ``%%capture``...) runs that
    body where the export runs, as IPython would: a notebook whose functions
    sit in a ``%%time`` cell defines them. Every other magic does nothing."""

    def run_cell_magic(self, magic, line, cell):
        if magic in PYTHON_BODY_CELL_MAGICS and isinstance(cell, str):
            exec(compile(cell, "<cell magic>", "exec"), sys._getframe(1).f_globals)
        return INERT


def as_in_jupyter() -> None:
    """The names a Jupyter kernel gives every notebook without an import:
    ``display`` does nothing, ``get_ipython()`` is an inert shell (see _Shell)."""
    import builtins

    shell = _Shell()
    builtins.display = lambda *args, **kwargs: None
    builtins.get_ipython = lambda: shell


def numpy_1_aliases(numpy) -> None:
    """NumPy 2 removed names that were only aliases (``np.product``,
    ``np.NINF``, ``np.float_``...): code written on NumPy 1.x (older Colab, the
    course's own environment) is no less correct for using them. Each is put
    back as exactly what it stood for, where this NumPy lacks it."""
    import math

    aliases = {
        "product": numpy.prod, "cumproduct": numpy.cumprod, "sometrue": numpy.any, "alltrue": numpy.all,
        "round_": numpy.round, "trapz": getattr(numpy, "trapezoid", None), "math": math,
        "asfarray": lambda a, dtype=numpy.float64: numpy.asarray(
            a, dtype=dtype if numpy.issubdtype(dtype, numpy.inexact) else numpy.float64),
        "msort": lambda a: numpy.sort(a, axis=0),
        "in1d": lambda ar1, ar2, assume_unique=False, invert=False, **kwargs: numpy.isin(
            numpy.asarray(ar1).ravel(), ar2, assume_unique=assume_unique, invert=invert, **kwargs),
        "NINF": -numpy.inf, "PINF": numpy.inf, "NZERO": -0.0, "PZERO": 0.0, "Inf": numpy.inf,
        "Infinity": numpy.inf, "infty": numpy.inf, "NaN": numpy.nan, "NAN": numpy.nan,
        "float_": numpy.float64, "complex_": numpy.complex128, "cfloat": numpy.complex128,
        "singlecomplex": numpy.complex64, "longfloat": numpy.longdouble, "longcomplex": numpy.clongdouble,
        "clongfloat": numpy.clongdouble, "unicode_": numpy.str_, "string_": numpy.bytes_,
        "int0": numpy.intp, "uint0": numpy.uintp, "bool8": numpy.bool_, "object0": numpy.object_,
        "str0": numpy.str_, "bytes0": numpy.bytes_, "void0": numpy.void,
    }
    for name, value in aliases.items():
        if value is not None and name not in vars(numpy):
            setattr(numpy, name, value)


def no_pipes_or_sockets() -> None:
    """The isolated sandbox refuses pipes and sockets (see seccomp_filter);
    the portable backend has no filter, so they fail here the same way, in
    Python: a student's ``grader check`` fails where the server would."""
    import errno
    import socket

    def not_permitted(*args, **kwargs):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    def not_supported(*args, **kwargs):
        raise OSError(errno.EAFNOSUPPORT, "Address family not supported by protocol")

    def wrap_only(self, family=-1, type=-1, proto=-1, fileno=None):
        if fileno is None:  # (a socket object around a descriptor it has, as the runner's channel, is no new socket)
            not_supported()
        make(self, family, type, proto, fileno)

    make = socket.socket.__init__
    os.pipe = not_permitted
    if hasattr(os, "pipe2"):
        os.pipe2 = not_permitted
    socket.socket.__init__ = wrap_only
    socket.socketpair = not_supported


def spec_for(name: str) -> importlib.machinery.ModuleSpec | None:
    """A stand-in's spec for ``name``, or None if it is not one."""
    if name.partition(".")[0] not in STAND_INS:
        return None
    return importlib.machinery.ModuleSpec(name, _LOADER, is_package=True)


class OnlyTheGradingRuntime:
    """An import finder that refuses packages beyond the standard library and
    numpy (display-only ones get stand-ins, see standins.py), as the isolated
    sandbox has no others: a student's own machine
    (the portable backend) then fails the same way, not only the server.
    Where a module would be loaded from decides (the standard library has
    private modules by many names)."""

    def __init__(self) -> None:
        # (A virtual environment's own lib folder holds its site-packages: only the base one counts.)
        self.stdlib = os.path.join(os.path.realpath(sysconfig.get_path("stdlib")), "")
        self.allowed = set(sys.stdlib_module_names) | {"numpy", "submission"} | {
            name.partition(".")[0] for name in sys.modules}

    def find_spec(self, name: str, path=None, target=None):
        top = name.partition(".")[0]
        if top in self.allowed:
            return None  # the usual finders decide
        stand_in = spec_for(name)  # matplotlib, tqdm...: do-nothing modules, installed here or not
        if stand_in is not None:
            return stand_in
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None:
            origin = spec.origin if spec.origin not in (None, "namespace") else next(
                iter(spec.submodule_search_locations or ()), "")
            where = os.path.realpath(origin)
            if where.startswith(self.stdlib) and not {"site-packages", "dist-packages"} & set(where.split(os.sep)):
                return spec
        # Installed here or not, the message is the same on every machine.
        raise ModuleNotFoundError(f"No module named {top!r} (graded code may use only Python's standard "
                                  f"library and numpy)", name=top)
