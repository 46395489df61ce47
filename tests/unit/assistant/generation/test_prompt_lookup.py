from __future__ import annotations

from assistant.generation.prompt_lookup import guess_next


def test_guesses_what_followed_the_last_tokens_earlier() -> None:
    ids = [1, 2, 3, 4, 5, 6, 9, 2, 3]
    assert guess_next(ids, 3) == [4, 5, 6]
    assert guess_next(ids, 1) == [4]


def test_prefers_the_longest_recurring_run_then_the_latest() -> None:
    # [7, 2, 3] recurs once (followed by 8); [2, 3] alone recurs later (followed by 5).
    ids = [7, 2, 3, 8, 1, 2, 3, 5, 0, 7, 2, 3]
    assert guess_next(ids, 2) == [8, 1]
    assert guess_next([2, 3, 4, 0, 2, 3, 5, 0, 2, 3], 1) == [5]


def test_a_single_recurring_token_is_no_ground_for_a_guess() -> None:
    assert guess_next([1, 2, 3, 4, 9, 3], 4) == []
    assert guess_next([5], 4) == []
    assert guess_next([], 4) == []


def test_no_guess_without_room_or_without_a_following_token() -> None:
    assert guess_next([1, 2, 3, 1, 2], 0) == []
    assert guess_next([1, 2, 1, 2], 5) == [1, 2]
    assert guess_next([4, 4, 4], 2) == [4]
