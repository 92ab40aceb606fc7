"""The ``grader`` command as users run it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import nbformat
import numpy
from typer.testing import CliRunner

from grader.cli import app

from conftest import EXAMPLES, ROOT, submission_source

runner = CliRunner()


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_grade_json_has_the_documented_shape():
    report = _json(runner.invoke(app, ["grade", str(EXAMPLES / "partial.py"), "--assignment", "cnn-basics",
                                       "--format", "json"]))
    assert isinstance(report["assignment"], str) and report["assignment"] == "cnn-basics"
    assert isinstance(report["score"], float) and isinstance(report["max_score"], float)
    ids = [exercise["id"] for exercise in report["exercises"]]
    assert ids == ["conv-output-size", "pool-output-size", "conv-param-count", "dense-param-count", "conv2d-forward",
                   "conv2d-backward", "maxpool2d-forward", "maxpool2d-backward", "im2col"]
    for exercise in report["exercises"]:
        assert isinstance(exercise["function"], str)
        assert isinstance(exercise["score"], float) and isinstance(exercise["max_score"], float)
        assert exercise["status"] in ("passed", "failed", "missing", "error")
        assert exercise["tests"]
        for test in exercise["tests"]:
            assert isinstance(test["name"], str) and isinstance(test["message"], str)
            assert test["visibility"] in ("public", "hidden")
            assert test["status"] in ("passed", "failed", "error", "timeout", "memory_limit")
            assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert (exercise["status"] == "passed") == all(test["status"] == "passed" for test in exercise["tests"])
    statuses = {exercise["id"]: exercise["status"] for exercise in report["exercises"]}
    assert statuses["im2col"] == "missing" and statuses["conv2d-forward"] == "failed"
    assert 0 < report["score"] < report["max_score"] == 135


def test_grade_exit_code_is_zero_whatever_the_score(tmp_path):
    empty = tmp_path / "empty.py"
    empty.write_text("")
    report = _json(runner.invoke(app, ["grade", str(empty), "-a", "cnn-basics", "-f", "json"]))
    assert report["score"] == 0 and {e["status"] for e in report["exercises"]} == {"missing"}


def test_grade_refuses_bad_arguments_with_exit_code_2(tmp_path):
    assert runner.invoke(app, ["grade", str(tmp_path / "nope.py"), "-a", "cnn-basics"]).exit_code == 2
    unknown = runner.invoke(app, ["grade", str(EXAMPLES / "correct.py"), "-a", "no-such-assignment"])
    assert unknown.exit_code == 2 and "unknown assignment" in unknown.output


def test_grade_with_a_broken_spec_fails_with_the_file_and_field(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "exercises", course / "exercises")
    shutil.copytree(ROOT / "solutions", course / "solutions")
    spec = course / "exercises" / "im2col" / "exercise.toml"
    spec.write_text(spec.read_text().replace('visibility = "hidden"', 'visibility = "secret"', 1))
    result = runner.invoke(app, ["grade", str(EXAMPLES / "correct.py"), "-a", "cnn-basics", "--course", str(course)])
    assert result.exit_code == 2
    assert "im2col/exercise.toml" in result.output and "visibility" in result.output


def test_check_runs_public_cases_only_and_shows_hints():
    report = _json(runner.invoke(app, ["check", str(EXAMPLES / "partial.py"), "--format", "json", "--lang", "en"]))
    assert {test["visibility"] for exercise in report["exercises"] for test in exercise["tests"]} == {"public"}
    table = runner.invoke(app, ["check", str(EXAMPLES / "partial.py"), "--lang", "en"])
    assert table.exit_code == 0
    assert "cross-correlation" in table.stdout and "score:" in table.stdout


def test_notebook_grades_the_same_as_the_equivalent_python_file(tmp_path, course):
    source = submission_source(course, {"conv2d-forward": "kernel-flipped", "im2col": None})
    script = tmp_path / "student.py"
    script.write_text(source)
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_markdown_cell("# 과제 풀이"))
    notebook.cells.append(nbformat.v4.new_code_cell("%matplotlib inline\n!pip install numpy"))
    for chunk in re.split(r"\n(?=def _load_)", source):
        notebook.cells.append(nbformat.v4.new_code_cell(chunk))
    notebook.cells.append(nbformat.v4.new_code_cell("%%bash\nrm -rf /tmp/everything"))
    path = tmp_path / "student.ipynb"
    path.write_text(nbformat.writes(notebook))

    from_py = _json(runner.invoke(app, ["grade", str(script), "-a", "cnn-basics", "-f", "json"]))
    from_nb = _json(runner.invoke(app, ["grade", str(path), "-a", "cnn-basics", "-f", "json"]))

    def outcome(report):
        return [(e["id"], e["status"], e["score"], [(t["name"], t["status"]) for t in e["tests"]])
                for e in report["exercises"]]

    assert outcome(from_nb) == outcome(from_py)
    assert from_nb["score"] < from_nb["max_score"]


def test_notebook_syntax_error_names_the_cell(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell("def dense_param_count(i, o, bias=True):\n    return i * o + (o if bias else 0)"))
    notebook.cells.append(nbformat.v4.new_code_cell("x = 1\ndef conv_param_count(a, b, c, d, bias=True)\n    return 0"))
    path = tmp_path / "nb.ipynb"
    path.write_text(nbformat.writes(notebook))
    report = _json(runner.invoke(app, ["grade", str(path), "-a", "cnn-basics", "-f", "json", "--lang", "en"]))
    assert any("cell 2, line 2" in problem for problem in report["problems"]), report["problems"]
    statuses = {e["id"]: e["status"] for e in report["exercises"]}
    assert statuses["dense-param-count"] == "passed" and statuses["conv-param-count"] == "missing"


def test_unreadable_notebook_is_reported_not_crashed(tmp_path):
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [ this is not json')
    report = _json(runner.invoke(app, ["grade", str(path), "-a", "cnn-basics", "-f", "json", "--lang", "en"]))
    assert report["score"] == 0
    assert any("not a readable Jupyter notebook" in problem for problem in report["problems"])


def test_release_holds_no_hidden_case_and_checks_the_same(tmp_path, course, full_plan):
    out = tmp_path / "release"
    result = runner.invoke(app, ["release", "cnn-basics", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = (out / "release.json").read_text()
    hidden_names = {item.case.name for exercise in full_plan.exercises for item in exercise.cases
                    if item.case.visibility == "hidden"}
    public_names = {item.case.name for exercise in full_plan.exercises for item in exercise.cases
                    if item.case.visibility == "public"}
    assert not {f'"{name}"' for name in hidden_names - public_names} & {f'"{n}"' for n in _strings(text)}
    assert "seed" not in text and "def " not in text
    assert not list(out.rglob("solutions")) and not list(out.rglob("mutants"))
    assert (out / "im2col" / "statement.ko.md").is_file() and (out / "im2col" / "starter.py").is_file()
    readme = (out / "README.en.md").read_text()
    assert "grader check my_solutions.py -a release --lang en" in readme
    assert f"standard library and numpy {numpy.__version__}" in readme
    assert all(f"`{exercise.function}`" in readme for exercise in full_plan.exercises)
    assert f"표준 라이브러리와 numpy {numpy.__version__}만" in (out / "README.ko.md").read_text()

    from_course = _json(runner.invoke(app, ["check", str(EXAMPLES / "partial.py"), "-f", "json"]))
    from_release = _json(runner.invoke(app, ["check", str(EXAMPLES / "partial.py"), "-a", str(out), "-f", "json"]))
    for report in (from_course, from_release):
        report.pop("seconds")
        for exercise in report["exercises"]:
            for test in exercise["tests"]:
                test.pop("seconds")
    assert from_release == from_course

    refused = runner.invoke(app, ["grade", str(EXAMPLES / "partial.py"), "-a", str(out)])
    assert refused.exit_code == 2


def _strings(text: str) -> set[str]:
    found = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                found.add(key)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            found.add(node)

    walk(json.loads(text))
    return found


def test_exercises_list_and_show():
    listing = runner.invoke(app, ["exercises", "list", "--lang", "en"])
    assert listing.exit_code == 0 and "conv2d-backward" in listing.stdout and "cnn-basics" in listing.stdout
    shown = runner.invoke(app, ["exercises", "show", "conv-output-size"])
    assert shown.exit_code == 0 and "conv_output_size(" in shown.stdout
    assert runner.invoke(app, ["exercises", "show", "nope"]).exit_code == 2


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "grader", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "check" in result.stdout and "grade" in result.stdout
