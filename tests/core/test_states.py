from __future__ import annotations

import itertools

import pytest

from image2model_desktop.core.states import (
    PROGRESS_BANDS,
    TERMINAL_STATES,
    FileState,
    band_progress,
    can_transition,
)

FORWARD = [
    FileState.PENDING,
    FileState.UPLOADING,
    FileState.QUEUED,
    FileState.GENERATING,
    FileState.DOWNLOADING,
    FileState.COMPLETED,
]


def test_forward_path_is_legal_and_may_skip_steps() -> None:
    for old, new in itertools.combinations(FORWARD, 2):
        assert can_transition(old, new), f"{old} → {new}"


def test_backward_moves_are_illegal() -> None:
    for old, new in itertools.combinations(FORWARD, 2):
        assert not can_transition(new, old), f"{new} → {old}"


@pytest.mark.parametrize("state", [s for s in FileState if not s.is_terminal])
def test_any_live_state_can_fail_be_cancelled_or_end_unconfirmed(state: FileState) -> None:
    assert can_transition(state, FileState.FAILED)
    assert can_transition(state, FileState.CANCELLED)
    assert can_transition(state, FileState.UNCONFIRMED)


def test_unconfirmed_is_an_ending_without_a_band() -> None:
    assert FileState.UNCONFIRMED.is_terminal
    assert FileState.UNCONFIRMED not in PROGRESS_BANDS


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATES))
def test_terminal_states_are_final(terminal: FileState) -> None:
    for target in FileState:
        assert not can_transition(terminal, target)


def test_bands_tile_the_scale_in_order() -> None:
    previous_end = 0.0
    for state in FORWARD:
        start, end = PROGRESS_BANDS[state]
        assert start >= previous_end - 1e-9
        assert end >= start
        previous_end = end
    assert band_progress(FileState.COMPLETED) == 100.0


def test_band_progress_clamps_the_fraction() -> None:
    assert band_progress(FileState.GENERATING, -1) == 20.0
    assert band_progress(FileState.GENERATING, 0.5) == 55.0
    assert band_progress(FileState.GENERATING, 7) == 90.0
