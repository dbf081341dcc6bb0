"""Settings read from environment variables, with safe local defaults.

One settings object serves every service; the service name picks its schema, topic and port.
"""

import os
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Literal

from psycopg.conninfo import conninfo_to_dict
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("channel", "order", "inventory", "billing", "traceability", "analytics")
ServiceName = Literal["channel", "order", "inventory", "billing", "traceability"]


# Keys anyone can read in this file must never sign a production token or audit checkpoint.
LOCAL_JWT_SECRET = "local-development-signing-key-not-for-production"
LOCAL_AUDIT_SIGNING_KEY = "bG9jYWwtYXVkaXQta2V5LW5vdC1mb3ItcHJvZHVjdGk="  # 32 bytes, base64


# Unset, DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS name the local servers `make run` starts, on the ports
# scripts/postgres.sh and scripts/kafka.sh pick (PGPORT_LOCAL, KAFKA_PORT), so `erp` finds the same ones.
def local_database_url() -> str:
    return f"postgresql://postgres@127.0.0.1:{os.environ.get('PGPORT_LOCAL') or 15432}/erp"


def local_kafka_bootstrap() -> str:
    return f"127.0.0.1:{os.environ.get('KAFKA_PORT') or 19092}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    environment: Literal["local", "test", "production"] = Field("local", alias="ERP_ENV")
    database_url: str = Field(default_factory=local_database_url, alias="DATABASE_URL")
    kafka_bootstrap_servers: str = Field(default_factory=local_kafka_bootstrap, alias="KAFKA_BOOTSTRAP_SERVERS")
    topic_partitions: int = Field(3, ge=1, alias="KAFKA_TOPIC_PARTITIONS")
    topic_replication_factor: int = Field(1, ge=1, alias="KAFKA_REPLICATION_FACTOR")
    # Prefixes every schema and topic, so test runs and demos never share state.
    namespace: str = Field("", alias="ERP_NAMESPACE", pattern=r"^[a-z0-9_]*$")
    # Unset, DDL (schemas, event tables, their triggers) runs on database_url; set, it runs as this owner role and
    # database_url is the application role that may only read and append events (see README "Database roles").
    database_owner_url: str | None = Field(None, alias="DATABASE_OWNER_URL")
    # The auditor API's read-only role; unset, it reads through database_url.
    auditor_database_url: str | None = Field(None, alias="AUDITOR_DATABASE_URL")
    # Local development tokens (`erp token`), HS256 with this key: trusted only when ERP_ENV is not production.
    jwt_secret: str = Field(LOCAL_JWT_SECRET, alias="JWT_SECRET", min_length=32)
    jwt_issuer: str = Field("meddev-erp", alias="JWT_ISSUER")
    # The company's identity provider (OIDC): access tokens signed RS256/ES256 with a key from its JWKS.
    oidc_issuer: str | None = Field(None, alias="OIDC_ISSUER")
    oidc_audience: str | None = Field(None, alias="OIDC_AUDIENCE")
    oidc_jwks_url: str | None = Field(None, alias="OIDC_JWKS_URL")  # default: <issuer>/protocol/openid-connect/certs
    oidc_roles_claim: str = Field("realm_access.roles", alias="OIDC_ROLES_CLAIM")  # dotted path into the claims
    oidc_scopes_claim: str = Field("erp_scopes", alias="OIDC_SCOPES_CLAIM")
    oidc_leeway_seconds: int = Field(30, ge=0, le=300, alias="OIDC_LEEWAY_SECONDS")
    relay_batch_size: int = Field(500, ge=1, alias="RELAY_BATCH_SIZE")
    consumer_batch_size: int = Field(500, ge=1, alias="CONSUMER_BATCH_SIZE")
    poll_interval_seconds: float = Field(0.05, gt=0, alias="POLL_INTERVAL_SECONDS")
    # Ed25519 seed (base64 of 32 bytes) that signs audit checkpoints; auditors verify with its public key.
    audit_signing_key: str = Field(LOCAL_AUDIT_SIGNING_KEY, alias="AUDIT_SIGNING_KEY")
    audit_checkpoint_interval_seconds: float = Field(60, ge=0, alias="AUDIT_CHECKPOINT_INTERVAL_SECONDS")
    # Request bodies above these sizes are refused with a 413 before anything parses them.
    max_json_body_bytes: int = Field(1_048_576, ge=1024, alias="MAX_JSON_BODY_BYTES")
    max_upload_body_bytes: int = Field(10_485_760, ge=1024, alias="MAX_UPLOAD_BODY_BYTES")
    # Requests one API process works on at once; the next is refused at once with 503 and Retry-After
    # (shared/platform/load_shedding.py). Sync routes run in a pool of 40 threads: a few more may wait for one.
    api_max_in_flight: int = Field(64, ge=1, le=10_000, alias="API_MAX_IN_FLIGHT")
    # Items with no registration certificate (注册证) on record may still be received and sold up to and including
    # this day, while their certificates are being migrated; unset (the default), there is no grace.
    certificate_grace_until: date | None = Field(None, alias="REGISTRATION_CERTIFICATE_GRACE_UNTIL")
    # A hospital with no practice licence (医疗机构执业许可证) on record is refused; false only while a migration
    # completes the hospitals' master data (a licence on record that has lapsed refuses the sale either way).
    hospital_licence_required: bool = Field(True, alias="HOSPITAL_LICENCE_REQUIRED")
    # Likewise a distributor with no authorization (授权书) on record: nothing is sold through it.
    distributor_authorization_required: bool = Field(True, alias="DISTRIBUTOR_AUTHORIZATION_REQUIRED")
    # How far (percent, either way) the order desk may quote from the rulebook's price without a pricing manager.
    quote_deviation_percent: Decimal = Field(Decimal("5"), ge=0, le=100, alias="QUOTE_DEVIATION_PERCENT")

    @model_validator(mode="after")
    def _refuse_local_secret_in_production(self) -> "Settings":
        if self.environment == "production" and self.jwt_secret == LOCAL_JWT_SECRET:
            raise ValueError("JWT_SECRET must be set to a real secret when ERP_ENV=production")
        if self.environment == "production" and self.audit_signing_key == LOCAL_AUDIT_SIGNING_KEY:
            raise ValueError("AUDIT_SIGNING_KEY must be set to a real key when ERP_ENV=production")
        return self

    def schema_for(self, service: str) -> str:
        return f"{self.namespace}{service}_service"

    def topic_for(self, service: str) -> str:
        return f"{self.namespace}{service}.events"

    @property
    def checkpoint_topic(self) -> str:
        """Signed audit checkpoints of every service, kept apart from the events they vouch for."""
        return f"{self.namespace}audit.checkpoints"

    def postgres_env(self, service: str) -> dict[str, str]:
        """The environment the eventsourcing library reads its PostgreSQL settings from."""
        params = conninfo_to_dict(self.database_url)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(params.get("dbname", "erp")),
            "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
            "POSTGRES_PORT": str(params.get("port", "5432")),
            "POSTGRES_USER": str(params.get("user", "postgres")),
            "POSTGRES_PASSWORD": str(params.get("password", "")),
            "POSTGRES_SCHEMA": self.schema_for(service),
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_MAX_OVERFLOW": "5",
            "POSTGRES_LOCK_TIMEOUT": "5",
            # Also how long a command waits for a pooled connection (the library's default is 30 s): with the
            # database away, the API answers 503 within seconds instead of hanging.
            "POSTGRES_CONNECT_TIMEOUT": "3",
            "CREATE_TABLE": "y",
            # Aggregates are cached and fast-forwarded from the store (only newer events are read), so a
            # busy item with a long history is not replayed from its first event on every command.
            "AGGREGATE_CACHE_MAXSIZE": "10000",
        }


@lru_cache
def get_settings() -> Settings:
    return Settings()
