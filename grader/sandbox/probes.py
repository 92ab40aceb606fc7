"""What isolation is active here, seen from inside: ``grader sandbox check``.

A probe module runs in a real child, exactly as a submission would, and
reports what it can see and do; the parent compares that with its own view.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from . import request
from .session import ChildSession

PROBE = r'''
import json, os, socket, time

def probe(paths):
    seen = {"uid": os.getuid(), "pid": os.getpid()}
    status = open("/proc/self/status").read()
    for field in ("CapEff", "Seccomp", "NoNewPrivs"):
        seen[field] = status.split(field + ":")[1].split()[0]
    seen["ns"] = {name: os.readlink("/proc/self/ns/" + name) for name in ("mnt", "pid", "net", "ipc", "uts", "user")}
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
        seen["network"] = "connected to 127.0.0.1:5432"
    except OSError as error:
        seen["network"] = "blocked: " + type(error).__name__ + ": " + str(error)
    seen["paths"] = {path: os.path.exists(path) for path in paths}
    try:
        with open("/usr/probe-write", "w"):
            seen["usr_writable"] = True
    except OSError:
        seen["usr_writable"] = False
    seen["host_proc"] = [name for name in ("stat", "loadavg", "meminfo") if os.path.exists("/proc/" + name)]
    seen["scratch"] = sorted(line.split()[2] + " " + line.split()[1] for line in open("/proc/self/mounts")
                             if line.split()[1] in ("/tmp", "/dev/shm"))
    import resource
    seen["rlimits"] = {name: resource.getrlimit(getattr(resource, name))[0]
                       for name in ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE")}
    children = []
    try:
        for _ in range(200):
            pid = os.fork()
            if pid == 0:
                time.sleep(3)
                os._exit(0)
            children.append(pid)
        seen["forks"] = "not limited (200 forks)"
    except OSError as error:
        seen["forks"] = "stopped after %d forks (%s)" % (len(children), error.strerror)
    return json.dumps(seen)
'''


@dataclass
class Layer:
    name: str
    active: bool
    detail: str


def probe(session: ChildSession, secret_paths: list[str]) -> dict:
    loaded = session.load(request.load_request([{"source": PROBE, "line_offset": 0}], "probe.py"))
    if loaded.kind != "loaded" or loaded.errors:
        raise RuntimeError(f"the probe did not load: {loaded.kind} {loaded.errors}")
    outcome = session.call("probe", [list(secret_paths)], {}, [], 30.0)
    if outcome.kind != "returned" or not isinstance(outcome.value, str):
        raise RuntimeError(f"the probe failed: {outcome.kind} {outcome.exception or outcome.detail}")
    return json.loads(outcome.value)


def layers(seen: dict, secret_paths: list[str]) -> list[Layer]:
    own = {name: os.readlink(f"/proc/self/ns/{name}") for name in seen["ns"]}
    result = [Layer(f"{name} namespace", seen["ns"][name] != own[name], seen["ns"][name]) for name in own]
    result.append(Layer("unprivileged user", seen["uid"] != 0, f"uid {seen['uid']}"))
    result.append(Layer("no capabilities", int(seen["CapEff"], 16) == 0, f"CapEff {seen['CapEff']}"))
    result.append(Layer("seccomp filter", seen["Seccomp"] == "2", f"Seccomp mode {seen['Seccomp']}, "
                        f"NoNewPrivs {seen['NoNewPrivs']}"))
    result.append(Layer("no network", seen["network"].startswith("blocked"), seen["network"]))
    visible = [path for path in secret_paths if seen["paths"].get(path)]
    result.append(Layer("course files hidden", not visible,
                        "visible: " + ", ".join(visible) if visible else f"{len(secret_paths)} paths not visible"))
    result.append(Layer("read-only system", not seen["usr_writable"], "/usr is " +
                        ("writable" if seen["usr_writable"] else "read-only")))
    result.append(Layer("host-wide /proc hidden", not seen["host_proc"],
                        "visible: " + ", ".join(seen["host_proc"]) if seen["host_proc"] else "only its own processes"))
    # Each scratch folder mounted twice: the sandbox's, and the child's own on top.
    own_scratch = len(seen["scratch"]) == 4
    result.append(Layer("scratch of its own", own_scratch, "a fresh tmpfs per child on /tmp and /dev/shm"
                        if own_scratch else "the sandbox's, wiped after each run"))
    result.append(Layer("process limit", seen["forks"].startswith("stopped"), seen["forks"]))
    limits = seen["rlimits"]
    result.append(Layer("resource limits", limits["RLIMIT_AS"] > 0 and limits["RLIMIT_CPU"] > 0,
                        ", ".join(f"{name[7:]}={value}" for name, value in limits.items())))
    return result
