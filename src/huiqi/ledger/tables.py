"""The ledger's tables (SQLAlchemy 2 declarative mappings): an adapter, not the domain.

Money is stored as whole fen in BIGINT columns named `*_fen`: SQLite has no exact decimal
type (SQLAlchemy's Numeric goes through float there), and integer fen is exact on every
database and sums exactly in SQL. The mapped attributes are Decimal yuan.

Every row that users change carries a `version` (SQLAlchemy's version counter): the API's
ETag, and a second guard against lost updates besides the row locks taken by services.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from huiqi.money import FEN

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Fen(TypeDecorator[Decimal]):
    """Decimal yuan in Python, whole fen (BIGINT) in the database; refuses fractions of a fen."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"money must be Decimal, not {type(value).__name__}")
        fen = value / FEN
        if fen != fen.to_integral_value():
            raise ValueError(f"{value} is not a whole number of fen")
        return int(fen)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else (Decimal(value) * FEN).quantize(FEN)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored and returned timezone-aware in UTC on both databases."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite drops the zone; we only store UTC
            return value.replace(tzinfo=UTC)
        # PostgreSQL answers in the session's time zone (Asia/Shanghai on a server set up in China):
        # the same instant, in UTC, so that it prints and hashes (audit chain) the same everywhere.
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class User(Base):
    """A person or system with a role; signs in with an API token, and with a password if one is set.

    `password_hash` is an argon2id hash (PHC string); `failed_sign_ins` counts consecutive wrong
    passwords and `locked_until` holds the end of a lockout (huiqi.ledger.passwords).
    """

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    password_hash: Mapped[str | None] = mapped_column(Text, default=None)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)


class Enterprise(Base):
    """The enterprise catalogue, keyed by credit code; `facts` is the calculator's Enterprise."""

    __tablename__ = "enterprises"
    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(40), index=True)
    facts: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read once by SQLAlchemy


class Project(Base):
    """Anything a measure applies to: a project, a lease, an R&D institution or a platform.

    `ref` is the id the facts use (unique within the enterprise); `facts` is the calculator's
    model of that kind.
    """

    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("enterprise_id", "ref"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    ref: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))  # project | lease | institution | platform
    name: Mapped[str] = mapped_column(String(200))
    facts: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    enterprise: Mapped[Enterprise] = relationship()
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read once by SQLAlchemy


class Application(Base):
    """One measure applied for, for one project, for one year."""

    __tablename__ = "applications"
    __table_args__ = (Index("ix_applications_state_measure", "state", "measure"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # None for measures that apply to the enterprise itself (rent, revenue milestones)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    measure: Mapped[str] = mapped_column(String(100))
    policy: Mapped[str] = mapped_column(String(60))
    year: Mapped[int]
    state: Mapped[str] = mapped_column(String(20))
    requested: Mapped[Decimal | None] = mapped_column("requested_fen", Fen())
    submitted_on: Mapped[date | None] = mapped_column(Date)  # the policies are applied as of this day
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: imported / system
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    enterprise: Mapped[Enterprise] = relationship()
    project: Mapped[Project | None] = relationship()
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read once by SQLAlchemy


class ApplicationEvent(Base):
    """The application's own history: each transition with its actor, role, time and reason."""

    __tablename__ = "application_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class Review(Base):
    """An expert review: scores, the decided amount within the allowed range, conflict of interest."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(100))
    scores: Mapped[list[Any]]  # [{"expert": ..., "score": "86.5"}], scores as decimal text
    conflict_of_interest: Mapped[bool] = mapped_column(Boolean)
    decided: Mapped[Decimal | None] = mapped_column("decided_fen", Fen())  # None when the expert recused
    decided_rate: Mapped[str | None] = mapped_column(String(20))
    opinion: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class Award(Base):
    __tablename__ = "awards"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"))
    measure: Mapped[str] = mapped_column(String(100), index=True)
    policy: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(60))
    year: Mapped[int]
    amount: Mapped[Decimal] = mapped_column("amount_fen", Fen())
    approved_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime]
    application: Mapped[Application] = relationship()
    tranches: Mapped[list[Tranche]] = relationship(back_populates="award", order_by="Tranche.seq")


class Tranche(Base):
    """One instalment of an award: due when its trigger is met, then paid once."""

    __tablename__ = "tranches"
    __table_args__ = (UniqueConstraint("award_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    seq: Mapped[int]
    trigger: Mapped[str] = mapped_column(String(20))  # approval | acceptance | annual
    share: Mapped[str] = mapped_column(String(20))
    title: Mapped[str | None] = mapped_column(String(100))
    policy: Mapped[str] = mapped_column(String(60))
    year: Mapped[int]  # the budget year it is charged to
    amount: Mapped[Decimal] = mapped_column("amount_fen", Fen())
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    award: Mapped[Award] = relationship(back_populates="tranches")
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read once by SQLAlchemy


class Payment(Base):
    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    tranche_id: Mapped[int] = mapped_column(ForeignKey("tranches.id"), unique=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    amount: Mapped[Decimal] = mapped_column("amount_fen", Fen())
    paid_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(100), default="")
    paid_by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    tranche: Mapped[Tranche] = relationship()


class Budget(Base):
    """A policy's budget for one year. committed and paid are kept by approvals and payments."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("policy", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    policy: Mapped[str] = mapped_column(String(60))
    year: Mapped[int]
    allocated: Mapped[Decimal] = mapped_column("allocated_fen", Fen())
    committed: Mapped[Decimal] = mapped_column("committed_fen", Fen())
    paid: Mapped[Decimal] = mapped_column("paid_fen", Fen())
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read once by SQLAlchemy


class IdempotentRequest(Base):
    """The response to a POST made with an Idempotency-Key, stored in the same transaction."""

    __tablename__ = "idempotent_requests"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class AuditEvent(Base):
    """Append-only, hash-chained: hash = sha256(prev_hash + canonical JSON of the event)."""

    __tablename__ = "audit_events"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(60))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # sha256 of the row's full content after the change (token and password hashes included), over
    # the columns named in `after`; None for a delete and for events recorded before revision 0002
    row_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the chain's last seq and hash. Locked by every writer, so the chain is one line."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class Calculation(Base):
    """A calculator result kept for its permalink: the facts, the day, the library's digest and
    what the engine said then, in both languages (so the link shows exactly that result)."""

    __tablename__ = "calculations"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    facts: Mapped[dict[str, Any]]
    as_of: Mapped[date] = mapped_column(Date)
    library_digest: Mapped[str] = mapped_column(String(64))
    choices: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any]]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]


class WebSession(Base):
    """A signed-in browser: the hash of its cookie's random token, its user, and its expiry."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class Attachment(Base):
    """A document attached to an application. The file is in the attachments folder under
    `stored_name` (random); `filename` is only what the user called it, shown and offered back
    on download, never used as a path. `media_type` is what the content is (huiqi.ledger.file_types)."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime]


class MonitorEntry(Base):
    """One enterprise's indicators for one year in the statistical monitoring catalogue
    (huiqi.monitor.indicators). A correction is a new version; every version is kept, the highest
    counts."""

    __tablename__ = "monitor_entries"
    __table_args__ = (UniqueConstraint("credit_code", "year", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18))
    year: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(40))
    field: Mapped[str | None] = mapped_column(String(60), default=None)
    above_scale: Mapped[bool] = mapped_column(Boolean, default=False)
    main_revenue: Mapped[Decimal] = mapped_column("main_revenue_fen", Fen())
    ai_revenue: Mapped[Decimal] = mapped_column("ai_revenue_fen", Fen())
    employees: Mapped[int] = mapped_column(Integer)
    ai_talents: Mapped[int] = mapped_column(Integer)
    rd_spend: Mapped[Decimal] = mapped_column("rd_spend_fen", Fen())
    patents_applied: Mapped[int] = mapped_column(Integer)
    patents_granted: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(255))
    """The file (and row) it was imported from."""
    imported_by: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime]


class ScenarioCall(Base):
    """An application-scenario call (揭榜挂帅): its state as huiqi.monitor.call_data writes it, the
    experts' marks apart in `scores` (redacted from the audit log's readable values, so no one reads
    them there before the panel closes; the row digest still covers them)."""

    __tablename__ = "scenario_calls"
    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20), index=True)
    state: Mapped[dict[str, Any]]
    scores: Mapped[list[Any]]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read once by SQLAlchemy


class ScenarioEvent(Base):
    """One step of a call (publish, submit, panel, recuse, score, rank, object, decide, award)."""

    __tablename__ = "scenario_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("scenario_calls.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime]
    detail: Mapped[dict[str, Any]]


class ProposalAttachment(Base):
    """A document a proposal to a scenario call came with: as an application's (`Attachment`), the
    file under a random name in the attachments folder, `filename` only what the user called it."""

    __tablename__ = "proposal_attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("scenario_calls.id"), index=True)
    proposal: Mapped[str] = mapped_column(String(60))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime]


AUDITED = (
    User,
    Enterprise,
    Project,
    Application,
    ApplicationEvent,
    Review,
    Award,
    Tranche,
    Payment,
    Budget,
    Attachment,
    MonitorEntry,
    ScenarioCall,
    ScenarioEvent,
    ProposalAttachment,
)
