"""A pseudo-locale: a generated language whose every text is the English one, marked line by line.

`make_pseudo(root, "xx")` writes content/xx/ beside content/en/ (in a copy of the content, in a tmp dir): each
line of each text becomes `⟦line⟧`, `{placeholders}` kept intact, so anything on screen that is not marked
came from code, not content. Labels keep their limits (a too-long one is shortened inside its marks).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

OPEN, CLOSE = "⟦", "⟧"
LABEL_LIMIT = 30  # the content check's 32, less the "✓ " a ticked checklist label gains
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


DONE = "Done"  # the English Done button: a checklist's text names it, so the marked text names it marked


def mark(text: str) -> str:
    text = re.sub(rf"\b{DONE}\b", f"{OPEN}{DONE}{CLOSE}", text)
    return "\n".join(f"{OPEN}{line}{CLOSE}" if line.strip() else line for line in text.split("\n"))


def mark_label(text: str, limit: int = LABEL_LIMIT) -> str:
    room = limit - 2
    if len(text) > room:  # shorten outside any {placeholder}
        keep = text[:room]
        for m in _PLACEHOLDER.finditer(text):
            if m.start() < room < m.end():
                keep = text[:m.start()]
        text = keep.rstrip()
    return f"{OPEN}{text}{CLOSE}"


def _flow_text(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    out["title"] = mark_label(data["title"])
    if data.get("description"):
        out["description"] = mark(data["description"])
    steps = {}
    for sid, st in (data.get("steps") or {}).items():
        st = dict(st)
        st["text"] = mark(st["text"])
        if st.get("options"):
            st["options"] = {k: mark_label(v) for k, v in st["options"].items()}
        if st.get("blocks"):
            st["blocks"] = {k: mark(v) for k, v in st["blocks"].items()}
        for key in ("continue", "low", "high"):
            if st.get(key):
                st[key] = mark_label(st[key])
        steps[sid] = st
    out["steps"] = steps
    return out


def _common(data: dict[str, Any], lang: str) -> dict[str, Any]:
    out = dict(data)
    out["language"] = f"{OPEN}{lang}{CLOSE}"
    out["reviewed"] = "pending"
    out["max_chars"] = 700  # the marks add two characters a line
    out["options"] = {k: mark_label(v) for k, v in data["options"].items()}
    notes = {}
    for key, value in data["notes"].items():
        # A list of words the code splits (the months): each word marked on its own.
        notes[key] = " ".join(mark(w) for w in value.split()) if key == "months" else mark(value)
    out["notes"] = notes
    commands = {}
    for name, entry in (data.get("commands") or {}).items():
        if isinstance(entry, dict):
            commands[name] = {**entry, "description": mark(entry["description"])}
        else:
            commands[name] = mark(entry)
    out["commands"] = commands
    return out


def make_pseudo(root: Path, lang: str = "xx") -> Path:
    """Write root/<lang>/ from root/en/; returns the folder."""
    folder = root / lang
    folder.mkdir(exist_ok=True)
    for path in sorted((root / "en").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = _common(data, lang) if path.stem == "common" else _flow_text(data)
        (folder / path.name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def pseudo_languages(folder: Path, lang: str = "xx") -> dict[str, Any]:
    """A copy of the project's content in `folder`, with `lang` made from English, loaded: {lang: Content}."""
    from flows.content import load_languages
    from tests.conftest import CONTENT

    root = folder / "content"
    shutil.copytree(CONTENT, root)
    make_pseudo(root, lang)
    return load_languages(root)


def unmarked(line: str) -> str:
    """What is left of a line once every marked piece is taken out."""
    while True:  # innermost first: a marked note may hold a marked label or month
        shorter = re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", "", line)
        if shorter == line:
            return line
        line = shorter
