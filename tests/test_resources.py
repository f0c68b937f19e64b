"""The help directory: the real file validates, and each kind of mistake is caught."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from flows.resources import Directory, ResourcesError, load_resources

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "content" / "resources.yaml"
COMPILED = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def directory() -> Directory:
    return load_resources(RESOURCES, today=COMPILED)


def test_real_file_validates(directory: Directory) -> None:
    codes = {code for code, _ in directory.countries()}
    assert len(codes) >= 12
    assert {"US", "GB", "CA", "AU", "NZ", "IE", "DE", "FR", "ES", "IT", "NL", "IN", "ZA"} <= codes


def test_real_file_validates_later_too(directory: Directory) -> None:
    later = load_resources(RESOURCES, today=dt.date(2030, 1, 1))
    assert later == directory  # nothing expires or changes with the date; only future dates are refused


def test_known_numbers(directory: Directory) -> None:
    us, gb, au = (directory.for_country(c) for c in ("US", "GB", "AU"))
    assert (us.emergency, us.crisis_line.phone) == ("911", "988")
    assert us.abuse_line is not None and us.abuse_line.phone == "1-800-799-7233"
    assert (gb.emergency, gb.crisis_line.phone) == ("999", "116 123")
    assert au.emergency == "000"


def test_fallback_to_international(directory: Directory) -> None:
    assert directory.for_country(None) is directory.international
    assert directory.for_country("XX") is directory.international
    assert directory.for_country("gb").name == "United Kingdom"
    assert directory.international.crisis_line.url == "https://findahelpline.com"


def test_countries_sorted_by_name(directory: Directory) -> None:
    names = [name for _, name in directory.countries()]
    assert names == sorted(names)


def _good() -> dict:
    return yaml.safe_load(RESOURCES.read_text(encoding="utf-8"))


def _load(tmp_path: Path, data: dict, today: dt.date = COMPILED) -> Directory:
    path = tmp_path / "resources.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_resources(path, today=today)


def _problems(tmp_path: Path, data: dict, today: dt.date = COMPILED) -> list[str]:
    with pytest.raises(ResourcesError) as info:
        _load(tmp_path, data, today)
    assert all(p.startswith("resources.yaml: ") for p in info.value.problems)
    assert str(info.value) == "\n".join(info.value.problems)
    return info.value.problems


def _as_written(raw, read) -> bool:
    """`read` carries every value of `raw`; fields the file left out may come back as their defaults."""
    if isinstance(raw, dict):
        return isinstance(read, dict) and all(k in read and _as_written(v, read[k]) for k, v in raw.items())
    if isinstance(raw, list):
        return isinstance(read, list) and len(raw) == len(read) and all(map(_as_written, raw, read))
    return raw == read


def _dump(directory: Directory) -> dict:
    """The Directory back in resources.yaml's shape."""
    return {"version": 1, "international": directory.international.model_dump(),
            "countries": {code: entry.model_dump() for code, entry in directory.entries.items()}}


def test_round_trip_of_good_data(tmp_path: Path, directory: Directory) -> None:
    good = _good()
    loaded = _load(tmp_path, good)
    assert loaded == directory
    assert sorted(loaded.entries) == sorted(good["countries"])  # every country, none invented
    for code, raw in good["countries"].items():
        dumped = loaded.entries[code].model_dump()
        for key, value in raw.items():  # each field written in the file comes back as written
            expected = [value] if key == "source" and isinstance(value, str) else value
            assert _as_written(expected, dumped[key]), (code, key, value, dumped[key])
    again = _load(tmp_path, _dump(loaded))  # and what we read, written back, reads the same
    assert again == loaded
    assert _dump(again) == _dump(loaded)


def test_missing_field(tmp_path: Path) -> None:
    data = _good()
    del data["countries"]["GB"]["crisis_line"]
    [problem] = _problems(tmp_path, data)
    assert problem.startswith("resources.yaml: GB: crisis_line: ")


@pytest.mark.parametrize("phone", ["x", "1", "call 999", "+", "1" * 21, "()-+"])
def test_bad_phone(tmp_path: Path, phone: str) -> None:
    data = _good()
    data["countries"]["FR"]["abuse_line"]["phone"] = phone
    [problem] = _problems(tmp_path, data)
    assert problem.startswith("resources.yaml: FR: abuse_line.phone: bad phone number")


@pytest.mark.parametrize("number", ["000", "111", "112", "+44 20 7946 0000", "(02) 2327-2327"])
def test_short_and_formatted_numbers_are_valid(tmp_path: Path, number: str) -> None:
    data = _good()
    data["countries"]["NL"]["emergency"] = number
    assert _load(tmp_path, data).for_country("NL").emergency == number


def test_http_url(tmp_path: Path) -> None:
    data = _good()
    data["countries"]["US"]["crisis_line"]["url"] = "http://988lifeline.org"
    data["countries"]["US"]["source"] = ["http://example.org"]
    problems = _problems(tmp_path, data)
    assert len(problems) == 2
    assert all("https://" in p for p in problems)


def test_bad_date(tmp_path: Path) -> None:
    data = _good()
    data["countries"]["DE"]["verified_on"] = "2026-02-30"
    [problem] = _problems(tmp_path, data)
    assert problem.startswith("resources.yaml: DE: verified_on: ")


def test_future_date(tmp_path: Path) -> None:
    data = _good()
    data["countries"]["ES"]["verified_on"] = dt.date(2026, 11, 29)
    [problem] = _problems(tmp_path, data)
    assert problem == "resources.yaml: ES: verified_on 2026-11-29 is in the future"


@pytest.mark.parametrize("code", ["gb", "GBR", "G1", "1"])
def test_bad_country_code(tmp_path: Path, code: str) -> None:
    data = _good()
    data["countries"][code] = data["countries"].pop("GB")
    [problem] = _problems(tmp_path, data)
    assert problem == f"resources.yaml: {code}: country code must be two upper-case letters"


def test_all_problems_are_collected(tmp_path: Path) -> None:
    data = _good()
    data["countries"]["AU"]["emergency"] = "zero"
    data["countries"]["NZ"]["verified_on"] = dt.date(2027, 1, 1)
    data["countries"]["ie"] = data["countries"].pop("IE")
    problems = _problems(tmp_path, data)
    assert len(problems) == 3
    assert {p.split(": ")[1] for p in problems} == {"AU", "NZ", "ie"}


def test_line_needs_phone_or_url(tmp_path: Path) -> None:
    data = _good()
    data["countries"]["IN"]["abuse_line"] = {"name": "Somewhere"}
    [problem] = _problems(tmp_path, data)
    assert problem.startswith("resources.yaml: IN: abuse_line: ") and "phone or a url" in problem


def test_country_needs_emergency_number(tmp_path: Path) -> None:
    data = _good()
    data["countries"]["ZA"]["emergency"] = None
    [problem] = _problems(tmp_path, data)
    assert problem == "resources.yaml: ZA: emergency number is required"
