"""Settings, read from the environment and an optional .env file (pydantic-settings)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the checkout: bot/core/settings.py → ../../..
DEFAULT_CONTENT = PACKAGE_ROOT / "content"


class Settings(BaseSettings):
    """Every setting is documented in .env.example."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      env_prefix="FULCRUM_", populate_by_name=True)

    telegram_bot_token: SecretStr | None = Field(default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN"))
    telegram_api_base_url: str = Field(default="https://api.telegram.org/bot",
                                       validation_alias=AliasChoices("TELEGRAM_API_BASE_URL"))
    db: Path = Path("fulcrum.db")
    content: Path = DEFAULT_CONTENT
    data_key: SecretStr | None = None
    allow_plaintext: bool = False
    webhook_secret: SecretStr | None = None
    intake_url: str | None = None
    practice_name: str | None = None  # unset: content's `default_practice_name`, in the person's language
    practice_phone: str | None = None
    practice_hours: str | None = None
    practice_offers: str | None = None  # what the practice offers, in a line
    practice_after_intake: str | None = None  # who answers an intake, and when; what happens next
    practice_cost: str | None = None  # what it costs, or how to ask
    privacy_url: str | None = None
    default_country: str | None = None
    # The language for people whose Telegram language has no content/<lang>/ (and the console's): a folder name.
    language: str = "en"
    discreet: bool = True
    sweep_seconds: float = Field(default=60.0, gt=0)
    retention_days: int = Field(default=365, ge=1)
    lock_idle_minutes: int = Field(default=15, ge=1, le=1440)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("intake_url", "privacy_url", "practice_phone", "practice_hours", "default_country",
                     "practice_offers", "practice_after_intake", "practice_cost",
                     "telegram_bot_token", "data_key", "webhook_secret", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("content", "db", mode="before")
    @classmethod
    def _blank_is_default(cls, value: object, info: object) -> object:
        if isinstance(value, str) and not value.strip():
            return DEFAULT_CONTENT if getattr(info, "field_name", "") == "content" else Path("fulcrum.db")
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://, e.g. http://127.0.0.1:8081/bot")
        return value

    @field_validator("practice_offers", "practice_after_intake", "practice_cost")
    @classmethod
    def _line(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 160 or "\n" in value):
            raise ValueError("must be one line of at most 160 characters")
        return value.strip() if value else value

    @field_validator("intake_url", "privacy_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https://[^\s/]+\.[^\s/]+(?:/\S*)?", value.strip()):
            raise ValueError("must be an https:// address")
        return value

    @field_validator("practice_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not (re.fullmatch(r"[0-9 +\-()]{3,25}", value.strip())
                                      and sum(c.isdigit() for c in value) >= 3):
            raise ValueError("must be a phone number (digits, spaces, + - and brackets), e.g. +44 20 7946 0000")
        return value.strip() if value else value

    @field_validator("practice_name", "practice_hours")
    @classmethod
    def _short_text(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or len(value) > 80 or "\n" in value):
            raise ValueError("must be one line of at most 80 characters")
        return value.strip() if value else value

    @field_validator("default_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is not None and not (len(value) == 2 and value.isalpha()):
            raise ValueError("must be a two-letter country code such as GB")
        return value.upper() if value else value

    def missing_practice(self) -> list[str]:
        """The practice settings a person would miss: how to reach it, and what it offers."""
        missing = [] if self.intake_url or self.practice_phone else ["FULCRUM_INTAKE_URL or FULCRUM_PRACTICE_PHONE"]
        return missing + [f"FULCRUM_{k.upper()}" for k in ("practice_offers", "practice_after_intake", "practice_cost")
                          if getattr(self, k) is None]

    def text_values(self) -> dict[str, str]:
        """Settings a person may read (in seek_help and /about)."""
        values = {"retention_days": str(self.retention_days)}
        values["encrypted" if self.data_key else "plaintext"] = "yes"
        for key in ("practice_name", "intake_url", "practice_phone", "practice_hours", "privacy_url",
                    "practice_offers", "practice_after_intake", "practice_cost"):
            value = getattr(self, key)
            if value:
                values[key] = value
        return values


class SettingsError(Exception):
    pass


def load_settings(**overrides: object) -> Settings:
    """Settings, or SettingsError with one line per problem naming the variable."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            env = name.upper() if name.upper().startswith("TELEGRAM_") else f"FULCRUM_{name.upper()}"
            msg = str(err["msg"]).removeprefix("Value error, ")
            if name == "retention_days":
                msg = "must be a whole number of days, 1 or more (e.g. 365)"
            if name == "lock_idle_minutes":
                msg = "must be a whole number of minutes from 1 to 1440 (e.g. 15)"
            lines.append(f"setting {env}: {msg}")
        raise SettingsError("\n".join(lines)) from None
