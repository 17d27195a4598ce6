"""The SQL schema (docs/schema.md), as SQLAlchemy 2 typed models: the directory admins seed
(:mod:`bridge.models.directory`) and the bridge's own rows (:mod:`bridge.models.own`).

Every id, permission id, configuration id and created_at has a database-side default, so an admin
may INSERT without them. ``migrations/versions`` builds the same schema by hand; a test compares
the two.
"""

from bridge.models.base import Base, created_at_column, flag, uuid_column
from bridge.models.directory import (
    AMI_AUTH_CHECK,
    DIRECTORY_TABLES,
    GRANT_ACTIONS,
    Account,
    Agent,
    CoreServer,
    Extension,
    Grant,
    License,
    Queue,
    User,
)
from bridge.models.own import Allowance, AuditEvent, IdempotencyKey

__all__ = [
    "AMI_AUTH_CHECK",
    "DIRECTORY_TABLES",
    "GRANT_ACTIONS",
    "Account",
    "Agent",
    "Allowance",
    "AuditEvent",
    "Base",
    "CoreServer",
    "Extension",
    "Grant",
    "IdempotencyKey",
    "License",
    "Queue",
    "User",
    "created_at_column",
    "flag",
    "uuid_column",
]
