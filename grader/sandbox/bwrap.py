"""The isolated backend: a warm zygote inside bubblewrap, one forked child per submission.

The zygote is launched as an unprivileged user (nobody, when we are root) in
its own user, mount, PID, network, IPC and UTS namespaces, with a read-only
view of nothing but the Python runtime and the staged runner, a size-capped
private /tmp and /dev/shm, no network, an empty environment, and no
capabilities. It imports numpy once; each submission then costs one fork, and
the child adds rlimits and a seccomp filter. When a run ends (or times out)
the zygote, as PID 1 of the namespace, kills every other process in it and
wipes the scratch space, so nothing survives from one submission to the next.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

from . import cgroups, procfs, protocol, request
from .process import PASSED_ENV
from .session import ChildSession, Limits

HERE = Path(__file__).parent
STAGED = ("runner.py", "protocol.py", "compact.py", "request.py", "mapping.py", "npy.py", "zygote.py", "namespaces.py",
          "seccomp_filter.py", "standins.py")
DEFAULT_RUNTIME = "/opt/grader/runtime/bin/python"
NOBODY = 65534
SPARE_ZYGOTES = 2
CONTROL_TIMEOUT = 15.0


class SandboxUnavailable(RuntimeError):
    """The isolated backend cannot run on this machine (and why)."""


def runtime_python() -> str:
    """$GRADER_SANDBOX_PYTHON, else the runtime scripts/setup.sh made (as root, or for this user)."""
    if os.environ.get("GRADER_SANDBOX_PYTHON"):
        return os.environ["GRADER_SANDBOX_PYTHON"]
    user_runtime = Path.home() / ".local/share/grader/runtime/bin/python"
    return str(user_runtime) if os.geteuid() != 0 and user_runtime.exists() else DEFAULT_RUNTIME


def unavailable_reason() -> str | None:
    """None when the isolated backend can be started here, else why not."""
    if not Path("/proc/self/ns/user").exists():
        return "this system has no Linux namespaces"
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    python = Path(runtime_python())
    if not python.exists():
        return f"the sandbox runtime {python} does not exist (run scripts/setup.sh)"
    return None


def _runtime_root(python: str) -> str:
    """The folder to bind for the runtime: the venv (or prefix) holding ``python``."""
    path = Path(python)
    return str(path.parent.parent) if path.parent.name == "bin" else str(path.parent)


def _runs_from_usr_local(python: str) -> bool:
    """Whether the runtime's interpreter, or the installation a virtual
    environment is made from, lives under /usr/local (a Python built from source)."""
    places = [os.path.realpath(python)]
    config = Path(_runtime_root(python)) / "pyvenv.cfg"
    try:
        places += [os.path.realpath(line.split("=", 1)[1].strip()) for line in config.read_text().splitlines()
                   if line.split("=", 1)[0].strip() in ("home", "base-prefix", "executable")]
    except OSError:
        pass
    return any(place == "/usr/local" or place.startswith("/usr/local/") for place in places)


class Zygote:
    """One bubblewrap sandbox with a warm worker in it."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.stage = tempfile.mkdtemp(prefix="grader-stage-")
        self.key = self.stage  # unique while it lives: names its own inputs files (see request.calls_frame)
        self._host_pid: int | None = None
        os.chmod(self.stage, 0o755)
        for name in STAGED:
            shutil.copy(HERE / name, Path(self.stage) / name)
            os.chmod(Path(self.stage) / name, 0o644)
        self.control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control.settimeout(CONTROL_TIMEOUT)
        self.cgroup = (cgroups.CgroupSet((limits.memory_mb + 256) * 1024 * 1024, limits.processes + 8)
                       if cgroups.available() else None)
        root = os.geteuid() == 0
        try:
            # As root, drop to nobody with setpriv rather than Popen(user=...):
            # that makes Popen fork and call setuid in the child, which can hang
            # forever in a multi-threaded grader (glibc's setxid after fork).
            drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"] if root else []
            self.process = subprocess.Popen(
                drop + self._argv(theirs.fileno()), pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                cwd="/", env={"PATH": "/usr/bin:/bin"}, start_new_session=True,
            )
        finally:
            theirs.close()
        try:
            ready = self._receive()
        except (OSError, ValueError) as error:
            self.close()
            raise SandboxUnavailable(f"the sandbox did not start: {error}") from error
        if ready.get("op") != "ready":
            self.close()
            raise SandboxUnavailable("the sandbox did not start")
        if self.cgroup:
            self.cgroup.add_tree(self.process.pid)
        self.seccomp = bool(ready.get("seccomp"))
        self._unread_spawns = 0  # spawn requests whose reply is not read yet
        self._next: ChildSession | None = None  # the next run's child, requested in advance
        self._resetting = False  # a reset whose reply is not read yet
        self._last_status: tuple[int | None, int | None] = (None, None)
        self.alive = True

    def _argv(self, control_fd: int) -> list[str]:
        python = runtime_python()
        env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp/work", "TMPDIR": "/tmp/work", "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=268435456:glibc.malloc.top_pad=16777216"}
        env.update({name: os.environ[name] for name in PASSED_ENV if name in os.environ})
        argv = ["bwrap", "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--uid", str(NOBODY), "--gid", str(NOBODY), "--hostname", "sandbox",
                "--die-with-parent", "--new-session", "--as-pid-1", "--cap-drop", "ALL", "--clearenv"]
        for name, value in env.items():
            argv += ["--setenv", name, value]
        argv += ["--ro-bind", "/usr", "/usr"]
        if os.path.isdir("/usr/local") and not _runs_from_usr_local(python):
            # The host's own additions (configuration in /usr/local/etc, tools,
            # packages): none is the runtime, and some may be secrets.
            argv += ["--perms", "0755", "--tmpfs", "/usr/local", "--remount-ro", "/usr/local"]
        for link in ("lib", "lib64", "bin", "sbin"):
            if os.path.islink(f"/{link}"):
                argv += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
        if os.path.exists("/etc/ld.so.cache"):
            argv += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
        runtime = _runtime_root(python)
        if not runtime.startswith("/usr/"):
            argv += ["--ro-bind", runtime, runtime]
        argv += ["--ro-bind", self.stage, "/sandbox",
                 "--proc", "/proc", "--dev", "/dev",
                 "--size", str(self.limits.scratch_mb * 1024 * 1024), "--perms", "1777", "--tmpfs", "/tmp",
                 "--size", str(8 * 1024 * 1024), "--perms", "1777", "--tmpfs", "/dev/shm",
                 "--remount-ro", "/dev",  # else a writable, uncapped tmpfs that outlives each run
                 "--remount-ro", "/", "--chdir", "/tmp",
                 python, "-E", "-s", "-B", "/sandbox/zygote.py", str(control_fd)]
        return argv

    # ------------------------------------------------------------------ control

    def _receive(self) -> dict:
        try:
            data = self.control.recv(65536)
        except socket.timeout as error:
            raise OSError("the sandbox worker did not answer") from error
        if not data:
            detail = ""
            if self.process.poll() is not None and self.process.stderr:
                detail = self.process.stderr.read(2000).decode(errors="replace").strip()
            raise OSError(f"the sandbox worker stopped {detail}".strip())
        message = json.loads(data)
        if not isinstance(message, dict):
            raise ValueError("malformed control message")
        return message

    def host_pid(self) -> int | None:
        """The zygote's pid on the host (bubblewrap's only child)."""
        if self._host_pid is None:
            forked = procfs.children(self.process.pid)
            self._host_pid = forked[0] if len(forked) == 1 else None
        return self._host_pid

    def spawn(self) -> ChildSession:
        """A session with a child that is ready, or being forked, by now.

        The child for the next run is requested as soon as the previous run is
        reset (see :meth:`request_reset`): the zygote forks it right after the
        clean-up, and it sets up its limits while the grader reads the next
        submission. Waiting for that reset to finish is what proves the
        zygote still works."""
        self.finish_reset()
        if not self.alive:
            raise SandboxUnavailable("the sandbox worker could not clean up after the previous run")
        if self._next is None:
            self._next = self._request_child()
        session, self._next = self._next, None
        return session

    def _request_child(self) -> ChildSession:
        """Ask the zygote to fork a child on a new request channel and reply pipe (not waited for)."""
        to_child_r, to_child = request.channel()
        from_child, from_child_w = os.pipe()
        protocol.widen_pipe(from_child)
        order = {"op": "spawn", "rlimits": dict(self.limits.rlimits(), RLIMIT_NPROC=self.limits.processes),
                 "seccomp": True}
        child = ZygoteChild(self)  # (before the fork it asks for: its CPU count starts here)
        try:
            socket.send_fds(self.control, [json.dumps(order).encode()], [to_child_r, from_child_w])
        except OSError:
            for fd in (to_child, from_child):
                os.close(fd)
            self.close()
            raise
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._unread_spawns += 1
        return ChildSession(to_child, from_child, child, self.limits)

    def request_reset(self, settle: bool = False) -> None:
        """Start a reset (kill everything in the sandbox but the zygote, wipe
        scratch) without waiting for it, and ask for the next run's child. The
        zygote handles requests in order, so that child is forked only once
        the reset is complete."""
        if self._resetting or not self.alive:
            return
        try:
            self.control.send(json.dumps({"op": "reset", "settle": settle}).encode())
            self._resetting = True
        except OSError:
            self.close()
            return
        try:
            self._next = self._request_child()
        except OSError:
            pass  # closed: the next spawn reports it

    def finish_reset(self) -> tuple[int | None, int | None]:
        """Wait for the reset started last; the exit status of the child it ended."""
        if not self._resetting:
            return self._last_status
        self._resetting = False
        # The reset's reply follows the replies to the spawns sent before it;
        # the spawn sent after it (the next child) is answered later.
        earlier_spawns = self._unread_spawns - (self._next is not None)
        try:
            for _ in range(earlier_spawns):
                if self._receive().get("op") != "spawned":
                    raise ValueError("no child was started")
                self._unread_spawns -= 1
            reply = self._receive()
            if reply.get("op") != "clean":
                raise ValueError("unexpected reply to a reset")
        except (OSError, ValueError) as error:
            self.close()  # a zygote that cannot reset is not trusted with another run
            if self._unread_spawns > (self._next is not None):  # the grader's failure, not the submission's
                raise SandboxUnavailable(f"the sandbox worker could not start a child: {error}") from error
            self._last_status = (None, signal.SIGKILL)
            return self._last_status
        exit_code, signal_number = reply.get("exit"), reply.get("signal")
        self._last_status = (exit_code if type(exit_code) is int else None,
                             signal_number if type(signal_number) is int else None)
        if reply.get("scratch_clean") is not True:
            # What the run left could reach the next one: this zygote is done
            # (the pool starts a fresh one), the run's status stands.
            self.close()
        return self._last_status

    def close(self) -> None:
        self.alive = False
        if getattr(self, "_next", None) is not None:
            upcoming, self._next = self._next, None
            upcoming.close()  # (this zygote is no longer alive: closing it asks for nothing)
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, AttributeError):
            pass
        if self.cgroup:
            for pid in self.cgroup.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if hasattr(self, "process"):
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            if self.process.stderr:
                self.process.stderr.close()
        self.control.close()
        if self.cgroup:
            self.cgroup.remove()
        shutil.rmtree(self.stage, ignore_errors=True)


class ZygoteChild:
    """A child forked by a zygote; killing it resets the whole sandbox (without
    waiting: the next spawn does, or whoever asks for the exit status)."""

    def __init__(self, zygote: Zygote) -> None:
        self.zygote = zygote
        self.sandbox_key = zygote.key  # which cached inputs files its children read
        self.killed = False
        self.status: tuple[int | None, int | None] | None = None
        self.on_cleanup = None
        self._waits = procfs.WaitForOthers(zygote.cgroup.cpu_seconds() if zygote.cgroup is not None else None)

    def kill(self, ended: bool = False) -> None:
        """``ended``: the child ended by itself (its reply channel closed): the
        zygote takes its status before killing what it left."""
        if not self.killed:
            self.killed = True
            self.zygote.request_reset(settle=ended)

    def exit_status(self) -> tuple[int | None, int | None]:
        self.kill()
        if self.status is None:
            self.status = self.zygote.finish_reset() if self.zygote.alive else (None, signal.SIGKILL)
        return self.status

    def cleanup(self) -> None:
        self.kill()
        if self.on_cleanup:
            self.on_cleanup(self.zygote)

    def waited_for_others(self) -> float | None:
        found = self._runner_and_init()
        if found is None:
            return None
        cgroup = self.zygote.cgroup
        return self._waits.seconds(*found, cgroup.cpu_seconds() if cgroup is not None else None)

    def interrupt(self) -> None:
        """SIGINT to the runner, by a pidfd taken while it is certainly the
        runner (a number read from /proc could be another process's by the time
        it is used)."""
        runner = self._runner()
        if runner is None or self.killed:
            return
        try:
            handle = os.pidfd_open(runner)
        except OSError:
            return
        try:
            if self._runner() == runner:
                signal.pidfd_send_signal(handle, signal.SIGINT)
        except OSError:
            pass
        finally:
            os.close(handle)

    def _runner(self) -> int | None:
        found = self._runner_and_init()
        return found[0] if found is not None else None

    def _runner_and_init(self) -> tuple[int, int] | None:
        """The host PIDs of the process running the student's code and of the
        root of everything it can start. The child is the zygote's oldest
        child (anything it leaves behind is younger, even when reparented to
        the zygote); where it made namespaces of its own (see namespaces.enter),
        the runner is the oldest child of their PID 1, which inherits its orphans."""
        zygote = self.zygote.host_pid()
        child = procfs.oldest(procfs.children(zygote)) if zygote is not None else None
        if child is None:
            return None
        inits = procfs.children(child)
        if len(inits) == 1 and procfs.namespace_pid(inits[0]) == 1:
            runner = procfs.oldest(procfs.children(inits[0]))
            if runner is not None:
                return runner, inits[0]
        return child, child


class BwrapSandbox:
    """A pool of zygotes; ``session()`` takes the child of the one free the longest."""

    name = "bwrap"
    isolated = True

    def __init__(self, limits: Limits | None = None, slots: int = 1, spare: bool = True) -> None:
        """``slots`` zygotes for as many runs at once, and with ``spare`` two
        more: zygotes are used in turn, so each has two runs' time to clean up
        (a child's namespaces take a while to tear down) and have its next
        child ready, and a submission never waits for the one before it. Each
        is started on first use (grading a single file never starts a spare)."""
        reason = unavailable_reason()
        if reason:
            raise SandboxUnavailable(reason)
        self.limits = limits or Limits()
        if cgroups.available():
            cgroups.remove_stale_once()
        self._free: queue.Queue[Zygote | None] = queue.Queue()
        self._lock = threading.Lock()
        self._all: list[Zygote] = []
        for _ in range(slots + (SPARE_ZYGOTES if spare else 0)):
            self._free.put(None)  # started lazily, on first use
        self.seccomp = None

    def _start(self) -> Zygote:
        zygote = Zygote(self.limits)
        with self._lock:
            self._all.append(zygote)
        self.seccomp = zygote.seccomp
        if not zygote.seccomp:
            zygote.close()
            raise SandboxUnavailable("seccomp is not available in the sandbox runtime (install pyseccomp)")
        return zygote

    def session(self) -> ChildSession:
        zygote = self._free.get()
        try:
            if zygote is not None and zygote.alive:
                try:
                    zygote.finish_reset()  # the previous run's clean-up, if still pending
                except SandboxUnavailable:
                    pass  # it is closed: a fresh one takes its place
            if zygote is None or not zygote.alive:
                zygote = self._start()
            session = zygote.spawn()
        except BaseException:
            self._free.put(None)
            raise
        session.process.on_cleanup = self._release
        return session

    def _release(self, zygote: Zygote) -> None:
        self._free.put(zygote if zygote.alive else None)

    def close(self) -> None:
        with self._lock:
            for zygote in self._all:
                zygote.close()
            self._all.clear()

    def __enter__(self) -> "BwrapSandbox":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
