"""platform deliveries seen (replays survive a Redis restart); verification tries per account

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_deliveries_seen_at", "deliveries", ["seen_at"])
    with op.batch_alter_table("verifications") as batch:
        batch.add_column(sa.Column("subject", sa.String(80), nullable=True))
        batch.add_column(sa.Column("method", sa.String(8), nullable=True))
        batch.add_column(sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True))
    # Attempts made before: an account's own subject; one of an unknown email its own (the
    # address was never kept), so it counts for nobody else.
    op.execute(
        "UPDATE verifications SET subject = CASE WHEN customer_id IS NULL"
        " THEN 'attempt:' || CAST(id AS VARCHAR(20))"
        " ELSE 'customer:' || CAST(customer_id AS VARCHAR(20)) END,"
        " method = CASE WHEN code_hash IS NULL THEN 'app' ELSE 'email' END"
    )
    with op.batch_alter_table("verifications") as batch:
        batch.alter_column("subject", existing_type=sa.String(80), nullable=False)
        batch.alter_column("method", existing_type=sa.String(8), nullable=False)
        batch.create_index(
            "ix_verifications_subject_method_created_at", ["subject", "method", "created_at"]
        )


def downgrade() -> None:
    with op.batch_alter_table("verifications") as batch:
        batch.drop_index("ix_verifications_subject_method_created_at")
        batch.drop_column("mailed_at")
        batch.drop_column("method")
        batch.drop_column("subject")
    op.drop_index("ix_deliveries_seen_at", table_name="deliveries")
    op.drop_table("deliveries")
