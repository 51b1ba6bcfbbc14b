"""answer_jobs: the events being answered, with a lease, so that another instance finishes an answer
whose process died (bot/channels/slack/jobs.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A database that create_all made (stamped at 0001 by bot/migrations.upgrade) may hold the table
    # already, when it was made by a version with this model: it is then left as it is.
    if "answer_jobs" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "answer_jobs",
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("team_id", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.Column("channel_type", sa.String(length=20), nullable=True),
        sa.Column("thread_ts", sa.String(length=50), nullable=True),
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("claimed_by", sa.String(length=40), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("takeovers", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempt_channel", sa.String(length=200), nullable=True),
        sa.Column("answered_ts", sa.String(length=50), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("answer_jobs") as batch:
        batch.create_index(batch.f("ix_answer_jobs_at"), ["at"], unique=False)
        batch.create_index(batch.f("ix_answer_jobs_status"), ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("answer_jobs")  # its indexes go with it
