"""The warm worker: runs inside the isolated sandbox as its PID 1 and forks one
limited child per submission.

It has imported numpy and the runner once, so a child costs a fork (a few
milliseconds) rather than a fresh interpreter. It holds nothing but the
runtime and the runner: no expected value, no reference code, no other
student's data ever reaches it (a forked child would inherit all of it).

Control messages from the trusted parent arrive on a SOCK_SEQPACKET socket,
one JSON object per packet, with the child's pipe ends as SCM_RIGHTS fds:
  {"op": "spawn", "rlimits": {...}, "seccomp": true} + [read_fd, write_fd] -> {"op": "spawned", "pid": n}
  {"op": "reset", "settle": bool} -> {"op": "clean", "exit": code | null, "signal": n | null, "scratch_clean": bool}
  ("settle": the child ended by itself; its status is waited for before anything is killed)
Only the standard library, numpy and (optionally) pyseccomp are imported here.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import stat
import sys
import time

import numpy  # noqa: F401 - imported once here so that every child starts warm

import mapping  # type: ignore[import-not-found]  # staged beside this file
import namespaces  # type: ignore[import-not-found]
import runner  # type: ignore[import-not-found]
import seccomp_filter  # type: ignore[import-not-found]

SCRATCH_ROOTS = ("/tmp", "/dev/shm")
SCRATCH_MODE = 0o1777  # as bwrap made them (--perms 1777)
WORKDIR = "/tmp/work"
INSTALL_SECCOMP = None  # the compiled filter's installer, made once, called in every child


def _send(control: socket.socket, message: dict) -> None:
    control.send(json.dumps(message).encode())


def _child(control: socket.socket, read_fd: int, write_fd: int, request: dict) -> None:
    """In the forked child: namespaces of its own, limits, seccomp, then serve. Never returns."""
    try:
        control.close()
        namespaces.enter(read_fd, write_fd, SCRATCH_ROOTS, WORKDIR)
        os.setsid()
        low, high = sorted((read_fd, write_fd))
        os.closerange(3, low)
        os.closerange(low + 1, high)
        os.closerange(high + 1, 65536)
        # fds 0-2 are the zygote's (its stderr is a pipe to the grader): /dev/null instead.
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        if null > 2:
            os.close(null)
        os.chdir(WORKDIR)
        # Only a dumpable process may open its own page map (how the runner
        # tells which inputs a call wrote): for that moment, before any
        # student code, and seen by no one but this zygote.
        namespaces.prctl(namespaces.PR_SET_DUMPABLE, 1)
        try:
            mapping.WrittenPages.open_pagemap()
        finally:
            namespaces.prctl(namespaces.PR_SET_DUMPABLE, 0)
        runner.apply_limits(request.get("rlimits", {}))
        if request.get("seccomp", True):
            if INSTALL_SECCOMP is None:
                raise OSError("no seccomp filter")  # never run a child without the filter it asked for
            INSTALL_SECCOMP()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM):
            signal.signal(number, signal.SIG_DFL)
        # Until its request arrives the child is idle: it touches now what a run
        # touches, so that the copy-on-write faults of the fork are paid here
        # (and stops as soon as a request is waiting).
        waiting = select.poll()
        waiting.register(read_fd, select.POLLIN)
        for step in (_warm_up_numpy, runner.rehearse):
            if waiting.poll(0):
                break
            step()
        runner.serve(read_fd, write_fd)
    except BaseException:  # noqa: BLE001 - a child must never fall back into the zygote's loop
        pass
    os._exit(0)


def _warm_up_numpy() -> None:
    """Run numpy's common paths once, on made-up data, so each child inherits
    their lazily built state instead of building it again (generic operations
    only: nothing of any exercise)."""
    x = numpy.arange(2 * 3 * 6 * 6, dtype=numpy.float64).reshape(2, 3, 6, 6) / 7.0
    w = numpy.ones((4, 3, 3, 3))
    padded = numpy.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = numpy.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(2, 3))
    out = numpy.einsum("nchwij,fcij->nfhw", windows, w) + numpy.zeros(4)[None, :, None, None]
    numpy.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))
    columns = windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, 27)
    columns @ w.reshape(4, -1).T
    numpy.dot(columns, w.reshape(4, -1).T)
    out.sum(axis=(0, 2, 3)), out.max(axis=(2, 3)), out.argmax(axis=1), out.mean(), out.std()
    numpy.unravel_index(int(out.argmax()), out.shape)
    gradient = numpy.zeros_like(padded)
    numpy.add.at(gradient, (slice(None), slice(None), slice(0, 3), slice(0, 3)), 1.0)
    numpy.maximum(out, 0), numpy.where(out > 1, out, 0.0), numpy.allclose(out, out), numpy.isclose(out, out)
    numpy.array_equal(out, out), out.astype(numpy.int64), numpy.floor_divide(7, 2), numpy.concatenate([x, x])
    numpy.stack([x, x]), numpy.broadcast_to(x, (2,) + x.shape), numpy.lib.stride_tricks.as_strided(x, x.shape, x.strides)


def _kill_everything_else() -> None:
    """As PID 1 of the namespace, kill(-1) reaches every other process in it:
    the child, its daemons, anything that called setsid()."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass


# Passing a status up takes a millisecond or two; a child that only closed its
# channel (and lives on) is not waited for long.
SETTLE_SECONDS = 0.05


def _settle(child: int) -> tuple[int | None, int | None] | None:
    """When the child ended by itself, its first process passes on how (see
    namespaces.enter) within moments: wait for that, not kill it
    first. None if it has not ended by then."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid == child:
            return _fate(status)
        time.sleep(0.001)
    return None


def _reap(last_child: int | None) -> tuple[int | None, int | None]:
    fate: tuple[int | None, int | None] = (None, None)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return fate
        if pid == last_child:
            fate = _fate(status)


def _fate(status: int) -> tuple[int | None, int | None]:
    """(exit code, signal) of a wait status."""
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return (os.WEXITSTATUS(status) if os.WIFEXITED(status) else None), None


def _wipe_scratch() -> bool:
    """Nothing a submission wrote survives it, whatever it left: unreadable
    folders, nesting deeper than any recursion or path limit, odd names, a
    scratch root it made unreadable (it owns the tmpfs roots). Whether the
    scratch is verifiably empty again: a zygote that cannot say so is replaced."""
    clean = True
    for root in SCRATCH_ROOTS:
        try:
            os.chmod(root, SCRATCH_MODE)
            _empty(root)
            clean = clean and not os.listdir(root)
        except OSError:
            clean = False
    os.chdir("/")
    try:
        os.mkdir(WORKDIR, 0o700)
    except OSError:
        clean = False
    return clean


def _empty(root: str) -> None:
    """Delete everything under ``root`` without recursion and without long
    paths: walk down by chdir, one folder at a time, deleting on the way up."""
    os.chdir(root)
    names: list[str] = []  # the folders we are in, below root
    stuck: set[tuple[str, ...]] = set()  # folders that cannot be entered or removed (left in place)
    while True:
        entered = None
        with os.scandir(".") as entries:
            for entry in entries:
                if not entry.is_dir(follow_symlinks=False):
                    _quietly(os.unlink, entry.name)
                elif (*names, entry.name) not in stuck:
                    entered = entry.name
                    break
        if entered is not None:
            _quietly(os.chmod, entered, stat.S_IRWXU)
            try:
                os.chdir(entered)
                names.append(entered)
            except OSError:
                stuck.add((*names, entered))
            continue
        if not names:
            return
        os.chdir("..")
        finished = names.pop()
        if not _quietly(os.rmdir, finished):
            stuck.add((*names, finished))


def _quietly(operation, *args) -> bool:
    try:
        operation(*args)
        return True
    except OSError:
        return False


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    namespaces.prctl(namespaces.PR_SET_DUMPABLE, 0)  # children cannot ptrace or read this process
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
                   signal.SIGUSR2, signal.SIGPIPE, signal.SIGALRM):
        signal.signal(number, signal.SIG_IGN)  # a child's kill(1, ...) must not stop the worker
    _wipe_scratch()
    _warm_up_numpy()
    global INSTALL_SECCOMP
    if seccomp_filter.available():
        INSTALL_SECCOMP = seccomp_filter.installer(seccomp_filter.compile_filter())
    # Everything alive now is shared with every child: the collector need
    # never visit it there (a visit writes to each object, copying its page).
    gc.collect()
    gc.freeze()
    _send(control, {"op": "ready", "seccomp": INSTALL_SECCOMP is not None, "pid": os.getpid()})
    child: int | None = None
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(control, 65536, 2)
        except OSError:
            return
        if not data:
            return  # the parent went away: dying as PID 1 takes the namespace along
        request = json.loads(data)
        if request.get("op") == "spawn" and len(fds) == 2:
            child = os.fork()
            if child == 0:
                _child(control, fds[0], fds[1], request)
            for fd in fds:
                os.close(fd)
            _send(control, {"op": "spawned", "pid": child})
        elif request.get("op") == "reset":
            for fd in fds:
                os.close(fd)
            settled = _settle(child) if request.get("settle") and child is not None else None
            _kill_everything_else()
            exit_code, signal_number = settled or _reap(child)
            if settled:
                _reap(None)
            child = None
            clean = _wipe_scratch()
            _send(control, {"op": "clean", "exit": exit_code, "signal": signal_number, "scratch_clean": clean})
        else:
            for fd in fds:
                os.close(fd)


if __name__ == "__main__":
    main()
