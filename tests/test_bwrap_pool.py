"""The isolated backend's pool: zygotes are used in turn, with one spare."""

from __future__ import annotations

import pytest

from grader.sandbox import BwrapSandbox, cgroups, request, unavailable_reason

pytestmark = pytest.mark.skipif(unavailable_reason() is not None, reason=f"no isolated backend: {unavailable_reason()}")

PROBE = "import os\n\ndef whoami():\n    return os.getuid(), os.getpid()\n"


def _run(sandbox: BwrapSandbox):
    """(zygote, (uid, pid in the sandbox)) for one session."""
    session = sandbox.session()
    try:
        assert session.load(request.load_request([{"source": PROBE, "line_offset": 0}], "probe.py")).kind == "loaded"
        outcome = session.call("whoami", [], {}, [], 5.0)
        return session.process.zygote, outcome.value
    finally:
        session.close()


def test_zygotes_take_turns_so_each_has_two_runs_to_get_ready():
    with BwrapSandbox() as sandbox:
        first, (uid, _) = _run(sandbox)
        assert len(sandbox._all) == 1, "one run never starts a spare"
        second, (spare_uid, _) = _run(sandbox)
        third, _ = _run(sandbox)
        fourth, _ = _run(sandbox)
        fifth, _ = _run(sandbox)
        assert len({first, second, third}) == 3 and fourth is first and fifth is second
        assert len(sandbox._all) == 3
        assert uid == spare_uid == 65534  # a spare is the same kind of sandbox


def test_without_a_spare_every_run_uses_the_one_zygote():
    with BwrapSandbox(spare=False) as sandbox:
        zygotes = {_run(sandbox)[0] for _ in range(3)}
        assert len(zygotes) == 1 and len(sandbox._all) == 1


def test_two_slots_and_the_spares_make_four_zygotes_at_most():
    with BwrapSandbox(slots=2) as sandbox:
        for _ in range(6):
            _run(sandbox)
        assert len(sandbox._all) == 4


@pytest.mark.skipif(not cgroups.available(), reason="no writable v1 memory/pids cgroups here (needs root)")
def test_a_closed_sandbox_leaves_no_cgroup_behind():
    with BwrapSandbox(spare=False) as sandbox:
        _run(sandbox)
        paths = list(sandbox._all[0].cgroup.paths.values())
        assert paths and all(path.is_dir() for path in paths)
    assert not any(path.exists() for path in paths), "killed processes still exiting must not keep their cgroup"


@pytest.mark.skipif(not cgroups.available(), reason="no writable v1 memory/pids cgroups here (needs root)")
def test_cgroups_left_by_a_grader_that_died_are_removed():
    dead_owner = 2 ** 22 + 1  # above the kernel's pid limit: no such process
    stale = [cgroups.ROOT / controller / f"grader-{dead_owner}-deadbeef" for controller in cgroups.CONTROLLERS]
    ours = cgroups.CgroupSet(64 * 1024 * 1024, 8)
    for path in stale:
        path.mkdir()
    try:
        assert cgroups.remove_stale() >= len(stale)
        assert not any(path.exists() for path in stale)
        assert all(path.exists() for path in ours.paths.values()), "a live grader's cgroups stay"
    finally:
        ours.remove()
        for path in stale:
            if path.exists():
                path.rmdir()
