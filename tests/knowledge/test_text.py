"""Words as search compares them: "3-D" stays one word, and no text makes reading them slow."""

from __future__ import annotations

import pytest

from knowledge.text import words
from tests.deadline import deadline


@pytest.mark.parametrize("text", ["3-d printing", "3 d printing", "3 - d printing", "3D printing"])
def test_three_d_is_one_word(text: str) -> None:
    assert words(text) == ["3d", "printing"]


def test_a_run_of_spaces_after_a_digit_is_read_in_linear_time() -> None:
    # "\s*-?\s*" tried every split of the run: about half a minute for 100,000 spaces.
    with deadline(10):
        assert words("3" + " " * 100_000 + "x") == ["3", "x"]
