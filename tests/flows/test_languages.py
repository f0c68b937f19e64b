"""Content in several languages: every content/<lang>/ is loaded, and each is checked against English."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.ops.checks import check_all
from flows.content import ContentError, content_languages, load_languages
from tests.conftest import CONTENT
from tests.support.pseudo import make_pseudo


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    make_pseudo(root, "xx")
    return root


def test_every_language_folder_is_loaded_english_first(root: Path):
    found = content_languages(root)
    assert found[0] == "en" and "xx" in found and found == ["en", *sorted(found[1:])]  # real languages, and xx
    languages = load_languages(root)
    assert list(languages) == found and languages["xx"].lang == "xx"
    assert languages["xx"].flows.keys() == languages["en"].flows.keys()
    assert check_all(root)[0] == []


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(root: Path) -> list[tuple[str, str, str]]:
    with pytest.raises(ContentError) as exc:
        load_languages(root)
    return exc.value.problems


def test_a_missing_note_is_named_by_file_and_key(root: Path):
    common = root / "xx" / "common.yaml"
    lines = [line for line in common.read_text().splitlines() if not line.startswith("  chat_cleared:")]
    common.write_text("\n".join(lines) + "\n")
    assert ("xx/common.yaml", "notes.chat_cleared", "missing: English has this text") in _problems(root)


def test_an_extra_text_is_named(root: Path):
    _edit(root / "xx" / "common.yaml", "notes:\n", "notes:\n  invented: ⟦hello⟧\n")
    assert ("xx/common.yaml", "notes.invented",
            "not in English: remove it, or add it to English first") in _problems(root)


def test_different_placeholders_are_named(root: Path):
    _edit(root / "xx" / "common.yaml", "{done} of {total}", "{done} of {count}")
    found = _problems(root)
    assert any(f == "xx/common.yaml" and k == "notes.progress_line" and "placeholders" in p for f, k, p in found)


def test_a_missing_flow_text_file_and_step_are_named(root: Path):
    (root / "xx" / "journal.yaml").unlink()
    assert ("xx/journal.yaml", "-", "missing: every flow needs its texts") in _problems(root)


def test_limits_apply_to_each_language(root: Path):
    path = root / "xx" / "onboarding.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("agree: ") + len("agree: ")
    path.write_text(text[:start] + "⟦" + "long " * 20 + "⟧" + text[text.index("\n", start):], encoding="utf-8")
    assert any(f == "xx/onboarding.yaml" and "button label" in p for f, _, p in _problems(root))


def test_a_language_needs_its_own_name(root: Path):
    _edit(root / "xx" / "common.yaml", "language: ⟦xx⟧", "language: ''")
    assert ("xx/common.yaml", "language",
            "missing: the language's name in itself, for /language") in _problems(root)


def test_content_check_reports_language_problems(root: Path):
    _edit(root / "xx" / "common.yaml", "{done} of {total}", "{done} of")
    found, _, _ = check_all(root)
    assert any(f == "xx/common.yaml" and k == "notes.progress_line" for f, k, _ in found)
