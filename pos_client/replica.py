"""The till's own copy of what it needs to sell offline: catalogue, prices, promotions, stock.

A SQLite file (WAL: the sync thread writes while the cashier's lookups read) kept current from
the server's changes feed (docs/ARCHITECTURE.md). The first sync pages through a snapshot, one
transaction and a handful of ``executemany`` calls per page, so 100,000 SKUs arrive in
seconds; afterwards events are applied in feed order. Every event payload is a whole document
(a SKU, all the price windows of one SKU, a stock level), so applying one twice is harmless,
and the position in the feed is written in the same transaction as the changes it covers: a
till killed mid-sync resumes exactly where its last page ended.

Lookups answer from primary keys (GTIN-14, SKU code) or the FTS5 index (names), well under a
millisecond with 100,000 SKUs.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from pos_client.local_db import LocalDatabase
from pos_client.server_api import ServerApi
from retail.gs1 import InvalidGTIN, validate_gtin
from retail.prices import price_in_force
from retail.promotions import PromotionError, Rule

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sku (
    id INTEGER PRIMARY KEY,            -- the rowid the name index points at
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    sold_by TEXT NOT NULL,
    tax_class TEXT NOT NULL,
    category TEXT NOT NULL,
    brand TEXT NOT NULL,
    active INTEGER NOT NULL,
    doc TEXT NOT NULL                  -- the server's SKU document, for screens and receipts
);
CREATE TABLE IF NOT EXISTS gtin (gtin TEXT PRIMARY KEY, sku TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS gtin_by_sku ON gtin (sku);
CREATE TABLE IF NOT EXISTS price (sku TEXT PRIMARY KEY, windows TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stock (
    sku TEXT PRIMARY KEY, on_hand INTEGER NOT NULL, reserved INTEGER NOT NULL,
    safety_stock INTEGER NOT NULL, available INTEGER NOT NULL, needs_count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS promotion (
    code TEXT PRIMARY KEY, status TEXT NOT NULL, rule TEXT NOT NULL
) WITHOUT ROWID;
"""
FTS_SCHEMA = ("CREATE VIRTUAL TABLE IF NOT EXISTS sku_search USING fts5(text, "
              "tokenize = 'unicode61 remove_diacritics 2')")

_ITEM_SELECT = """
SELECT s.code, s.name, s.sold_by, s.tax_class, s.category, s.brand, s.active, s.doc,
       p.windows, st.on_hand, st.available, st.needs_count
FROM sku s LEFT JOIN price p ON p.sku = s.code LEFT JOIN stock st ON st.sku = s.code
"""
_SKU_UPSERT = """
INSERT INTO sku (code, name, sold_by, tax_class, category, brand, active, doc)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (code) DO UPDATE SET name = excluded.name, sold_by = excluded.sold_by,
    tax_class = excluded.tax_class, category = excluded.category, brand = excluded.brand,
    active = excluded.active, doc = excluded.doc
"""
_STOCK_UPSERT = """
INSERT INTO stock (sku, on_hand, reserved, safety_stock, available, needs_count)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand, reserved = excluded.reserved,
    safety_stock = excluded.safety_stock, available = excluded.available,
    needs_count = excluded.needs_count
"""
SEARCH_CANDIDATES = 300
# Han, kana, hangul: unicode61 keeps a run of them as one token, so "三文鱼" would not find
# "挪威三文鱼"; such searches scan the names with LIKE instead.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass(frozen=True)
class Item:
    """A SKU as the till sells it: what it is, its price windows here, its stock here."""

    code: str
    name: str
    sold_by: str  # "unit" or "weight" (quantities in grams, prices per kilogram)
    tax_class: str
    category: str
    brand: str
    active: bool
    document: dict[str, Any]
    windows: list[dict[str, Any]]
    on_hand: int
    available: int
    needs_count: bool

    def price_at(self, at: datetime) -> int | None:
        return price_in_force(self.windows, at)

    @property
    def variant(self) -> str:
        """What tells this SKU from its siblings ("2 m · white"): the product's name is the
        same for every colour and length of a cable."""
        return " · ".join(str(v) for v in (self.document.get("variant") or {}).values() if v)

    def as_dict(self, at: datetime) -> dict[str, Any]:
        return {"sku": self.code, "name": self.name, "variant": self.variant, "sold_by": self.sold_by,
                "tax_class": self.tax_class, "category": self.category, "brand": self.brand,
                "active": self.active, "price": self.price_at(at), "on_hand": self.on_hand,
                "available": self.available, "needs_count": self.needs_count,
                "gtins": self.document.get("gtins", [])}


@dataclass(frozen=True)
class StoreFacts:
    """What pricing needs to know about the store the till stands in."""

    code: str
    name: str
    country: str
    currency: str
    locale: str
    timezone: str
    price_list: str | None
    document: dict[str, Any]

    @property
    def language(self) -> str:
        return self.locale.split("_")[0]


class ReplicaNotReady(RuntimeError):
    """No first sync has finished: the till has nothing to sell from yet."""


class Replica(LocalDatabase):
    """The local catalogue. Any thread may read; one thread (the sync loop) writes."""

    # The replica can always be rebuilt from the feed, and the feed position commits
    # with the rows it covers, so NORMAL (no fsync per commit) loses nothing that matters.
    SYNCHRONOUS = "NORMAL"

    def __init__(self, path: Path | str) -> None:
        super().__init__(path)
        self._rules_lock = threading.Lock()
        self._rules: tuple[int, list[Rule]] | None = None
        self._generation = 0  # bumped on every promotion change, so cached rules go stale
        db = self._db()
        db.executescript(SCHEMA)  # its own transaction: IF NOT EXISTS makes it safe to repeat
        try:
            db.execute(FTS_SCHEMA)
            self.has_fts = True
        except sqlite3.OperationalError:  # an SQLite built without FTS5: LIKE then
            self.has_fts = False

    # -- connections -----------------------------------------------------------------------

    # -- state -----------------------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self._db().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @property
    def after(self) -> int:
        """The last feed sequence number applied; 0 until the first sync has finished."""
        return int(self._meta("after") or 0)

    @property
    def ready(self) -> bool:
        return self._meta("after") is not None

    @property
    def snapshot_cursor(self) -> str | None:
        return self._meta("snapshot_cursor")

    @property
    def last_synced_at(self) -> str | None:
        return self._meta("synced_at")

    @property
    def cashiers_stale(self) -> bool:
        return self._meta("cashiers_stale") is not None

    def mark_cashiers(self, stale: bool) -> None:
        with self._write() as db:
            if stale:
                self._set(db, "cashiers_stale", "1")
            else:
                db.execute("DELETE FROM meta WHERE key = 'cashiers_stale'")

    def store(self) -> StoreFacts:
        raw = self._meta("store")
        if raw is None:
            raise ReplicaNotReady("the till has not synced its catalogue yet; connect it to the server")
        doc = orjson.loads(raw)
        return StoreFacts(doc["code"], doc.get("name", doc["code"]), doc["country"], doc["currency"],
                          doc.get("locale", "en"), doc.get("timezone", "UTC"),
                          self._meta("price_list"), doc)

    def counts(self) -> dict[str, int]:
        db = self._db()
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                for table in ("sku", "gtin", "price", "stock", "promotion")}

    # -- applying the feed -----------------------------------------------------------------

    def apply_snapshot_page(self, page: dict[str, Any], first: bool, synced_at: str) -> None:
        """One snapshot page in one transaction; the first page replaces whatever was here."""
        with self._write() as db:
            if first:
                self._clear(db)
                self._set_store(db, page["store"], page.get("price_list"))
                self._put_promotions(db, page.get("promotions", []), page["store"]["code"])
            language = _language(self._meta("store"))
            items = page["items"]
            self._put_skus(db, [item["sku"] for item in items], language)
            db.executemany(
                "INSERT INTO price (sku, windows) VALUES (?, ?) ON CONFLICT (sku) DO UPDATE SET "
                "windows = excluded.windows",
                [(item["sku"]["code"], orjson.dumps(item["prices"]).decode()) for item in items])
            db.executemany(_STOCK_UPSERT, [_stock_row(item["sku"]["code"], item["stock"])
                                           for item in items])
            cursor = page.get("next_cursor")
            if cursor:
                self._set(db, "snapshot_cursor", cursor)
            else:
                # The snapshot is whole: from here on, events after the moment it began.
                db.execute("DELETE FROM meta WHERE key = 'snapshot_cursor'")
                self._set(db, "after", str(int(page["resume_after"])))
                self._set(db, "synced_at", synced_at)
        if first:
            self._bump_rules()  # after the commit, so no reader caches the rules of before

    def apply_events(self, page: dict[str, Any], synced_at: str) -> int:
        """Apply one page of events and move the feed position with them; returns how many."""
        events = page["events"]
        store = self.store()
        resnapshot = False
        with self._write() as db:
            for event in events:
                resnapshot |= self._apply_event(db, event, store)
            if resnapshot:
                # The store moved to another price list: every price here is wrong. Start over.
                db.execute("DELETE FROM meta WHERE key IN ('after', 'snapshot_cursor')")
            else:
                self._set(db, "after", str(int(page["next_after"])))
            self._set(db, "synced_at", synced_at)
        if any(e["type"] in ("promotion.upserted", "location.upserted") for e in events):
            self._bump_rules()
        return len(events)

    def _apply_event(self, db: sqlite3.Connection, event: dict[str, Any], store: StoreFacts) -> bool:
        kind, payload = event["type"], event["payload"]
        if kind == "sku.upserted":
            self._put_skus(db, [payload], store.language, replace=True)
        elif kind == "price.changed":
            if payload.get("price_list") == store.price_list:
                db.execute("INSERT INTO price (sku, windows) VALUES (?, ?) ON CONFLICT (sku) DO UPDATE "
                           "SET windows = excluded.windows",
                           (payload["sku"], orjson.dumps(payload["windows"]).decode()))
        elif kind == "stock.changed":
            if payload.get("location") == store.code:
                db.execute(_STOCK_UPSERT, _stock_row(payload["sku"], payload))
        elif kind == "promotion.upserted":
            self._put_promotions(db, [payload], store.code)
        elif kind == "cashiers.changed":
            # The sync loop refetches the store's cashiers (PIN hashes never ride in the feed).
            self._set(db, "cashiers_stale", "1")
        elif kind == "location.upserted" and payload.get("code") == store.code:
            moved = payload.get("price_list") != store.price_list
            self._set_store(db, payload, payload.get("price_list"))
            return moved
        return False

    def _clear(self, db: sqlite3.Connection) -> None:
        for table in ("sku", "gtin", "price", "stock", "promotion"):
            db.execute(f"DELETE FROM {table}")  # noqa: S608
        if self.has_fts:
            db.execute("DELETE FROM sku_search")

    def _set(self, db: sqlite3.Connection, key: str, value: str) -> None:
        db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                   "value = excluded.value", (key, value))

    def _set_store(self, db: sqlite3.Connection, store: dict[str, Any], price_list: str | None) -> None:
        self._set(db, "store", orjson.dumps(store).decode())
        if price_list:
            self._set(db, "price_list", price_list)
        else:
            db.execute("DELETE FROM meta WHERE key = 'price_list'")

    def _put_skus(self, db: sqlite3.Connection, docs: list[dict[str, Any]], language: str,
                  replace: bool = False) -> None:
        rows = [(d["code"], _name(d, language), d.get("sold_by", "unit"), d.get("tax_class", "standard"),
                 d.get("category", ""), d.get("brand", ""), int(bool(d.get("active", True))),
                 orjson.dumps(d).decode()) for d in docs]
        db.executemany(_SKU_UPSERT, rows)
        codes = [(d["code"],) for d in docs]
        if replace:  # a SKU's GTINs may have changed: its document holds the whole list
            db.executemany("DELETE FROM gtin WHERE sku = ?", codes)
        db.executemany("INSERT OR REPLACE INTO gtin (gtin, sku) VALUES (?, ?)",
                       [(g, d["code"]) for d in docs for g in d.get("gtins", [])])
        if not self.has_fts:
            return
        ids = dict(db.execute(
            f"SELECT code, id FROM sku WHERE code IN ({','.join('?' * len(codes))})",  # noqa: S608
            [c for (c,) in codes]).fetchall()) if codes else {}
        if replace:
            db.executemany("DELETE FROM sku_search WHERE rowid = ?", [(ids[c],) for (c,) in codes])
        db.executemany("INSERT INTO sku_search (rowid, text) VALUES (?, ?)",
                       [(ids[d["code"]], _search_text(d)) for d in docs])

    def _put_promotions(self, db: sqlite3.Connection, docs: Iterable[dict[str, Any]],
                        store_code: str) -> None:
        for doc in docs:
            locations = doc["rule"].get("locations") or []
            if locations and store_code not in locations:
                db.execute("DELETE FROM promotion WHERE code = ?", (doc["code"],))
                continue
            db.execute("INSERT INTO promotion (code, status, rule) VALUES (?, ?, ?) ON CONFLICT (code) "
                       "DO UPDATE SET status = excluded.status, rule = excluded.rule",
                       (doc["code"], doc["status"], orjson.dumps(doc["rule"]).decode()))

    def _bump_rules(self) -> None:
        with self._rules_lock:
            self._generation += 1

    # -- lookups ---------------------------------------------------------------------------

    def _item(self, where: str, args: tuple[Any, ...]) -> Item | None:
        row = self._db().execute(_ITEM_SELECT + where, args).fetchone()
        return _to_item(row) if row else None

    def by_code(self, code: str) -> Item | None:
        return self._item("WHERE s.code = ?", (code,))

    def by_gtin(self, gtin: str) -> Item | None:
        """GTIN-8/12/13/14 as printed; ``None`` when it is valid but unknown here."""
        try:
            key = validate_gtin(gtin)
        except InvalidGTIN:
            return None
        return self._item("WHERE s.code = (SELECT sku FROM gtin WHERE gtin = ?)", (key,))

    def by_gtins(self, gtins: Iterable[str]) -> Item | None:
        """The first of ``gtins`` this till knows: a scan's readings, the likeliest first."""
        return next(filter(None, map(self.by_gtin, gtins)), None)

    def search(self, text: str, limit: int = 20) -> list[Item]:
        """Names, brands and codes that start with each word typed; shortest texts first."""
        words = [w for w in re.split(r"\s+", text.strip()) if w]
        if not words:
            return []
        db = self._db()
        if self.has_fts and not _CJK.search(text):
            match = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
            # No ORDER BY rank: bm25 over the 30,000 SKUs "smartphone" matches costs ~4 ms; the
            # first few hundred hits, shortest first, rank well enough for a search box.
            hits = db.execute("SELECT rowid, length(text) FROM sku_search WHERE sku_search MATCH ? "
                              "LIMIT ?", (match, SEARCH_CANDIDATES)).fetchall()
            ids = [rowid for rowid, _ in sorted(hits, key=lambda hit: (hit[1], hit[0]))[:limit]]
            rows = db.execute(_ITEM_SELECT + f"WHERE s.id IN ({','.join('?' * len(ids))})",  # noqa: S608
                              ids).fetchall()
            return sorted((_to_item(row) for row in rows), key=lambda i: (len(i.name), i.code))
        clauses = " AND ".join("s.name LIKE ?" for _ in words)
        rows = db.execute(_ITEM_SELECT + f"WHERE {clauses} LIMIT ?",  # noqa: S608
                          (*[f"%{w}%" for w in words], limit)).fetchall()
        return [_to_item(row) for row in rows]

    # -- promotions ------------------------------------------------------------------------

    def rules(self) -> list[Rule]:
        """The active promotions here, parsed once per change (a till prices on every scan)."""
        with self._rules_lock:
            generation = self._generation
            if self._rules is not None and self._rules[0] == generation:
                return self._rules[1]
        rules = []
        for (rule,) in self._db().execute(
                "SELECT rule FROM promotion WHERE status = 'active' ORDER BY code"):
            try:
                rules.append(Rule.from_dict(orjson.loads(rule)))
            except PromotionError:
                continue  # the server validated it; a newer rule shape this till cannot read yet
        with self._rules_lock:
            self._rules = (generation, rules)
        return rules


def _to_item(row: tuple[Any, ...]) -> Item:
    code, name, sold_by, tax_class, category, brand, active, doc, windows, on_hand, available, needs = row
    return Item(code, name, sold_by, tax_class, category, brand, bool(active), orjson.loads(doc),
                orjson.loads(windows) if windows else [], on_hand or 0, available or 0, bool(needs))


def _stock_row(sku: str, level: dict[str, Any]) -> tuple[Any, ...]:
    return (sku, level["on_hand"], level.get("reserved", 0), level.get("safety_stock", 0),
            level.get("available", 0), int(bool(level.get("needs_count"))))


def _language(store_json: str | None) -> str:
    if not store_json:
        return "en"
    return str(orjson.loads(store_json).get("locale", "en")).split("_")[0]


def _name(doc: dict[str, Any], language: str) -> str:
    names = doc.get("names") or {}
    return names.get(language) or names.get("en") or next(iter(names.values()), doc["code"])


def _search_text(doc: dict[str, Any]) -> str:
    variant = " ".join(str(v) for v in (doc.get("variant") or {}).values())
    names = " ".join((doc.get("names") or {}).values())
    return f"{names} {doc.get('brand', '')} {variant} {doc['code']}"


def sync_catalogue(replica: Replica, api: ServerApi, page_size: int = 5000) -> int:
    """Bring the replica up to date with the feed: finish (or start) the snapshot, then apply
    events until there are no more. Returns the number of SKUs or events applied.

    Raises ``Unreachable``/``Refused`` from the API; what was applied before stays applied.
    """
    applied = 0
    while not replica.ready:
        cursor = replica.snapshot_cursor
        page = api.changes(0, cursor, page_size)
        replica.apply_snapshot_page(page, first=cursor is None, synced_at=_now())
        applied += len(page["items"])
    while replica.after > 0:  # a server with no events at all leaves nothing to ask after
        page = api.changes(replica.after, limit=page_size)
        applied += replica.apply_events(page, synced_at=_now())
        if not replica.ready:  # the store changed price list: a new snapshot
            return applied + sync_catalogue(replica, api, page_size)
        if not page.get("has_more"):
            return applied
    return applied


def _now() -> str:
    return datetime.now(UTC).isoformat()
