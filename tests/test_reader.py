"""Students' files are read by a worker process under limits (reader.py): a file
crafted to make reading take minutes or gigabytes costs that file, not the grader."""

from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from grader.reader import Reader
from grader.submission import SubmissionError, read_submission

from conftest import submission_source


@pytest.fixture()
def reader():
    worker = Reader()
    yield worker
    worker.close()


def test_the_worker_reads_a_file_as_this_process_would(reader, course, tmp_path):
    path = tmp_path / "solutions.py"
    path.write_text(submission_source(course) + "\ndef broken(:\n    pass\n")
    assert reader.read(path) == read_submission(path)
    notebook = tmp_path / "broken.ipynb"
    notebook.write_text('{"cells": [')
    with pytest.raises(SubmissionError) as refused:
        reader.read(notebook)
    assert "읽을 수 있는 Jupyter 노트북이 아닙니다" in refused.value.said("ko")


def test_a_file_that_needs_too_much_memory_to_compile_costs_only_that_file(course, tmp_path):
    """A million one-letter lines took 1.4 GiB to compile; here 300k lines against a 250 MiB limit."""
    reader = Reader(memory_mb=250)
    try:
        path = tmp_path / "names.py"
        path.write_text("a\n" * 300_000)
        try:
            read = reader.read(path)
        except SubmissionError as refused:
            assert refused.key == "read_limits" and "250 MiB" in refused.said("en")
        else:  # (the compiler's own MemoryError: nothing of it compiles)
            assert read.units == [] and [problem.message for problem in read.syntax_errors] == [
                "cannot compile: MemoryError"]
        good = tmp_path / "good.py"
        good.write_text(submission_source(course))
        assert reader.read(good).syntax_errors == []
    finally:
        reader.close()


def test_a_file_that_takes_too_long_to_compile_is_unreadable_and_the_worker_is_replaced(course, tmp_path):
    """Identical code objects make CPython 3.11's constant table quadratic (2 MiB of lambda:0, half an hour)."""
    reader = Reader(seconds=0.3)
    try:
        path = tmp_path / "lambdas.py"
        path.write_text("lambda: 0\n" * 40_000)
        with pytest.raises(SubmissionError) as refused:
            reader.read(path)
        assert refused.value.key == "read_limits" and "0.3 s" in refused.value.said("en")
        good = tmp_path / "good.py"
        good.write_text(submission_source(course))
        assert reader.read(good).syntax_errors == []
    finally:
        reader.close()


def test_a_worker_that_died_between_files_is_started_again(reader, course, tmp_path):
    path = tmp_path / "good.py"
    path.write_text(submission_source(course))
    first = reader.read(path)
    (worker,) = reader._idle
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    assert reader.read(path) == first


def test_grading_an_unreadable_file_reports_why_in_the_students_language(public_plan, tmp_path, monkeypatch):
    from grader import reader as reading
    from grader.engine import grade_file

    monkeypatch.setattr(reading, "_SHARED", Reader(seconds=0.3))
    try:
        path = tmp_path / "lambdas.py"
        path.write_text("lambda: 0\n" * 40_000)
        report = grade_file(path, public_plan, visibility="public")
        assert report.score == 0 and "lambdas.py 파일을 읽는 데 0.3초" in report.problems[0]
    finally:
        reading._SHARED.close()


def test_a_file_that_takes_its_whole_deadline_delays_no_other_file(course, tmp_path):
    import threading

    reader = Reader(seconds=2.0)
    slow, good = tmp_path / "lambdas.py", tmp_path / "good.py"
    slow.write_text("lambda: 0\n" * 60_000)
    good.write_text(submission_source(course))
    finished: list[str] = []

    def read(path):
        try:
            reader.read(path)
        except SubmissionError:
            pass
        finished.append(path.name)

    try:
        threads = [threading.Thread(target=read, args=(path,)) for path in (slow, good)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert finished == ["good.py", "lambdas.py"]
    finally:
        reader.close()


def test_a_read_interrupted_in_the_grader_never_hands_its_answer_to_the_next_file(reader, course, tmp_path,
                                                                                  monkeypatch):
    first, second = tmp_path / "first.py", tmp_path / "second.py"
    first.write_text("def first():\n    return 1\n")
    second.write_text("def second():\n    return 2\n")
    reader.read(first)
    real = Reader._answer

    def interrupted(self, worker):
        monkeypatch.setattr(Reader, "_answer", real)
        raise MemoryError("while reading the worker's answer")

    monkeypatch.setattr(Reader, "_answer", interrupted)
    with pytest.raises(MemoryError):
        reader.read(first)
    assert "def second" in reader.read(second).units[0].source


def test_bytecode_too_large_to_send_is_left_for_the_sandbox_to_compile(reader, tmp_path):
    """143 KB of distinct long string constants compiled to 125 MiB of bytecode."""
    path = tmp_path / "constants.py"
    path.write_text("".join(f'c{number} = "\\U{0x10000 + number:08x}" * 4096\n' for number in range(1200)))
    read = reader.read(path)
    assert read.syntax_errors == [] and [unit.bytecode for unit in read.units] == [None]


def test_a_worker_that_cannot_start_is_the_graders_failure_not_the_files(course, tmp_path):
    import sys

    from grader.reader import ReaderUnavailable

    path = tmp_path / "good.py"
    path.write_text(submission_source(course))
    broken = Reader(command=[sys.executable, "-c", "raise SystemExit('no grader package here')"])
    try:
        with pytest.raises(ReaderUnavailable, match="did not start: no grader package here"):
            broken.read(path)
    finally:
        broken.close()


def test_a_read_starved_of_cpu_by_a_busy_machine_gets_the_time_it_waited():
    """(6 graders at once on 2 cores: a notebook read in 4 s alone hit the 10 s
    deadline and every one of them scored 0.) As for the sandbox's calls, the
    time the worker waited for a CPU is added, up to 3x."""
    import subprocess

    reader = Reader(seconds=1.0)
    reader.read_bytes(b"x = 1\n", "warm.py")  # (its worker started now: only the read itself is timed below)
    source = ("x = 1\n" * 90_000).encode()  # about 0.3 s to compile alone here
    hog = "import time\nend = time.time() + 15\nwhile time.time() < end:\n    pass\n"
    # The worker gets about 2/11 of a CPU: about 1.7 s for its 0.3 s, past its
    # 1 s but well within the 3 s its waiting can earn.
    hogs = [subprocess.Popen([sys.executable, "-c", hog], start_new_session=True) for _ in range(10)]
    try:
        time.sleep(0.2)
        started = time.perf_counter()
        submission = reader.read_bytes(source, "slow.py")
        assert time.perf_counter() - started > 1.0, "it did take longer than its deadline on the wall clock"
        assert len(submission.units) == 1
    finally:
        for process in hogs:
            process.kill()
            process.wait()
        reader.close()
