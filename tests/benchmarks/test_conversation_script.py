"""Reading scripted conversations: the format is checked and every mistake is reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.conversation_script import Expect, ScriptError, load_script, parse_script
from benchmarks.conversations import DEMO_SCRIPT, city_folders
from knowledge.locales import SOURCE_LANGUAGE, supported_codes

GOOD = """
city: Pine Hollow
conversations:
  - name: pottery for a ten-year-old
    turns:
      - user: "pottery for my 10 year old"
        expect:
          titles_any: ["Clay Club", "Wheel Basics"]
          titles_none: ["Adult Ceramics"]
          says_all: ["Sat", "10:00"]
      - user: "hi"
  - name: forget me
    turns:
      - user: "forget me"
        expect:
          buttons_any: ["yes"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "conversations.yml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ScriptError) as caught:
        load_script(write(tmp_path, text))
    return caught.value.problems


def test_a_good_script_is_read_in_order(tmp_path: Path) -> None:
    script = load_script(write(tmp_path, GOOD))
    assert script.city == "Pine Hollow"
    assert [c.name for c in script.conversations] == ["pottery for a ten-year-old", "forget me"]
    first, second = script.conversations[0].turns
    assert first.user == "pottery for my 10 year old"
    assert first.expect == Expect(
        titles_any=("Clay Club", "Wheel Basics"),
        titles_none=("Adult Ceramics",),
        says_all=("Sat", "10:00"),
    )
    assert second.expect == Expect()  # no expectations: the reply only has to arrive
    assert script.conversations[1].turns[0].expect.buttons_any == ("yes",)


def test_every_mistake_is_reported_with_where_it_is(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        """
city: ""
extra: 1
conversations:
  - name: one
    turns:
      - user: "hi"
        expect:
          title_any: ["Clay Club"]
      - user: ""
  - name: one
    turns: []
""",
    )
    assert "`city` must be the city's name (text)" in problems
    assert any("the file: unknown key 'extra'" in p for p in problems)
    assert any(
        "conversation 1 ('one'), turn 1, expect: unknown key 'title_any'" in p for p in problems
    )
    assert any("conversation 1 ('one'), turn 2: `user` must be" in p for p in problems)
    assert any("conversation 2 ('one'): `turns` must be a non-empty list" in p for p in problems)


def test_unquoted_times_and_numbers_are_refused_with_a_hint(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        """
city: Pine Hollow
conversations:
  - name: times
    turns:
      - user: "when is it?"
        expect:
          says_all: [14:00, 65, "ok"]
          says_any: "free"
""",
    )
    assert any("says_all: item 1 is 840 (int), not text" in p and '"14:00"' in p for p in problems)
    assert any("says_all: item 2 is 65 (int)" in p for p in problems)
    assert any('says_any must be a list, e.g. ["free"]' in p for p in problems)


def test_a_turn_that_could_never_pass_is_refused(tmp_path: Path) -> None:
    problems = problems_of(
        tmp_path,
        """
city: Pine Hollow
conversations:
  - name: clash
    turns:
      - user: "clay"
        expect:
          titles_all: ["Clay Club"]
          titles_none: ["clay  club"]
""",
    )
    assert problems == [
        "conversation 1 ('clash'), turn 1, expect: 'clay club' is in both titles_all and "
        "titles_none, so the turn could never pass"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- a\n- b\n", "the file must be a mapping with `city` and `conversations`"),
        ("city: X\n", "`conversations` must be a non-empty list"),
        ("city: X\nconversations:\n  - just text\n", "conversation 1 must be a mapping"),
        ("city: X\nconversations: [{name: a, turns: [hi]}]\n", "turn 1 must be a mapping"),
        (
            "city: X\nconversations: [{name: a, turns: [{user: hi, expect: [x]}]}]\n",
            "`expect` must be a mapping",
        ),
        ("city: X\nconversations: [{name: a, turns: [{user: hi, expect: {says_any: []}}]}]\n",
         "says_any must be a non-empty list of texts"),
    ],
)  # fmt: skip
def test_malformed_structure(tmp_path: Path, text: str, problem: str) -> None:
    assert any(problem in p for p in problems_of(tmp_path, text))


def test_unreadable_files_say_so(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="the file does not exist"):
        load_script(tmp_path / "missing.yml")
    with pytest.raises(ScriptError, match="is not valid YAML"):
        load_script(write(tmp_path, "city: [unclosed\n"))


def test_the_error_message_names_the_file_and_lists_each_problem() -> None:
    with pytest.raises(ScriptError) as caught:
        parse_script({"city": 3, "conversations": []}, "somewhere.yml")
    message = str(caught.value)
    assert message.startswith("somewhere.yml is not a valid conversation script:\n  - ")
    assert message.count("\n  - ") == 2


def test_the_committed_scripts_are_valid() -> None:
    """The demo city's script and every city's: a broken one fails here, without servers."""
    for path in [DEMO_SCRIPT, *(folder / "conversations.yml" for folder in city_folders())]:
        script = load_script(path)
        assert len(script.conversations) >= 1, path


def test_a_conversation_may_name_a_chat_language(tmp_path: Path) -> None:
    other = next(code for code in supported_codes() if code != SOURCE_LANGUAGE)
    script = load_script(
        write(
            tmp_path,
            f"""
city: Pine Hollow
conversations:
  - name: in another language
    language: {other}
    turns:
      - user: "hola"
""",
        )
    )
    assert script.conversations[0].language == other
    problems = problems_of(
        tmp_path,
        """
city: Pine Hollow
conversations:
  - name: klingon
    language: tlh
    turns:
      - user: "nuqneH"
""",
    )
    assert any("conversation 1 ('klingon'): `language` must be one of" in p for p in problems)
