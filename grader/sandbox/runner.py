"""The child side: load a student's module and call its functions on request.

Runs inside the sandbox. Imports only the standard library and numpy, knows
nothing about exercises, expected values or scoring: it receives source code
and call inputs, and sends back what the student's code returned or raised.
Every verdict is made by the parent.

Conversation (requests, see ``request``; replies, see ``protocol``):
  parent -> {"kind": "load", "units": [{"source", "line_offset", "code"}], "filename", "magic"}
  child  -> {"kind": "loaded", "errors": [...]}
  parent -> {"kind": "calls", "calls": [(function, args, kwargs, watch, base), ...]}
  child  -> per call, as it finishes:
            {"kind": "returned", "value", "watched"} | {"kind": "raised", ...} | {"kind": "missing"},
            or the usual answer in compact form (see ``compact``)
"""

from __future__ import annotations

import ast
import io
import json
import marshal
import os
import resource
import signal
import sys
import time
import traceback
import types

import numpy as np

if __package__:
    from . import compact, mapping, protocol, request, standins
else:  # started as a plain script inside the sandbox
    import compact  # type: ignore[no-redef]
    import mapping  # type: ignore[no-redef]
    import protocol  # type: ignore[no-redef]
    import request  # type: ignore[no-redef]
    import standins  # type: ignore[no-redef]

MAX_CAPTURED_OUTPUT = 8 * 1024
MAX_MESSAGE_CHARS = 500
MAX_TRACE_FRAMES = 8
MAX_LOAD_ERRORS = 50
FILE_CODE: set = set()  # code objects compiled from the submission's own file
# Whether the submission's top-level code is running: only then does an
# interruption from the parent (SIGINT, a load past its time) raise in it.
_LOADING = False


def _interrupt_loading(signal_number, frame) -> None:
    """As Jupyter's "interrupt kernel": the top-level statement running stops
    with KeyboardInterrupt, and loading goes on with the next one. Raised only
    inside the submission's own code (never in the runner's, between statements)."""
    while _LOADING and frame is not None:
        if frame.f_code in FILE_CODE:
            raise KeyboardInterrupt
        frame = frame.f_back


class CappedText(io.TextIOBase):
    """A stdout/stderr replacement that keeps only the first few KiB."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.total = 0
        self.truncated = False

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        self.total += len(text)
        room = MAX_CAPTURED_OUTPUT - self.size
        if len(text) > room:
            self.truncated = True
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(room, len(text))
        return len(text)

    def take(self) -> tuple[str, bool, int]:
        text, truncated, total = "".join(self.parts), self.truncated, self.total
        self.parts, self.size, self.total, self.truncated = [], 0, 0, False
        return text, truncated, total


def describe_exception(error: BaseException, filename: str, loading: bool = False) -> dict:
    """Type, message and the student's own frames (file lines only, no locals).

    Only code compiled from the file counts: code the submission compiles
    itself under the file's name could claim any line number."""
    frames = [
        {"line": line, "function": frame.f_code.co_name[:100]}
        for frame, line in traceback.walk_tb(error.__traceback__)
        if frame.f_code.co_filename == filename and frame.f_code in FILE_CODE
    ][-MAX_TRACE_FRAMES:]
    if loading and isinstance(error, SyntaxError) and error.filename == filename and error.lineno:
        frames.append({"line": error.lineno, "function": "<module>"})
    try:
        message = str(error)[:MAX_MESSAGE_CHARS]
    except BaseException:  # a student's __str__ may raise anything
        message = "<unprintable exception message>"
    return {
        "exc_type": protocol.type_name(type(error)),
        "category": _category(error),
        "mro": [str(type.__getattribute__(kind, "__name__"))[:100] for kind in type(error).__mro__][:32],
        "message": message,
        "frames": frames,
    }


def _category(error: BaseException) -> str:
    """Coarse kind of failure; it only selects wording, never a pass."""
    if isinstance(error, MemoryError):
        return "memory"
    if isinstance(error, RecursionError):
        return "recursion"
    if isinstance(error, (SystemExit, KeyboardInterrupt, GeneratorExit)):
        return "exit"
    return "exception"


def load_module(units: list[dict], filename: str, codes: list | None = None) -> tuple[dict, list[dict]]:
    """Run each unit (a file, or a notebook cell) as module code. When a
    top-level statement raises, the statements after it still run, so one
    broken statement costs only what it defines. ``codes`` are the units'
    bytecode compiled by the parent, where it sent any.

    The code runs as the module ``submission``, registered as imported: what
    looks a class's module up (dataclasses with postponed annotations, typing,
    pickle) finds it, as when the student imports their own file."""
    module = types.ModuleType("submission")
    module.__file__ = filename
    module.__builtins__ = __builtins__
    sys.modules["submission"] = module
    namespace = module.__dict__
    errors: list[dict] = []
    for unit in units:
        index = unit.get("code")
        code = marshal.loads(codes[index]) if codes and type(index) is int and 0 <= index < len(codes) else None
        flags = unit.get("flags", 0)
        _run_unit(unit["source"], unit.get("line_offset", 0), filename, namespace, errors, code,
                  flags if type(flags) is int else 0)
    return namespace, errors


def _run_unit(source: str, line_offset: int, filename: str, namespace: dict, errors: list[dict],
              code=None, flags: int = 0) -> None:
    """``flags``: the future features the unit is compiled with (its own
    ``from __future__`` imports, or an earlier unit's, hold for all of it)."""
    global _LOADING
    lines = source.split("\n")
    start = 0  # index in ``lines`` where the code still to run begins
    while start < len(lines):
        rest, offset = "\n".join(lines[start:]), line_offset + start
        try:
            if start or code is None:
                code = request.compile_at(rest, offset, filename, flags)  # its lines those of the student's file
        except BaseException as error:  # noqa: BLE001 - the rest does not compile: none of it runs
            if isinstance(error, SyntaxError) and error.lineno:
                error.lineno += offset
            _note(errors, error, filename)
            return
        flags |= request.future_flags(code)
        try:
            _remember(code)
            _LOADING = True
            exec(code, namespace)
            return
        except BaseException as error:  # noqa: BLE001 - SystemExit, a SyntaxError from eval too: keep loading
            _note(errors, error, filename)
            failed_line = _module_line(error, filename)
        finally:
            _LOADING = False
        resume = _next_statement(rest, failed_line - offset) if failed_line else None
        if resume is None:
            return
        start += resume - 1


def _note(errors: list[dict], error: BaseException, filename: str) -> None:
    if len(errors) < MAX_LOAD_ERRORS:
        errors.append(describe_exception(error, filename, loading=True))


def _remember(code: types.CodeType) -> None:
    """Note the file's code objects (functions, classes, lambdas within)."""
    stack = [code]
    while stack:
        item = stack.pop()
        FILE_CODE.add(item)
        stack.extend(constant for constant in item.co_consts if isinstance(constant, types.CodeType))


def _module_line(error: BaseException, filename: str) -> int | None:
    """The module-level line that was running when ``error`` was raised."""
    traceback_entry = error.__traceback__
    while traceback_entry is not None:
        if traceback_entry.tb_frame.f_code.co_filename == filename:
            return traceback_entry.tb_lineno
        traceback_entry = traceback_entry.tb_next
    return None


def _next_statement(text: str, failed_line: int) -> int | None:
    """The first line (in ``text``) of the top-level statement after the one
    holding ``failed_line`` (a decorated definition starts at its first
    decorator: one whose decorator failed is not run again without it)."""
    for statement in ast.parse(text).body:
        start = min([statement.lineno] + [decorator.lineno for decorator in getattr(statement, "decorator_list", ())])
        if start > failed_line:
            return start
    return None


def call(namespace: dict, order: tuple, blobs: list, filename: str, captured: "CappedText | None" = None,
         pages: "mapping.WrittenPages | None" = None) -> tuple[dict, list]:
    """One call of a ``calls`` request: (function, args, kwargs, watch, base).

    Array inputs are the child's own (views of its copy of the request); what
    the code changed in a watched one is sent back for the parent to judge.
    ``pages`` tells which inputs were written to; without it a watched input
    keeps its bytes to compare."""
    name, arg_nodes, kwarg_nodes, watch, base = order
    function = namespace.get(name)
    if function is None or not callable(function):
        return {"kind": "missing"}, []
    decode = request.decode_input
    args = [decode(node, blobs, base) for node in arg_nodes]
    kwargs = {key: decode(node, blobs, base) for key, node in kwarg_nodes.items()} if kwarg_nodes else {}
    before = []
    for index in watch:
        if type(array := args[index]) is np.ndarray:
            blob = base + arg_nodes[index][1] if pages is not None and arg_nodes[index][0] == request.ARRAY else None
            before.append((index, array, (array.shape, array.dtype, array.strides, array.base), blob,
                           array.tobytes() if blob is None else None))
    started = time.perf_counter()
    try:
        result = function(*args, **kwargs)
    except BaseException as error:  # noqa: BLE001 - a failed case, whatever it raised
        return _raised(error, filename, started)
    elapsed = time.perf_counter() - started
    # Inputs after the call, so the parent can tell whether they were modified;
    # an input that did not change is only marked so (it decides nothing). An
    # array pointed at other memory (strides, __setstate__) changed too.
    same = [_same_view(array, view) and (array.tobytes() == data if blob is None else not pages.written(blob))
            for _, array, view, blob, data in before]
    if len(before) == len(watch) and all(same):
        frame = compact.encode(result, len(watch), elapsed)
        if frame is not None:
            return {"kind": "compact", "frame": frame, "result": result, "elapsed": elapsed, "watched": len(watch)}, []
    out: list = []
    value = protocol.encode_value(result, out)
    watched = [protocol.UNCHANGED_NODE if unchanged else protocol.encode_value(array, out)
               for unchanged, (_, array, *_) in zip(same, before)]
    if len(before) != len(watch):  # a watched input that was not an array: the parent decides
        sent = {index for index, *_ in before}
        watched = iter(watched)
        watched = [next(watched) if index in sent else protocol.encode_value(args[index], out) for index in watch]
    return {"kind": "returned", "value": value, "watched": watched, "elapsed": elapsed}, out


def _same_view(array: np.ndarray, view: tuple) -> bool:
    shape, dtype, strides, base = view
    return array.shape == shape and array.dtype == dtype and array.strides == strides and array.base is base


def _raised(error: BaseException, filename: str, started: float) -> tuple[dict, list]:
    return dict(describe_exception(error, filename), kind="raised", elapsed=time.perf_counter() - started), []


def _as_json(reply: dict) -> tuple[dict, list]:
    """A compact reply as the JSON one (for when there is printed output to send along)."""
    out: list = []
    value = protocol.encode_value(reply["result"], out)
    return {"kind": "returned", "value": value, "watched": [protocol.UNCHANGED_NODE] * reply["watched"],
            "elapsed": reply["elapsed"]}, out


def rehearse() -> None:
    """Go through a load and two calls (a compact answer and a JSON one) on
    made-up code, without any channel."""
    namespace, _ = load_module([{"source": "def f(x, k=1):\n    return x * k\n\n\ndef g(x):\n    return x.sum(), [x]\n"}],
                               "rehearsal.py")
    inputs = request.encode_call([np.arange(6.0).reshape(2, 3)], {}, [0])
    blobs = [memoryview(bytearray(blob)) for blob in inputs.blobs]
    # The second call asks whether its input was written, as calls on mapped inputs do.
    pages = mapping.WrittenPages.watch(np.frombuffer(blobs[0], np.uint8).ctypes.data, [(0, len(blobs[0]))])
    for name, watching in (("f", None), ("g", pages)):
        reply, out = call(namespace, (name, inputs.args, inputs.kwargs, inputs.watch, 0), blobs, "rehearsal.py",
                          pages=watching)
        if reply["kind"] == "compact":
            reply, out = _as_json(reply)
        protocol.pack(reply, out)
    FILE_CODE.clear()


def serve(read_fd: int, write_fd: int) -> None:
    if not any(isinstance(finder, standins.OnlyTheGradingRuntime) for finder in sys.meta_path):
        sys.meta_path.insert(0, standins.OnlyTheGradingRuntime())
    standins.as_in_jupyter()
    standins.numpy_1_aliases(np)
    standins.no_pipes_or_sockets()
    captured = CappedText()
    sys.stdout = sys.stderr = captured
    namespace: dict = {}
    filename = "submission.py"
    # A descriptor slot kept free for the next request's memory file: code that
    # opens files up to its limit must not keep its inputs from arriving.
    spare_slot = _hold_a_slot()
    while True:
        if spare_slot is not None:
            try:
                os.close(spare_slot)
            except OSError:
                pass  # the code closed it itself
        try:
            header, blobs, pages = request.read(read_fd)
        except EOFError:
            return
        spare_slot = _hold_a_slot()
        kind = header.get("kind")
        if kind == "load":
            filename = header.get("filename", filename)
            codes = [bytes(blob) for blob in blobs] if header.get("magic") == request.BYTECODE_MAGIC else None
            signal.signal(signal.SIGINT, _interrupt_loading)
            namespace, errors = load_module(header["units"], filename, codes)
            # (The code may have set a handler of its own: a late interruption must not reach a call.)
            signal.signal(signal.SIGINT, _interrupt_loading)
            _reply(write_fd, captured, {"kind": "loaded", "errors": errors}, [])
        elif kind == "calls":
            # One request, one reply per call as each finishes: the parent
            # times every call from the previous reply.
            for order in header["calls"]:
                reply, out = call(namespace, order, blobs, filename, captured, pages)
                if reply["kind"] == "compact":
                    if not captured.total:
                        protocol.write_parts(write_fd, *reply["frame"])
                        continue
                    reply, out = _as_json(reply)
                _reply(write_fd, captured, reply, out)
        else:
            return


def _hold_a_slot() -> int | None:
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None


def _reply(write_fd: int, captured: CappedText, reply: dict, out: list) -> None:
    if captured.total:  # (what was not printed is left out: the parent reads its absence as nothing)
        text, truncated, total = captured.take()
        reply.update(output=text, output_truncated=truncated, output_bytes=total)
    try:
        protocol.write_message(write_fd, reply, out, protocol.MAX_HEADER_BYTES)
        return
    except protocol.HeaderTooLarge as error:
        problem: Exception = error
        if reply.get("kind") == "returned":
            # A huge nested list or tuple: its type is all a check can still use.
            reply.update(value={"t": "unsupported", "type": reply["value"].get("t", "object")}, watched=[])
            try:
                protocol.write_message(write_fd, reply, [], protocol.MAX_HEADER_BYTES)
                return
            except protocol.ProtocolError as again:
                problem = again
    except protocol.ProtocolError as error:  # e.g. a result too large to send
        problem = error
    protocol.write_message(write_fd, {"kind": "unsendable", "reason": str(problem)[:200]})


def apply_limits(limits: dict) -> None:
    for name, value in limits.items():
        which = getattr(resource, name)
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))


def main() -> None:
    read_fd, write_fd = int(sys.argv[1]), int(sys.argv[2])
    apply_limits(json.loads(sys.argv[3]))
    # C-level writes to fd 1/2 (os.write, print from extensions) go nowhere.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    serve(read_fd, write_fd)
    os._exit(0)


if __name__ == "__main__":
    main()
