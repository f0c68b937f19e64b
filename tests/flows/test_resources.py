"""The help directory: every line says where its number was read, the right lines come first for each
situation, a rendered block fits a phone, and `fulcrum resources check` keeps it true."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.core.service import _hours, render_resources
from flows.resources import FIRST_KINDS, Directory, ResourcesError, load_resources, stale, text_in
from tests.conftest import CONTENT, ROOT, TODAY

DIRECTORY = CONTENT / "directory"
CATEGORIES = ("immediate_danger", "self_harm", "child_at_risk", "sexual_violence", "violence", "child_self")


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_resources(DIRECTORY, today=TODAY)


def test_every_country_is_there(directory: Directory) -> None:
    codes = {code for code, _ in directory.countries()}
    assert {"US", "GB", "CA", "AU", "NZ", "IE", "DE", "FR", "ES", "IT", "NL", "IN", "ZA",
            "MX", "AR", "CO", "CL"} <= codes


def test_every_fact_has_a_source_a_date_and_a_phrase_and_none_claims_a_phone_check(directory: Directory) -> None:
    for entry in [directory.international, *directory.entries.values()]:
        checked = [*entry.lines, *entry.ways_without_speaking, *([entry.emergency] if entry.emergency else [])]
        assert checked, entry.code
        for item in checked:
            assert item.source.startswith("http") and item.source_seen <= TODAY and len(item.confirms) >= 3
            assert item.verified_on is None  # nobody has rung these yet; the practice fills it in


def test_the_unconfirmed_south_african_line_is_gone(directory: Directory) -> None:
    za = directory.for_country("ZA")
    assert all("567 567" not in (line.phone or "") for line in za.lines)


def test_italys_crisis_line_says_its_hours_and_cost(directory: Directory) -> None:
    [amico] = [line for line in directory.for_country("IT").lines if "Amico" in line.name]
    assert "24" in str(amico.hours) and "not" in str(amico.cost)


def test_women_only_lines_are_marked_and_someone_else_is_served(directory: Directory) -> None:
    for code in ("GB", "IE", "NZ"):
        kinds = {line.kind for line in directory.for_country(code).lines}
        assert "abuse_women" in kinds and kinds & {"abuse", "abuse_men"}, code


@pytest.mark.parametrize("category", CATEGORIES)
def test_the_fitting_kind_comes_first(directory: Directory, category: str) -> None:
    for code, entry in directory.entries.items():
        lines = directory.lines_for(code, (category,))
        assert lines, (code, category)
        available = [k for k in FIRST_KINDS[category] if entry.of_kind(k)]
        if available:
            assert lines[0].kind == available[0], (code, category)


def test_a_violence_disclosure_never_leads_with_the_suicide_line_where_an_abuse_line_exists(directory):
    for code, entry in directory.entries.items():
        if entry.of_kind("abuse", "abuse_women", "abuse_men"):
            assert directory.lines_for(code, ("violence",))[0].kind != "crisis", code


def test_work_adds_the_workplace_route_without_dropping_abuse_lines(directory: Directory) -> None:
    lines = directory.lines_for("GB", ("violence",), "work")
    kinds = [line.kind for line in lines]
    assert kinds[0] in ("abuse", "abuse_women", "abuse_men") and "workplace" not in kinds[:1]
    assert directory.lines_for("GB", (), "work")[0].kind == "workplace"


@pytest.mark.parametrize("category", ((), *((c,) for c in CATEGORIES)))
def test_every_rendered_block_fits_a_phone(directory: Directory, content, category) -> None:
    for code in [None, *directory.entries]:
        for emergency in (True, False):
            text = render_resources(content, directory, code, categories=category, from_default=True,
                                    emergency=emergency)
            assert len(text.splitlines()) <= 8 and len(text) <= 700, (code, category, len(text))


def test_the_112_note_is_shown_where_it_carries_information(content, directory: Directory) -> None:
    text = render_resources(content, directory, "ZA")
    assert "112" in text


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "directory"
    shutil.copytree(DIRECTORY, folder)
    return folder


def _edit(folder: Path, code: str, change) -> None:
    path = folder / f"{code}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("change,problem", [
    (lambda d: d["lines"][0].pop("source"), "source: Field required"),
    (lambda d: d["lines"][0].update(source_seen="2027-01-01"), "source_seen 2027-01-01 is in the future"),
    (lambda d: d["lines"][0].update(verified_on="2027-01-01"), "verified_on 2027-01-01 is in the future"),
    (lambda d: d["lines"][0].update(kind="helpful"), "kind: Input should be"),
    (lambda d: d["lines"][0].update(phone="call me"), "bad phone number"),
    (lambda d: d["lines"][0].pop("confirms"), "confirms: Field required"),
    (lambda d: d.update(emergency=None), "a country needs its emergency number"),
    (lambda d: d.update(code="XX"), "does not match the file name"),
])
def test_each_mistake_is_named_with_file_and_place(tmp_path: Path, change, problem) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "US", change)
    with pytest.raises(ResourcesError) as err:
        load_resources(folder, today=TODAY)
    assert any(p.startswith("directory/US.yaml: ") and problem in p for p in err.value.problems), err.value.problems


def test_round_trip(tmp_path: Path, directory: Directory) -> None:
    folder = _copy(tmp_path)
    for path in folder.glob("*.yaml"):
        path.write_text(yaml.safe_dump(yaml.safe_load(path.read_text()), allow_unicode=True), encoding="utf-8")
    assert load_resources(folder, today=TODAY) == directory


def test_stale_lists_old_sources_and_missing_phone_checks(directory: Directory) -> None:
    found = stale(directory, TODAY + dt.timedelta(days=200), 180)
    reasons = {why.split(" ")[0] for _, _, why in found}
    assert reasons == {"source", "no"}
    now = stale(directory, TODAY, 180)
    unrung = {(code, name) for code, name, why in now if why.startswith("no phone check")}
    assert ("GB", "gb_samaritans") in unrung and len(unrung) >= sum(len(e.lines) for e in directory.entries.values())
    for _, _, why in now:  # old sources are named with the date they were seen
        assert why.startswith("no phone check") or why.startswith("source seen")


def _resources_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "resources", "check", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_resources_check_exits_1_listing_what_needs_doing(tmp_path: Path) -> None:
    out = _resources_check("--today", "2026-12-01")
    assert out.returncode == 1 and "GB\tgb_samaritans\tno phone check yet" in out.stdout


def test_resources_check_passes_when_everything_is_fresh_and_rung(tmp_path: Path) -> None:
    root = tmp_path / "content"
    folder = root / "directory"
    shutil.copytree(DIRECTORY, folder)

    def rung(data: dict) -> None:
        for item in [*data["lines"], *(data.get("ways_without_speaking") or []), data.get("emergency") or {}]:
            if item:
                item["verified_on"] = item["source_seen"] = "2026-12-01"

    for path in folder.glob("*.yaml"):
        _edit(folder, path.stem, rung)
    out = _resources_check("--today", "2026-12-02", "--content", str(root))
    assert out.returncode == 0, out.stdout + out.stderr
    out = _resources_check("--today", "2027-12-02", "--content", str(root), "--max-age", "180")
    assert out.returncode == 1 and "source seen" in out.stdout


def _shown_texts(entry) -> list[tuple[str, object]]:
    """Every directory text a help screen puts in front of a person (service names are the services' own)."""
    out: list[tuple[str, object]] = [("name", entry.name)]
    if entry.emergency and entry.emergency.short:
        out.append(("emergency.short", entry.emergency.short))
    for way in entry.ways_without_speaking[:1]:
        out.append((f"way {way.name}", way.short or way.how))
    for line in entry.lines:
        hours = text_in(line.hours)
        if hours and _hours(hours) != "24/7":  # shown as "24/7" in every language
            out.append((f"{line.id}.hours", line.hours))
        cost = text_in(line.cost)
        if cost and not cost.lower().startswith("free"):
            out.append((f"{line.id}.cost", line.cost))
        if line.text:
            out.append((f"{line.id}.text", line.text))
    return out


def test_every_text_a_help_screen_shows_has_spanish(directory: Directory) -> None:
    missing = [f"{entry.code}: {where}" for entry in [directory.international, *directory.entries.values()]
               for where, value in _shown_texts(entry) if not (isinstance(value, dict) and value.get("es"))]
    assert not missing, missing


def test_countries_are_named_and_sorted_in_the_readers_language(directory: Directory) -> None:
    spanish = dict(directory.countries("es"))
    assert spanish["ES"] == "España" and spanish["DE"] == "Alemania" and spanish["US"] == "Estados Unidos"
    names = [name for _, name in directory.countries("es")]
    assert names.index("Alemania") < names.index("Canadá") < names.index("España") < names.index("México")
    assert dict(directory.countries("en"))["ES"] == "Spain"  # English stays as it was
    assert text_in(directory.for_country("US").lines[0].name, "fr") == text_in(directory.for_country("US").lines[0].name)
