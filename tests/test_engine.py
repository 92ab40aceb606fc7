"""The grading core end to end: real child processes, the real course."""

from __future__ import annotations

import re
import time

from concurrent.futures import ThreadPoolExecutor

import pytest

from grader.engine import grade, limits_for
from grader.submission import from_python

from conftest import isolated, single_exercise, submission_source


def _by_id(report):
    return {exercise.id: exercise for exercise in report.exercises}


def test_correct_submission_scores_full_marks(course, full_plan):
    report = grade(from_python(submission_source(course)), full_plan, lang="en")
    assert report.score == report.max_score == 135
    assert all(exercise.status == "passed" for exercise in report.exercises)
    assert {test.visibility for exercise in report.exercises for test in exercise.tests} == {"public", "hidden"}


def test_each_mutant_loses_points_only_on_its_own_exercise(course, full_plan):
    jobs = [(exercise.id, mutant.slug) for exercise in full_plan.exercises for mutant in course.mutants(exercise.id)]

    def run(job):
        exercise_id, slug = job
        return job, grade(from_python(submission_source(course, {exercise_id: slug})), full_plan, lang="en")

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run, jobs))
    assert len(results) >= 2 * len(full_plan.exercises)
    for (exercise_id, slug), report in results:
        for exercise in report.exercises:
            if exercise.id == exercise_id:
                assert exercise.score < exercise.max_score, f"{slug} was not caught"
                assert exercise.status in ("failed", "error"), slug
            else:
                assert exercise.score == exercise.max_score, f"{slug} cost points on {exercise.id}"


def test_wrong_answer_names_the_likely_mistake(course, full_plan):
    report = grade(from_python(submission_source(course, {"conv2d-forward": "kernel-flipped"})), full_plan, lang="en")
    forward = _by_id(report)["conv2d-forward"]
    failing = [test for test in forward.tests if test.status == "failed"]
    assert failing and all("kernel-flipped" in test.likely_mistakes for test in failing)
    assert any("cross-correlation" in line for line in forward.feedback)


def test_float_instead_of_int_is_a_wrong_type_with_an_explanation(course, full_plan):
    report = grade(from_python(submission_source(course, {"conv-output-size": "float-result"})), full_plan, lang="en")
    tests = _by_id(report)["conv-output-size"].tests
    valid = [test for test in tests if test.reason == "int_as_float"]
    assert valid and all(test.status == "failed" and "int" in test.message for test in valid)


def test_missing_function_costs_only_its_exercise(course, full_plan):
    report = grade(from_python(submission_source(course, {"im2col": None})), full_plan, lang="en")
    exercises = _by_id(report)
    assert exercises["im2col"].status == "missing" and exercises["im2col"].score == 0
    assert "im2col() not found" in exercises["im2col"].tests[0].message
    assert report.score == report.max_score - exercises["im2col"].max_score


def test_a_missing_function_is_blamed_on_what_kept_its_definition_from_running(course, public_plan):
    """A Colab export: `!pip` lines are syntax errors, but what lost im2col is
    the decorator whose import failed; a definition that does not compile is
    blamed on its syntax error."""
    plan = single_exercise(public_plan, "im2col")
    jitted = ("!pip install numba\ntry:\n    from numba import njit\nexcept ImportError as error:\n    pass\n\n"
              "@njit\ndef im2col(x, filter_h, filter_w, stride=1, pad=0):\n    return x\n")
    message = grade(from_python(jitted), plan, lang="en").exercises[0].tests[0].message
    assert "im2col() not found" in message and "NameError (line 7): name 'njit' is not defined" in message
    assert "syntax" not in message
    broken = "import numpy as np\nprint(undefined)\n\ndef im2col(x, filter_h, filter_w, stride=1, pad=0:\n    return x\n"
    message = grade(from_python(broken), plan, lang="en").exercises[0].tests[0].message
    assert "possibly because of a syntax error in the submission: line 4" in message and "NameError" not in message
    assert grade(from_python(broken), plan).problems[0].startswith("문법 오류 (4번째 줄): ")
    # A function the file names nowhere is not blamed on an unrelated error.
    elsewhere = "from util import helper  # a %%writefile module\n\ndef conv_output_size(*args):\n    return helper(*args)\n"
    message = grade(from_python(elsewhere), plan, lang="en").exercises[0].tests[0].message
    assert message == "function im2col() not found.", message


def test_syntax_error_in_one_function_costs_only_that_exercise(course, full_plan):
    broken = "def im2col(x, filter_h, filter_w, stride=1, pad=0):\n    return x[:\n"
    source = submission_source(course, {"im2col": None}) + "\n\n" + broken
    report = grade(from_python(source), full_plan, lang="en")
    exercises = _by_id(report)
    assert exercises["im2col"].status == "missing"
    line = source.count("\n")  # the last line, where the bracket opens
    assert any(f"line {line}" in problem for problem in report.problems), report.problems
    assert "syntax error" in exercises["im2col"].tests[0].message
    assert all(exercise.score == exercise.max_score for exercise in report.exercises if exercise.id != "im2col")


def test_error_at_import_time_does_not_hide_later_functions(course, full_plan):
    source = "import numpy as np\nprint(undefined_name)\nraise SystemExit(0)\n" + submission_source(course)
    report = grade(from_python(source), full_plan, lang="en")
    assert report.score == report.max_score
    assert any("NameError" in problem and "line 2" in problem for problem in report.problems)


@pytest.mark.parametrize("lang, wording", [("en", "standard library and numpy"), ("ko", "표준 라이브러리와 numpy만")])
def test_a_package_beyond_numpy_is_explained_in_the_students_language(course, public_plan, lang, wording):
    source = "import scipy.signal\n" + submission_source(course, {"conv-output-size": None}) + (
        "\n\ndef conv_output_size(input_size, filter_size, stride=1, pad=0):\n"
        "    from torch.nn import functional\n    return 1\n")
    report = grade(from_python(source), public_plan, lang=lang, visibility="public")
    loading = [problem for problem in report.problems if "ModuleNotFoundError" in problem]
    assert len(loading) == 1 and "'scipy'" in loading[0] and wording in loading[0]
    calls = _by_id(report)["conv-output-size"].tests
    raised = [test for test in calls if test.reason == "exception"]
    assert raised and all("'torch'" in test.message and wording in test.message for test in raised)
    assert report.score == report.max_score - _by_id(report)["conv-output-size"].max_score


def test_not_implemented_starter_is_an_error_not_a_crash(course, public_plan):
    report = grade(from_python(course.starter("conv2d-forward")), single_exercise(public_plan, "conv2d-forward"), lang="en")
    exercise = report.exercises[0]
    assert exercise.status == "error"
    assert all(test.reason == "not_implemented" for test in exercise.tests)


def test_infinite_loop_times_out_once_and_the_other_exercises_are_graded(course, full_plan):
    source = submission_source(course, {"conv2d-forward": None}) + (
        "\n\ndef conv2d_forward(x, w, b, stride=1, pad=0):\n    while True:\n        pass\n")
    exercises = [
        type(exercise)(**{**exercise.__dict__, "limits": exercise.limits.model_copy(update={"time_seconds": 1.0})})
        for exercise in full_plan.exercises if exercise.id in ("conv2d-forward", "im2col")
    ]
    plan = type(full_plan)(id=full_plan.id, title=full_plan.title, exercises=exercises)
    started = time.perf_counter()
    report = grade(from_python(source), plan, lang="en")
    forward, unfold = report.exercises
    assert forward.tests[0].status == "timeout" and forward.tests[0].reason == "timeout"
    assert all(test.status == "timeout" and test.reason == "not_run" for test in forward.tests[1:])
    # They were not run because of the first case's limit, not because the whole budget was used.
    assert all("earlier case" in test.message and "budget" not in test.message for test in forward.tests[1:])
    assert forward.score == 0 and forward.status == "error"
    assert unfold.status == "passed"
    assert time.perf_counter() - started < 10


def test_memory_bomb_is_reported_as_memory_limit(full_plan):
    source = "import numpy as np\ndef dense_param_count(a, b, bias=True):\n    return np.ones((1 << 40,)).size\n"
    report = grade(from_python(source), single_exercise(full_plan, "dense-param-count"), lang="en")
    assert {test.status for test in report.exercises[0].tests} == {"memory_limit"}
    assert report.exercises[0].score == 0


@pytest.mark.parametrize("exit_call", ["import sys; sys.exit(0)", "raise SystemExit(0)", "raise KeyboardInterrupt",
                                       "import os; os._exit(0)", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
def test_exiting_mid_case_is_never_a_pass(exit_call, course, public_plan):
    source = f"def dense_param_count(a, b, bias=True):\n    {exit_call}\n" + isolated(
        course.reference_path("conv-param-count").read_text(), "conv_param_count")
    plan = type(public_plan)(id="t", title=public_plan.title, exercises=[
        exercise for exercise in public_plan.exercises if exercise.id in ("dense-param-count", "conv-param-count")])
    report = grade(from_python(source), plan, lang="en")
    dense, conv = _by_id(report)["dense-param-count"], _by_id(report)["conv-param-count"]
    assert dense.score == 0 and all(test.status == "error" for test in dense.tests)
    assert conv.status == "passed"


def test_printing_cannot_change_the_score(course, public_plan):
    noisy = ('def dense_param_count(a, b, bias=True):\n'
             '    print("{\\"status\\": \\"passed\\", \\"score\\": 100}")\n'
             '    print("\\x1b[2J[bold green]PASSED[/]")\n'
             '    return 0\n')
    report = grade(from_python(noisy), single_exercise(public_plan, "dense-param-count"), lang="en")
    exercise = report.exercises[0]
    assert exercise.score == 0 and all(test.status == "failed" for test in exercise.tests)
    assert "\x1b" not in exercise.tests[0].output and "\\x1b" in exercise.tests[0].output


def test_printing_a_lot_at_the_top_of_the_file_costs_nothing(course, public_plan):
    """A notebook that prints big arrays as it goes: loading is not held to the per-call output limit."""
    source = ("import numpy as np\nnp.set_printoptions(threshold=10**9)\nprint(np.arange(400_000))\n"
              + submission_source(course))
    report = grade(from_python(source), public_plan, lang="en", visibility="public")
    assert report.score == report.max_score and report.problems == []


def test_hidden_failures_do_not_reveal_values_or_exception_messages(course, full_plan):
    leaky = ("import numpy as np\n"
             "def conv2d_forward(x, w, b, stride=1, pad=0):\n"
             "    raise ValueError('secret input sum %r' % float(x.sum()))\n")
    report = grade(from_python(leaky), single_exercise(full_plan, "conv2d-forward"), lang="en")
    tests = report.exercises[0].tests
    hidden = [test for test in tests if test.visibility == "hidden" and test.status != "passed"]
    public = [test for test in tests if test.visibility == "public" and test.status != "passed"]
    assert hidden and all("secret" not in test.message and "ValueError" in test.message for test in hidden)
    assert any("secret" in test.message for test in public)
    assert all("line 3" in test.message for test in hidden)

    wrong = grade(from_python(submission_source(course, {"conv2d-forward": "bias-forgotten"})),
                  single_exercise(full_plan, "conv2d-forward"), lang="en").exercises[0]
    for test in wrong.tests:
        if test.visibility == "hidden" and test.status == "failed":
            assert "got" not in test.message.lower() and "expected" not in test.message.lower()


def test_list_instead_of_array_and_modified_inputs_are_explained(course, full_plan):
    source = ("import numpy as np\n"
              "def maxpool2d_forward(x, pool_h, pool_w, stride):\n"
              "    n, c, h, w = x.shape\n"
              "    oh, ow = (h - pool_h) // stride + 1, (w - pool_w) // stride + 1\n"
              "    return [[[[x[i, j, a*stride:a*stride+pool_h, b*stride:b*stride+pool_w].max() for b in range(ow)]"
              " for a in range(oh)] for j in range(c)] for i in range(n)]\n")
    tests = grade(from_python(source), single_exercise(full_plan, "maxpool2d-forward"), lang="en").exercises[0].tests
    assert any(test.reason == "list_not_array" and "np.array" in test.message for test in tests)

    in_place = (course.solutions_dir / "mutants" / "maxpool2d-backward" / "modifies-x-in-place.py").read_text()
    mutating = grade(from_python(in_place), single_exercise(full_plan, "maxpool2d-backward"), lang="en").exercises[0]
    # Every case it answers is a modified input; only the cases that must raise pass.
    assert all(test.reason == "modified_input" and "'x'" in test.message
               for test in mutating.tests if test.status != "passed")
    assert {test.name for test in mutating.tests if test.status == "passed"} == {"not-divisible", "stride-zero"}


def test_float32_implementation_passes(course, full_plan):
    """Computing in float32 is correct: tolerances follow the size of the values."""
    source = (isolated(course.reference_path("conv2d-forward").read_text(), "conv2d_forward")
              + "\n_float64_forward = conv2d_forward\n\n"
              "def conv2d_forward(x, w, b, stride=1, pad=0):\n"
              "    return _float64_forward(x.astype('float32'), w.astype('float32'), b.astype('float32'), stride, pad)\n")
    report = grade(from_python(source), single_exercise(full_plan, "conv2d-forward"), lang="en")
    assert report.exercises[0].status == "passed", [t.message for t in report.exercises[0].tests if t.status != "passed"]


def test_naive_loops_are_slower_but_pass(full_plan):
    naive = ("import numpy as np\n"
             "def conv2d_forward(x, w, b, stride=1, pad=0):\n"
             "    N, C, H, W = x.shape; F, _, HH, WW = w.shape\n"
             "    if stride < 1 or pad < 0:\n"
             "        raise ValueError('stride must be >= 1 and pad >= 0')\n"
             "    if (H + 2*pad - HH) % stride or (W + 2*pad - WW) % stride or H + 2*pad < HH or W + 2*pad < WW:\n"
             "        raise ValueError('sizes do not tile')\n"
             "    OH = (H + 2*pad - HH) // stride + 1; OW = (W + 2*pad - WW) // stride + 1\n"
             "    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))\n"
             "    out = np.zeros((N, F, OH, OW), dtype=np.result_type(x, w, b))\n"
             "    for n in range(N):\n"
             "        for f in range(F):\n"
             "            for i in range(OH):\n"
             "                for j in range(OW):\n"
             "                    out[n, f, i, j] = np.sum(xp[n, :, i*stride:i*stride+HH, j*stride:j*stride+WW] * w[f]) + b[f]\n"
             "    return out\n")
    exercise = grade(from_python(naive), single_exercise(full_plan, "conv2d-forward"), lang="en").exercises[0]
    assert exercise.status == "passed"
    # Public cases show their running time; a hidden case's time is the
    # student's to shape (a channel for its inputs), so it is not shown.
    assert any(test.seconds > 0 for test in exercise.tests if test.visibility == "public")
    assert all(test.seconds == 0 for test in exercise.tests if test.visibility == "hidden")


def test_errors_point_at_the_students_cell_and_line(public_plan):
    """The sandbox runs bytecode compiled in the grader: its line numbers must
    still be the student's, in a notebook's cells and after a syntax error."""
    from nbformat.v4 import new_code_cell, new_notebook, writes

    from grader.submission import from_notebook

    book = new_notebook(cells=[
        new_code_cell("import numpy as np\n%matplotlib inline"),
        new_code_cell("def dense_param_count(in_features, out_features, bias=True):\n"
                      "    total = in_features * out_features\n"
                      "    raise ValueError('cell two, line three')"),
    ])
    plan = single_exercise(public_plan, "dense-param-count")
    test = grade(from_notebook(writes(book)), plan, lang="en").exercises[0].tests[0]
    assert test.reason == "exception" and "(code cell 2, line 3)" in test.message, test.message

    source = ("def broken(:\n    pass\n\n"
              "def dense_param_count(in_features, out_features, bias=True):\n"
              "    raise KeyError('line five')\n")
    test = grade(from_python(source), plan, lang="en").exercises[0].tests[0]
    assert test.reason == "exception" and "(line 5)" in test.message, test.message


def test_a_notebook_cell_left_running_is_interrupted_and_the_cells_after_it_graded(public_plan):
    """A training or demo cell that runs past the load's time stops as Jupyter's
    'interrupt kernel' would stop it; the report names its cell and line."""
    import dataclasses

    from nbformat.v4 import new_code_cell, new_notebook, writes

    from grader.sandbox import open_sandbox
    from grader.submission import from_notebook

    book = new_notebook(cells=[
        new_code_cell("import numpy as np"),
        new_code_cell("losses = []\nwhile True:  # training\n    losses.append(np.random.rand())\n    losses = losses[-10:]"),
        new_code_cell("def dense_param_count(in_features, out_features, bias=True):\n"
                      "    return in_features * out_features + (out_features if bias else 0)"),
    ])
    plan = single_exercise(public_plan, "dense-param-count")
    limits = dataclasses.replace(limits_for(plan), load_seconds=0.5)
    with open_sandbox(limits) as sandbox:
        for lang, where in (("en", r"interrupted \(code cell 2, line [234]\)"), ("ko", r"중단했습니다 \(코드 셀 2, [234]번째 줄\)")):
            report = grade(from_notebook(writes(book)), plan, sandbox=sandbox, lang=lang)
            assert report.score == report.max_score > 0, [test.message for test in report.exercises[0].tests]
            assert any(re.search(where, problem) for problem in report.problems), report.problems


def test_reloading_after_crashes_counts_against_the_exercise_budget(full_plan):
    """A slow import plus a crash in every case would reload the module once per
    case; each reload is charged to the exercise, so its budget still bounds it."""
    source = ("import os, time\n"
              "time.sleep(0.4)\n"
              "def dense_param_count(in_features, out_features, bias=True):\n"
              "    os._exit(3)\n")
    plan = single_exercise(full_plan, "dense-param-count", time_seconds=1.0, total_seconds=1.5)
    started = time.perf_counter()
    tests = grade(from_python(source), plan, lang="en").exercises[0].tests
    elapsed = time.perf_counter() - started
    reasons = [test.reason for test in tests]
    assert set(reasons) == {"crashed", "not_run"}, reasons
    assert all("budget" in test.message for test in tests if test.reason == "not_run")
    crashed = reasons.count("crashed")
    assert 2 <= crashed <= 6, reasons  # ~1.5 s of budget at ~0.4 s per reload
    assert elapsed < 0.4 * (crashed + 2) + 2, elapsed


def test_printed_lone_surrogates_keep_the_report_serializable(public_plan):
    source = ("def dense_param_count(in_features, out_features, bias=True):\n"
              "    print('\\udcff broken \\ud800 text')\n"
              "    raise ValueError('\\udcff')\n")
    report = grade(from_python(source), single_exercise(public_plan, "dense-param-count"), lang="en")
    text = report.model_dump_json()  # raised PydanticSerializationError before
    assert "\\\\xdcff broken \\\\xd800 text" in text


def test_the_report_is_exactly_what_validating_it_again_gives(course, full_plan):
    """Results are built without validation (the grader's own values): they
    must be what validation would have made, floats included."""
    from grader.report import Report

    source = submission_source(course, {"im2col": None, "conv2d-forward": "kernel-flipped"}) + "\nraise KeyError(1)\n"
    report = grade(from_python(source), full_plan, lang="en")
    dumped = report.model_dump()
    assert Report.model_validate(dumped).model_dump() == dumped
    assert type(report.score) is float and all(
        type(test.score) is float and type(test.max_score) is float
        for exercise in report.exercises for test in exercise.tests)


def test_an_input_changed_by_numpy_in_place_routines_is_a_modified_input_not_a_crash(course, full_plan):
    """Sorting an input, or np.add.at on it (which numpy lets past a read-only
    flag), changes it as it would outside the grader: the verdict says so."""
    reference = isolated(course.reference_path("maxpool2d-forward").read_text(), "maxpool2d_forward")
    for mutation in ("x.sort(axis=-1)", "np.add.at(x.reshape(-1), [0, 0], 0.5)"):
        source = (f"import numpy as np\n{reference}\n\n_original = maxpool2d_forward\n\n\n"
                  "def maxpool2d_forward(x, pool_h, pool_w, stride):\n"
                  f"    answer = _original(x, pool_h, pool_w, stride)\n    {mutation}\n    return answer\n")
        exercise = grade(from_python(source), single_exercise(full_plan, "maxpool2d-forward"), lang="en").exercises[0]
        reasons = {test.reason for test in exercise.tests}
        assert "modified_input" in reasons and reasons <= {"modified_input", "passed"}, (mutation, reasons)


def test_a_case_the_judge_cannot_judge_fails_alone_and_the_report_is_made(course, public_plan, monkeypatch):
    """Whatever odd value reaches a bug in judging, the grader does not lose the report."""
    from grader import engine

    real = engine.judge

    def fragile(planned, outcome, context):
        if outcome.kind == "returned" and context.exercise.id == "im2col":
            raise SyntaxError("numpy could not parse a name")
        return real(planned, outcome, context)

    monkeypatch.setattr(engine, "judge", fragile)
    report = grade(from_python(submission_source(course)), public_plan, lang="en", visibility="public")
    exercises = _by_id(report)
    assert {test.reason for test in exercises["im2col"].tests} == {"protocol_error"}
    assert all(test.status != "passed" for test in exercises["im2col"].tests)
    assert report.score == report.max_score - exercises["im2col"].max_score


def test_large_public_answers_are_not_all_held_until_the_hidden_phase(course, public_plan):
    """Public outcomes are judged while the hidden cases run; an outcome holding
    much data is judged at once instead (its reply's buffer is freed)."""
    import tracemalloc

    source = "import numpy as np\n\n" + "".join(
        f"def {exercise.function}(*args, **kwargs):\n    return np.ones(1 << 19)\n\n\n" for exercise in public_plan.exercises)
    count = sum(len(exercise.cases) for exercise in public_plan.exercises)
    tracemalloc.start()
    try:
        report = grade(from_python(source), public_plan, lang="en", visibility="public")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.score == 0 and count * 4 > 60  # 4 MiB answers: over 60 MiB if all were held
    assert peak < 30 * 2**20, f"{peak / 2**20:.0f} MiB held at once"


def test_a_leftover_debug_print_of_whole_arrays_does_not_fail_a_correct_function(course, full_plan):
    """Printing dx in full (summarisation off) on every call prints about a MiB
    on the largest hidden case: far from a flood, so it costs nothing."""
    source = "import numpy as np\nnp.set_printoptions(threshold=10**9)\n" + submission_source(
        course, {"maxpool2d-backward": None}) + "\n\n" + isolated(
        course.reference_path("maxpool2d-backward").read_text().replace(
            "    return dx", "    print('maxpool backward dx:', dx)  # 디버깅\n    return dx"), "maxpool2d_backward")
    assert "print('maxpool backward dx:'" in source
    report = grade(from_python(source), single_exercise(full_plan, "maxpool2d-backward"), lang="en")
    assert report.score == report.max_score, [test.message for test in report.exercises[0].tests if test.status != "passed"]


def test_a_report_lists_a_bounded_number_of_syntax_errors(public_plan):
    from grader.engine import MAX_LISTED_PER_KIND

    source = "".join(f"def broken_{number}(:\n    pass\n\n" for number in range(MAX_LISTED_PER_KIND + 30))
    report = grade(from_python(source), public_plan, lang="en", visibility="public")
    assert len(report.problems) == MAX_LISTED_PER_KIND + 1 and report.problems[-1] == "30 more syntax errors."
    newer = 'def conv_output_size(input_size, filter_size, stride=1, pad=0):\n    return f"{"x"}"\n'
    report = grade(from_python(newer), public_plan, lang="en", visibility="public")
    assert report.problems[-1].startswith("Grading runs Python 3."), "3.12's f-strings are the usual surprise"


def test_a_report_lists_a_bounded_number_of_cells_not_run_and_empty_cells_cost_nothing(course, public_plan):
    """(A notebook of 150,000 %%magic cells made a 12 MB report, one line per cell.)"""
    from nbformat.v4 import new_code_cell, new_notebook, writes

    from grader.engine import MAX_LISTED_PER_KIND
    from grader.submission import from_notebook

    cells = [new_code_cell(submission_source(course))] + [new_code_cell("%%bash") for _ in range(MAX_LISTED_PER_KIND + 30)]
    cells += [new_code_cell("") for _ in range(1000)]
    submission = from_notebook(writes(new_notebook(cells=cells)))
    assert len(submission.units) == 1, "empty cells and skipped ones make no unit to run"
    report = grade(submission, public_plan, lang="en", visibility="public")
    assert report.score == report.max_score
    assert len(report.problems) == MAX_LISTED_PER_KIND + 1 and report.problems[-1] == "30 more code cells were not run."


def test_a_function_defined_inside_another_is_told_to_move_to_the_top_level(course, public_plan):
    source = submission_source(course, {"im2col": None}) + (
        "\n\ndef helpers():\n    def im2col(x, filter_h, filter_w, stride=1, pad=0):\n        return x\n    return im2col\n")
    exercise = _by_id(grade(from_python(source), public_plan, lang="en", visibility="public"))["im2col"]
    assert exercise.status == "missing"
    assert exercise.tests[0].message == ("function im2col() not found — im2col is defined inside another function or "
                                         f"class (line {source.count(chr(10)) - 2}): define it at the top level of "
                                         "the file (not indented).")


NOTEBOOK_HABITS = '''import matplotlib.pyplot as plt, numpy as np
from tqdm.auto import tqdm, trange
from IPython.display import display, clear_output
import seaborn as sns

fig, ax = plt.subplots(figsize=(4, 4))
ax.imshow(np.eye(3), cmap="gray")
for axis in ax.flat:
    axis.set_title("check")
fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(9, 3))
ax3.plot([1, 2])
fig, axes = plt.subplots(2, 2)
axes[0, 1].imshow(np.eye(2))
for axis in axes.ravel():
    axis.axis("off")
plt.show()
display(np.eye(2))
get_ipython().run_line_magic("matplotlib", "inline")

'''


@pytest.mark.parametrize("backend", ["process", "bwrap"])
def test_leftover_plots_progress_bars_and_displays_cost_nothing(backend, course, public_plan):
    """matplotlib, tqdm, IPython.display and Jupyter's own names are do-nothing
    stand-ins on every backend: a notebook that plots its results is no less correct."""
    from grader.sandbox import BwrapSandbox, ProcessSandbox, unavailable_reason

    if backend == "bwrap" and unavailable_reason():
        pytest.skip(unavailable_reason())
    source = NOTEBOOK_HABITS + submission_source(course, {"dense-param-count": None}) + (
        "\n\ndef dense_param_count(in_features, out_features, bias=True):\n"
        "    total = 0\n    for _ in tqdm(range(in_features), desc='counting'):\n        total += out_features\n"
        "    for _ in trange(1):\n        display(total)\n"
        "    return total + (out_features if bias else 0)\n")
    with (ProcessSandbox() if backend == "process" else BwrapSandbox(spare=False)) as sandbox:
        report = grade(from_python(source), public_plan, sandbox=sandbox, lang="en", visibility="public")
        assert report.score == report.max_score and report.problems == [], report.problems
        # Nothing in them computes: an answer taken from one is not a number.
        needs_a_value = "import matplotlib.pyplot as plt\n\ndef conv_param_count(*args, **kwargs):\n    return plt.gca()\n"
        exercise = grade(from_python(needs_a_value), single_exercise(public_plan, "conv-param-count"),
                         sandbox=sandbox, lang="en", visibility="public").exercises[0]
        assert exercise.score == 0 and {test.reason for test in exercise.tests} <= {"wrong_type", "missing_exception"}


@pytest.mark.parametrize("backend", ["process", "bwrap"])
def test_code_written_for_numpy_1_keeps_its_removed_aliases(backend, course, public_plan):
    """np.product, np.NINF, np.float_... (removed in NumPy 2.0, where they were
    only aliases) mean what they meant: such code is no less correct."""
    from grader.sandbox import BwrapSandbox, ProcessSandbox, unavailable_reason

    if backend == "bwrap" and unavailable_reason():
        pytest.skip(unavailable_reason())
    source = "import numpy as np\n" + submission_source(course) + (
        "\n\n_checked = dense_param_count\n\n"
        "def dense_param_count(in_features, out_features, bias=True):\n"
        "    _checked(in_features, out_features, bias)  # (the reference's ValueErrors)\n"
        "    best = np.NINF\n    best = max(best, np.float_(np.product([in_features, out_features])))\n"
        "    assert np.isnan(np.NaN) and np.Inf == np.infty == -np.NINF and np.alltrue([1]) and np.math.pi\n"
        "    assert np.cumproduct([2, 3])[-1] == 6 and np.round_(2.5) == 2.0 and np.asfarray([1]).dtype == np.float64\n"
        "    return int(best) + (out_features if bias else 0)\n")
    with (ProcessSandbox() if backend == "process" else BwrapSandbox(spare=False)) as sandbox:
        report = grade(from_python(source), public_plan, sandbox=sandbox, lang="en", visibility="public")
    assert report.score == report.max_score, [test.message for exercise in report.exercises
                                               for test in exercise.tests if test.status != "passed"]


def test_raising_the_wrong_exception_gets_the_hint_for_raising_none(public_plan):
    source = ("def conv_output_size(input_size, filter_size, stride=1, pad=0):\n"
              "    span = input_size + 2 * pad - filter_size\n"
              "    if span % stride:\n        raise ArithmeticError('not divisible')\n"
              "    return span // stride + 1\n")
    tests = grade(from_python(source), single_exercise(public_plan, "conv-output-size"), lang="en").exercises[0].tests
    (wrong,) = [test for test in tests if test.reason == "wrong_exception"]
    assert "Raise ValueError when (H + 2P - FH) is not divisible by S" in wrong.message, wrong.message


def test_a_notebook_that_ran_a_fixed_definition_last_is_told_which_one_is_graded(course, public_plan):
    """Cells run top to bottom when graded: an old attempt in a later cell wins
    over the fix above it that the student ran last. The report says so."""
    from nbformat.v4 import new_code_cell, new_notebook, writes

    from grader.reader import read_untrusted_bytes

    fixed = new_code_cell("def dense_param_count(in_features, out_features, bias=True):\n"
                          "    return in_features * out_features + (out_features if bias else 0)", execution_count=12)
    old = new_code_cell("def dense_param_count(in_features, out_features, bias=True):\n"
                        "    return in_features * out_features", execution_count=5)
    plan = single_exercise(public_plan, "dense-param-count")
    report = grade(read_untrusted_bytes(writes(new_notebook(cells=[fixed, old])).encode(), "hw.ipynb"), plan, lang="en")
    assert report.score < report.max_score
    assert any("defined in code cells 1, 2" in problem and "cell 2 is the one graded" in problem
               and "ran cell 1 last" in problem for problem in report.problems), report.problems
    in_order = [new_code_cell(old.source, execution_count=1), new_code_cell(fixed.source, execution_count=2)]
    report = grade(read_untrusted_bytes(writes(new_notebook(cells=in_order)).encode(), "hw.ipynb"), plan, lang="en")
    assert report.score == report.max_score and report.problems == []


@pytest.mark.parametrize("backend", ["process", "bwrap"])
def test_multiprocessing_fails_alike_on_every_backend_and_says_why(backend, public_plan):
    """The isolated sandbox allows no pipes or sockets (their inode numbers count
    host-wide); a student's own `grader check` fails the same way, and is told why."""
    from grader.sandbox import BwrapSandbox, ProcessSandbox, unavailable_reason

    if backend == "bwrap" and unavailable_reason():
        pytest.skip(unavailable_reason())
    source = ("import multiprocessing\n\ndef _count(pair):\n    return pair[0] * pair[1]\n\n"
              "def dense_param_count(in_features, out_features, bias=True):\n"
              "    with multiprocessing.Pool(2) as pool:\n"
              "        return pool.map(_count, [(in_features, out_features)])[0] + (out_features if bias else 0)\n")
    with (ProcessSandbox() if backend == "process" else BwrapSandbox(spare=False)) as sandbox:
        tests = grade(from_python(source), single_exercise(public_plan, "dense-param-count"), sandbox=sandbox,
                      lang="en", visibility="public").exercises[0].tests
    assert all(test.reason == "exception" and "PermissionError" in test.message and "multiprocessing" in test.message
               for test in tests if test.visibility == "public"), [test.message for test in tests]


def test_a_busy_machine_does_not_use_up_a_correct_submissions_exercise_budget(full_plan):
    """An exercise's total_seconds run on the wall clock: the time its child
    waited for a CPU is taken off once it is past them (up to 3x), as for a
    case's own limit."""
    import subprocess
    import sys

    source = ("import time\n\ndef dense_param_count(in_features, out_features, bias=True):\n"
              "    start = time.process_time()\n    while time.process_time() - start < 0.05:\n        pass\n"
              "    return in_features * out_features + (out_features if bias else 0)\n")
    plan = single_exercise(full_plan, "dense-param-count", time_seconds=2.0, total_seconds=1.5)
    assert len(plan.exercises[0].cases) * 0.05 < 1.0, "it fits its budget with room to spare, alone"
    hog = "import time\nend = time.time() + 15\nwhile time.time() < end:\n    pass\n"
    hogs = [subprocess.Popen([sys.executable, "-c", hog], start_new_session=True) for _ in range(6)]
    try:
        time.sleep(0.2)
        started = time.perf_counter()
        report = grade(from_python(source), plan, lang="en")
        assert time.perf_counter() - started > 1.5, "it did take longer than its budget on the wall clock"
        assert report.score == report.max_score, [test.message for test in report.exercises[0].tests
                                                  if test.status != "passed"]
    finally:
        for process in hogs:
            process.kill()
            process.wait()


def test_an_nbconvert_export_whose_functions_sit_in_a_time_cell_defines_them(public_plan):
    """`jupyter nbconvert --to script` turns a %%time cell into
    get_ipython().run_cell_magic('time', '', '<the cell>'): IPython runs the
    body, so the export defines the functions (it scored 0/135)."""
    body = ("import numpy as np\\n\\ndef dense_param_count(in_features, out_features, bias=True):\\n"
            "    if in_features < 1 or out_features < 1:\\n        raise ValueError\\n"
            "    return in_features * out_features + (out_features if bias else 0)\\n")
    source = (f"get_ipython().run_cell_magic('time', '', '{body}')\n"
              "get_ipython().run_line_magic('matplotlib', 'inline')\n"
              "get_ipython().run_cell_magic('writefile', 'notes.txt', 'not Python\\\\n')\n")
    report = grade(from_python(source), single_exercise(public_plan, "dense-param-count"), lang="en",
                   visibility="public")
    assert report.score == report.max_score and report.problems == [], report.problems
