"""Shared pieces of the hostile-submission suite.

Every attack is BOUNDED (a loop stops after a few seconds, a fork bomb after
200 forks, a disk fill after 100 MB), so that it stays harmless even if the
sandbox failed. Probes RETURN what they observed as plain data: a test reads it
back through a raw session (``run_source``), and the same probe wrapped in
``dense_param_count`` makes the score itself the evidence (the right formula
when the sandbox held, a sentinel wrong value when the probe got through).
"""

from __future__ import annotations

import json
import os
import secrets
import textwrap
import time
from pathlib import Path

import pytest

from grader.catalog.plan import AssignmentPlan
from grader.report import Report
from conftest import submission_source
from grader.engine import grade
from grader.sandbox import BwrapSandbox, Outcome, request, unavailable_reason
from grader.submission import from_python

# Every attack needs the real isolated backend: without it each module is skipped, saying why.
SANDBOX_MISSING = unavailable_reason()
needs_sandbox = pytest.mark.skipif(SANDBOX_MISSING is not None,
                                   reason=f"the isolated sandbox cannot run here: {SANDBOX_MISSING}")

SECRET_ENV = "GRADER_TEST_SECRET"
SECRET = "grader-test-secret-" + secrets.token_hex(8)
NOBODY = 65534

DENSE = "dense-param-count"
# The correct body of dense_param_count, to put after a hostile prologue.
DENSE_FORMULA = "in_features * out_features + (out_features if bias else 0)"
DENSE_POINTS = 10.0


def run_source(sandbox: BwrapSandbox, source: str, function: str = "probe", args: list | None = None,
               seconds: float = 10.0) -> Outcome:
    """Load ``source`` in a fresh child of ``sandbox`` and call ``function(*args)`` once."""
    session = sandbox.session()
    try:
        loaded = session.load(request.load_request(from_python(source).wire_units(), "submission.py"))
        if loaded.kind != "loaded":
            return loaded
        assert not loaded.errors, loaded.errors
        return session.call(function, list(args or []), {}, [], seconds)
    finally:
        session.close()


def probe_json(sandbox: BwrapSandbox, source: str, args: list | None = None, seconds: float = 10.0) -> dict:
    """Run a probe whose ``probe()`` returns ``json.dumps(observations)``; the observations."""
    outcome = run_source(sandbox, source, "probe", args, seconds)
    assert outcome.kind == "returned", (outcome.kind, outcome.exception, outcome.detail)
    assert isinstance(outcome.value, str), outcome.value
    return json.loads(outcome.value)


def evidence_dense(probe_source: str) -> str:
    """``probe_source`` (defining ``probe() -> json str`` with a ``"leaks"`` list) plus a
    dense_param_count that runs the probe once per child and answers the right
    formula only when nothing leaked, else -1: a full score proves the sandbox held."""
    return textwrap.dedent(probe_source) + textwrap.dedent(f'''

        _leaks = None


        def dense_param_count(in_features, out_features, bias=True):
            global _leaks
            if _leaks is None:
                import json as _json
                _leaks = _json.loads(probe())["leaks"]
            if _leaks:
                return -1
            return {DENSE_FORMULA}
        ''')


def dense_with(prologue: str, body: str = f"return {DENSE_FORMULA}", imports: str = "") -> str:
    """A dense_param_count running ``prologue`` (indented code) before ``body``."""
    code = textwrap.indent(textwrap.dedent(prologue).strip("\n"), "    ")
    return (f"{textwrap.dedent(imports).strip()}\n\n\ndef dense_param_count(in_features, out_features, bias=True):\n"
            f"{code}\n    {body}\n")


def only(plan: AssignmentPlan, *ids: str, **limits) -> AssignmentPlan:
    """The exercises ``ids`` of ``plan`` in plan order, optionally with other limits."""
    exercises = []
    for exercise in plan.exercises:
        if exercise.id in ids:
            if limits:
                exercise = type(exercise)(**{**exercise.__dict__,
                                             "limits": exercise.limits.model_copy(update=limits)})
            exercises.append(exercise)
    assert [exercise.id for exercise in exercises] == [i for i in (e.id for e in plan.exercises) if i in ids]
    return AssignmentPlan(id=plan.id, title=plan.title, exercises=exercises)


def by_id(report: Report) -> dict:
    return {exercise.id: exercise for exercise in report.exercises}


def outcomes(exercise) -> list[tuple[str, str]]:
    return [(test.status, test.reason) for test in exercise.tests]


def assert_no_secret(report: Report, *extra: str) -> None:
    """No grader secret anywhere in the report."""
    text = report.model_dump_json()
    for needle in (SECRET, *extra):
        assert needle not in text, f"{needle!r} leaked into the report"


def assert_timed_out_once(exercise) -> None:
    """The first case timed out, the rest were not run, nothing scored."""
    assert outcomes(exercise)[0] == ("timeout", "timeout"), outcomes(exercise)
    assert all(pair == ("timeout", "not_run") for pair in outcomes(exercise)[1:]), outcomes(exercise)
    assert exercise.score == 0 and exercise.status == "error"


def assert_every_case(exercise, expected: tuple[str, str]) -> None:
    """The first case got ``expected``; so did every later one, unless the exercise's
    time budget ran out first (then the rest were not run). Nothing scored."""
    got = outcomes(exercise)
    assert got[0] == expected, got
    assert set(got) <= {expected, ("timeout", "not_run")}, got
    assert exercise.score == 0 and exercise.status == "error"


# ----------------------------------------------------------------- host processes


def _proc(pid: str) -> dict | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        status = Path(f"/proc/{pid}/status").read_text()
        pidns = os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None
    comm = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
    return {"pid": int(pid), "comm": comm, "state": fields[0], "ppid": int(fields[1]), "start": fields[19],
            "uid": uid, "pidns": pidns}


def host_processes() -> list[dict]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            info = _proc(name)
            if info is not None and info["state"] not in ("Z", "X"):
                found.append(info)
    return found


def sandbox_pids() -> dict[int, list[dict]]:
    """For each sandbox this test process started (a bwrap child of ours): every
    live process in the sandbox's PID namespace, keyed by the bwrap pid."""
    processes = host_processes()
    me = os.getpid()
    result = {}
    for bwrap in processes:
        if bwrap["ppid"] != me or bwrap["comm"] != "bwrap":
            continue
        inner = [p for p in processes if p["ppid"] == bwrap["pid"]]
        namespaces = {p["pidns"] for p in inner}
        result[bwrap["pid"]] = [p for p in processes if p["pidns"] in namespaces]
    return result


def zygote_pids() -> set[int]:
    """The PID-1 worker of each of our sandboxes (host pids)."""
    return {p["pid"] for bwrap, members in sandbox_pids().items() for p in members if p["ppid"] == bwrap}


def _pipes(pid: int | str) -> set[str]:
    """The pipes a process has open, as "pipe:[inode]"."""
    found = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("pipe:"):
                found.add(target)
    except OSError:
        pass
    return found


def _next_child(process: dict, zygote: int, ours: set[str]) -> bool:
    """The child a zygote forks right after a reset, for the next run: it holds
    pipes that only this grader process and that child have, made after the
    run (nothing of the run can hold them)."""
    return process["ppid"] == zygote and bool(_pipes(process["pid"]) & ours)


def assert_only_zygotes_left() -> None:
    """After a run, each sandbox namespace holds its zygote and, at most, the
    fresh child waiting for the next run; nothing else. No process of the
    sandbox user lives in the host's PID namespace (bwrap aside)."""
    # A run's end starts the zygote's reset without waiting for it: give it a moment.
    deadline = time.monotonic() + 3
    while True:
        ours = _pipes("self")
        extra = {}
        for bwrap, members in sandbox_pids().items():
            zygotes = {p["pid"] for p in members if p["ppid"] == bwrap}
            others = [p for p in members if p["ppid"] != bwrap]
            waiting = [p for p in others if any(_next_child(p, zygote, ours) for zygote in zygotes)]
            extra[bwrap] = [p for p in others if p not in waiting[:1]]
        extra = {bwrap: found for bwrap, found in extra.items() if found}
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not extra, f"processes survived the run: {extra}"
    host_ns = os.readlink("/proc/self/ns/pid")

    def escapees() -> set[tuple[int, str]]:
        return {(p["pid"], p["start"]) for p in host_processes()
                if p["uid"] == NOBODY and p["pidns"] == host_ns and p["comm"] != "bwrap"}

    # Another suite may be starting a sandbox right now (its Popen child is briefly
    # the sandbox user in our namespace before it becomes bwrap): only what stays counts.
    suspects = escapees()
    for _ in range(5):
        if not suspects:
            break
        time.sleep(0.2)
        suspects &= escapees()
    assert not suspects, f"sandbox-user processes in the host PID namespace: {suspects}"


def assert_still_grades_a_correct_submission(sandbox: BwrapSandbox, course, full_plan) -> None:
    """After a module's attacks: the shared sandbox grades a correct submission in
    full, shows nothing secret, and holds nothing but its zygotes."""
    report = grade(from_python(submission_source(course)), full_plan, sandbox=sandbox, lang="en")
    assert report.score == report.max_score == 135
    assert all(exercise.status == "passed" for exercise in report.exercises)
    assert_no_secret(report)
    assert_only_zygotes_left()
