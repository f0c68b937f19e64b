"""The practice's settings are checked at start: one clear line per problem, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.core.settings import SettingsError, load_settings
from tests.conftest import ROOT

BAD = [
    ("FULCRUM_INTAKE_URL", "http://example.org/form", "must be an https:// address"),
    ("FULCRUM_INTAKE_URL", "https://", "must be an https:// address"),
    ("FULCRUM_PRIVACY_URL", "example.org/privacy", "must be an https:// address"),
    ("FULCRUM_DEFAULT_COUNTRY", "GBR", "two-letter country code"),
    ("FULCRUM_DEFAULT_COUNTRY", "1A", "two-letter country code"),
    ("FULCRUM_RETENTION_DAYS", "0", "1 or more"),
    ("FULCRUM_RETENTION_DAYS", "a year", "1 or more"),
    ("FULCRUM_PRACTICE_PHONE", "call us", "phone number"),
    ("FULCRUM_PRACTICE_HOURS", "x" * 81, "at most 80"),
    ("FULCRUM_LOG_FORMAT", "xml", "FULCRUM_LOG_FORMAT"),
]


@pytest.mark.parametrize("name,value,words", BAD)
def test_a_bad_setting_is_one_line_naming_the_variable(monkeypatch, name, value, words):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings(_env_file=None)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"setting {name}: ")
    assert words in message
    assert "Value error" not in message


def test_good_practice_settings_are_kept_and_shown(monkeypatch):
    for name, value in {"FULCRUM_INTAKE_URL": "https://example.org/intake", "FULCRUM_DEFAULT_COUNTRY": "gb",
                        "FULCRUM_PRACTICE_PHONE": "+44 20 7946 0000", "FULCRUM_PRACTICE_HOURS": "Mon–Fri 9–17",
                        "FULCRUM_PRIVACY_URL": "https://example.org/privacy", "FULCRUM_RETENTION_DAYS": "90",
                        "FULCRUM_PRACTICE_NAME": "Harbour Counselling"}.items():
        monkeypatch.setenv(name, value)
    cfg = load_settings(_env_file=None)
    assert cfg.default_country == "GB" and cfg.retention_days == 90
    assert cfg.text_values() == {"practice_name": "Harbour Counselling", "intake_url": "https://example.org/intake",
                                 "practice_phone": "+44 20 7946 0000", "practice_hours": "Mon–Fri 9–17",
                                 "privacy_url": "https://example.org/privacy", "retention_days": "90",
                                 "plaintext": "yes"}  # no FULCRUM_DATA_KEY: screens say so


def test_the_cli_exits_1_with_one_line_per_problem():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FULCRUM_", "TELEGRAM_"))}
    env.update(FULCRUM_INTAKE_URL="http://x.org", FULCRUM_RETENTION_DAYS="-3")
    out = subprocess.run([sys.executable, "-m", "bot", "status"], capture_output=True, text=True, cwd=ROOT,
                         env=env, timeout=60)
    assert out.returncode == 1
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert lines == ["fulcrum: setting FULCRUM_INTAKE_URL: must be an https:// address",
                     "fulcrum: setting FULCRUM_RETENTION_DAYS: must be a whole number of days, 1 or more (e.g. 365)"]


def test_every_setting_is_documented_in_env_example():
    from bot.core.settings import Settings

    example = (ROOT / ".env.example").read_text()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        env = alias.choices[0] if alias is not None else f"FULCRUM_{name.upper()}"
        assert f"\n{env}=" in example, env


def test_seek_help_and_about_show_the_practice_details_only_when_set(tmp_path, content):
    from tests.conftest import make_app
    from tests.support.driver import Chat

    app = make_app(tmp_path / "a.db", content, intake_url="https://example.org/intake",
                   practice_phone="+44 20 7946 0000", practice_hours="Mon–Fri 9:00–17:00",
                   practice_name="Harbour Counselling")
    chat = Chat(app, "p")
    chat.send("/flow seek_help")
    out = chat.press("agree")
    assert chat.at == "seek_help directory"
    for words in ("https://example.org/intake", "Harbour Counselling", "+44 20 7946 0000", "Mon–Fri 9:00–17:00"):
        assert words in out
    about = chat.send("/about")
    assert "+44 20 7946 0000" in about and "Mon–Fri 9:00–17:00" in about
    app.store.close()

    bare = make_app(tmp_path / "b.db", content, practice_hours="Mon–Fri 9:00–17:00")
    chat = Chat(bare, "q")
    chat.send("/flow seek_help")
    out = chat.press("agree")
    assert "You can also call" not in out and "Mon–Fri" not in out and "intake form" not in out
    bare.store.close()
