"""The system-call filter every child runs under (libseccomp via pyseccomp).

Default allow, with the calls that reach beyond the child denied with EPERM:
debugging or reading other processes, changing their limits or scheduling,
namespaces and mounts, kernel keyrings, BPF, perf, userfaultfd, io_uring, IPC
objects that would outlive the run, memory files, locks, watches and page-cache
control on the files every sandbox shares, pipes, and sockets of every family
(no network at all, loopback included).
"""

from __future__ import annotations

import errno

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET; and CLONE_PIDFD (see pidfd_open below)
CLONE_DENIED_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000,
                      0x00001000)

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "move_mount", "open_tree",
    "fsopen", "fsmount", "fspick", "mount_setattr",
    "bpf", "keyctl", "add_key", "request_key", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "acct", "swapon", "swapoff", "reboot", "syslog", "quotactl", "name_to_handle_at", "open_by_handle_at",
    "lookup_dcookie", "vhangup", "setdomainname", "sethostname",
    # System V and POSIX IPC objects outlive their process: one submission
    # could leave data for the next. numpy needs none of them.
    "shmget", "shmat", "shmctl", "shmdt", "msgget", "msgsnd", "msgrcv", "msgctl",
    "semget", "semop", "semctl", "semtimedop", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
    "mq_notify", "mq_getsetattr",
    # Memory files hold memory that the address-space limit does not count
    # (8 MiB each, dozens per process): the child needs none, its inputs'
    # file comes from the grader.
    "memfd_create", "memfd_secret",
    # Every sandbox sees the same read-only runtime files: locks on them, watches
    # on them, and the page cache's state of them (evicted, loaded, probed
    # without blocking) are state that another sandbox, or a later run, can
    # read. Hidden inputs could travel that way to a public output.
    "flock", "inotify_init", "inotify_init1", "inotify_add_watch", "fanotify_init", "fanotify_mark",
    "fadvise64", "readahead", "mincore", "cachestat", "preadv2", "pwritev2",
    "ioprio_set", "migrate_pages", "move_pages",
    # A pidfd's inode number counts every process the host ever made (Linux 6.9),
    # and a pipe's or socket's every pipe and socket it made: counts a
    # submission could move (a review made 20,000 pipes in a hidden case) and a
    # later one read (fstat of its own channel). So no pipe and no socket of any
    # family: graded code needs neither (multiprocessing and subprocess do).
    "pidfd_open", "pipe", "pipe2",
    # A scheduling policy, its own included: a main thread made SCHED_IDLE
    # beside busy threads of its own waits for a CPU all the time, and waiting
    # for a CPU earns a call more time.
    "sched_setscheduler", "sched_setattr",
)
# fcntl commands that lock or lease a file, or watch a directory (dnotify).
F_LOCKING = (5, 6, 7, 36, 37, 38, 1024, 1025, 1026)  # F_GETLK..F_SETLKW, F_OFD_*, F_SETLEASE, F_GETLEASE, F_NOTIFY
MADV_COLD, MADV_PAGEOUT = 20, 21  # evict (shared) page cache pages
# Scheduling calls whose first argument is a pid: the child's own (0) only. What
# a child's init or the zygote passes on to later processes must stay as it started.
SCHEDULING_BY_PID = ("sched_setparam", "sched_setaffinity")


def available() -> bool:
    try:
        import pyseccomp  # noqa: F401
    except Exception:  # noqa: BLE001 - missing module or missing libseccomp
        return False
    return True


def compile_filter() -> bytes:
    """The filter as a BPF program, built once by the zygote (libseccomp takes
    milliseconds to build it; installing the compiled program takes microseconds)."""
    import os
    import tempfile

    with tempfile.TemporaryFile() as handle:
        _rules().export_bpf(handle)
        handle.flush()
        os.lseek(handle.fileno(), 0, os.SEEK_SET)
        program = handle.read()
    if not program or len(program) % 8:
        raise OSError("libseccomp exported no BPF program")
    return program


def installer(program: bytes):
    """A function that puts the calling process (single-threaded: a fresh fork)
    under the compiled filter. Everything it needs is made here, once, in the
    zygote, so a child only makes two system calls."""
    import ctypes

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    reference = ctypes.byref(fprog)

    def install() -> None:
        if prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, reference, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP failed")

    install.keep = (buffer, fprog)  # alive as long as the function
    return install


def _rules():
    import pyseccomp as seccomp

    deny = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED:
        try:
            rules.add_rule(deny, name)
        except Exception:  # noqa: BLE001 - a call this kernel/arch does not have
            continue
    # Limits of other processes: prlimit64(pid != 0, ...). setrlimit() uses pid 0.
    rules.add_rule(deny, "prlimit64", seccomp.Arg(0, seccomp.NE, 0))
    for name in SCHEDULING_BY_PID:
        rules.add_rule(deny, name, seccomp.Arg(0, seccomp.NE, 0))
    rules.add_rule(deny, "setpriority", seccomp.Arg(0, seccomp.NE, 0))  # a process group or a user
    rules.add_rule(deny, "setpriority", seccomp.Arg(1, seccomp.NE, 0))  # another process
    # The kernel reads these arguments as 32-bit ints: only their low half is
    # compared (a command with a high bit set is still the same command).
    for command in F_LOCKING:
        rules.add_rule(deny, "fcntl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, command))
    for advice in (MADV_COLD, MADV_PAGEOUT):
        rules.add_rule(deny, "madvise", seccomp.Arg(2, seccomp.MASKED_EQ, 0xFFFFFFFF, advice))
    rules.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socket")
    rules.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), "socketpair")
    # New namespaces (or a pidfd) through clone flags; clone3 hides its flags in memory, so
    # it gets ENOSYS and glibc falls back to clone, which is checked.
    for flag in CLONE_DENIED_FLAGS:
        rules.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    return rules
