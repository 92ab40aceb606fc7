"""Reading a student's file (.py or .ipynb) into units of module source.

Nothing here runs student code. A notebook's code cells become one unit each,
in order, with IPython magics and shell escapes turned into ``pass`` so they
are never executed. A syntax error is located (line, and cell for notebooks)
and costs only the code it breaks: the rest still loads.
"""

from __future__ import annotations

import base64
import bisect
import codecs
import dataclasses
import io
import marshal
import re
import time
import tokenize
import types
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .sandbox import request
from .sandbox.standins import PYTHON_BODY_CELL_MAGICS

MAX_SUBMISSION_BYTES = 2 * 1024 * 1024  # of code: a .py file, or a notebook's code cells together
# A notebook also carries its outputs (plots are base64 images): the file may
# be larger, as long as its code fits the limit above.
MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024
# A file that does not compile is split into its top-level statements, each
# kept if it compiles alone; past this many, the file is refused as a whole.
MAX_SALVAGED_PIECES = 5000
# Compiling broken code can be slow (unclosed brackets: ~1 µs a byte, each
# piece compiled up to 8 times): what a file or notebook has not salvaged by
# then stays one piece.
SALVAGE_SECONDS = 2.0
FILENAME = "submission.py"

# Source encodings a PEP 263 line may declare: character sets, decoded in linear
# time (their names as codecs.lookup gives them).
_CHARSET = re.compile(r"ascii|latin-1|iso8859-\d+|cp\d+|mbcs|euc_\w+|johab|shift_jis\w*|gbk|gb2312|gb18030|big5\w*|"
                      r"koi8[-_]\w+|mac-\w+|iso2022_\w+|utf-16(-[lb]e)?|utf-32(-[lb]e)?|hz|tis-620|kz1048|ptcp154")
# What compiling the student's file warns about (`x is 1`, "\d") is the
# student's business, not the grader's log (300k such lines made 23 MB of it).
warnings.filterwarnings("ignore", module=re.escape(FILENAME.removesuffix(".py")) + "$")

# `%magic`, `%%cell`, `!shell`, `x = !shell`, `x = %magic`, and `obj?` / `?obj` help lines.
_MAGIC_LINE = re.compile(r"^(\s*)(?:[%!]|[A-Za-z_][\w.,\s]*=\s*[%!])")
_HELP_LINE = re.compile(r"^(\s*)(?:[\w.]+\?{1,2}|\?{1,2}[\w.]+)\s*$")
# (Cell magics whose body is ordinary Python keep the body, drop the magic line: PYTHON_BODY_CELL_MAGICS.)


class SubmissionError(Exception):
    """The file cannot be read as a submission at all. ``key`` and ``facts``
    word it in the student's language (see messages.py); the exception's own
    text is the English one."""

    def __init__(self, text: str, key: str = "", **facts) -> None:
        super().__init__(text)
        self.key, self.facts = key, facts

    def said(self, lang: str) -> str:
        from .messages import say

        return say(self.key, lang, **self.facts) if self.key else str(self)


@dataclass
class SyntaxProblem:
    line: int  # in the joined source
    message: str
    cell: int | None = None  # 1-based code-cell number, for notebooks
    cell_line: int | None = None

    def where(self, lang: str = "en") -> str:
        from .messages import say

        if self.cell is not None:
            return say("code_cell_line", lang, cell=self.cell, line=self.cell_line)
        return say("line", lang, line=self.line)


@dataclass
class Unit:
    source: str
    line_offset: int  # lines before this unit in the joined source
    cell: int | None = None
    # Marshalled bytecode compiled under FILENAME by this interpreter, kept from the syntax check.
    bytecode: bytes | None = field(default=None, repr=False)
    flags: int = 0  # future features in effect (request.FUTURE_FLAGS): its own and earlier units'



@dataclass
class Submission:
    name: str
    kind: str  # "py" | "ipynb"
    units: list[Unit]
    syntax_errors: list[SyntaxProblem] = field(default_factory=list)
    cell_starts: list[int] = field(default_factory=list)  # joined line where each cell begins
    # Code cells whose cell magic keeps them from running (%%writefile, %%bash): (number, magic).
    skipped_cells: list[tuple[int, str]] = field(default_factory=list)
    # Each code cell's execution count in the saved notebook (None: never run, or not a notebook).
    run_order: list[int | None] = field(default_factory=list)
    _statement_lines: set[int] | None = field(default=None, repr=False, compare=False)

    @property
    def line_count(self) -> int:
        """Lines in the joined source."""
        return max((unit.line_offset + unit.source.count("\n") + 1 for unit in self.units), default=0)

    def locate(self, line: int) -> tuple[int | None, int]:
        """A joined-source line as the student knows it: (cell number or None, line)."""
        if self.kind != "ipynb" or not self.cell_starts:
            return None, line
        cell = max(bisect.bisect_left(self.cell_starts, line) - 1, 0)  # the last cell starting before it
        return cell + 1, line - self.cell_starts[cell]

    def has_statement_at(self, line: int) -> bool:
        """Whether a statement of the compiled code starts at joined-source ``line``."""
        if self._statement_lines is None:
            lines: set[int] = set()
            for unit in self.units:
                stack = [marshal.loads(unit.bytecode)] if unit.bytecode else []
                while stack:
                    code = stack.pop()
                    lines.update(start for _, _, start in code.co_lines() if start is not None)
                    stack.extend(item for item in code.co_consts if isinstance(item, types.CodeType))
            self._statement_lines = lines
        return line in self._statement_lines

    def wire_units(self) -> list[dict]:
        return [{"source": unit.source, "line_offset": unit.line_offset, "flags": unit.flags} for unit in self.units]


def read_submission(path: Path) -> Submission:
    """Read a file here, in this process: for files the grader trusts (its own
    solutions and tests). A student's file is read by ``reader.read_untrusted``."""
    return read_bytes(submission_bytes(path), path.name)


def submission_bytes(path: Path) -> bytes:
    """The file's bytes, once its size is known to be acceptable."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise SubmissionError(f"cannot read {path}: {error.strerror or error}") from error
    notebook = path.suffix == ".ipynb"
    limit = MAX_NOTEBOOK_BYTES if notebook else MAX_SUBMISSION_BYTES
    if size > limit:
        key = "notebook_too_large" if notebook else "file_too_large"
        raise SubmissionError(f"{path.name} is {size} bytes; submissions are limited to {limit} bytes"
                              + (" (clear the cells' outputs)" if notebook else ""), key, name=path.name, size=size,
                              limit=limit)
    try:
        return path.read_bytes()
    except OSError as error:
        raise SubmissionError(f"cannot read {path}: {error.strerror or error}") from error


def read_bytes(data: bytes, name: str) -> Submission:
    """A submission from a file's bytes; ``name`` tells a notebook (.ipynb) from Python."""
    if name.endswith(".ipynb"):
        return from_notebook(data, name)
    return from_python(_decode(data, name), name)


def to_plain(submission: Submission) -> dict:
    """The submission as JSON-able data (what the reading worker sends back)."""
    return {
        "name": submission.name, "kind": submission.kind, "cell_starts": submission.cell_starts,
        "skipped_cells": submission.skipped_cells, "run_order": submission.run_order,
        "units": [{"source": unit.source, "line_offset": unit.line_offset, "cell": unit.cell, "flags": unit.flags,
                   "bytecode": base64.b64encode(unit.bytecode).decode() if unit.bytecode else None}
                  for unit in submission.units],
        "syntax_errors": [dataclasses.asdict(problem) for problem in submission.syntax_errors],
    }


def from_plain(data: dict) -> Submission:
    return Submission(
        name=data["name"], kind=data["kind"], cell_starts=list(data["cell_starts"]),
        skipped_cells=[(cell, magic) for cell, magic in data["skipped_cells"]],
        run_order=[count if type(count) is int else None for count in data.get("run_order", [])],
        units=[Unit(unit["source"], unit["line_offset"], unit["cell"],
                    base64.b64decode(unit["bytecode"]) if unit["bytecode"] else None, unit["flags"])
               for unit in data["units"]],
        syntax_errors=[SyntaxProblem(**problem) for problem in data["syntax_errors"]],
    )


def _decode(data: bytes, name: str) -> str:
    """Python source as Python reads it: UTF-8, or what a PEP 263 coding line
    declares (``# -*- coding: cp949 -*-``, common in Korean Windows editors)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if str(error).startswith(("unknown encoding", "encoding problem")):
            raise SubmissionError(f"{name}: {error}") from error
        encoding = "utf-8"  # (no declaration, and bytes that are not UTF-8: said below, with where)
    utf8 = encoding in ("utf-8", "utf-8-sig")
    if not utf8 and not _CHARSET.fullmatch(codecs.lookup(encoding).name):
        # punycode is quadratic (2 MiB took minutes), "undefined" always fails, and the like
        raise SubmissionError(f"{name}: source encoding {encoding} is not accepted: save it as UTF-8")
    try:
        return data.decode("utf-8-sig" if utf8 else encoding)
    except UnicodeDecodeError as error:
        shown = "UTF-8" if utf8 else encoding
        raise SubmissionError(f"{name} is not {shown} text (byte {error.start}): save it as UTF-8", "not_text",
                              name=name, encoding=shown, byte=error.start) from error
    except UnicodeError as error:
        raise SubmissionError(f"{name} is not {encoding} text: save it as UTF-8") from error


def from_python(source: str, name: str = FILENAME) -> Submission:
    source = source.replace("\r\n", "\n").replace("\x00", "")
    units, errors, _ = _compilable_units(source, 0, None, 0, time.monotonic() + SALVAGE_SECONDS)
    return Submission(name=name, kind="py", units=units, syntax_errors=errors)


def from_notebook(data: bytes | str, name: str = "submission.ipynb") -> Submission:
    import nbformat

    try:
        notebook = nbformat.reads(data.decode("utf-8-sig") if isinstance(data, bytes) else data, as_version=4)
    except Exception as error:  # nbformat raises many kinds for broken JSON / schema
        detail = f"{type(error).__name__}: {error}"
        raise SubmissionError(f"{name} is not a readable Jupyter notebook: {detail}", "not_notebook", name=name,
                              detail=detail[:300]) from error
    units: list[Unit] = []
    errors: list[SyntaxProblem] = []
    cell_starts: list[int] = []
    offset = flags = code_bytes = 0
    skipped: list[tuple[int, str]] = []
    deadline = time.monotonic() + SALVAGE_SECONDS  # for the whole notebook
    code_cells = [cell for cell in notebook.cells if cell.get("cell_type") == "code"]
    for number, cell in enumerate(code_cells, start=1):
        source = cell.get("source", "")
        if isinstance(source, list):  # nbformat joins these, but a hand-made file may not
            source = "".join(part for part in source if isinstance(part, str))
        if not isinstance(source, str):
            raise SubmissionError(f"{name}: code cell {number} has no readable source")
        code_bytes += len(source.encode("utf-8", "surrogatepass"))
        if code_bytes > MAX_SUBMISSION_BYTES:
            raise SubmissionError(f"{name}: its code cells hold more than {MAX_SUBMISSION_BYTES} bytes",
                                  "notebook_code_too_large", name=name, limit=MAX_SUBMISSION_BYTES)
        source = source.replace("\r\n", "\n")
        magic = _cell_magic(source)
        if magic is not None and magic not in PYTHON_BODY_CELL_MAGICS:
            skipped.append((number, magic))
        source = strip_magics(source)
        cell_starts.append(offset)
        if source.strip():  # (an empty cell, or one of a skipped magic, has nothing to run)
            cell_units, cell_errors, flags = _compilable_units(source, offset, number, flags, deadline)
            units.extend(cell_units)
            for problem in cell_errors:
                problem.cell, problem.cell_line = number, problem.line - offset
            errors.extend(cell_errors)
        offset += source.count("\n") + 1
    run_order = [cell.get("execution_count") for cell in code_cells]
    return Submission(name=name, kind="ipynb", units=units, syntax_errors=errors, cell_starts=cell_starts,
                      skipped_cells=skipped, run_order=[count if type(count) is int else None for count in run_order])


def _cell_magic(source: str) -> str | None:
    """The name of a cell's ``%%magic``, if its first line that is not blank
    is one (IPython drops a cell's leading blank lines first)."""
    first = _first_line(source.split("\n"))
    if first is None or not first[1].strip().startswith("%%"):
        return None
    words = first[1].strip()[2:].split()
    return words[0] if words else ""


def _first_line(lines: list[str]) -> tuple[int, str] | None:
    return next(((index, line) for index, line in enumerate(lines) if line.strip()), None)


def strip_magics(source: str) -> str:
    """Replace IPython-only lines with ``pass`` at the same indentation (lines keep their numbers)."""
    lines = source.split("\n")
    magic = _cell_magic(source)
    if magic is not None:
        if magic in PYTHON_BODY_CELL_MAGICS:
            lines[_first_line(lines)[0]] = "pass"
        else:  # %%bash, %%writefile, ...: the body is not Python
            return "\n".join("" for _ in lines)
    out = []
    for line, starts_statement in zip(lines, _statement_starts(lines)):
        match = starts_statement and (_MAGIC_LINE.match(line) or _HELP_LINE.match(line))
        out.append(f"{match.group(1)}pass" if match else line)
    return "\n".join(out)


def _statement_starts(lines: list[str]) -> list[bool]:
    """For each line, whether it begins a new statement: not inside brackets,
    a multi-line string, or after a backslash continuation. A magic is only a
    magic there; ``(a\n != b)`` is Python."""
    starts, depth, quote, continued = [], 0, "", False
    for line in lines:
        starts.append(depth == 0 and not quote and not continued)
        index = 0
        while index < len(line):
            char = line[index]
            if quote:
                if char == "\\":
                    index += 1
                elif line.startswith(quote, index):
                    index += len(quote) - 1
                    quote = ""
            elif char == "#":
                break
            elif char in "\"'":
                quote = line[index:index + 3] if line[index:index + 3] in ('"""', "'''") else char
                index += len(quote) - 1
            elif char in "([{":
                depth += 1
            elif char in ")]}":
                depth = max(0, depth - 1)
            index += 1
        if quote in ('"', "'"):  # an unterminated one-line string ends with its line
            quote = ""
        continued = line.rstrip().endswith("\\") and not quote
    return starts


def _compilable_units(source: str, offset: int, cell: int | None, flags: int,
                      deadline: float) -> tuple[list[Unit], list[SyntaxProblem], int]:
    """The whole source as one unit if it compiles; otherwise the largest
    top-level pieces that do, and the syntax errors of those that do not.
    ``flags``: the future features of what came before; with those this
    source adds, they are returned for what comes after."""
    code, error, unit_flags = _compiled(source, offset, flags)
    if error is None:
        return [Unit(source, offset, cell, code, unit_flags)], [], unit_flags
    units, problems = [], []
    pieces = _salvage(source, deadline)
    if pieces is None:  # no student writes this many statements: the grader's time is not spent on it
        line, message = error
        return [], [SyntaxProblem(line=offset + line, message=message, cell=cell)], flags
    for start, piece in pieces:
        code, piece_error, piece_flags = _compiled(piece, offset + start, flags)
        if piece_error is None:
            flags = piece_flags
            units.append(Unit(piece, offset + start, cell, code, flags))
        else:
            line, message = piece_error
            problems.append(SyntaxProblem(line=offset + start + line, message=_lines_moved(message, start), cell=cell))
    if not problems:  # the pieces compile alone but not together (e.g. a stray dedent)
        line, message = error
        problems.append(SyntaxProblem(line=offset + line, message=message, cell=cell))
    return units, problems, flags


def _lines_moved(message: str, lines: int) -> str:
    """A piece's syntax error message ("... after 'if' statement on line 1")
    with the lines it names counted from where the piece stands."""
    return re.sub(r"\bon line (\d+)", lambda match: f"on line {int(match.group(1)) + lines}", message) if lines else message


def _syntax_error(source: str) -> tuple[int, str] | None:
    return _compiled(source, 0)[1]


def _compiled(source: str, offset: int, flags: int = 0) -> tuple[bytes | None, tuple[int, str] | None, int]:
    """(bytecode as the sandbox will run it, None, future flags in effect) or
    (None, (line within ``source``, message), ``flags``). Compiling runs
    nothing; the code's line numbers are those of the student's file."""
    try:
        code = request.compile_at(source, offset, FILENAME, flags)
    except SyntaxError as error:
        return None, (max(1, error.lineno or 1), error.msg or "invalid syntax"), flags
    except (ValueError, MemoryError, RecursionError, OverflowError) as error:
        return None, (1, f"cannot compile: {type(error).__name__}"), flags
    try:
        bytecode = marshal.dumps(code)
    except ValueError:  # nested too deeply for marshal: valid Python, which the child compiles itself
        bytecode = None
    return bytecode, None, flags | request.future_flags(code)


_TOP_LEVEL_START = re.compile(r"^(?![\s#)\]}]|else\b|elif\b|except\b|finally\b|case\b)")


def _salvage(source: str, deadline: float) -> list[tuple[int, str]] | None:
    """Split at the starts of top-level statements, then grow each piece over
    the following ones until it compiles (decorators, multi-line expressions);
    None past MAX_SALVAGED_PIECES statements.

    A line at column 0 inside a string (a long docstring, or a markdown cell
    that Colab's .py export turned into one) starts no statement. Where the
    syntax error itself opens a string that never closes, the piece it spoils
    is split again at every column-0 line, so the code after it still counts."""
    lines = source.split("\n")
    column_zero = [index for index, line in enumerate(lines) if line.strip() and _TOP_LEVEL_START.match(line)]
    if len(column_zero) > MAX_SALVAGED_PIECES:
        return None
    begins = _statement_starts(lines)
    pieces: list[tuple[int, str]] = []
    for start, end, text in _grown_pieces(lines, [index for index in column_zero if begins[index]], 0, len(lines),
                                          deadline):
        if time.monotonic() > deadline or _syntax_error(text) is None:
            pieces.append((start, text))
        else:
            inner = [index for index in column_zero if start < index < end]
            pieces.extend((piece_start, piece) for piece_start, _, piece in _grown_pieces(lines, inner, start, end,
                                                                                        deadline))
    return pieces


def _grown_pieces(lines: list[str], starts: list[int], first: int, last: int,
                  deadline: float) -> list[tuple[int, int, str]]:
    """Lines ``first``..``last`` cut at ``starts``, each piece grown over up to
    seven following ones until it compiles: (start, end, text). Past the
    deadline, the rest is one piece."""
    starts = [index for index in starts if first < index < last]
    bounds = [first] + starts + [last]
    pieces = []
    index = 0
    while index < len(bounds) - 1:
        if time.monotonic() > deadline:
            pieces.append((bounds[index], last, "\n".join(lines[bounds[index]:last])))
            break
        chosen = index + 1
        for end in range(index + 1, min(index + 8, len(bounds) - 1) + 1):
            if _syntax_error("\n".join(lines[bounds[index]:bounds[end]])) is None:
                chosen = end
                break
        pieces.append((bounds[index], bounds[chosen], "\n".join(lines[bounds[index]:bounds[chosen]])))
        index = chosen
    return pieces
