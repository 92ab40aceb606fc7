"""Verdict wording that does not need a sandbox (judge.py's pure helpers)."""

from __future__ import annotations

from grader.judge import exception_message

REFUSED = "No module named 'scipy' (graded code may use only Python's standard library and numpy)"


def test_the_runtimes_refusal_of_a_package_is_worded_in_the_students_language():
    error = {"exc_type": "ModuleNotFoundError", "message": REFUSED}
    assert exception_message(error, "ko", 300).startswith("'scipy' 모듈은 채점 환경에 없습니다")
    assert exception_message(error, "en", 300).startswith("there is no module 'scipy' where code is graded")


def test_other_exception_messages_are_shown_as_raised_and_made_inert():
    assert exception_message({"exc_type": "ModuleNotFoundError", "message": "No module named 'mylib'"}, "en", 300) \
        == "No module named 'mylib'"
    # The same words from another exception type are the student's own text.
    assert exception_message({"exc_type": "ValueError", "message": REFUSED}, "en", 300) == REFUSED
    assert exception_message({"exc_type": "ValueError", "message": "\x1b[2Jboom"}, "en", 300) == "\\x1b[2Jboom"
    assert exception_message({"exc_type": "ValueError", "message": "x" * 50}, "en", 10) == "x" * 10 + "…"


def test_a_module_that_is_not_a_known_package_is_taken_for_the_students_own():
    own = {"exc_type": "ModuleNotFoundError",
           "message": "No module named 'cnn_utils' (graded code may use only Python's standard library and numpy)"}
    assert exception_message(own, "en", 300).startswith("there is no module 'cnn_utils': only the submitted file is graded")
    assert "직접 만든 모듈이라면" in exception_message(own, "ko", 300)


def test_a_name_that_exists_only_in_jupyter_is_explained():
    error = {"exc_type": "NameError", "message": "name 'display' is not defined"}
    assert exception_message(error, "en", 300) == ("name 'display' is not defined (display exists only inside "
                                                   "Jupyter: remove it, or use print.)")
    other = {"exc_type": "NameError", "message": "name 'np' is not defined"}
    assert exception_message(other, "en", 300) == "name 'np' is not defined"


def test_the_commonest_wrong_types_say_how_to_fix_them():
    from grader.checks import Finding
    from grader.judge import finding_message

    zero_d = Finding("wrong_type", "", {"got_type": "ndarray", "expected_type": "int"})
    objects = Finding("wrong_type", "", {"got_type": "numpy.ndarray of dtype object", "expected_type": "ndarray"})
    complex_ = Finding("wrong_dtype", "", {"got_dtype": "complex128", "expected_dtype": "float64"})
    plain = Finding("wrong_type", "", {"got_type": "str", "expected_type": "int"})
    for public in (True, False):
        assert finding_message(zero_d, public, "en").endswith("return int(...) of it.")
        assert ".astype(float)" in finding_message(objects, public, "en")
        assert ".real" in finding_message(complex_, public, "en") and ".real" in finding_message(complex_, public, "ko")
        assert "int(...)" not in finding_message(plain, public, "en")
