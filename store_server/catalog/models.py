"""Catalogue rows: product → SKU → GTINs, and prices per price list with validity windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store_server.db import Base, BigID, JSONDoc, UTCDateTime, utcnow


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    brand: Mapped[str] = mapped_column(String(120), default="")
    category: Mapped[str] = mapped_column(String(120), default="", index=True)
    origin: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    image_urls: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    translations: Mapped[list[ProductTranslation]] = relationship(
        back_populates="product", cascade="all, delete-orphan", lazy="selectin"
    )
    skus: Mapped[list[Sku]] = relationship(back_populates="product")


class ProductTranslation(Base):
    __tablename__ = "product_translation"

    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    locale: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")

    product: Mapped[Product] = relationship(back_populates="translations")


class Sku(Base):
    __tablename__ = "sku"
    __table_args__ = (CheckConstraint("sold_by IN ('unit', 'weight')", name="sold_by"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    # Stock of weighed goods is kept in grams; of everything else, in pieces.
    sold_by: Mapped[str] = mapped_column(String(10), default="unit")
    tax_class: Mapped[str] = mapped_column(String(20), default="standard")
    variant: Mapped[dict[str, str]] = mapped_column(JSONDoc, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship(back_populates="skus")
    gtins: Mapped[list[Gtin]] = relationship(back_populates="sku", cascade="all, delete-orphan")


class Gtin(Base):
    """A GTIN in its 14-digit form: the key a till, a kiosk and a phone resolve a scan by."""

    __tablename__ = "gtin"

    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"), index=True)

    sku: Mapped[Sku] = relationship(back_populates="gtins")


class PriceList(Base):
    __tablename__ = "price_list"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    # US and Canadian shelf prices exclude sales tax; elsewhere prices include VAT.
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Price(Base):
    """One price of a SKU in a price list, valid in ``[valid_from, valid_to)``.

    For SKUs sold by weight the amount is per kilogram.
    """

    __tablename__ = "price"
    __table_args__ = (
        UniqueConstraint("price_list_id", "sku_id", "valid_from", name="uq_price_window_start"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="window_order"),
        Index("ix_price_lookup", "price_list_id", "sku_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_list.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
