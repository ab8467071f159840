"""payments: what each gateway trade gave back, and the refund state of cancelled online orders

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (in place on SQLite too): no table is copied.
    op.add_column('payment_attempt', sa.Column('refunded', sa.BigInteger(), nullable=False,
                                               server_default='0'))
    # Until now refunds were counted on the payment only, against its current attempt.
    op.execute(
        "UPDATE payment_attempt SET refunded = (SELECT i.refunded_amount FROM payment_intent i "
        "WHERE i.id = payment_attempt.intent_id) "
        "WHERE EXISTS (SELECT 1 FROM payment_intent i WHERE i.id = payment_attempt.intent_id "
        "AND i.out_trade_no = payment_attempt.out_trade_no AND i.refunded_amount > 0)")
    op.add_column('customer_order', sa.Column('refund_status', sa.String(length=20), nullable=False,
                                              server_default=''))
    op.add_column('customer_order', sa.Column('refunded_amount', sa.BigInteger(), nullable=False,
                                              server_default='0'))


def downgrade() -> None:
    op.drop_column('customer_order', 'refunded_amount')
    op.drop_column('customer_order', 'refund_status')
    op.drop_column('payment_attempt', 'refunded')
