"""Every table of the store server, imported in one place for Alembic and tests."""

from store_server.accounts.models import ApiToken, AuditEntry, SignInThrottle, User
from store_server.api.models import IdempotentRequest
from store_server.catalog.models import Gtin, Price, PriceList, Product, ProductTranslation, Sku
from store_server.customers.models import Customer, PointsEntry
from store_server.db import Base
from store_server.devices.models import Device
from store_server.events.models import Event, EventCounter
from store_server.inventory.models import (
    StockCount,
    StockLevel,
    StockMovement,
    Transfer,
    TransferLine,
)
from store_server.jobs.models import Job
from store_server.locations.models import Location
from store_server.orders.models import (
    Order,
    OrderDiscount,
    OrderLine,
    OrderTax,
    OrderTender,
    OrderTransition,
)
from store_server.payments.models import GatewayCall, PaymentAttempt, PaymentIntent, PaymentRefund
from store_server.promotions.models import GiveawayCounter, GiveawayGrant, Promotion
from store_server.recommendations.models import BoughtTogether, ForYou, PopularSku, RecommendationRun
from store_server.tills.models import CashSession, SaleReturn, SaleReturnLine, SaleReturnRefund
from store_server.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

metadata = Base.metadata

__all__ = [
    "ApiToken", "AuditEntry", "BoughtTogether", "CashSession", "Customer", "Device", "Event", "EventCounter",
    "ForYou", "GatewayCall", "GiveawayCounter", "GiveawayGrant", "Gtin", "IdempotentRequest", "Job",
    "Location", "Order", "OrderDiscount", "OrderLine", "OrderTax", "OrderTender", "OrderTransition",
    "PaymentAttempt", "PaymentIntent", "PaymentRefund", "PointsEntry", "PopularSku", "Price",
    "PriceList", "Product", "ProductTranslation", "Promotion", "RecommendationRun", "SaleReturn",
    "SaleReturnLine", "SaleReturnRefund", "SignInThrottle", "Sku", "StockCount", "StockLevel",
    "StockMovement", "Transfer", "TransferLine", "User", "WebhookAttempt", "WebhookDelivery",
    "WebhookSubscription", "metadata",
]
