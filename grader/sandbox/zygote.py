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

import ctypes
import errno
import gc
import json
import os
import resource
import select
import signal
import socket
import stat
import sys
import time

import numpy  # noqa: F401 - imported once here so that every child starts warm

import mapping  # type: ignore[import-not-found]  # staged beside this file
import runner  # type: ignore[import-not-found]
import seccomp_filter  # type: ignore[import-not-found]

PR_SET_DUMPABLE = 4
SCRATCH_ROOTS = ("/tmp", "/dev/shm")
SCRATCH_MODE = 0o1777  # as bwrap made them (--perms 1777)
WORKDIR = "/tmp/work"
INSTALL_SECCOMP = None  # the compiled filter's installer, made once, called in every child


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl failed")


def _send(control: socket.socket, message: dict) -> None:
    control.send(json.dumps(message).encode())


def _child(control: socket.socket, read_fd: int, write_fd: int, request: dict) -> None:
    """In the forked child: namespaces of its own, limits, seccomp, then serve. Never returns."""
    try:
        control.close()
        _in_namespaces_of_its_own(read_fd, write_fd)
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
        _prctl(PR_SET_DUMPABLE, 1)
        try:
            mapping.WrittenPages.open_pagemap()
        finally:
            _prctl(PR_SET_DUMPABLE, 0)
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


CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
LOST = 70  # the exit status (EX_SOFTWARE) of a child whose own end could not be passed on


def _in_namespaces_of_its_own(read_fd: int, write_fd: int) -> None:
    """Return in a process that has a PID namespace and a /proc of its own.

    The zygote lives across submissions: a child in its namespace could read
    from its own PID, and from the zygote's /proc/1 counters, how many
    processes the submissions before it made (hidden inputs can be counted
    out that way). So this process (A) makes a user, PID and mount namespace,
    forks their first process (B, PID 1 there), which mounts a /proc of the
    new namespace and forks the process that returns from here (C, PID 2:
    as PID 1 it would ignore its own signals, which verdicts rely on). B reaps
    whatever C leaves behind and tells A how C ended; A ends the same way, so
    the zygote sees C's fate. Where namespaces cannot be made, C is A."""
    libc = ctypes.CDLL(None, use_errno=True)
    if SYS_CAPSET is None or libc.unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS) != 0:
        return
    mapped = _map_own_ids()
    fate_r, fate_w = os.pipe()
    init = os.fork()
    if init != 0:  # A
        for fd in (read_fd, write_fd, fate_w):
            os.close(fd)
        os.waitpid(init, 0)
        _end_as(_read_status(fate_r))
    # B: PID 1 of the new namespace. It ignores what the zygote ignores (the
    # dispositions come down with each fork): what C sends its init is dropped.
    os.close(fate_r)
    if not _mount_proc(libc):
        os._exit(LOST)  # a child that would see the zygote's /proc is never started
    if mapped:
        _mount_scratch(libc)
    runner_pid = os.fork()
    if runner_pid == 0:  # C
        os.close(fate_w)
        _drop_capabilities(libc)
        return
    for fd in (read_fd, write_fd):
        os.close(fd)
    status = None
    while status is None:
        try:
            pid, reaped = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == runner_pid:
            status = reaped
    os.write(fate_w, str(status if status is not None else LOST << 8).encode())
    os._exit(0)


def _map_own_ids() -> bool:
    """Map this process's uid and gid into its new user namespace as
    themselves: files on a filesystem mounted there (see _mount_scratch) can
    then be owned by the runner. Whether it could. (Its /proc files are its
    own to write only while it is dumpable: for that moment, before any
    student code.)"""
    uid, gid = os.getuid(), os.getgid()
    _prctl(PR_SET_DUMPABLE, 1)
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
    except OSError:
        return False
    finally:
        _prctl(PR_SET_DUMPABLE, 0)
    return True


def _mount_proc(libc) -> bool:
    """A /proc of the new namespace, with only its processes' folders where
    the kernel can (Linux 5.8): host-wide files such as /proc/stat (whose
    count of every fork since boot a submission can move and a later one
    read), loadavg or meminfo are then not there."""
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    return (libc.mount(b"proc", b"/proc", b"proc", flags, b"subset=pid") == 0
            or libc.mount(b"proc", b"/proc", b"proc", flags, None) == 0)


def _mount_scratch(libc) -> None:
    """A fresh tmpfs of the same size on each scratch folder, for this child
    alone: what it writes dies with its namespace, and the file system's own
    counters (inode numbers, which the sandbox's long-lived tmpfs kept from one
    submission to the next) start again. Where it cannot, the child writes to
    the sandbox's scratch, which the zygote wipes after each run."""
    for root in SCRATCH_ROOTS:
        try:
            found = os.statvfs(root)
        except OSError:
            continue
        options = f"size={found.f_blocks * found.f_frsize},nr_inodes={max(found.f_files, 1024)},mode=1777"
        if libc.mount(b"tmpfs", root.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options.encode()) != 0:
            return
    try:
        os.mkdir(WORKDIR, 0o700)
    except OSError:
        pass


PR_CAPBSET_DROP = 24
_CAPABILITY_VERSION_3 = 0x20080522
SYS_CAPSET = {"x86_64": 126, "aarch64": 91}.get(os.uname().machine)  # (elsewhere: no namespaces of its own)


def _drop_capabilities(libc) -> None:
    """A new user namespace gives its first processes every capability in it.
    They reach nothing outside it (its mounts, files and network belong to
    bubblewrap's namespace), but the runner needs none: all are dropped,
    from the bounding set too, before any student code."""
    for number in range(64):
        if libc.prctl(PR_CAPBSET_DROP, number, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break  # past the last capability this kernel has
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable: none, for both 32-bit halves
    if libc.syscall(SYS_CAPSET, header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def _read_status(fd: int) -> int:
    try:
        return int(os.read(fd, 32))
    except ValueError:  # (nothing said)
        return LOST << 8


def _end_as(status: int) -> None:
    """Exit as a process with wait status ``status`` did: by the same signal, or code."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # (a SIGSEGV passed on dumps no core)
        signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {number})
        os.kill(os.getpid(), number)
        os._exit(128 + number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else LOST)


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
    _in_namespaces_of_its_own) within moments: wait for that, not kill it
    first. None if it has not ended by then."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        pid, status = os.waitpid(child, os.WNOHANG)
        if pid == child:
            if os.WIFSIGNALED(status):
                return None, os.WTERMSIG(status)
            return (os.WEXITSTATUS(status) if os.WIFEXITED(status) else None), None
        time.sleep(0.001)
    return None


def _reap(last_child: int | None) -> tuple[int | None, int | None]:
    exit_code = signal_number = None
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return exit_code, signal_number
        if pid == last_child:
            if os.WIFSIGNALED(status):
                signal_number = os.WTERMSIG(status)
            elif os.WIFEXITED(status):
                exit_code = os.WEXITSTATUS(status)


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
    _prctl(PR_SET_DUMPABLE, 0)  # children cannot ptrace or read this process
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
