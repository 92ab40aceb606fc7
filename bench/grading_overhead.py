"""Grading overhead per submission, measured in one run (a benchmark, not a test).

For a batch of cnn-basics submissions (correct and buggy), it prints the
per-submission median and p95 wall time and the throughput of:

  floor   the reference solutions run in-process on the same cases (no grader at all)
  ours    the real grader: isolated warm sandbox, plain-data protocol, checks, diagnosis
  bound   the least any grader that runs each submission in a process of its own
          can cost here: this warm process forks, the child compiles the file
          and calls every case, and exits (no isolation, no inputs sent, no
          answers returned, nothing checked)
  naive   a naive grader: a fresh `python` per submission that imports numpy, runs
          every case and sends results back with pickle; the parent compares

and the ratios of overheads (time minus floor): naive / ours, and naive /
bound, the best ratio any design that forks a child per submission could show
on this machine.

    .venv/bin/python bench/grading_overhead.py [--rounds 3] [--slots 2]
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import grader  # noqa: E402,F401  (first: it sets the BLAS threads before numpy loads; the naive child inherits them)
import numpy as np  # noqa: E402

from conftest import submission_source  # noqa: E402  (builds student files from solutions/mutants)

from grader.catalog import Course  # noqa: E402
from grader.catalog.reference import load_function  # noqa: E402
from grader.engine import grade, limits_for  # noqa: E402
from grader.sandbox import BwrapSandbox  # noqa: E402
from grader.reader import read_untrusted_bytes  # noqa: E402

NAIVE_CHILD = r"""
import pickle, sys
import numpy as np
source, calls = pickle.load(sys.stdin.buffer)
namespace = {"__name__": "submission"}
try:
    exec(compile(source, "submission.py", "exec"), namespace)
except BaseException as error:
    pass
results = []
for function, args, kwargs in calls:
    try:
        results.append(("ok", namespace[function](*args, **kwargs)))
    except BaseException as error:
        results.append(("raised", type(error).__name__))
pickle.dump(results, sys.stdout.buffer)
"""


def submissions(course: Course) -> list[tuple[str, str]]:
    batch = [("correct", submission_source(course))]
    for exercise_id, slug in [("conv-output-size", "float-result"), ("conv2d-forward", "kernel-flipped"),
                              ("conv2d-backward", "db-summed-over-batch-only"),
                              ("maxpool2d-backward", "ties-to-all-maxima"), ("im2col", "cs231n-transposed-layout"),
                              ("pool-output-size", "default-stride-one"), ("conv-param-count", "bias-forgotten")]:
        batch.append((f"{exercise_id}:{slug}", submission_source(course, {exercise_id: slug})))
    batch.append(("missing-im2col", submission_source(course, {"im2col": None})))
    return batch


def floor(course: Course, plan) -> float:
    """The reference solutions called on every case, and nothing else (not even
    the copy of the inputs the grader's own trusted runs make: the references
    leave their inputs alone)."""
    started = time.perf_counter()
    for exercise in plan.exercises:
        reference = load_function(course.reference_path(exercise.id), exercise.function)
        for item in exercise.cases:
            try:
                reference(*item.case.args, **item.case.kwargs)
            except Exception:  # noqa: BLE001 - cases that expect an exception
                pass
    return time.perf_counter() - started


def bound(source: str, plan) -> float:
    """A bare fork of this warm process (numpy loaded, its caches hot) that
    compiles the submission and calls every case: what a fresh process, a
    compile and the student's own code cost, and nothing else."""
    calls = [(exercise.function, item.case.args, item.case.kwargs) for exercise in plan.exercises for item in exercise.cases]
    started = time.perf_counter()
    child = os.fork()
    if child == 0:
        try:
            namespace = {"__name__": "submission"}
            exec(compile(source, "submission.py", "exec"), namespace)
            for function, args, kwargs in calls:
                try:
                    namespace[function](*args, **kwargs)
                except BaseException:  # noqa: BLE001 - a buggy submission's failures cost their time too
                    pass
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    return time.perf_counter() - started


def naive(source: str, plan) -> float:
    started = time.perf_counter()
    calls = [(exercise.function, item.case.args, item.case.kwargs) for exercise in plan.exercises for item in exercise.cases]
    with tempfile.TemporaryDirectory() as workdir:
        result = subprocess.run([sys.executable, "-c", NAIVE_CHILD], input=pickle.dumps((source, calls)),
                                capture_output=True, cwd=workdir, timeout=300)
    answers = pickle.loads(result.stdout)
    score = 0
    items = [item for exercise in plan.exercises for item in exercise.cases]
    for item, (kind, value) in zip(items, answers):
        expected = item.expected
        if expected.raised:
            score += kind == "raised" and value == expected.raised
        elif kind == "ok":
            try:
                score += bool(np.allclose(np.asarray(value, dtype=float), np.asarray(expected.value, dtype=float)))
            except (ValueError, TypeError):
                pass
    return time.perf_counter() - started


def sandbox_cpu_seconds(sandbox: BwrapSandbox) -> float:
    """CPU used so far by the sandbox's zygotes and the children they reaped (host /proc)."""
    total = 0
    for zygote in sandbox._all:
        bwrap = zygote.process.pid
        for pid in os.listdir("/proc"):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[1] == str(bwrap):  # the zygote: bwrap's child
                total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"{name:<8} median {statistics.median(times) * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--slots", type=int, default=os.cpu_count() or 2)
    options = parser.parse_args()

    course = Course(ROOT)
    plan = course.plan("cnn-basics", frozenset({"public", "hidden"}))
    batch = submissions(course)
    # Reading the submission is part of grading it: it is timed too.
    # (by the reading worker, as every student's file is: see grader/reader.py)
    read_and_grade = lambda source, sandbox: grade(read_untrusted_bytes(source.encode(), "submission.py"), plan,  # noqa: E731
                                                   sandbox=sandbox)
    print(f"{len(batch)} submissions x {options.rounds} rounds, {sum(len(e.cases) for e in plan.exercises)} cases each, "
          f"{os.cpu_count()} cores")

    floor(course, plan)  # warm up caches and the reference modules
    floors = [floor(course, plan) for _ in range(len(batch) * options.rounds)]

    # Each kind of grading runs as one batch, back to back, as a class is graded.
    ours, scores = [], {}
    with BwrapSandbox(limits_for(plan)) as sandbox:
        for _, source in batch[:2]:
            read_and_grade(source, sandbox)  # start the warm worker and its spare
        sandbox_cpu, parent_cpu = sandbox_cpu_seconds(sandbox), time.process_time()
        for _ in range(options.rounds):
            for name, source in batch:
                started = time.perf_counter()
                report = read_and_grade(source, sandbox)
                ours.append(time.perf_counter() - started)
                scores[name] = report.score
        parent_cpu = (time.process_time() - parent_cpu) / len(ours)
        sandbox_cpu = (sandbox_cpu_seconds(sandbox) - sandbox_cpu) / len(ours)

    naives = [naive(source, plan) for _ in range(options.rounds) for _, source in batch]
    gc.freeze()  # (as the sandbox's zygote does: the forked children then copy fewer pages)
    bounds = [bound(source, plan) for _ in range(options.rounds) for _, source in batch]
    gc.unfreeze()

    with BwrapSandbox(limits_for(plan), slots=options.slots) as sandbox:
        with ThreadPoolExecutor(max_workers=options.slots) as pool:
            list(pool.map(lambda item: read_and_grade(item[1], sandbox), batch[: options.slots + 1]))  # warm
            started = time.perf_counter()
            list(pool.map(lambda item: read_and_grade(item[1], sandbox), batch * options.rounds))
            parallel = time.perf_counter() - started

    for name, score in scores.items():
        print(f"  {name:<46} {score:6.2f}/135")
    print(summary("floor", floors))
    print(summary("ours", ours))
    print(summary("bound", bounds))
    print(summary("naive", naives))
    floor_median = statistics.median(floors)
    our_overhead = statistics.median(ours) - floor_median
    bound_overhead = statistics.median(bounds) - floor_median
    naive_overhead = statistics.median(naives) - floor_median
    print(f"overhead per submission: ours {our_overhead * 1000:.1f} ms, bound {bound_overhead * 1000:.1f} ms, "
          f"naive {naive_overhead * 1000:.1f} ms")
    print(f"naive/ours = {naive_overhead / our_overhead:.1f}x; naive/bound = {naive_overhead / bound_overhead:.1f}x "
          f"(the most a child per submission allows here); ours/bound = {our_overhead / bound_overhead:.2f}")
    print(f"ours/floor = {statistics.median(ours) / floor_median:.1f}x, naive/floor = "
          f"{statistics.median(naives) / floor_median:.1f}x")
    print(f"ours, CPU per submission: grader process {parent_cpu * 1000:.1f} ms, sandbox (zygote and children) "
          f"{sandbox_cpu * 1000:.1f} ms")
    print(f"throughput: {len(ours) / sum(ours):.1f} submissions/s sequential, "
          f"{len(batch) * options.rounds / parallel:.1f} submissions/s with {options.slots} slots")


if __name__ == "__main__":
    main()
