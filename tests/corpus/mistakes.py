"""Wrong student submissions: each is one correct corpus file with ONE
realistic mistake in ONE exercise, written as the edits that make it (so each
mistake reads as what it changes, and the correct file is not copied 32 times).

``build`` writes one out as the student would hand it in: the same encoding,
line endings and notebook format as its base, with a first line (a first
cell, in a notebook) saying which exercise holds the mistake, and what it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

CORRECT = Path(__file__).resolve().parent / "correct"


class Mistake(NamedTuple):
    name: str  # the file's name, without extension
    base: str  # the correct file it is made from
    exercise: str  # the one exercise that must lose points
    what: str
    edits: tuple  # (old, new): each old text occurs exactly once in the base


SPECS: list[Mistake] = []


def spec(name: str, base: str, exercise: str, what: str, *edits: tuple[str, str]) -> None:
    SPECS.append(Mistake(f"w{len(SPECS) + 1:02d}_{name}", base, exercise, what, edits))


# ---------------------------------------------------------------- conv-output-size
spec("conv_output_true_division_float", "s10_float64_cast_fastpath.py", "conv-output-size",
     "the book's formula with / returns a float (3.0 instead of 3)",
     ("def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:\n    return _check(input_size, filter_size, stride, pad)",
      "def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:\n"
      "    _check(input_size, filter_size, stride, pad)      # 검사만\n"
      "    return (input_size + 2 * pad - filter_size) / stride + 1"))
spec("conv_output_floor_no_divisibility_check", "nb04_float32_strings.ipynb", "conv-output-size",
     "rounds down like PyTorch instead of raising ValueError when H + 2P - FH is not divisible by S",
     ("conv_output_size = lambda input_size, filter_size, stride=1, pad=0: _out(input_size, filter_size, stride, pad)",
      "def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:\n"
      "    if stride < 1 or pad < 0 or input_size < 1 or filter_size < 1:\n"
      "        raise ValueError(\"invalid argument\")\n"
      "    out = (input_size + 2 * pad - filter_size) // stride + 1   # PyTorch 처럼 내림\n"
      "    if out < 1:\n"
      "        raise ValueError(\"filter larger than input\")\n"
      "    return out"))
spec("conv_output_assert_instead_of_valueerror", "s02_output_position_loops.py", "conv-output-size",
     "validates with assert, so invalid sizes raise AssertionError instead of ValueError",
     ("def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:\n    return _out_size(input_size, filter_size, stride, pad)",
      "def conv_output_size(input_size, filter_size, stride=1, pad=0) -> int:\n"
      "    assert stride >= 1 and pad >= 0 and input_size >= 1 and filter_size >= 1, \"invalid arguments\"\n"
      "    span = input_size + 2 * pad - filter_size\n"
      "    assert span >= 0, \"kernel larger than the (padded) input\"\n"
      "    assert span % stride == 0, f\"({input_size} + 2*{pad} - {filter_size}) is not divisible by {stride}\"\n"
      "    return span // stride + 1"))
spec("conv_output_no_filter_size_check", "s06_offset_loops_masks.py", "conv-output-size",
     "forgets the filter_size < 1 check: conv_output_size(5, 0) returns 6 instead of raising ValueError",
     ("    if filter_size < 1:\n        problems.append(\"filter_size < 1\")\n", ""))
# ---------------------------------------------------------------- pool-output-size
spec("pool_default_stride_one", "s02_output_position_loops.py", "pool-output-size",
     "default stride 1 instead of pool_size (pool_output_size(60, 2) gives 59)",
     ("pool_size if stride is None else stride, 0)", "1 if stride is None else stride, 0)"))
spec("pool_output_forgot_plus_one", "nb04_float32_strings.ipynb", "pool-output-size",
     "forgets the + 1 (counts the steps, not the windows)",
     ("def pool_output_size(input_size, pool_size, stride=None) -> int:\n    return _out(input_size, pool_size, pool_size if stride is None else stride)",
      "def pool_output_size(input_size, pool_size, stride=None) -> int:\n"
      "    s = pool_size if stride is None else stride\n"
      "    if s < 1 or input_size < 1 or pool_size < 1 or input_size < pool_size or (input_size - pool_size) % s:\n"
      "        raise ValueError(\"windows do not tile the input\")\n"
      "    return (input_size - pool_size) // s"))
spec("pool_stride_zero_infinite_loop", "s10_float64_cast_fastpath.py", "pool-output-size",
     "counts windows with a while loop and never checks stride < 1: stride=0 loops forever",
     ("def pool_output_size(input_size, pool_size, stride=None) -> int:\n    if stride is None:\n        stride = pool_size\n    return _check(input_size, pool_size, stride, 0)",
      "def pool_output_size(input_size, pool_size, stride=None) -> int:\n"
      "    if stride is None:\n"
      "        stride = pool_size\n"
      "    if input_size < 1 or pool_size < 1:\n"
      "        raise ValueError(\"size < 1\")\n"
      "    # 창을 실제로 밀어 보면서 센다\n"
      "    count, pos = 0, 0\n"
      "    while pos + pool_size <= input_size:\n"
      "        count += 1\n"
      "        pos += stride\n"
      "    if count < 1 or pos - stride + pool_size != input_size:\n"
      "        raise ValueError(\"windows do not tile the input\")\n"
      "    return count"),
     # (maxpool sizes through the private helper: the mistake stays in this exercise)
     ("    OH = pool_output_size(H, pool_h, stride)\n    OW = pool_output_size(W, pool_w, stride)\n"
      "    if stride == pool_h == pool_w:",
      "    OH = _check(H, pool_h, stride, 0)\n    OW = _check(W, pool_w, stride, 0)\n    if stride == pool_h == pool_w:"),
     ("    OH = pool_output_size(H, pool_h, stride)\n    OW = pool_output_size(W, pool_w, stride)\n\n",
      "    OH = _check(H, pool_h, stride, 0)\n    OW = _check(W, pool_w, stride, 0)\n\n"))
# ---------------------------------------------------------------- param counts
spec("conv_params_forgot_bias", "s09_demo_prints_fullconv.py", "conv-param-count",
     "counts only the weights, never the F biases",
     (" + (out_channels if bias else 0)\n", "\n"))
spec("dense_params_bias_per_input", "s01_nested_loops.py", "dense-param-count",
     "counts one bias per input neuron (in_features) instead of per output neuron",
     ("count = count + out_features", "count = count + in_features"))
# ---------------------------------------------------------------- conv2d-forward
spec("conv_fwd_kernel_flipped", "s03_sliding_window_view.py", "conv2d-forward",
     "flips the kernel (true convolution) instead of cross-correlation",
     ('out = np.einsum("ncijpq,fcpq->nfij", win, w, optimize=True)',
      'out = np.einsum("ncijpq,fcpq->nfij", win, w[:, :, ::-1, ::-1], optimize=True)  # 합성곱: 커널을 180도 뒤집는다'))
spec("conv_fwd_bias_broadcast_last_axis", "s05_as_strided_einsum.py", "conv2d-forward",
     "adds b with plain broadcasting (out += b), i.e. along the last (width) axis instead of the filter axis",
     ("    out += b[np.newaxis, :, np.newaxis, np.newaxis]\n", "    out += b\n"))
spec("conv_fwd_channels_not_summed", "s01_nested_loops.py", "conv2d-forward",
     "loops over input channels with = instead of summing them: only the last channel counts",
     ("                    window = xp[n, :, hs:hs + FH, ws:ws + FW]\n"
      "                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]\n",
      "                    for c in range(C):\n"
      "                        window = xp[n, c, hs:hs + FH, ws:ws + FW]\n"
      "                        out[n, f, i, j] = np.sum(window * w[f, c]) + b[f]\n"))
spec("conv_fwd_square_only", "s08_selftest_main.py", "conv2d-forward",
     "assumes square inputs: OW = OH",
     ("    OW = conv_output_size(W, FW, stride, pad)\n    xp = _padded(x, pad)\n    out = np.zeros(",
      "    OW = OH  # 이미지는 정사각형\n    xp = _padded(x, pad)\n    out = np.zeros("))
spec("conv_fwd_float16", "s02_output_position_loops.py", "conv2d-forward",
     "casts float32 inputs down to float16 (\"to save memory\"), losing precision",
     ("def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:\n",
      "def conv2d_forward(x, w, b, stride=1, pad=0) -> np.ndarray:\n"
      "    if x.dtype == np.float32:  # float32 이면 메모리를 아끼려고 half precision 으로 계산\n"
      "        x, w, b = x.astype(np.float16), w.astype(np.float16), b.astype(np.float16)\n"))
spec("conv_fwd_padding_one_side", "s06_offset_loops_masks.py", "conv2d-forward",
     "pads by hand and copies x into the top-left corner: all 2P zeros end up at the bottom/right",
     ("    OH, OW = _sizes(x.shape, FH, FW, stride, pad)\n    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))\n\n    out = ",
      "    OH, OW = _sizes(x.shape, FH, FW, stride, pad)\n"
      "    xp = np.zeros((N, C, x.shape[2] + 2 * pad, x.shape[3] + 2 * pad), dtype=x.dtype)\n"
      "    xp[:, :, :x.shape[2], :x.shape[3]] = x          # zero padding\n\n    out = "))
# ---------------------------------------------------------------- conv2d-backward
spec("conv_bwd_dw_not_summed_over_batch", "s01_nested_loops.py", "conv2d-backward",
     "resets dw inside the batch loop, so dw is the last sample's gradient only",
     ("    dw = np.zeros_like(w)\n    db = np.zeros_like(b)\n\n    for n in range(N):\n",
      "    db = np.zeros_like(b)\n\n    for n in range(N):\n        dw = np.zeros_like(w)\n"))
spec("conv_bwd_db_summed_over_wrong_axes", "s02_output_position_loops.py", "conv2d-backward",
     "db sums over axes (1, 2, 3) (filters) instead of (0, 2, 3) (batch)",
     ("db = dout.sum(axis=(0, 2, 3))", "db = dout.sum(axis=(1, 2, 3))"))
spec("conv_bwd_dx_overwrites_overlaps", "s10_float64_cast_fastpath.py", "conv2d-backward",
     "dx uses = instead of += where windows overlap (stride < filter size)",
     ("j * stride:j * stride + FW] += dcols[:, i, j]", "j * stride:j * stride + FW] = dcols[:, i, j]"))
spec("conv_bwd_dx_stride_ignored", "s02_output_position_loops.py", "conv2d-backward",
     "scatters dx to window start (i, j) instead of (i*S, j*S): stride ignored for dx",
     ("dxp[:, :, hs:hs + FH, ws:ws + FW] +=", "dxp[:, :, i:i + FH, j:j + FW] +="))
spec("conv_bwd_returns_dx_dw_without_db", "s06_offset_loops_masks.py", "conv2d-backward",
     "returns (dx, dw) and forgets db",
     ("    return dx, dw, db\n", "    return dx, dw\n"))
spec("conv_bwd_swapped_return_order", "nb04_float32_strings.ipynb", "conv2d-backward",
     "returns (dw, db, dx) instead of (dx, dw, db)",
     ("    return dx, dw, db", "    return dw, db, dx"))
# ---------------------------------------------------------------- maxpool2d-forward
spec("maxpool_fwd_assumes_stride_equals_window", "s10_float64_cast_fastpath.py", "maxpool2d-forward",
     "always uses the reshape trick, which is only right when stride == pool_h == pool_w",
     ("    if stride == pool_h == pool_w:\n        return x.reshape(N, C, OH, pool_h, OW, pool_w).max(axis=(3, 5))\n"
      "    return swv(x, (pool_h, pool_w), axis=(2, 3))[:, :, ::stride, ::stride].max(axis=(4, 5))\n",
      "    # 창이 겹치지 않으므로 reshape 로 한 번에\n"
      "    return x.reshape(N, C, OH, pool_h, OW, pool_w).max(axis=(3, 5))\n"))
spec("maxpool_fwd_modifies_input", "s08_selftest_main.py", "maxpool2d-forward",
     "starts the running max from a strided view of x (no copy) and updates it with out=, writing into x",
     ("    out = np.full((N, C, OH, OW), -np.inf, dtype=x.dtype)\n",
      "    out = x[:, :, 0:stride * OH:stride, 0:stride * OW:stride]   # 각 창의 첫 원소에서 시작\n"))
spec("maxpool_fwd_no_stride_check", "s02_output_position_loops.py", "maxpool2d-forward",
     "validates the tiling itself but not stride < 1: stride=0 raises ZeroDivisionError, not ValueError",
     ("    OH = pool_output_size(H, pool_h, stride)\n    OW = pool_output_size(W, pool_w, stride)\n    out = np.empty(",
      "    if H < pool_h or W < pool_w or (H - pool_h) % stride or (W - pool_w) % stride:\n"
      "        raise ValueError(\"pooling windows do not tile the input\")\n"
      "    OH = (H - pool_h) // stride + 1\n"
      "    OW = (W - pool_w) // stride + 1\n"
      "    out = np.empty("))
# ---------------------------------------------------------------- maxpool2d-backward
spec("maxpool_bwd_all_tied_maxima", "s01_nested_loops.py", "maxpool2d-backward",
     "mask = (window == max): every tied maximum gets the gradient",
     ("                    k = np.argmax(window)          # 첫 번째 최댓값 (행 우선)\n"
      "                    r, s = k // pool_w, k % pool_w\n"
      "                    dx[n, c, hs + r, ws + s] += dout[n, c, i, j]\n",
      "                    mask = (window == np.max(window))\n"
      "                    dx[n, c, hs:hs + pool_h, ws:ws + pool_w] += mask * dout[n, c, i, j]\n"))
spec("maxpool_bwd_last_tied_maximum", "nb02_redefined_and_magics.ipynb", "maxpool2d-backward",
     "scans the window with >=, so the LAST tied maximum gets the gradient",
     ("                    r, s = np.unravel_index(np.argmax(win), win.shape)\n",
      "                    best = -np.inf\n"
      "                    for a in range(pool_h):\n"
      "                        for q in range(pool_w):\n"
      "                            if win[a, q] >= best:\n"
      "                                best, r, s = win[a, q], a, q\n"))
spec("maxpool_bwd_no_size_validation", "s03_sliding_window_view.py", "maxpool2d-backward",
     "takes OH, OW from dout.shape and never raises ValueError when the windows do not tile x",
     ("    OH = pool_output_size(H, pool_h, stride)\n    OW = pool_output_size(W, pool_w, stride)\n    win = _windows(x, pool_h, pool_w, stride, 0).reshape",
      "    OH, OW = dout.shape[2:]                  # 출력 크기는 dout 에서\n    win = _windows(x, pool_h, pool_w, stride, 0).reshape"))
# ---------------------------------------------------------------- im2col
spec("im2col_columns_channel_last", "s03_sliding_window_view.py", "im2col",
     "columns ordered (fh, fw, c) (channels-last habit) instead of (c, fh, fw)",
     ("win.transpose(0, 2, 3, 1, 4, 5)", "win.transpose(0, 2, 3, 4, 5, 1)"))
spec("im2col_rows_batch_last", "s08_selftest_main.py", "im2col",
     "rows ordered (oh, ow, n) instead of (n, oh, ow): right only for N = 1",
     ("col.transpose(0, 4, 5, 1, 2, 3)", "col.transpose(4, 5, 0, 1, 2, 3)"))
spec("im2col_pads_all_axes", "s06_offset_loops_masks.py", "im2col",
     "np.pad(x, pad) pads the batch and channel axes too",
     ("    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))\n    pieces",
      "    xp = np.pad(x, pad)\n    pieces"))
spec("im2col_returns_list", "s01_nested_loops.py", "im2col",
     "returns a Python list of rows instead of an ndarray",
     ("    col = np.zeros((N * OH * OW, C * filter_h * filter_w), dtype=x.dtype)\n    row = 0\n",
      "    col = []\n"),
     ("                col[row, :] = xp[n, :, hs:hs + filter_h, ws:ws + filter_w].reshape(-1)\n                row += 1\n",
      "                col.append(xp[n, :, hs:hs + filter_h, ws:ws + filter_w].reshape(-1))\n"))


def _apply(text: str, edits: tuple, name: str) -> str:
    for old, new in edits:
        if text.count(old) != 1:
            raise ValueError(f"{name}: {old[:60]!r} occurs {text.count(old)} times in its base")
        text = text.replace(old, new)
    return text


def build(mistake: Mistake, directory: Path) -> Path:
    """The wrong submission written into ``directory``."""
    header = f"# WRONG ({mistake.exercise}): {mistake.what}. Base: {mistake.base}."
    source = CORRECT / mistake.base
    if source.suffix == ".ipynb":
        book = json.loads(source.read_text(encoding="utf-8"))
        for old, new in mistake.edits:
            cells = [cell for cell in book["cells"] if cell["cell_type"] == "code" and old in "".join(cell["source"])]
            if sum("".join(cell["source"]).count(old) for cell in cells) != 1:
                raise ValueError(f"{mistake.name}: {old[:60]!r} does not occur exactly once in its base")
            cell = cells[0]
            text = "".join(cell["source"]).replace(old, new)
            cell["source"] = text if isinstance(cell["source"], str) else text.splitlines(keepends=True)
        first = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": [header]}
        if book.get("nbformat_minor", 0) >= 5 or any("id" in cell for cell in book["cells"]):
            first["id"] = f"wrong{mistake.name[1:3]}"
        book["cells"].insert(0, first)
        path = directory / f"{mistake.name}.ipynb"
        path.write_text(json.dumps(book, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return path
    raw = source.read_bytes().decode("utf-8")
    bom = "\ufeff" if raw.startswith("\ufeff") else ""
    body = raw[len(bom):]
    newline = "\r\n" if "\r\n" in body else "\n"
    path = directory / f"{mistake.name}.py"
    path.write_bytes((bom + header + newline + _apply(body, mistake.edits, mistake.name)).encode("utf-8"))
    return path
