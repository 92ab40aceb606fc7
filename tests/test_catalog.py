"""Unit tests for spec loading, expressions, case generation and the real course."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader.catalog import Course, SpecError
from grader.catalog.cases import CaseGenerationError, generate_cases, same_inputs
from grader.catalog.course import read_spec
from grader.catalog.expressions import ExpressionError, check_expression, evaluate, names_in
from grader.catalog.models import AssignmentSpec, ExerciseSpec, RandomSpec

ROOT = Path(__file__).resolve().parents[1]
BOTH = frozenset({"public", "hidden"})

HEADER = """\
id = "tiny"
title = { ko = "작은 문제", en = "Tiny" }
function = "add"
signature = "add(a, b)"
points = 12
statement = { ko = "statement.ko.md", en = "statement.en.md" }
"""

PUBLIC_GROUP = """
[[groups]]
name = "basic"
visibility = "public"

[[groups.cases]]
name = "one-plus-two"
args = [1, 2]
"""


def write(tmp_path: Path, text: str, name: str = "exercise.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> ExerciseSpec:
    return read_spec(write(tmp_path, text), ExerciseSpec)


def spec_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        read_spec(path, ExerciseSpec)
    message = str(info.value)
    assert str(path) in message
    return message


# ------------------------------------------------------------- spec loading


def test_minimal_spec_loads(tmp_path):
    spec = load(tmp_path, HEADER + PUBLIC_GROUP)
    assert spec.id == "tiny"
    assert spec.function == "add"
    assert spec.points == 12
    assert spec.title.get("en") == "Tiny"
    assert spec.groups[0].cases[0].args == [1, 2]
    assert spec.check.compare == "close"


def test_missing_function_names_the_field(tmp_path):
    text = HEADER.replace('function = "add"\n', "") + PUBLIC_GROUP
    message = spec_error(tmp_path, text)
    assert "function" in message
    assert "Field required" in message


def test_bad_visibility_names_the_field(tmp_path):
    text = HEADER + PUBLIC_GROUP + '\n[[groups]]\nname = "secret"\nvisibility = "private"\n' \
        '[[groups.cases]]\nname = "c"\nargs = [1, 1]\n'
    message = spec_error(tmp_path, text)
    assert "groups.1.visibility" in message


def test_group_without_cases_is_rejected(tmp_path):
    text = HEADER + PUBLIC_GROUP + '\n[[groups]]\nname = "empty"\nvisibility = "hidden"\n'
    message = spec_error(tmp_path, text)
    assert "groups.1" in message
    assert "no cases" in message


def test_arg_table_with_both_random_and_array_is_rejected(tmp_path):
    text = HEADER + """
[[groups]]
name = "basic"
visibility = "public"

[[groups.cases]]
name = "both"
args = [{ random = "normal", array = [1, 2], shape = [2] }, 1]
"""
    message = spec_error(tmp_path, text)
    assert "groups.0.cases.0.args" in message
    assert "exactly one of" in message


@pytest.mark.parametrize("expression", ["__import__('os')", "H * 1.5", "H ** 2", "x.y", "[H]", "H / 2"])
def test_forbidden_expression_in_shape_is_rejected(tmp_path, expression):
    text = HEADER + f"""
[[groups]]
name = "basic"
visibility = "public"

[[groups.cases]]
name = "bad-shape"
args = [{{ random = "normal", shape = [2, "{expression}"] }}]
"""
    message = spec_error(tmp_path, text)
    assert "groups.0.cases.0.args" in message


def test_forbidden_expression_in_where_is_rejected(tmp_path):
    text = HEADER + PUBLIC_GROUP + """
[[groups.generate]]
name = "gen"
count = 2
seed = 1
draw = { H = [1, 5] }
where = ["__import__('os').system('true')"]
args = [{ expr = "H" }, 1]
"""
    message = spec_error(tmp_path, text)
    assert "groups.0.generate.0.where" in message
    assert "not allowed" in message


def test_invalid_toml_names_the_file(tmp_path):
    message = spec_error(tmp_path, HEADER + "points = = 3\n")
    assert "invalid TOML" in message


def test_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match="file not found"):
        read_spec(tmp_path / "nope.toml", ExerciseSpec)


def test_unknown_top_level_key_is_rejected(tmp_path):
    message = spec_error(tmp_path, HEADER + "colour = 'red'\n" + PUBLIC_GROUP)
    assert "colour" in message


def test_signature_must_start_with_the_function(tmp_path):
    message = spec_error(tmp_path, HEADER.replace('signature = "add(a, b)"', 'signature = "plus(a, b)"') + PUBLIC_GROUP)
    assert "signature must start with 'add('" in message


def test_spec_needs_a_public_group(tmp_path):
    message = spec_error(tmp_path, HEADER + PUBLIC_GROUP.replace('"public"', '"hidden"'))
    assert "at least one group must be public" in message


def test_every_problem_is_listed_with_its_field(tmp_path):
    text = HEADER.replace('function = "add"\n', "").replace("points = 12", "points = -1") + PUBLIC_GROUP
    lines = spec_error(tmp_path, text).splitlines()
    assert any(": function:" in line for line in lines)
    assert any(": points:" in line for line in lines)


def test_random_spec_rejects_negative_shape():
    with pytest.raises(ValueError):
        RandomSpec(random="normal", shape=[2, -1])


# ------------------------------------------------------------ course folders


def make_course(root: Path, spec_text: str, exercise_id: str = "tiny") -> Course:
    folder = root / "exercises" / exercise_id
    folder.mkdir(parents=True)
    (folder / "exercise.toml").write_text(spec_text, encoding="utf-8")
    (root / "exercises" / "assignments").mkdir()
    return Course(root)


def test_assignment_with_unknown_exercise_is_rejected(tmp_path):
    course = make_course(tmp_path, HEADER + PUBLIC_GROUP)
    (tmp_path / "exercises" / "assignments" / "week1.toml").write_text(
        'id = "week1"\ntitle = { ko = "1주", en = "Week 1" }\n\n'
        '[[exercises]]\nid = "tiny"\n\n[[exercises]]\nid = "no-such-exercise"\n', encoding="utf-8")
    with pytest.raises(SpecError) as info:
        course.assignment("week1")
    assert "week1.toml" in str(info.value)
    assert "no-such-exercise" in str(info.value)


def test_assignment_listing_an_exercise_twice_is_rejected(tmp_path):
    path = write(tmp_path, 'id = "w"\ntitle = { ko = "w", en = "w" }\n[[exercises]]\nid = "a"\n[[exercises]]\nid = "a"\n')
    with pytest.raises(SpecError, match="listed twice"):
        read_spec(path, AssignmentSpec)


def test_unknown_exercise_id_lists_the_known_ones(tmp_path):
    course = make_course(tmp_path, HEADER + PUBLIC_GROUP)
    with pytest.raises(SpecError, match="unknown exercise 'other'.*tiny"):
        course.exercise("other")


def test_spec_id_must_match_its_folder(tmp_path):
    course = make_course(tmp_path, HEADER + PUBLIC_GROUP, exercise_id="renamed")
    with pytest.raises(SpecError, match="does not match its folder"):
        course.exercise("renamed")


def test_exercise_plan_needs_a_reference_solution(tmp_path):
    course = make_course(tmp_path, HEADER + PUBLIC_GROUP)
    with pytest.raises(SpecError, match="reference solution"):
        course.exercise_plan("tiny", BOTH)


def test_exercise_plan_computes_expected_answers_from_the_reference(tmp_path):
    course = make_course(tmp_path, HEADER + PUBLIC_GROUP)
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "tiny.py").write_text("def add(a, b):\n    return a + b\n", encoding="utf-8")
    plan = course.exercise_plan("tiny", BOTH, weight=0.5)
    assert [item.expected.value for item in plan.cases] == [3]
    assert plan.points == 6
    assert plan.cases[0].case.points == 6


# --------------------------------------------------------------- expressions


def test_evaluate_arithmetic_and_precedence():
    assert evaluate("(H + 2*P - FH) // S + 1", {"H": 7, "P": 0, "FH": 3, "S": 2}) == 3
    assert evaluate("-H % 4", {"H": 5}) == 3


def test_evaluate_comparisons_and_logic():
    assert evaluate("H >= FH and not S == 0", {"H": 3, "FH": 3, "S": 1}) is True
    assert evaluate("1 < H < 3", {"H": 3}) is False
    assert evaluate("H == 1 or H == 4", {"H": 4}) is True


def test_evaluate_unknown_variable_is_an_error():
    with pytest.raises(ExpressionError, match="unknown variable 'Q'"):
        evaluate("Q + 1", {"H": 1})


@pytest.mark.parametrize("expression", ["H // S", "H % S"])
def test_evaluate_division_by_zero_is_an_expression_error(expression):
    with pytest.raises(ExpressionError, match="division by zero"):
        evaluate(expression, {"H": 4, "S": 0})


@pytest.mark.parametrize(
    "expression, complaint",
    [
        ("__import__('os')", "Call is not allowed"),
        ("H.real", "Attribute is not allowed"),
        ("2.5 * H", "only integer constants"),
        ("'a'", "only integer constants"),
        ("True", "only integer constants"),
        ("H / 2", "Div is not allowed"),
        ("H ** 2", "Pow is not allowed"),
        ("H if S else 0", "IfExp is not allowed"),
        ("(H + ", "cannot parse"),
        ("H = 1", "cannot parse"),
    ],
)
def test_check_expression_rejects(expression, complaint):
    with pytest.raises(ExpressionError, match=complaint):
        check_expression(expression)


def test_expression_error_is_a_value_error():
    assert issubclass(ExpressionError, ValueError)


def test_names_in():
    assert names_in("(H + 2*P - FH) // S + 1") == {"H", "P", "FH", "S"}


# ---------------------------------------------------------- case generation


GENERATED = HEADER.replace('function = "add"', 'function = "conv"').replace('"add(a, b)"', '"conv(x, w)"') + """
[[groups]]
name = "explicit"
visibility = "public"
weight = 1

[[groups.cases]]
name = "fixed"
args = [{ random = "normal", shape = [2, 3] }, { array = [[1, 2], [3, 4]], dtype = "int64" }]

[[groups.cases]]
name = "fixed-again"
args = [{ random = "normal", shape = [2, 3] }, { array = [[1, 2], [3, 4]], dtype = "int64" }]

[[groups]]
name = "drawn"
visibility = "hidden"
weight = 3

[[groups.generate]]
name = "first"
count = 6
seed = 11
draw = { H = [1, 12], FH = [1, 5], S = [1, 3], P = [0, 2] }
where = ["H + 2*P >= FH", "(H + 2*P - FH) % S == 0"]
args = [{ random = "normal", shape = ["H", "H"] }, { expr = "(H + 2*P - FH) // S + 1" }]

[[groups.generate]]
name = "second"
count = 6
seed = 12
draw = { H = [1, 12], FH = [1, 5], S = [1, 3], P = [0, 2] }
where = ["H + 2*P >= FH", "(H + 2*P - FH) % S == 0"]
args = [{ random = "normal", shape = ["H", "H"] }, { expr = "(H + 2*P - FH) // S + 1" }]
"""


def _arrays(cases):
    return [case.args[0] for case in cases]


def test_generate_cases_is_deterministic(tmp_path):
    spec = load(tmp_path, GENERATED)
    first, second = generate_cases(spec), generate_cases(spec)
    assert [case.name for case in first] == [case.name for case in second]
    for a, b in zip(first, second):
        assert a.variables == b.variables
        assert np.array_equal(a.args[0], b.args[0])
        assert a.args[1] == b.args[1] if not isinstance(a.args[1], np.ndarray) else np.array_equal(a.args[1], b.args[1])


def test_generate_cases_is_deterministic_across_spec_loads(tmp_path):
    first = generate_cases(load(tmp_path, GENERATED))
    second = generate_cases(read_spec(write(tmp_path, GENERATED, "copy.toml"), ExerciseSpec))
    assert all(np.array_equal(a, b) for a, b in zip(_arrays(first), _arrays(second)))


def test_explicit_cases_with_the_same_spec_get_different_arrays(tmp_path):
    cases = {case.name: case for case in generate_cases(load(tmp_path, GENERATED))}
    assert cases["fixed"].args[0].shape == cases["fixed-again"].args[0].shape == (2, 3)
    assert not np.array_equal(cases["fixed"].args[0], cases["fixed-again"].args[0])
    assert np.array_equal(cases["fixed"].args[1], np.array([[1, 2], [3, 4]]))
    assert cases["fixed"].args[1].dtype == np.int64


def test_different_generator_seeds_give_different_cases(tmp_path):
    cases = generate_cases(load(tmp_path, GENERATED))
    first = [case for case in cases if case.name.startswith("first-")]
    second = [case for case in cases if case.name.startswith("second-")]
    assert len(first) == len(second) == 6
    assert [c.variables for c in first] != [c.variables for c in second]
    assert not all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(_arrays(first), _arrays(second)))


def test_changing_a_seed_changes_the_drawn_arrays(tmp_path):
    base = generate_cases(load(tmp_path, GENERATED))
    reseeded = generate_cases(load(tmp_path, GENERATED.replace("seed = 11", "seed = 99")))
    old = [case.args[0] for case in base if case.name.startswith("first-")]
    new = [case.args[0] for case in reseeded if case.name.startswith("first-")]
    assert not all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(old, new))


def test_generated_cases_respect_where_and_shapes(tmp_path):
    cases = [case for case in generate_cases(load(tmp_path, GENERATED)) if case.group == "drawn"]
    assert len(cases) == 12
    for case in cases:
        v = case.variables
        assert set(v) == {"H", "FH", "S", "P"}
        assert 1 <= v["H"] <= 12 and 1 <= v["FH"] <= 5 and 1 <= v["S"] <= 3 and 0 <= v["P"] <= 2
        assert v["H"] + 2 * v["P"] >= v["FH"]
        assert (v["H"] + 2 * v["P"] - v["FH"]) % v["S"] == 0
        assert case.args[0].shape == (v["H"], v["H"])
        assert case.args[1] == (v["H"] + 2 * v["P"] - v["FH"]) // v["S"] + 1
        assert type(case.args[1]) is int


def test_generated_draws_are_distinct(tmp_path):
    cases = [case for case in generate_cases(load(tmp_path, GENERATED)) if case.name.startswith("first-")]
    keys = [tuple(sorted(case.variables.items())) for case in cases]
    assert len(set(keys)) == len(keys)


def test_real_course_generators_respect_where():
    course = Course(ROOT)
    checked = 0
    for exercise_id in course.exercise_ids:
        spec = course.exercise(exercise_id)
        generators = {f"{g.name}-": g for group in spec.groups for g in group.generate}
        for case in generate_cases(spec):
            for prefix, generator in generators.items():
                if case.name.startswith(prefix) and case.name[len(prefix):].isdigit():
                    assert all(evaluate(condition, case.variables) for condition in generator.where), case.name
                    checked += 1
    assert checked > 0


def test_unsatisfiable_where_raises_case_generation_error(tmp_path):
    text = HEADER + PUBLIC_GROUP + """
[[groups.generate]]
name = "impossible"
count = 3
seed = 5
draw = { H = [1, 4] }
where = ["H > 10"]
args = [{ expr = "H" }, 1]
"""
    with pytest.raises(CaseGenerationError, match="'impossible' found only 0 of 3"):
        generate_cases(load(tmp_path, text))


def test_too_few_distinct_draws_raises_case_generation_error(tmp_path):
    text = HEADER + PUBLIC_GROUP + """
[[groups.generate]]
name = "small-range"
count = 5
seed = 5
draw = { H = [1, 3] }
args = [{ expr = "H" }, 1]
"""
    with pytest.raises(CaseGenerationError, match="found only 3 of 5"):
        generate_cases(load(tmp_path, text))


def test_draw_from_a_list_of_choices(tmp_path):
    text = HEADER + PUBLIC_GROUP + """
[[groups.generate]]
name = "choices"
count = 3
seed = 5
draw = { K = [1, 3, 5] }
args = [{ expr = "K" }, 1]
"""
    cases = [case for case in generate_cases(load(tmp_path, text)) if case.name.startswith("choices-")]
    assert sorted(case.variables["K"] for case in cases) == [1, 3, 5]


def test_negative_computed_shape_raises_case_generation_error(tmp_path):
    text = HEADER + """
[[groups]]
name = "basic"
visibility = "public"

[[groups.generate]]
name = "neg"
count = 1
seed = 5
draw = { H = [1, 2] }
args = [{ random = "normal", shape = ["H - 5"] }]
"""
    with pytest.raises(CaseGenerationError, match="negative array size"):
        generate_cases(load(tmp_path, text))


def test_case_points_sum_to_exercise_points_split_by_group_weight(tmp_path):
    cases = generate_cases(load(tmp_path, GENERATED))
    assert sum(case.points for case in cases) == pytest.approx(12)
    by_group = {}
    for case in cases:
        by_group[case.group] = by_group.get(case.group, 0.0) + case.points
    assert by_group == pytest.approx({"explicit": 3.0, "drawn": 9.0})
    explicit = [case.points for case in cases if case.group == "explicit"]
    assert explicit == pytest.approx([1.5, 1.5])


def test_case_check_falls_back_to_the_exercise_check(tmp_path):
    text = HEADER + '\n[check]\ncompare = "exact"\n' + PUBLIC_GROUP + """
[[groups.cases]]
name = "own-check"
args = [1, 1]
check = { rtol = 0.5 }
"""
    cases = {case.name: case for case in generate_cases(load(tmp_path, text))}
    assert cases["one-plus-two"].check.compare == "exact"
    assert cases["own-check"].check.compare == "close"
    assert cases["own-check"].check.rtol == 0.5


def test_duplicate_case_names_across_groups_are_rejected(tmp_path):
    text = HEADER + PUBLIC_GROUP + PUBLIC_GROUP.replace('name = "basic"', 'name = "other"')
    with pytest.raises(CaseGenerationError, match="duplicate case names: one-plus-two"):
        generate_cases(load(tmp_path, text))


# --------------------------------------------------------------- same_inputs


def test_same_inputs(tmp_path):
    text = HEADER + """
[[groups]]
name = "basic"
visibility = "public"

[[groups.cases]]
name = "a"
args = [{ array = [1.0, 2.0] }, 3]
kwargs = { stride = 1 }

[[groups.cases]]
name = "b"
args = [{ array = [1.0, 2.0] }, 3]
kwargs = { stride = 1 }

[[groups.cases]]
name = "other-kwarg"
args = [{ array = [1.0, 2.0] }, 3]
kwargs = { stride = 2 }

[[groups.cases]]
name = "other-dtype"
args = [{ array = [1.0, 2.0], dtype = "float32" }, 3]
kwargs = { stride = 1 }

[[groups.cases]]
name = "float-not-int"
args = [{ array = [1.0, 2.0] }, 3.0]
kwargs = { stride = 1 }

[[groups.cases]]
name = "no-kwargs"
args = [{ array = [1.0, 2.0] }, 3]

[[groups.cases]]
name = "random"
args = [{ random = "normal", shape = [2] }, 3]
kwargs = { stride = 1 }
"""
    cases = {case.name: case for case in generate_cases(load(tmp_path, text))}
    assert same_inputs(cases["a"], cases["b"])
    for other in ["other-kwarg", "other-dtype", "float-not-int", "no-kwargs", "random"]:
        assert not same_inputs(cases["a"], cases[other]), other


# --------------------------------------------------------------- real course


@pytest.fixture(scope="module")
def real_course() -> Course:
    return Course(ROOT)


@pytest.fixture(scope="module")
def real_plans(real_course):
    return {exercise_id: real_course.exercise_plan(exercise_id, BOTH) for exercise_id in real_course.exercise_ids}


def test_real_course_has_exercises(real_course):
    assert "conv2d-backward" in real_course.exercise_ids
    assert len(real_course.exercise_ids) >= 5


def test_real_course_every_exercise_plans(real_course, real_plans):
    for exercise_id, plan in real_plans.items():
        spec = real_course.exercise(exercise_id)
        assert plan.cases, exercise_id
        assert {item.case.visibility for item in plan.cases} == {"public", "hidden"}
        assert sum(item.case.points for item in plan.cases) == pytest.approx(spec.points), exercise_id


def test_real_course_cases_that_should_raise_have_expected_raised(real_plans):
    raising = 0
    for plan in real_plans.values():
        for item in plan.cases:
            if item.case.raises:
                raising += 1
                assert item.expected.raised == item.case.raises, item.case.name
            else:
                assert item.expected.raised is None, (plan.id, item.case.name, item.expected.raised)
    assert raising > 0


def test_real_course_public_plan_is_a_subset(real_course, real_plans):
    public = real_course.exercise_plan("conv2d-backward", frozenset({"public"}))
    names = [item.case.name for item in public.cases]
    assert names and all(item.case.visibility == "public" for item in public.cases)
    assert set(names) < {item.case.name for item in real_plans["conv2d-backward"].cases}


def test_real_assignment_loads(real_course):
    for assignment_id in real_course.assignment_ids:
        spec = real_course.assignment(assignment_id)
        assert all(entry.id in real_course.exercise_ids for entry in spec.exercises)
