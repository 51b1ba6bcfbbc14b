"""Settings, read from the environment and a .env file (pydantic-settings).

Every setting is documented in .env.example; keep the two in step.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import SettingsError


class Settings(BaseSettings):
    # An empty variable (CCOBOT_DATA=) means "the default", as .env.example documents.
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      env_ignore_empty=True)

    # Where the bot keeps what it makes: the demo store, the Chroma index, the state database.
    ccobot_home: Path = Field(default=Path(".ccobot"))
    # A read-only cache of the language resources (`ccobot cache-seed DIR`, run when an image is built):
    # entries found there are read, not built, so a new instance starts as fast as a restart.
    ccobot_cache_seed: Path | None = None
    # A metrics-store folder or a CRM mapping file; empty means the demo store under CCOBOT_HOME.
    ccobot_data: Path | None = None
    # A warehouse holding the canonical tables (bot/metrics/warehouse.py), as an Ibis URL: duckdb://path,
    # postgres://user@host/db, bigquery://project/dataset, snowflake://…, trino://…; empty: the file store.
    ccobot_warehouse_url: str | None = None
    # Seconds a warehouse statement may run before the server cancels it (PostgreSQL); 0: no limit.
    ccobot_warehouse_timeout_seconds: float = Field(default=120, ge=0, le=86400)
    # Deals in the demo store built on first use, and the day it runs up to (empty: the day it is built).
    ccobot_demo_deals: int = Field(default=20_000, ge=100)
    ccobot_demo_as_of: date | None = None
    # The state database (SQLAlchemy URL, e.g. postgresql+psycopg://…); empty: a SQLite file under CCOBOT_HOME.
    database_url: str | None = None
    # How long start-up waits for a database server that is not answering yet (retried with backoff).
    ccobot_db_wait_seconds: float = Field(default=30, ge=0, le=3600)
    # The playbook documents, and where their index lives (a Chroma server, else a folder under CCOBOT_HOME).
    ccobot_knowledge: Path = Field(default=Path("knowledge"))
    chroma_url: str | None = None
    # Embeddings: hashing (offline default), sentence-transformers:<model name or path>, openai:<model>.
    ccobot_embeddings: str = "hashing"
    # An OpenAI-compatible endpoint (OpenAI, Azure OpenAI, Ollama, vLLM …); the key is never logged.
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    # The language model (bot/llm): none without a key (then everything is offline). Chat Completions,
    # as local servers implement it; per-call timeout and retries; a monthly token budget (0: none).
    ccobot_model: str = "gpt-4o-mini"
    ccobot_llm_timeout: float = Field(default=8.0, gt=0, le=120)
    ccobot_llm_retries: int = Field(default=2, ge=0, le=10)
    ccobot_llm_monthly_tokens: int = Field(default=2_000_000, ge=0)
    # USD per million input / output tokens: the cost each model call logs (gpt-4o-mini's list price)
    ccobot_llm_usd_per_mtok_in: float = Field(default=0.15, ge=0)
    ccobot_llm_usd_per_mtok_out: float = Field(default=0.60, ge=0)
    # Narration (bot/llm/narrate.py): a model-written sentence under KPI answers and the digest's
    # "three things to know today", from aggregates only, every number checked. Off: all offline.
    ccobot_narrate: bool = False
    # Slack: the bot token (xoxb-), the signing secret (HTTP), the app-level token (xapp-, Socket Mode),
    # the Web API base URL (GovSlack, proxies, tests) and the HTTP port.
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None
    # Installable in several workspaces (Bolt's OAuth flow, bot/channels/slack/oauth.py): the app's
    # client id and secret turn it on (no SLACK_BOT_TOKEN then: each workspace's token is kept in the
    # state database); the redirect URL, when the app registers more than one.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_redirect_uri: str | None = None
    port: int = 3000
    # GET /metrics (Prometheus) asks for `Authorization: Bearer <this>` when set; open when empty.
    ccobot_metrics_token: SecretStr | None = None
    # Threads answering Slack events (each answer runs on one; acks never wait for them).
    slack_workers: int = Field(default=16, ge=1, le=256)
    # Which chat `ccobot serve` and the digests use: slack, teams, or auto (Teams when its app id
    # or anonymous mode is set and Slack's token is not; Slack and Teams side by side when both are).
    ccobot_channel: Literal["auto", "slack", "teams"] = "auto"
    # Microsoft Teams (bot/channels/teams): the Azure Bot's app registration. With an app id the
    # Teams endpoint (/api/messages) is served and every request's Bot Connector JWT is checked.
    microsoft_app_id: str | None = None
    microsoft_app_password: SecretStr | None = None
    microsoft_app_tenant_id: str | None = None
    # Local testing only: requests without a token are taken (the Agents SDK's anonymous mode).
    ccobot_teams_anonymous: bool = False
    # A further token issuer to trust besides Microsoft's (its JWKS URL): a local test issuer, or
    # a gateway that re-signs the Bot Connector's requests.
    ccobot_teams_trusted_issuer: str | None = None
    ccobot_teams_trusted_jwks_url: str | None = None
    # Morning digests (contracts/digest.md): how late a missed digest may still go out, how long a
    # run's claim on one lasts before another run may take it over, and the chart in its thread.
    ccobot_digest_grace_minutes: int = Field(default=120, ge=1, le=24 * 60)
    ccobot_digest_lease_seconds: int = Field(default=300, ge=1, le=3600)
    ccobot_digest_chart: bool = True
    # Run the digest scheduler inside `ccobot serve` (only the instance holding the lock ticks).
    ccobot_scheduler_in_serve: bool = True
    # On SIGTERM `ccobot serve` stops taking events and finishes the answers in flight and their
    # posts for at most this long; what is left is answered by another instance after its lease.
    ccobot_shutdown_seconds: float = Field(default=20, ge=0, le=600)
    # An answer whose instance stopped renewing its claim this long is taken over by another; each
    # instance looks for such answers this often (bot/channels/slack/jobs.py).
    ccobot_answer_lease_seconds: float = Field(default=30, ge=1, le=3600)
    ccobot_answer_sweep_seconds: float = Field(default=10, ge=0.1, le=600)

    @property
    def demo_store(self) -> Path:
        return self.ccobot_home / "demo"

    @property
    def data_path(self) -> Path:
        return self.ccobot_data or self.demo_store

    @property
    def teams(self) -> bool:
        """Is Teams configured (an app id, or anonymous mode for local testing)?"""
        return self.ccobot_channel != "slack" and bool(self.microsoft_app_id or self.ccobot_teams_anonymous)

    @property
    def digest_faces(self) -> tuple[str, ...]:
        """Where digests go: Slack with one bot token, Teams when configured, both when both are
        (each person through the face they use), narrowed by CCOBOT_CHANNEL."""
        faces = []
        if self.slack_bot_token is not None and self.ccobot_channel != "teams":
            faces.append("slack")
        if self.teams:
            faces.append("teams")
        return tuple(faces)

    @property
    def state_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.ccobot_home / 'state.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:  # name the variable and the problem, never a traceback
        problems = "; ".join(f"{str(e['loc'][0]).upper()}={e['input']!r}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"a setting in the environment or .env is not valid: {problems}") from None
