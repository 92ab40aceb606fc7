"""Fixtures of the hostile-submission suite: one warm isolated sandbox per module,
started while a grader secret sits in the trusted process's environment."""

from __future__ import annotations

import dataclasses

import pytest

from grader.engine import limits_for
from grader.sandbox import BwrapSandbox, Limits

from .helpers import SECRET, SECRET_ENV, run_source, sandbox_pids


def attack_limits(plan) -> Limits:
    """The limits grade() would use for the whole course, with a short load timeout
    so that an import-time infinite loop costs 2 s rather than 10 (and 1 s for
    each interruption it shrugs off, rather than 2)."""
    return dataclasses.replace(limits_for(plan), load_seconds=2.0, load_grace_seconds=1.0)


def start_sandbox(plan, **overrides) -> BwrapSandbox:
    """A started sandbox (its zygote is warm): the secret is in our environment while it starts."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SECRET_ENV, SECRET)
        # One zygote, no spare: the run after an attack then uses the very zygote
        # the attack ran in, so "it still grades" proves that zygote's clean-up.
        sandbox = BwrapSandbox(dataclasses.replace(attack_limits(plan), **overrides), spare=False)
        outcome = run_source(sandbox, "def ping():\n    return 'pong'\n", "ping")
    assert outcome.kind == "returned" and outcome.value == "pong", outcome
    return sandbox


@pytest.fixture(scope="module")
def sandbox(full_plan):
    """One warm BwrapSandbox shared by every attack of a module (a session forks in ~10 ms)."""
    box = start_sandbox(full_plan)
    assert len(sandbox_pids()) >= 1
    yield box
    box.close()


@pytest.fixture()
def private_sandbox(full_plan):
    """A sandbox of its own, for attacks whose leftovers must not reach the shared one;
    ``box.bwrap_pid`` is the host pid of its bubblewrap process."""
    before = set(sandbox_pids())
    box = start_sandbox(full_plan)
    (box.bwrap_pid,) = set(sandbox_pids()) - before
    yield box
    box.close()
