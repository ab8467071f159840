"""HTTP for till and kiosk sales: a device pushes its completed sales, each lands once."""

from __future__ import annotations

from typing import Any

from store_server.api import Ctx, operation
from store_server.api.auth import TERMINALS
from store_server.customers.service import QRSettings
from store_server.orders.sales import SalesBatchIn, SalesBatchOut, ingest_sales


# Not `idempotent=True`: every sale carries its own UUID, which makes a resent batch, or a
# batch that overlaps an earlier one, land exactly once sale by sale.
@operation("POST", "/sync/sales", summary="Push completed sales; each is accepted once",
           tag="sync", roles=TERMINALS, body=SalesBatchIn, response=SalesBatchOut)
def post_sales(ctx: Ctx, body: SalesBatchIn) -> dict[str, Any]:
    """Per sale: `accepted` (recorded now), `duplicate` (recorded before with the same content;
    the same order number again) or `rejected` with a `code` and a `reason` (nothing of it was
    recorded; fix it and send it again). The answer is 200 even when some sales are rejected;
    only a batch that is not a batch at all gets a problem response. The store is the device's.
    A `member_qr` an offline till could not check is verified here: valid, the member earns the
    points; forged, revoked or expired, the sale is recorded all the same, without points."""
    return ingest_sales(ctx.session, ctx.who, body, QRSettings.from_config(ctx.config))
