"""``grader exercises validate`` proves specs, and catches a weak one."""

from __future__ import annotations

import shutil

from typer.testing import CliRunner

from grader.catalog import Course
from grader.cli import app
from grader.validate import validate_exercise

from conftest import ROOT

runner = CliRunner()


def test_validate_passes_for_the_whole_catalog():
    result = runner.invoke(app, ["exercises", "validate"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert result.stdout.count(" ok ") == 9


def _copy_course(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(ROOT / "exercises", course / "exercises")
    shutil.copytree(ROOT / "solutions", course / "solutions")
    return course


WEAK_HIDDEN = '''
[[groups]]
name = "hidden"
visibility = "hidden"
weight = 3

[[groups.cases]]
name = "no-bias-only"
args = [3, 8, 3, 3]
kwargs = { bias = false }
'''


def test_validate_catches_a_mutant_that_a_weak_spec_lets_through(tmp_path):
    root = _copy_course(tmp_path)
    spec = root / "exercises" / "conv-param-count" / "exercise.toml"
    text = spec.read_text()
    spec.write_text(text[: text.index('[[groups]]\nname = "channels-and-kernels"')] + WEAK_HIDDEN)
    result = validate_exercise(Course(root), "conv-param-count")
    assert not result.ok
    assert any("'bias-forgotten' passes every hidden case" in problem for problem in result.problems)
    cli = runner.invoke(app, ["exercises", "validate", "conv-param-count", "--course", str(root)])
    assert cli.exit_code == 1 and "bias-forgotten" in cli.stdout


def test_validate_catches_a_hidden_case_copied_from_a_public_one(tmp_path):
    root = _copy_course(tmp_path)
    spec = root / "exercises" / "dense-param-count" / "exercise.toml"
    spec.write_text(spec.read_text().replace(
        '[[groups.generate]]\nname = "random-layer"\n',
        '[[groups.cases]]\nname = "copy"\nargs = [14400, 10]\n\n[[groups.generate]]\nname = "random-layer"\n'))
    result = validate_exercise(Course(root), "dense-param-count")
    assert any("'copy' has the same inputs as a public case" in problem for problem in result.problems)


def test_validate_catches_a_wrong_declared_exception_and_a_broken_reference(tmp_path):
    root = _copy_course(tmp_path)
    spec = root / "exercises" / "conv-output-size" / "exercise.toml"
    spec.write_text(spec.read_text().replace('name = "64x64-filter5"\nargs = [64, 5]',
                                             'name = "64x64-filter5"\nargs = [64, 5]\nraises = "ValueError"'))
    reference = root / "solutions" / "pool-output-size.py"
    reference.write_text(reference.read_text().replace("stride = pool_size", "stride = 1"))
    course = Course(root)
    problems = validate_exercise(course, "conv-output-size").problems
    assert any("declares raises = 'ValueError' but the reference returned a value" in p for p in problems)
    broken = validate_exercise(course, "pool-output-size")
    assert any(problem.startswith("reference fails") for problem in broken.problems), broken.problems
