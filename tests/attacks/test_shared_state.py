"""Channels through state every sandbox shares: the read-only runtime files
(locks, watches, and the page cache: evicting, loading, probing without
blocking) and the zygote's scheduling, which every later child inherits. A
submission graded at the same time, or later, could read hidden inputs written
there into a public output."""

from __future__ import annotations

from .helpers import assert_only_zygotes_left, needs_sandbox, probe_json

pytestmark = needs_sandbox

ATTEMPTS = '''
import ctypes, errno, fcntl, json, mmap, os, struct

def probe():
    results = {}
    libc = ctypes.CDLL(None, use_errno=True)

    def attempt(name, action):
        try:
            action()
            results[name] = "allowed"
        except OSError as error:
            results[name] = errno.errorcode.get(error.errno, str(error.errno))

    def libc_call(function, *args):
        if getattr(libc, function)(*args) == -1:
            raise OSError(ctypes.get_errno(), function)

    shared = os.open(os.__file__, os.O_RDONLY)
    folder = os.open(os.path.dirname(os.__file__), os.O_RDONLY)
    lock = struct.pack("hhqqi", fcntl.F_RDLCK, 0, 0, 1, 0)
    attempt("flock", lambda: fcntl.flock(shared, fcntl.LOCK_SH | fcntl.LOCK_NB))
    attempt("lockf", lambda: fcntl.lockf(shared, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, 0))
    attempt("F_GETLK", lambda: fcntl.fcntl(shared, fcntl.F_GETLK, lock))
    attempt("F_OFD_SETLK", lambda: fcntl.fcntl(shared, 37, lock))
    attempt("F_SETLEASE", lambda: fcntl.fcntl(shared, 1024, fcntl.F_RDLCK))
    attempt("F_NOTIFY", lambda: fcntl.fcntl(folder, 1026, 1))
    attempt("inotify_init1", lambda: libc_call("inotify_init1", 0))
    attempt("fadvise_dontneed", lambda: os.posix_fadvise(shared, 0, 0, os.POSIX_FADV_DONTNEED))
    attempt("fadvise_willneed", lambda: os.posix_fadvise(shared, 0, 0, os.POSIX_FADV_WILLNEED))
    attempt("preadv2_nowait", lambda: os.preadv(shared, [bytearray(16)], 0, os.RWF_NOWAIT))
    mapped = mmap.mmap(shared, 4096, access=mmap.ACCESS_COPY)
    address = ctypes.addressof(ctypes.c_char.from_buffer(mapped))
    attempt("madvise_pageout", lambda: libc_call("madvise", ctypes.c_void_p(address), ctypes.c_size_t(4096), 21))
    attempt("madvise_cold", lambda: libc_call("madvise", ctypes.c_void_p(address), ctypes.c_size_t(4096), 20))
    # The kernel reads fcntl's command and madvise's advice as 32-bit ints: a high bit set must not slip past.
    raw = libc.syscall
    raw.restype = ctypes.c_long
    high = 1 << 32
    flock = ctypes.create_string_buffer(lock)
    attempt("F_SETLK_high_bits", lambda: libc_call("syscall", ctypes.c_long(72), ctypes.c_long(shared),
                                                   ctypes.c_long(high | fcntl.F_SETLK), flock))
    attempt("F_OFD_SETLK_high_bits", lambda: libc_call("syscall", ctypes.c_long(72), ctypes.c_long(shared),
                                                       ctypes.c_long(high | 37), flock))
    attempt("madvise_pageout_high_bits", lambda: libc_call("syscall", ctypes.c_long(28), ctypes.c_void_p(address),
                                                           ctypes.c_size_t(4096), ctypes.c_long(high | 21)))
    attempt("setpriority_zygote", lambda: os.setpriority(os.PRIO_PROCESS, 1, 19))
    attempt("setpriority_user", lambda: os.setpriority(os.PRIO_USER, 0, 19))
    attempt("setpriority_group", lambda: os.setpriority(os.PRIO_PGRP, 0, 19))
    attempt("affinity_zygote", lambda: os.sched_setaffinity(1, {min(os.sched_getaffinity(0))}))
    attempt("scheduler_zygote", lambda: os.sched_setscheduler(1, os.SCHED_IDLE, os.sched_param(0)))
    attempt("param_zygote", lambda: os.sched_setparam(1, os.sched_param(0)))
    # What the child may do to itself (numpy and the student's own code may).
    attempt("own_affinity", lambda: os.sched_setaffinity(0, os.sched_getaffinity(0)))
    attempt("own_nice", lambda: os.setpriority(os.PRIO_PROCESS, 0, 1))
    attempt("madvise_dontneed", lambda: libc_call("madvise", ctypes.c_void_p(address), ctypes.c_size_t(4096), 4))
    return json.dumps(results)
'''

OWN = ("own_affinity", "own_nice", "madvise_dontneed")


def test_no_lock_watch_page_cache_control_or_zygote_scheduling_is_left_to_a_child(private_sandbox):
    results = probe_json(private_sandbox, ATTEMPTS)
    assert {name: result for name, result in results.items() if name not in OWN and result != "EPERM"} == {}
    assert {name: results[name] for name in OWN} == dict.fromkeys(OWN, "allowed")
    # The next child starts with the scheduling every child starts with.
    again = probe_json(private_sandbox, "import json, os\n\ndef probe():\n    return json.dumps("
                                        "[os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0)])\n")
    assert again == [0, 0]
    assert_only_zygotes_left()


PIDS = '''
import json, os, threading

def probe(spawn):
    for _ in range(spawn):
        thread = threading.Thread(target=lambda: None)
        thread.start()
        thread.join()
    with open("/proc/1/stat") as handle:
        init = handle.read().rsplit(")", 1)[1].split()
    return json.dumps({"pid": os.getpid(), "self": os.readlink("/proc/self"),
                       "visible": sorted(int(name) for name in os.listdir("/proc") if name.isdigit()),
                       "init_children_faults": int(init[8]), "init_children_ticks": int(init[13]) + int(init[14])})
'''


def test_a_child_counts_nothing_of_the_submissions_before_it_on_the_same_zygote(private_sandbox):
    """The zygote lives on: in its PID namespace, a child's PID and the zygote's
    /proc/1 counters told how many processes earlier submissions made (a hidden
    input could be counted out that way). Each child has a PID namespace and a
    /proc of its own."""
    first = probe_json(private_sandbox, PIDS, [300])
    second = probe_json(private_sandbox, PIDS, [0])
    for seen in (first, second):
        assert seen["pid"] == 2 and seen["self"] == "2" and seen["visible"] == [1, 2], seen
    assert second["init_children_faults"] == 0 and second["init_children_ticks"] == 0, second
    assert_only_zygotes_left()


COUNTERS = '''
import errno, json, os

def probe(files):
    for number in range(files):  # inode numbers a long-lived scratch would keep counting
        open(f"/tmp/work/f{number}", "w").close()
        os.unlink(f"/tmp/work/f{number}")
    with open("/tmp/work/mine", "w") as handle:
        handle.write("x")
    host_wide = {name: os.path.exists("/proc/" + name) for name in ("stat", "loadavg", "meminfo", "vmstat", "sys")}
    try:
        os.close(os.pidfd_open(os.getpid()))
        pidfd = "allowed"
    except OSError as error:
        pidfd = errno.errorcode.get(error.errno, str(error.errno))
    return json.dumps({"inode": os.stat("/tmp/work/mine").st_ino, "host_wide": host_wide, "pidfd": pidfd,
                       "left": sorted(os.listdir("/tmp/work")), "shm_inode": _shm_inode()})

def _shm_inode():
    with open("/dev/shm/mine", "w") as handle:
        handle.write("x")
    return os.stat("/dev/shm/mine").st_ino
'''


def test_host_wide_counters_and_the_scratchs_own_are_not_readable_by_a_later_child(private_sandbox):
    """/proc/stat counts every fork on the host since boot, a pidfd's inode
    number every process, a long-lived tmpfs every file made on it: a
    submission could move one in a hidden case and a later one read it in a
    public output (a review carried a hidden input out through /proc/stat).
    Each child has a scratch of its own and a /proc of its processes only."""
    first = probe_json(private_sandbox, COUNTERS, [500])
    second = probe_json(private_sandbox, COUNTERS, [0])
    for seen in (first, second):
        assert not any(seen["host_wide"].values()), seen
        assert seen["pidfd"] == "EPERM", seen
        assert seen["left"] == ["mine"], "nothing of the run before"
    # The first child's 500 files moved its own scratch's count, not the next child's.
    assert second["inode"] < 16 < first["inode"] and second["shm_inode"] < 16, (first, second)
    assert_only_zygotes_left()


PIPES = '''
import errno, json, os, socket

def probe():
    seen = {}
    for name, make in (("pipe", os.pipe), ("socketpair", socket.socketpair),
                       ("unix socket", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))):
        try:
            made = make()
            seen[name] = "allowed"
        except OSError as error:
            seen[name] = errno.errorcode.get(error.errno, str(error.errno))
    import multiprocessing
    try:
        with multiprocessing.Pool(2) as pool:
            pool.map(abs, [1])
        seen["multiprocessing"] = "allowed"
    except OSError as error:
        seen["multiprocessing"] = type(error).__name__
    return json.dumps(seen)
'''


def test_no_pipe_or_socket_can_be_made_to_move_the_hosts_inode_counter(private_sandbox):
    """Every pipe and socket on the host takes its inode number from one
    counter: a review made 20,000 pipes in a hidden case, and a later
    submission read the count back from fstat of a pipe of its own (a hidden
    input, exactly). The child may make neither (multiprocessing fails, as it
    would need them)."""
    assert probe_json(private_sandbox, PIPES) == {"pipe": "EPERM", "socketpair": "EAFNOSUPPORT",
                                                  "unix socket": "EAFNOSUPPORT", "multiprocessing": "PermissionError"}
    assert_only_zygotes_left()
