"""customers, agents, tickets, their audit log and SLA alerts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(64), nullable=False, unique=True),
        sa.Column("email", sa.String(254), nullable=True, unique=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("plan", sa.String(32), nullable=False),
        sa.Column("lang", sa.String(8), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "customer_identities",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey("customers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(254), nullable=False),
        sa.UniqueConstraint("channel", "external_id"),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("queues", sa.JSON, nullable=False),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("available", sa.Boolean, nullable=False),
        sa.Column("last_seen_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(16), nullable=True, unique=True),
        sa.Column(
            "conversation_id",
            sa.String(128),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "customer_id",
            sa.Integer,
            sa.ForeignKey("customers.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("queue", sa.String(32), nullable=False),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column(
            "assignee_id",
            sa.String(64),
            sa.ForeignKey("agents.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("plan", sa.String(32), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("routing", sa.JSON, nullable=False),
        sa.Column("sla_rule", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("first_response_at", _TS, nullable=True),
        sa.Column("resolved_at", _TS, nullable=True),
        sa.Column("closed_at", _TS, nullable=True),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("breach_at", _TS, nullable=False),
        sa.Column("resolution_due_at", _TS, nullable=True),
        sa.Column("breached_at", _TS, nullable=True),
        sa.Column("resolution_breached_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_index("ix_tickets_queue_status", "tickets", ["queue", "status"])
    op.create_index("ix_tickets_conversation_id", "tickets", ["conversation_id"])
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "ticket_id", sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("at", _TS, nullable=False),
    )
    op.create_index("ix_ticket_events_ticket_id_id", "ticket_events", ["ticket_id", "id"])
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "ticket_id", sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("delivered_at", _TS, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    # Batch mode: SQLite cannot add a foreign-key column with plain ALTER TABLE.
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("customer_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_conversations_customer_id",
            "customers",
            ["customer_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("ticket_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_messages_ticket_id", "tickets", ["ticket_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint("fk_messages_ticket_id", type_="foreignkey")
        batch.drop_column("ticket_id")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_constraint("fk_conversations_customer_id", type_="foreignkey")
        batch.drop_column("customer_id")
    op.drop_table("alerts")
    op.drop_index("ix_ticket_events_ticket_id_id", table_name="ticket_events")
    op.drop_table("ticket_events")
    op.drop_index("ix_tickets_conversation_id", table_name="tickets")
    op.drop_index("ix_tickets_queue_status", table_name="tickets")
    op.drop_table("tickets")
    op.drop_table("agents")
    op.drop_table("customer_identities")
    op.drop_table("customers")
