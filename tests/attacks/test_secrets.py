"""Reaching past the sandbox: the course's hidden files and solutions, the host's
files, the grader's environment and memory through /proc, the network, and the
system calls that debug, limit or re-mount other processes. Every probe returns
what it saw; the sandbox must let it see nothing of the grader's."""

from __future__ import annotations

import json
import os
import socket

import pytest

from grader.engine import grade
from grader.submission import from_python

from conftest import ROOT, single_exercise

from .helpers import (DENSE, DENSE_POINTS, SECRET, SECRET_ENV, assert_no_secret, assert_only_zygotes_left,
                      assert_still_grades_a_correct_submission, dense_with, evidence_dense, needs_sandbox, probe_json,
                      zygote_pids)

pytestmark = needs_sandbox

SOLUTION_TEXT = "Reference solution for exercise"  # the docstring of every solutions/*.py
HIDDEN_SPEC_TEXT = "random-layer-no-bias"  # a hidden group of exercises/dense-param-count/exercise.toml


def _template(source: str, **values) -> str:
    for name, value in values.items():
        source = source.replace(f"__{name.upper()}__", json.dumps(value))
    return source


# ------------------------------------------------------------------ filesystem


FILES_PROBE = '''
import json, os, stat, time

TARGETS = __TARGETS__
NEEDLES = [needle.encode() for needle in __NEEDLES__]
NAMES = set(__NAMES__)

def _hits(data):
    return [needle.decode() for needle in NEEDLES if needle in data]

def probe():
    seen = {"readable": [], "leaks": [], "names": [], "scanned": 0}
    for path in TARGETS:  # by absolute path
        try:
            if os.path.isdir(path):
                listing = os.listdir(path)
                seen["readable"].append(path)
                seen["leaks"] += ["%s/%s" % (path, name) for name in listing if name in NAMES]
            else:
                with open(path, "rb") as handle:
                    data = handle.read(1 << 20)
                seen["readable"].append(path)
                seen["leaks"] += ["%s: %s" % (path, hit) for hit in _hits(data)]
        except OSError:
            pass
    deadline, complete = time.monotonic() + __WALK_SECONDS__, True
    for root, dirs, files in os.walk("/"):  # the whole visible tree, bounded in time
        if time.monotonic() > deadline:
            complete = False
            break
        if root in ("/proc", "/sys"):
            dirs[:] = []
            continue
        for name in dirs + files:
            if name in NAMES:
                seen["names"].append(os.path.join(root, name))
        if root.startswith(("/usr", "/opt/grader/runtime")):
            continue  # the read-only runtime: names only (the test checks its content on the host)
        for name in files:
            path = os.path.join(root, name)
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
                with open(path, "rb") as handle:
                    data = handle.read(1 << 20)
            except OSError:
                continue
            seen["scanned"] += 1
            seen["leaks"] += ["%s: %s" % (path, hit) for hit in _hits(data)]
    seen["complete"] = complete
    seen["top"] = sorted(os.listdir("/"))
    seen["leaks"] += seen["names"]
    return json.dumps(seen)
'''


@pytest.fixture(scope="module")
def host_secret_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("host-secret") / "grader-secret.txt"
    path.write_text(f"{SECRET}\n")
    return path


def _files_probe(host_secret_file, walk_seconds: float = 40.0) -> str:
    # 40 s: a cold page cache (after the memory bombs) makes the walk of /usr slow.
    course_files = [ROOT, ROOT / "solutions", ROOT / "solutions" / "dense-param-count.py",
                    ROOT / "solutions" / "mutants" / DENSE / "bias-forgotten.py",
                    ROOT / "exercises", ROOT / "exercises" / DENSE / "exercise.toml", ROOT / ".venv",
                    ROOT / ".venv" / "bin" / "python", ROOT / "grader" / "engine.py"]
    targets = [str(path) for path in course_files] + [
        str(host_secret_file), str(host_secret_file.parent), "/etc/passwd", "/etc/shadow", "/etc/hostname",
        "/root", "/root/.pyenv", "/home", "/work", "/var/run", "/run", "/proc/1/root/work/main/solutions"]
    names = ["solutions", "exercises", "exercise.toml", "cnn-basics.toml", "dense-param-count.py", ".venv", "mutants",
             host_secret_file.name]
    return _template(FILES_PROBE, targets=targets, needles=[SECRET, SOLUTION_TEXT, HIDDEN_SPEC_TEXT], names=names,
                     walk_seconds=walk_seconds)


def test_course_files_and_host_secrets_are_invisible(sandbox, host_secret_file):
    seen = probe_json(sandbox, _files_probe(host_secret_file), seconds=60)
    assert seen["complete"], "the walk of / did not finish in time"
    assert seen["leaks"] == [] and seen["readable"] == [], seen
    assert seen["top"] == ["bin", "dev", "etc", "lib", "lib64", "opt", "proc", "sandbox", "sbin", "tmp", "usr"]
    assert seen["scanned"] >= 4  # it did read what it could: the staged runner, ld.so.cache, ...


def test_the_read_only_runtime_holds_no_course_secret():
    """The only host folders the sandbox sees (besides the staged runner) are the
    read-only runtime and /usr: checked here, on the host, for the course's text."""
    solution = (ROOT / "solutions" / "dense-param-count.py").read_text()
    assert SOLUTION_TEXT in solution
    hits = []
    for top in ("/opt/grader/runtime",):
        for root, _dirs, files in os.walk(top):
            for name in files:
                path = os.path.join(root, name)
                try:
                    with open(path, "rb") as handle:
                        data = handle.read(1 << 20)
                except OSError:
                    continue
                if SOLUTION_TEXT.encode() in data or HIDDEN_SPEC_TEXT.encode() in data:
                    hits.append(path)
    assert hits == []


def test_a_solution_found_on_disk_could_not_be_turned_into_points(sandbox, full_plan, host_secret_file):
    """The cheat: use the reference solution if it can be read, else answer wrong.
    A wrong answer it stays."""
    cheat = dense_with('''
        for path in ("/work/main/solutions/dense-param-count.py", "../../work/main/solutions/dense-param-count.py",
                     "/proc/1/root/work/main/solutions/dense-param-count.py", "/proc/1/cwd/solutions/dense-param-count.py"):
            try:
                namespace = {}
                exec(open(path).read(), namespace)
                return namespace["dense_param_count"](in_features, out_features, bias)
            except Exception:
                pass
    ''', "return -7")
    report = grade(from_python(cheat), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en")
    exercise = report.exercises[0]
    assert exercise.score == 0 and {test.reason for test in exercise.tests} == {"wrong_value"}
    # The same probe as evidence: the right formula only when nothing was found.
    report = grade(from_python(evidence_dense(_files_probe(host_secret_file, walk_seconds=1.5))), single_exercise(full_plan, DENSE),
                   sandbox=sandbox, lang="en")
    assert report.score == DENSE_POINTS
    assert_no_secret(report, SOLUTION_TEXT)


# ------------------------------------------------------------------------ /proc


PROC_PROBE = '''
import json, os

NEEDLES = [needle.encode() for needle in __NEEDLES__]

def _read(path, size=1 << 16):
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError as exc:
        return exc.errno

def probe():
    seen = {"denied": {}, "leaks": [], "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}
    for what in ("environ", "mem", "maps", "root", "cwd", "fd"):
        path = "/proc/1/" + what
        try:
            if what in ("root", "cwd", "fd"):
                os.listdir(path)
            elif what == "mem":
                with open(path, "rb") as handle:
                    handle.seek(0x400000)
                    handle.read(4096)
            else:
                _ = open(path, "rb").read()
            seen["denied"][what] = 0
        except OSError as exc:
            seen["denied"][what] = exc.errno
    paths = ["/proc/self/environ", "/proc/self/cmdline", "/proc/%d/environ" % os.getppid(),
             "/proc/%d/cmdline" % os.getppid()]
    for pid in seen["pids"]:
        paths += ["/proc/%d/environ" % pid, "/proc/%d/cmdline" % pid, "/proc/%d/status" % pid]
        try:
            for task in os.listdir("/proc/%d/task" % pid):
                paths.append("/proc/%d/task/%s/environ" % (pid, task))
        except OSError:
            pass
    for path in paths:
        data = _read(path)
        if isinstance(data, bytes):
            seen["leaks"] += ["%s: %s" % (path, n.decode()) for n in NEEDLES if n in data]
    seen["environ"] = dict(os.environ)
    seen["leaks"] += [name for name in os.environ if name.startswith("GRADER")]
    seen["ppid"] = os.getppid()
    seen["cmdline_1"] = _read("/proc/1/cmdline").decode(errors="replace") if isinstance(_read("/proc/1/cmdline"), bytes) else ""
    return json.dumps(seen)
'''


def test_proc_shows_neither_the_graders_environment_nor_its_memory(sandbox, full_plan):
    assert os.environ.get(SECRET_ENV) != SECRET  # the fixture put it there only while the sandbox started
    source = _template(PROC_PROBE, needles=[SECRET, SECRET_ENV, "/work/main", "pytest"])
    seen = probe_json(sandbox, source)
    assert seen["leaks"] == [], seen["leaks"]
    assert seen["ppid"] == 1 and seen["pids"][0] == 1 and len(seen["pids"]) == 2, seen["pids"]  # zygote + itself
    assert all(errno_ in (1, 13) for errno_ in seen["denied"].values()), seen["denied"]  # EPERM / EACCES
    assert "/sandbox/zygote.py" in seen["cmdline_1"]  # what it can read is the zygote, not the grader
    assert set(seen["environ"]) <= {"PATH", "HOME", "TMPDIR", "PWD", "LANG", "LC_ALL", "PYTHONDONTWRITEBYTECODE",
                                    "PYTHONHASHSEED", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                                    "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "GLIBC_TUNABLES"}, seen["environ"]
    report = grade(from_python(evidence_dense(source)), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en")
    assert report.score == DENSE_POINTS
    assert_no_secret(report, SECRET_ENV)


# ---------------------------------------------------------------------- network


NETWORK_PROBE = '''
import errno, json, socket

def _try(action):
    try:
        action()
        return "ok"
    except socket.gaierror:
        return "gaierror"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno)) if exc.errno else type(exc).__name__

def _tcp(family, address):
    def connect():
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(address)
    return connect

def _udp(address):
    def send():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"__SECRET_TOKEN__", address)
    return send

def _raw(family, kind, proto=0):
    def open_():
        socket.socket(family, kind, proto).close()
    return open_

def _unix(name):
    def connect():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(name)
    return connect

def probe():
    tcp_port, udp_port, abstract = __TCP_PORT__, __UDP_PORT__, __ABSTRACT__
    seen = {
        "postgres": _try(_tcp(socket.AF_INET, ("127.0.0.1", 5432))),
        "redis": _try(_tcp(socket.AF_INET, ("127.0.0.1", 6379))),
        "host-listener": _try(_tcp(socket.AF_INET, ("127.0.0.1", tcp_port))),
        "ipv6-loopback": _try(_tcp(socket.AF_INET6, ("::1", 6379))),
        "public": _try(_tcp(socket.AF_INET, ("1.1.1.1", 53))),
        "dns": _try(lambda: socket.getaddrinfo("example.com", 80)),
        "udp": _try(_udp(("127.0.0.1", udp_port))),
        "netlink": _try(_raw(socket.AF_NETLINK, socket.SOCK_RAW, 0)),
        "packet": _try(_raw(socket.AF_PACKET, socket.SOCK_RAW, 0)),
        "raw-ip": _try(_raw(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)),
        "host-abstract-unix": _try(_unix("\\0" + abstract)),
    }
    seen["leaks"] = [name for name, result in seen.items() if result == "ok"]
    return json.dumps(seen)
'''


def test_no_network_of_any_kind(sandbox, full_plan):
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract = f"grader-attack-{SECRET}"
    with tcp, udp, unix:
        tcp.bind(("127.0.0.1", 0))
        tcp.listen(8)
        udp.bind(("127.0.0.1", 0))
        unix.bind("\0" + abstract)
        unix.listen(8)
        for sock in (tcp, udp, unix):
            sock.setblocking(False)
        source = _template(NETWORK_PROBE, tcp_port=tcp.getsockname()[1], udp_port=udp.getsockname()[1],
                           abstract=abstract).replace("__SECRET_TOKEN__", SECRET)
        seen = probe_json(sandbox, source, seconds=20)
        assert seen.pop("leaks") == [], seen
        # No socket of any family can even be created (a Unix one would reach nothing of the host either).
        assert set(seen.values()) <= {"EAFNOSUPPORT", "gaierror"}, seen
        report = grade(from_python(evidence_dense(source)), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en")
        assert report.score == DENSE_POINTS
        for sock in (tcp, unix):  # nothing knocked on the host's door either
            with pytest.raises(BlockingIOError):
                sock.accept()
        with pytest.raises(BlockingIOError):
            udp.recvfrom(100)


# ----------------------------------------------------------- privileged calls


SYSCALL_PROBE = '''
import ctypes, json, os

libc = ctypes.CDLL(None, use_errno=True)
SYS = {"bpf": 321, "keyctl": 250, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425,
       "pidfd_open": 434, "pidfd_getfd": 438, "setns": 308, "open_tree": 428, "fsopen": 430, "kexec_load": 246}

class Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

class Rlimit(ctypes.Structure):
    _fields_ = [("cur", ctypes.c_ulong), ("max", ctypes.c_ulong)]

def _errno(result):
    return 0 if result != -1 else ctypes.get_errno()

def probe():
    seen = {}
    seen["ptrace_attach_1"] = _errno(libc.ptrace(16, 1, None, None))
    seen["ptrace_seize_1"] = _errno(libc.ptrace(0x4206, 1, None, None))
    seen["ptrace_traceme"] = _errno(libc.ptrace(0, 0, None, None))
    buffer = ctypes.create_string_buffer(64)
    local, remote = Iovec(ctypes.cast(buffer, ctypes.c_void_p), 64), Iovec(0x400000, 64)
    seen["process_vm_readv_1"] = _errno(libc.process_vm_readv(1, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0))
    seen["process_vm_writev_1"] = _errno(libc.process_vm_writev(1, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0))
    unlimited = Rlimit(2 ** 64 - 1, 2 ** 64 - 1)
    seen["prlimit_1_nproc"] = _errno(libc.prlimit(1, 6, ctypes.byref(unlimited), None))
    seen["prlimit_1_as"] = _errno(libc.prlimit(1, 9, ctypes.byref(Rlimit(1 << 20, 1 << 20)), None))
    seen["raise_own_nproc"] = _errno(libc.prlimit(0, 6, ctypes.byref(unlimited), None))
    seen["raise_own_as"] = _errno(libc.setrlimit(9, ctypes.byref(unlimited)))
    seen["unshare_user"] = _errno(libc.unshare(0x10000000))
    seen["unshare_mount"] = _errno(libc.unshare(0x00020000))
    seen["unshare_net"] = _errno(libc.unshare(0x40000000))
    seen["mount_tmpfs"] = _errno(libc.mount(b"none", b"/tmp/work", b"tmpfs", 0, None))
    seen["remount_root_rw"] = _errno(libc.mount(None, b"/", None, 0x20 | 0x1000, None))  # MS_REMOUNT|MS_BIND
    seen["umount_proc"] = _errno(libc.umount2(b"/proc", 2))
    seen["chroot"] = _errno(libc.chroot(b"/tmp"))
    seen["setuid_0"] = _errno(libc.setuid(0))
    seen["sethostname"] = _errno(libc.sethostname(b"pwned", 5))
    seen["shmget"] = _errno(libc.shmget(0, 4096, 0o1666))
    seen["mq_open"] = _errno(ctypes.CDLL("librt.so.1", use_errno=True).mq_open(b"/leak", 0o100 | 2, 0o600, None))
    for name, number in SYS.items():
        seen[name] = _errno(libc.syscall(number, 0, 0, 0, 0, 0))
    try:
        pidfd = os.pidfd_open(1)
        seen["pidfd_getfd_1"] = _errno(libc.syscall(438, pidfd, 0, 0))
        os.close(pidfd)
    except OSError as exc:
        seen["pidfd_getfd_1"] = exc.errno
    try:
        os.setns(os.open("/proc/1/ns/mnt", os.O_RDONLY), 0) if hasattr(os, "setns") else None
        seen["setns_open"] = 0 if hasattr(os, "setns") else 1
    except OSError as exc:
        seen["setns_open"] = exc.errno
    for path in ("/proc/sys/kernel/hostname", "/proc/1/oom_score_adj", "/proc/sysrq-trigger", "/proc/self/uid_map"):
        try:
            with open(path, "w") as handle:
                handle.write("0")
            seen["write " + path] = 0
        except OSError as exc:
            seen["write " + path] = exc.errno
    seen["leaks"] = [name for name, result in seen.items() if result == 0]
    return json.dumps(seen)
'''


def test_debugging_limiting_and_mounting_calls_all_fail(sandbox, full_plan):
    seen = probe_json(sandbox, SYSCALL_PROBE)
    assert seen.pop("leaks") == [], seen
    # The seccomp filter answers EPERM (ENOSYS for a few calls the kernel lacks); the
    # rest are refused by the kernel itself (EACCES, EINVAL, EROFS, ...).
    assert seen["ptrace_attach_1"] == seen["process_vm_readv_1"] == seen["prlimit_1_nproc"] == 1, seen
    assert seen["unshare_user"] == seen["mount_tmpfs"] == seen["bpf"] == 1, seen
    assert all(value > 0 for value in seen.values()), seen
    report = grade(from_python(evidence_dense(SYSCALL_PROBE)), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en")
    assert report.score == DENSE_POINTS


@pytest.mark.parametrize("signals", [
    pytest.param("SIGTERM SIGINT SIGHUP SIGQUIT SIGUSR1 SIGALRM", id="polite"),
    pytest.param("SIGKILL SIGSTOP", id="kill-stop"),
    pytest.param("SIGSEGV SIGBUS SIGABRT SIGSYS SIGXCPU SIGPIPE SIGTRAP SIGVTALRM", id="fatal"),
])
def test_signalling_the_zygote_changes_nothing(signals, sandbox, full_plan):
    before = zygote_pids()
    assert len(before) == 1
    source = dense_with(f'''
        sent = []
        for name in {signals.split()!r}:
            try:
                os.kill(1, getattr(signal, name))
                sent.append(name)
            except OSError:
                pass
        time.sleep(0.05)
        for name in ("SIGCONT",):
            os.kill(1, getattr(signal, name))
        try:
            os.kill(-1, signal.SIGKILL)  # everything else in the namespace
        except OSError:
            pass
        os.kill(1, 0)
    ''', imports="import os, signal, time")
    report = grade(from_python(source), single_exercise(full_plan, DENSE), sandbox=sandbox, lang="en")
    assert report.exercises[0].status == "passed" and report.score == DENSE_POINTS
    assert zygote_pids() == before  # the same warm zygote, still serving
    assert_only_zygotes_left()


def test_zz_the_grader_still_grades_a_correct_submission(sandbox, course, full_plan):
    assert_still_grades_a_correct_submission(sandbox, course, full_plan)

def test_the_hosts_own_additions_under_usr_local_are_not_visible(sandbox):
    """/usr is bound for the system's Python and libraries; /usr/local holds the
    host's own configuration and tools (a review listed /usr/local/etc/npmrc)."""
    from grader.sandbox.bwrap import _runs_from_usr_local, runtime_python

    if _runs_from_usr_local(runtime_python()):
        pytest.skip("the sandbox's Python itself lives under /usr/local here")
    seen = probe_json(sandbox, "import json, os\n\ndef probe():\n    return json.dumps(os.listdir('/usr/local'))\n")
    assert seen == []
