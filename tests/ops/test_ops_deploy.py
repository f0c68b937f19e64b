"""The systemd unit keeps the database owner-only under a dedicated user, and the deploy guide covers what it must."""

from __future__ import annotations


from tests.conftest import ROOT

UNIT = ROOT / "deploy" / "fulcrum.service"


def directives() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")) and "=" in line:
            key, _, value = line.partition("=")
            out.setdefault(key, []).append(value)
    return out


def test_unit_has_the_required_settings():
    d = directives()
    assert d["User"] == ["fulcrum"] and d["Restart"] == ["on-failure"]
    assert d["StateDirectory"] == ["fulcrum"] and d["StateDirectoryMode"] == ["0700"] and d["UMask"] == ["0077"]
    assert d["EnvironmentFile"] == ["/etc/fulcrum/env"]
    assert "FULCRUM_DB=/var/lib/fulcrum/fulcrum.db" in d["Environment"]
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert d[key] == ["true"], key
    assert d["ProtectSystem"] == ["strict"]
    assert d["ExecStart"][0].endswith("fulcrum run")


def test_deploy_guide_covers_upgrades_webhooks_backups_and_scale():
    text = (ROOT / "deploy" / "README.md").read_text()
    for words in ("Upgrading", "migrations run at start", "From polling to webhooks", "/healthz",
                  "outside `/delete`'s reach", "FULCRUM_DATA_KEY", "30 messages a second", "Measured headroom"):
        assert words in text, words
