"""The one settings object: every secret and knob comes from the environment (or `.env`)."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Settings of the hub and the launcher; field names are the environment variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means a SQLite file under var/."
    )
    redis_url: str = Field(default="", description="Empty: the launcher starts an embedded server.")
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_s: float = Field(default=30.0, gt=0)
    rasa_auth_token: SecretStr | None = Field(
        default=None,
        description="Rasa's --auth-token, sent by the hub on Rasa's HTTP API; `make run` "
        "makes one per run when unset.",
    )
    action_secret: SecretStr | None = Field(
        default=None,
        description="Bearer token Rasa sends to the action endpoint; unset: the endpoint "
        "refuses every call (`make run` makes one per run).",
    )
    hub_host: str = "127.0.0.1"
    hub_port: int = Field(default=8000, ge=0, le=65535)
    rasa_port: int = Field(default=5005, ge=0, le=65535)
    max_text_bytes: int = Field(default=4096, gt=0)
    log_level: str = "info"
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Base of the links we send customers."
    )
    var_dir: Path = PROJECT_ROOT / "var"
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs and hashes what must not be forged or read (verification codes, "
        "identity tokens). Required by `python -m bot hub`; `make run` keeps one per install "
        "in var/secret_key.",
    )
    demo_data: bool = Field(
        default=False,
        description="Demo customers and agents: `make run` seeds them unless this is false; "
        "`python -m bot hub` refuses to start while it is true.",
    )
    demo_password: SecretStr | None = Field(
        default=None,
        description="Console password of the demo users; unset: `make run` makes one per "
        "install and prints it once.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses/networks (comma-separated) of the reverse proxies whose "
        "X-Forwarded-For is believed; empty: the connection's own address, always.",
    )
    sla_check_interval_s: float = Field(default=60.0, gt=0)
    privacy_export_ttl_h: int = Field(
        default=48, gt=0, le=720, description="How long a mailed data-export link works."
    )
    privacy_purge_interval_s: float = Field(
        default=600.0, gt=0, description="How often expired data-export archives are deleted."
    )
    alert_slack_channel: str = ""
    slack_bot_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="With SLACK_BOT_TOKEN: customers write to the Slack app."
    )
    slack_handoff_channel: str = Field(
        default="", description="A channel id where each new hand-off is announced."
    )
    alert_email_to: str = ""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "support@imageko.com"
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    email_receiver_host: str = "127.0.0.1"
    email_receiver_port: int = Field(default=0, ge=0, le=65535, description="0: no receiver.")
    imap_host: str = Field(default="", description="Empty: no IMAP polling.")
    imap_port: int = Field(default=993, ge=1, le=65535)
    imap_user: str = ""
    imap_password: SecretStr | None = None
    imap_ssl: bool = True
    imap_poll_s: float = Field(default=60.0, gt=0)
    outbox_interval_s: float = Field(default=2.0, gt=0)
    telegram_bot_token: SecretStr | None = Field(default=None, description="Unset: no Telegram.")
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, description="setWebhook's secret_token; unset: the hub polls getUpdates."
    )
    telegram_api_url: str = "https://api.telegram.org/bot"
    x_consumer_key: str = Field(default="", description="Empty: no X direct messages.")
    x_consumer_secret: SecretStr | None = None
    x_access_token: SecretStr | None = None
    x_access_token_secret: SecretStr | None = None
    x_bot_user_id: str = ""
    x_api_url: str = Field(default="", description="Another origin for the X API (tests).")
    meta_app_secret: SecretStr | None = Field(
        default=None, description="Unset: no Messenger or Instagram (signs Meta's webhooks)."
    )
    meta_verify_token: SecretStr | None = None
    messenger_page_token: SecretStr | None = None
    instagram_token: SecretStr | None = None
    meta_page_id: str = ""
    instagram_account_id: str = ""
    meta_graph_url: str = "https://graph.facebook.com/v21.0"
    x_poll_interval_s: float = Field(
        default=0.0, ge=0, description="Read DMs every this many seconds; 0: webhook only."
    )
    # Public rate limits (REST API, web chat, uploads): hits per fixed window, in Redis.
    rate_window_s: int = Field(default=60, gt=0, description="The window of every public limit.")
    rate_messages_per_conversation: int = Field(default=20, gt=0)
    rate_messages_per_address: int = Field(default=120, gt=0)
    rate_conversations_per_address: int = Field(default=30, gt=0)
    rate_uploads_per_conversation: int = Field(default=5, gt=0)
    rate_uploads_per_address: int = Field(default=20, gt=0)
    # How old a delivery may be, by the time in its signed payload, before it is dropped as a
    # replay. At most 7 days: the delivery ids seen are kept that long
    # (bot.conversations.replays.RETENTION), so every replay is caught by its time or its id.
    telegram_max_age_s: float = Field(default=24 * 3600, gt=0, le=7 * 24 * 3600)
    meta_max_age_s: float = Field(default=24 * 3600, gt=0, le=7 * 24 * 3600)
    x_max_age_s: float = Field(default=24 * 3600, gt=0, le=7 * 24 * 3600)

    def signing_key(self) -> bytes:
        """The secret key's bytes; a random one (per settings object) when none is set."""
        if self.secret_key is None:
            self.secret_key = SecretStr(secrets.token_hex(32))
        return self.secret_key.get_secret_value().encode()

    @property
    def effective_database_url(self) -> str:
        """The configured database, or the default SQLite file under `var_dir`."""
        return self.database_url or f"sqlite:///{self.var_dir / 'imageko.db'}"


def load_settings() -> Settings:
    """Read the settings now (never at import time, so tests and the launcher can set the env)."""
    return Settings()
