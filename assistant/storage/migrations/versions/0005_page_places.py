"""documents: page labels; chunks: page label and boxes on the page image

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-15
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_labels", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("chunks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_label", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("boxes", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("chunks", schema=None) as batch_op:
        batch_op.drop_column("boxes")
        batch_op.drop_column("page_label")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("page_labels")
