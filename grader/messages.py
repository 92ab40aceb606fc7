"""Student-facing wording, in Korean and English.

Templates are filled from a finding's facts (safe for hidden cases) and, for
public cases only, its values. Student-provided text is never a template.
"""

from __future__ import annotations

from typing import Any

Template = dict[str, str]

MESSAGES: dict[str, Template] = {
    "passed": {"ko": "통과", "en": "passed"},
    "int_as_float": {
        "ko": "{where}{got_type} 값을 반환했지만 int가 필요합니다 (예: 3.0 대신 3). 나눗셈은 // 로 하거나 int()로 바꾸세요.",
        "en": "{where}returned a value of type {got_type} but an int is expected (3, not 3.0). Use // or convert with int().",
    },
    "wrong_type": {
        "ko": "{where}반환 타입이 {got_type}이지만 {expected_type}이(가) 필요합니다.",
        "en": "{where}returned a value of type {got_type}; expected type: {expected_type}.",
    },
    "list_not_array": {
        "ko": "{where}{got_type}을(를) 반환했지만 numpy ndarray가 필요합니다. np.array(...)로 감싸세요.",
        "en": "{where}returned a value of type {got_type}; a numpy ndarray is expected: wrap it with np.array(...).",
    },
    "array_in_sequence": {
        "ko": "{where}배열이 든 {got_type}을(를) 반환했지만 배열 자체를 반환해야 합니다: (out, cache)가 아니라 out. "
              "`return out,`처럼 끝에 쉼표가 있으면 튜플이 됩니다.",
        "en": "{where}returned a value of type {got_type} holding an array, but the array itself is expected: out, "
              "not (out, cache). A trailing comma (`return out,`) makes a tuple.",
    },
    "not_a_tuple": {
        "ko": "{where}{got_type}을(를) 반환했지만 값 {expected_length}개의 튜플({expected_parts})이 필요합니다.",
        "en": "{where}returned a value of type {got_type}; expected a tuple of {expected_length} values ({expected_parts}).",
    },
    "too_imprecise": {
        "ko": "{where}{got_dtype} 배열은 이 값들을 나타내기에 정밀도가 부족합니다. float32나 float64로 계산해서 반환하세요.",
        "en": "{where}a {got_dtype} array is too imprecise for these values: compute and return float32 or float64.",
    },
    "wrong_order": {
        "ko": "{where}필요한 값이 모두 있지만 순서가 다릅니다: ({expected_order}) 순서로 반환하세요.",
        "en": "{where}all the right parts are there, in another order: return them as ({expected_order}).",
    },
    "wrong_length": {
        "ko": "{where}{got_length}개의 값을 반환했지만 {expected_length}개가 필요합니다.",
        "en": "{where}returned {got_length} values, expected {expected_length}.",
    },
    "wrong_shape": {
        "ko": "{where}출력 shape이 {got_shape}이지만 {expected_shape}이어야 합니다.",
        "en": "{where}output shape {got_shape}, expected {expected_shape}.",
    },
    "wrong_length_hidden": {
        "ko": "{where}반환한 값의 개수가 틀렸습니다.",
        "en": "{where}returned the wrong number of values.",
    },
    "wrong_shape_hidden": {
        "ko": "{where}출력 shape이 기대한 shape과 다릅니다. stride와 padding이 다른 입력에서도 출력 크기 계산이 맞는지 확인하세요.",
        "en": "{where}the output shape differs from the expected one; check the output-size arithmetic for other strides and paddings than the public tests use.",
    },
    "not_finite_hidden": {
        "ko": "{where}결과에 NaN 또는 inf가 있습니다.",
        "en": "{where}the result holds NaN or inf values.",
    },
    "wrong_values_hidden": {
        "ko": "{where}일부 값이 허용 오차를 벗어납니다.",
        "en": "{where}some values are outside the tolerance.",
    },
    "hidden_detail": {"ko": "숨은 테스트라 자세한 내용은 표시하지 않습니다", "en": "details are not shown for hidden tests"},
    "remedy_int": {"ko": " 값 하나라면 int(...)로 바꿔 반환하세요.", "en": " If it holds a single value, return int(...) of it."},
    "remedy_float": {"ko": " 값 하나라면 float(...)로 바꿔 반환하세요.", "en": " If it holds a single value, return float(...) of it."},
    "remedy_object_array": {
        "ko": " Python 객체를 담은 배열입니다: np.zeros(shape)처럼 숫자 dtype으로 만들거나 .astype(float)로 바꾸세요.",
        "en": " It is an array of Python objects: make it with a numeric dtype (np.zeros(shape)) or convert it with .astype(float).",
    },
    "remedy_complex": {
        "ko": " FFT 등으로 계산했다면 실수부(.real)를 반환하세요.",
        "en": " If it comes from an FFT or similar, return its real part (.real).",
    },
    "wrong_dtype": {
        "ko": "{where}dtype이 {got_dtype}이지만 {expected_dtype} 종류여야 합니다.",
        "en": "{where}dtype {got_dtype}, expected a {expected_dtype} kind of array.",
    },
    "not_finite": {
        "ko": "{where}결과 {size}개 중 {count}개가 NaN 또는 inf입니다.",
        "en": "{where}{count} of {size} values are NaN or inf.",
    },
    "wrong_value": {
        "ko": "{where}값이 틀렸습니다.",
        "en": "{where}wrong value.",
    },
    "wrong_values": {
        "ko": "{where}{size}개 중 {wrong_count}개의 값이 허용 오차를 벗어납니다.",
        "en": "{where}{wrong_count} of {size} values are outside the tolerance.",
    },
    "modified_input": {
        "ko": "입력 인자 {arguments}을(를) 함수 안에서 직접 바꾸었습니다. 입력은 그대로 두고 복사본(np.pad, .copy())으로 작업하세요.",
        "en": "your function changed its input {arguments} in place. Leave inputs untouched: work on a copy (np.pad, .copy()).",
    },
    "missing_exception": {
        "ko": "이 입력에서는 {exception}가 발생해야 하는데 값을 반환했습니다. 나누어떨어지지 않거나 잘못된 크기를 검사하세요.",
        "en": "this input should raise {exception}, but the function returned a value. Check for sizes that do not divide exactly or are invalid.",
    },
    "wrong_exception": {
        "ko": "{exception}가 발생해야 하는데 {exc_type}가 발생했습니다.",
        "en": "expected {exception}, but {exc_type} was raised.",
    },
    "exception": {
        "ko": "실행 중 예외 발생: {exc_type}{location}",
        "en": "raised {exc_type}{location}",
    },
    "not_implemented": {
        "ko": "아직 구현되지 않았습니다 (NotImplementedError).",
        "en": "not implemented yet (NotImplementedError).",
    },
    "exit": {
        "ko": "함수가 프로그램을 종료하려 했습니다 ({exc_type}{location}). sys.exit()/exit()를 쓰지 마세요.",
        "en": "the function tried to exit ({exc_type}{location}). Do not call sys.exit()/exit().",
    },
    "recursion": {
        "ko": "재귀 깊이 초과 (RecursionError{location}).",
        "en": "maximum recursion depth exceeded (RecursionError{location}).",
    },
    "memory": {
        "ko": "메모리 제한({memory_mb} MiB, Python과 numpy 자체가 쓰는 약 150 MiB 포함)을 넘었습니다{location}. "
              "큰 중간 배열(예: 모든 창을 한꺼번에 담는 배열)을 줄여 보세요.",
        "en": "exceeded the memory limit ({memory_mb} MiB, of which Python and numpy themselves take about 150)"
              "{location}. Try smaller intermediate arrays (such as one holding every window at once).",
    },
    "timeout": {
        "ko": "시간 제한({seconds}초)을 넘었습니다. 무한 루프이거나 너무 느린 구현입니다 (벡터화해 보세요).",
        "en": "exceeded the time limit ({seconds} s): an infinite loop, or too slow (try vectorizing).",
    },
    "not_run": {
        "ko": "이 문제의 전체 시간 예산({seconds}초)을 이미 써서 실행하지 않았습니다.",
        "en": "not run: this exercise's total time budget ({seconds} s) was already used up.",
    },
    "not_run_after_timeout": {
        "ko": "실행하지 않았습니다: 이 문제의 앞선 케이스가 시간 제한을 넘었습니다"
              "(무한 루프는 케이스마다가 아니라 한 번만 기다립니다).",
        "en": "not run: an earlier case of this exercise went past its time limit "
              "(an endless loop is waited for once, not once per case).",
    },
    "output_limit": {
        "ko": "출력이 너무 많습니다 ({detail}). 디버깅용 print를 지우세요.",
        "en": "too much printed output ({detail}): remove debugging prints.",
    },
    "release_readme": {
        "ko": "# {title}\n\n각 폴더에 문제 설명(statement.ko.md)과 시작 코드(starter.py)가 있습니다. "
              "모든 함수를 한 파일(.py 또는 .ipynb)에 작성한 뒤 공개 테스트로 스스로 확인하세요:\n\n"
              "```sh\ngrader check my_solutions.py -a {folder}\n```\n\n"
              "제출 코드는 파이썬 {python} 표준 라이브러리와 numpy {numpy}만 쓸 수 있습니다(scipy, torch 등은 채점 환경에 없습니다). "
              "채점에는 여기 없는 숨은 테스트도 쓰입니다.\n\n| 문제 | 함수 | 배점 |\n|---|---|---|\n{rows}\n",
        "en": "# {title}\n\nEach folder holds a statement (statement.en.md) and starter code (starter.py). "
              "Write every function in one file (.py or .ipynb), then check it against the public tests:\n\n"
              "```sh\ngrader check my_solutions.py -a {folder} --lang en\n```\n\n"
              "Submissions may use only Python {python}'s standard library and numpy {numpy} (scipy, torch and the "
              "like are not there where code is graded). Grading also uses hidden tests that are not in this release.\n\n"
              "| exercise | function | points |\n|---|---|---|\n{rows}\n",
    },
    "module_not_submitted": {
        "ko": "'{module}' 모듈이 없습니다: 채점에는 제출한 파일 하나만 쓰입니다. 직접 만든 모듈이라면 그 코드를 이 파일에 넣으세요",
        "en": "there is no module '{module}': only the submitted file is graded, so if it is a module of your own, "
              "put its code in this file",
    },
    "jupyter_only": {
        "ko": "({name}은(는) Jupyter 안에서만 있습니다. 채점할 때는 없으니 지우거나 print를 쓰세요.)",
        "en": "({name} exists only inside Jupyter: remove it, or use print.)",
    },
    "not_top_level": {
        "ko": " — {function}이(가) 다른 함수나 클래스 안에 정의되어 있습니다{location}. 파일의 최상위(들여쓰기 없이)에 정의하세요",
        "en": " — {function} is defined inside another function or class{location}: define it at the top level of the "
              "file (not indented)",
    },
    "module_not_available": {
        "ko": "'{module}' 모듈은 채점 환경에 없습니다: 제출 코드는 파이썬 표준 라이브러리와 numpy만 쓸 수 있습니다",
        "en": "there is no module '{module}' where code is graded: submissions may use only Python's standard library and numpy",
    },
    "crashed": {
        "ko": "실행 프로세스가 비정상 종료했습니다 ({detail}).",
        "en": "the process running your code stopped abnormally ({detail}).",
    },
    "load_timeout": {
        "ko": "파일을 불러오는 동안 시간 제한을 넘었습니다: 최상위 코드(함수 밖)에서 무한 루프나 오래 걸리는 실행을 빼세요.",
        "en": "loading the file exceeded the time limit: remove infinite loops or long runs from top-level code (outside functions).",
    },
    "reload_failed": {
        "ko": "실행 프로세스가 중단된 뒤 파일을 다시 불러오지 못했습니다 (처음에는 불러왔습니다). 남은 테스트는 실행하지 않았습니다.",
        "en": "after the process running your code stopped, the file could not be loaded again (it had loaded the first time); the remaining tests were not run.",
    },
    "load_interrupted": {
        "ko": "함수 밖의 최상위 코드가 시간 제한 안에 끝나지 않아 중단했습니다{where} (주피터의 '커널 중단'처럼). "
              "나머지 코드는 계속 불러와 채점했습니다. 제출 파일에서는 오래 걸리는 실행을 빼 주세요.",
        "en": "top-level code (outside functions) did not finish within the time limit and was interrupted{where} "
              "(as Jupyter's 'interrupt kernel' does); the rest of the file was still loaded and graded. Remove "
              "long-running code from the file you submit.",
    },
    "while_loading": {"ko": "파일을 불러오는 중: {detail}", "en": "while loading the file: {detail}"},
    "protocol_error": {
        "ko": "반환값을 읽을 수 없습니다 ({detail}).",
        "en": "the returned value could not be read back ({detail}).",
    },
    "missing_function": {
        "ko": "함수 {function}()을(를) 찾을 수 없습니다{because}.",
        "en": "function {function}() not found{because}.",
    },
    "file_too_large": {
        "ko": "{name} 파일이 {size:,}바이트입니다. 제출 파일은 {limit:,}바이트까지입니다.",
        "en": "{name} is {size:,} bytes; submissions are limited to {limit:,} bytes.",
    },
    "notebook_too_large": {
        "ko": "{name} 파일이 {size:,}바이트입니다(최대 {limit:,}바이트). 셀 출력을 모두 지운 뒤 저장해서 다시 제출하세요.",
        "en": "{name} is {size:,} bytes (at most {limit:,}): clear all the cells' outputs, save, and submit again.",
    },
    "notebook_code_too_large": {
        "ko": "{name}의 코드 셀이 모두 합쳐 {limit:,}바이트를 넘습니다.",
        "en": "the code cells of {name} hold more than {limit:,} bytes together.",
    },
    "read_limits": {
        "ko": "{name} 파일을 읽는 데 {seconds}초 또는 {memory_mb} MiB 넘게 필요했습니다. 노트북이라면 출력을 모두 지우고"
              "(커널 다시 시작 및 출력 지우기), 아니면 일반적인 코드로 다시 제출하세요.",
        "en": "reading {name} needed more than {seconds} s or {memory_mb} MiB: for a notebook, clear all outputs "
              "(Restart & Clear Output) and submit again; otherwise submit ordinary code.",
    },
    "not_text": {
        "ko": "{name} 파일이 {encoding} 텍스트가 아닙니다({byte}번째 바이트). UTF-8로 저장해서 다시 제출하세요.",
        "en": "{name} is not {encoding} text (byte {byte}): save it as UTF-8 and submit again.",
    },
    "not_notebook": {
        "ko": "{name}은(는) 읽을 수 있는 Jupyter 노트북이 아닙니다: {detail}",
        "en": "{name} is not a readable Jupyter notebook: {detail}",
    },
    "unreadable": {
        "ko": "제출 파일을 읽을 수 없어 채점하지 못했습니다: {problem}",
        "en": "the submission could not be read, so nothing was graded: {problem}",
    },
    "got_expected": {"ko": " 반환값 {got}, 기대값 {expected}.", "en": " Got {got}, expected {expected}."},
    "got_expected_at": {
        "ko": " 처음 틀린 위치 {index}: 반환값 {got:.6g}, 기대값 {expected:.6g}.",
        "en": " First difference at {index}: got {got:.6g}, expected {expected:.6g}.",
    },
    "likely_mistake": {"ko": "흔한 실수와 같은 답입니다: {mistake}", "en": "This matches a known mistake: {mistake}"},
    "printed": {"ko": "함수가 출력한 내용: {output}", "en": "Your function printed: {output}"},
    "at_line": {"ko": " ({line}번째 줄)", "en": " (line {line})"},
    "at_cell_line": {"ko": " (코드 셀 {cell}, {line}번째 줄)", "en": " (code cell {cell}, line {line})"},
    "line": {"ko": "{line}번째 줄", "en": "line {line}"},
    "code_cell_line": {"ko": "코드 셀 {cell}, {line}번째 줄", "en": "code cell {cell}, line {line}"},
    "more_syntax_errors": {"ko": "문법 오류 {count}개가 더 있습니다.", "en": "{count} more syntax errors."},
    "more_cells_not_run": {"ko": "실행하지 않은 코드 셀이 {count}개 더 있습니다.", "en": "{count} more code cells were not run."},
    "cell_not_run": {
        "ko": "코드 셀 {cell}의 %%{magic} 셀은 채점할 때 실행되지 않습니다.",
        "en": "code cell {cell} (%%{magic}) is not run when grading.",
    },
    "cell_not_run_writefile": {
        "ko": "코드 셀 {cell}의 %%writefile 셀은 채점할 때 실행되지 않습니다(파일이 만들어지지 않습니다). "
              "그 코드는 노트북 안에 직접 정의하세요.",
        "en": "code cell {cell} (%%writefile) is not run when grading, so its file is never written: define the code it "
              "holds in the notebook itself.",
    },
    "syntax_error": {"ko": "문법 오류 ({where}): {message}", "en": "syntax error ({where}): {message}"},
    "not_permitted": {
        "ko": "(채점 환경에서는 파이프, 소켓, 네트워크와 이를 쓰는 multiprocessing, subprocess를 쓸 수 없습니다: "
              "numpy로 계산하세요.)",
        "en": "(the grader allows no pipes, sockets or network, nor multiprocessing and subprocess, which use "
              "them: compute with numpy.)",
    },
    "run_out_of_order": {
        "ko": "함수 {function}()이(가) 코드 셀 {cells}에 여러 번 정의되어 있습니다. 채점은 모든 셀을 위에서부터 차례로 "
              "실행하므로 셀 {graded}의 정의가 쓰였습니다 (저장된 노트북에서는 셀 {ran_last}을(를) 마지막에 실행했습니다). "
              "'모두 다시 실행'으로 확인하고, 쓰지 않는 정의는 지우세요.",
        "en": "function {function}() is defined in code cells {cells}. Grading runs every cell from the top, so the "
              "definition in cell {graded} is the one graded (the saved notebook ran cell {ran_last} last). Check "
              "with 'Restart & Run All', and delete the definitions you do not mean.",
    },
    "python_version": {
        "ko": "채점 환경은 Python {version}입니다: 더 새로운 버전의 문법(예: 3.12의 f-string 안 같은 따옴표)은 쓸 수 없습니다.",
        "en": "Grading runs Python {version}: syntax of newer versions (such as 3.12's same quotes inside an f-string) "
              "is not available.",
    },
    "because_syntax": {
        "ko": " — 제출 파일의 문법 오류 때문일 수 있습니다: {errors}",
        "en": " — possibly because of a syntax error in the submission: {errors}",
    },
    "because_load": {
        "ko": " — 제출 코드를 불러오는 중 오류: {errors}",
        "en": " — an error occurred while loading the submission: {errors}",
    },
}


def say(key: str, lang: str, **params: Any) -> str:
    template = MESSAGES[key]
    return template.get(lang, template["en"]).format(**params)
