"""receipts: the seller's legal name and tax ID on each location, a till receipt's own number

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (in place on SQLite too): no table is copied.
    op.add_column('location', sa.Column('legal_name', sa.String(length=200), nullable=False,
                                        server_default=''))
    op.add_column('location', sa.Column('tax_id', sa.String(length=40), nullable=False,
                                        server_default=''))
    op.add_column('customer_order', sa.Column('receipt_number', sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column('customer_order', 'receipt_number')
    op.drop_column('location', 'tax_id')
    op.drop_column('location', 'legal_name')
