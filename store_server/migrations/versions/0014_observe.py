"""observe: the request that wrote each event, and what devices report with their sync calls

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns added in place (no table copy on SQLite): earlier events had no request
    # id, and no device has reported yet.
    op.add_column('event', sa.Column('request_id', sa.String(length=128), nullable=True))
    op.add_column('device', sa.Column('feed_position', sa.BigInteger(), nullable=True))
    op.add_column('device', sa.Column('outbox_depth', sa.Integer(), nullable=True))


def downgrade() -> None:
    # SQLite (3.35+) drops an unindexed column in place, without copying the event log.
    op.drop_column('device', 'outbox_depth')
    op.drop_column('device', 'feed_position')
    op.drop_column('event', 'request_id')
