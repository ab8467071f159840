"""till clocks: the till's own times beside the corrected ones, and flags for the manager

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 09:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import store_server.db

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _review_columns(table: str) -> None:
    # In place, not in batch mode: SQLite adds a column with a constant default without copying
    # the table (customer_order is large and referenced). Rows from before had no flags.
    op.add_column(table, sa.Column('review_flags', JSON, nullable=False, server_default=sa.text("'[]'")))
    op.add_column(table, sa.Column('needs_review', sa.Boolean(), nullable=False, server_default=sa.false()))


def upgrade() -> None:
    # Till documents from before kept only the corrected time: their device times are unknown.
    op.add_column('customer_order', sa.Column('device_occurred_at', store_server.db.UTCDateTime(timezone=True), nullable=True))
    _review_columns('customer_order')
    op.create_index('ix_customer_order_review', 'customer_order', ['location_id', 'needs_review', 'occurred_at'], unique=False)

    op.add_column('sale_return', sa.Column('device_occurred_at', store_server.db.UTCDateTime(timezone=True), nullable=True))
    _review_columns('sale_return')

    op.add_column('cash_session', sa.Column('device_opened_at', store_server.db.UTCDateTime(timezone=True), nullable=True))
    op.add_column('cash_session', sa.Column('device_closed_at', store_server.db.UTCDateTime(timezone=True), nullable=True))
    _review_columns('cash_session')


def downgrade() -> None:
    # SQLite (3.35+) drops an unindexed column in place; the index goes first.
    for column in ('needs_review', 'review_flags', 'device_closed_at', 'device_opened_at'):
        op.drop_column('cash_session', column)
    for column in ('needs_review', 'review_flags', 'device_occurred_at'):
        op.drop_column('sale_return', column)
    op.drop_index('ix_customer_order_review', table_name='customer_order')
    for column in ('needs_review', 'review_flags', 'device_occurred_at'):
        op.drop_column('customer_order', column)
