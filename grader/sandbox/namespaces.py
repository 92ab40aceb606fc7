"""A forked child's namespaces of its own, made before any student code runs.

The zygote lives across submissions: in its namespaces a child could read,
from its own PID, the zygote's /proc/1 counters, host-wide /proc files or a
long-lived scratch's inode numbers, what earlier submissions did. So each
child makes a user, PID and mount namespace of its own, with its own /proc
and scratch, and drops every capability (see ``enter``).

Staged into the sandbox beside the zygote: standard library only.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal

PR_SET_DUMPABLE = 4


def prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl failed")


CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
LOST = 70  # the exit status (EX_SOFTWARE) of a child whose own end could not be passed on


def enter(read_fd: int, write_fd: int, scratch_roots: tuple[str, ...], workdir: str) -> None:
    """Return in a process that has a PID namespace, a /proc and a scratch of its own.

    The zygote lives across submissions: a child in its namespace could read
    from its own PID, and from the zygote's /proc/1 counters, how many
    processes the submissions before it made (hidden inputs can be counted
    out that way). So this process (A) makes a user, PID and mount namespace,
    forks their first process (B, PID 1 there), which mounts a /proc of the
    new namespace and fresh tmpfs on ``scratch_roots`` (``workdir`` made on
    one), and forks the process that returns from here (C, PID 2:
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
        _mount_scratch(libc, scratch_roots, workdir)
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
    prctl(PR_SET_DUMPABLE, 1)
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
    except OSError:
        return False
    finally:
        prctl(PR_SET_DUMPABLE, 0)
    return True


def _mount_proc(libc) -> bool:
    """A /proc of the new namespace, with only its processes' folders where
    the kernel can (Linux 5.8): host-wide files such as /proc/stat (whose
    count of every fork since boot a submission can move and a later one
    read), loadavg or meminfo are then not there."""
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    return (libc.mount(b"proc", b"/proc", b"proc", flags, b"subset=pid") == 0
            or libc.mount(b"proc", b"/proc", b"proc", flags, None) == 0)


def _mount_scratch(libc, scratch_roots: tuple[str, ...], workdir: str) -> None:
    """A fresh tmpfs of the same size on each scratch folder, for this child
    alone: what it writes dies with its namespace, and the file system's own
    counters (inode numbers, which the sandbox's long-lived tmpfs kept from one
    submission to the next) start again. Where it cannot, the child writes to
    the sandbox's scratch, which the zygote wipes after each run."""
    for root in scratch_roots:
        try:
            found = os.statvfs(root)
        except OSError:
            continue
        options = f"size={found.f_blocks * found.f_frsize},nr_inodes={max(found.f_files, 1024)},mode=1777"
        if libc.mount(b"tmpfs", root.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options.encode()) != 0:
            return
    try:
        os.mkdir(workdir, 0o700)
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
