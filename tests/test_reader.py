"""Students' files are read by a worker process under limits (reader.py): a file
crafted to make reading take minutes or gigabytes costs that file, not the grader."""

from __future__ import annotations

import os
import signal

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
    os.kill(reader._process.pid, signal.SIGKILL)
    reader._process.wait()
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
