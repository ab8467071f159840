"""till tenders and gifts: cash rounding on a sale, gift lines, points given back, points paying
online orders

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (in place on SQLite too): no table is copied.
    op.add_column('customer_order', sa.Column('cash_rounding', sa.BigInteger(), nullable=False,
                                              server_default='0'))
    op.add_column('order_line', sa.Column('gift', sa.String(length=64), nullable=True))
    # Each batch of till sales looks up the gifts granted for its sales by reference.
    op.create_index('ix_giveaway_grant_reference', 'giveaway_grant', ['reference'], unique=False)
    # Points given back (a points tender taken back, a return): a kind of its own, beside the
    # earned points a return takes back ('adjust') under the same reference. SQLite copies the
    # table to change a CHECK constraint; batch mode does that.
    with op.batch_alter_table('customer_points', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_customer_points_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_customer_points_kind'),
                                         "kind IN ('earn', 'redeem', 'refund', 'adjust')")
    # A member's points pay (part of) an online order as a payment of their own.
    with op.batch_alter_table('payment_intent', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_intent_tender'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payment_intent_tender'),
                                         "tender IN ('cash', 'alipay_qr', 'alipay_code', 'points')")


def downgrade() -> None:
    op.execute("DELETE FROM payment_refund WHERE intent_id IN "
               "(SELECT id FROM payment_intent WHERE tender = 'points')")
    op.execute("DELETE FROM payment_intent WHERE tender = 'points'")
    with op.batch_alter_table('payment_intent', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_intent_tender'), type_='check')
        batch_op.create_check_constraint(op.f('ck_payment_intent_tender'),
                                         "tender IN ('cash', 'alipay_qr', 'alipay_code')")
    # Points given back stay in the balance: they become adjustments, under a reference of
    # their own (a return's earned points taken back are 'adjust' under the return's reference).
    op.execute("UPDATE customer_points SET kind = 'adjust', reference = 'refund:' || reference "
               "WHERE kind = 'refund'")
    with op.batch_alter_table('customer_points', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_customer_points_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_customer_points_kind'),
                                         "kind IN ('earn', 'redeem', 'adjust')")
    op.drop_index('ix_giveaway_grant_reference', table_name='giveaway_grant')
    op.drop_column('order_line', 'gift')
    op.drop_column('customer_order', 'cash_rounding')
