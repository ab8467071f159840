"""What the till prints: sale receipts (and marked copies), return receipts, X/Z reports, and
drawer kicks, on the receipt printer named by the till's ``--printer`` URL.

Printing never undoes anything: a sale, a return or a closed session is in the outbox before
its paper is asked for, and a printer fault is reported, not raised. Every job is in the spool
journal (on disk) before the cashier gets an answer, and a worker thread prints the journal's
jobs one at a time, so the screen never waits on the printer and a till that crashes or loses
its printer prints what it owed when it is back (``TillPrinter``). Every job has its own id: a
receipt job is the sale's UUID, so printing the same sale's receipt twice prints it once; a copy
(asked for by the cashier, or sent because the first may have printed) has an id of its own.

Receipts are ``retail.receipt`` documents (the same layout the back office previews); the
other documents are plain text lines in the store's language, sent the way ``hardware`` sends
a receipt's text: in a code page with every glyph, the printer's Chinese font, or as a raster.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hardware.escpos_receipt import drawer_job, plan_items, plan_job
from hardware.printers import ReceiptPrinter
from hardware.profiles import PrinterProfile
from hardware.spool import PRINTED, SpooledJob, SpoolJournal
from pos_client.clock import shown_time
from pos_client.replica import Replica, StoreFacts
from retail.barcodes import receipt_qr_url
from retail.money import Money
from retail.receipt import (
    CurrencyDisplay,
    PrintItem,
    PrintLine,
    PrintQR,
    ReceiptFormatter,
    receipt_from_sale,
    render_receipt,
    two_columns,
    wrap_text,
)
from retail.tax import regime_for

log = logging.getLogger(__name__)

# The few words of the till's own documents; receipts have theirs in retail.receipt.
WORDS: dict[str, dict[str, str]] = {
    "en": {"x_report": "X REPORT", "z_report": "Z REPORT", "till": "Till", "opened": "Opened",
           "closed": "Closed", "float": "Float", "sales": "Sales", "returns": "Returns",
           "refunds": "Refunds", "in": "Cash in", "out": "Cash out", "expected": "Expected cash",
           "counted": "Counted cash", "difference": "Difference", "return": "RETURN",
           "sale": "Sale", "reason": "Reason", "refunded": "Refunded", "copy": "COPY",
           "cashier": "Cashier", "cash_back": "Cash back"},
    "es": {"x_report": "INFORME X", "z_report": "CIERRE Z", "till": "Caja", "opened": "Apertura",
           "closed": "Cierre", "float": "Fondo", "sales": "Ventas", "returns": "Devoluciones",
           "refunds": "Reembolsos", "in": "Entrada", "out": "Salida", "expected": "Efectivo esperado",
           "counted": "Efectivo contado", "difference": "Diferencia", "return": "DEVOLUCIÓN",
           "sale": "Venta", "reason": "Motivo", "refunded": "Reembolsado", "copy": "COPIA",
           "cashier": "Cajero", "cash_back": "Efectivo devuelto"},
    "zh": {"x_report": "X 报表", "z_report": "Z 日结报表", "till": "收银台", "opened": "开班",
           "closed": "结班", "float": "备用金", "sales": "销售", "returns": "退货", "refunds": "退款",
           "in": "存入现金", "out": "取出现金", "expected": "应有现金", "counted": "实点现金",
           "difference": "差额", "return": "退货单", "sale": "原小票", "reason": "原因",
           "refunded": "已退款", "copy": "副本", "cashier": "收银员", "cash_back": "退还现金"},
    "ru": {"x_report": "X-ОТЧЁТ", "z_report": "Z-ОТЧЁТ", "till": "Касса", "opened": "Открыта",
           "closed": "Закрыта", "float": "Размен", "sales": "Продажи", "returns": "Возвраты",
           "refunds": "Возвраты денег", "in": "Внесение", "out": "Изъятие",
           "expected": "Ожидается наличных", "counted": "Пересчитано", "difference": "Расхождение",
           "return": "ВОЗВРАТ", "sale": "Чек продажи", "reason": "Причина", "refunded": "Возвращено",
           "copy": "КОПИЯ", "cashier": "Кассир", "cash_back": "Выдано наличными"},
}


def words_for(locale: str) -> dict[str, str]:
    return WORDS.get(locale.split("_")[0], WORDS["en"])


# -- the sale receipt ---------------------------------------------------------------------


def receipt_data(body: dict[str, Any], replica: Replica, store: StoreFacts, till: str,
                 public_url: str) -> dict[str, Any]:
    """A sale (its outbox body) as ``retail.receipt`` wants it; names and tax from the replica."""
    regime = regime_for(store.country)
    reasons = {rule.id: rule.reason(store.language) for rule in replica.rules()} if any(
        line.get("gift") for line in body["lines"]) else {}
    lines = []
    for line in body["lines"]:
        item = replica.by_code(line["sku"])
        rate = Decimal(str(regime.rate(item.tax_class if item else "standard"))) * 100
        entry: dict[str, Any] = {"name": item.name if item else line["sku"], "unit_price": line["unit_price"],
                                 "tax_rate": rate}
        if line.get("gift"):  # a giveaway's gift, priced 0: the receipt says so
            entry["gift"] = reasons.get(line["gift"], "")
        if item is not None and item.sold_by == "weight":
            entry["weight_grams"] = line["quantity"]
        else:
            entry["quantity"] = line["quantity"]
        lines.append(entry)
    doc = store.document
    return {
        "currency": body["currency"],
        "tax_mode": "inclusive" if regime.prices_include_tax else "exclusive",
        # Who sells and where, from the store's settings: what a tax inspector looks for.
        "store": {"name": doc.get("name", store.code), "legal_name": doc.get("legal_name", ""),
                  "timezone": store.timezone, "tax_id": doc.get("tax_id", ""),
                  "address": tuple(part.strip() for part in str(doc.get("address") or "").splitlines()
                                   if part.strip())},
        "lines": lines, "discounts": body["discounts"], "rounding": body.get("cash_rounding", 0),
        # Cash as handed over, so the receipt shows the change.
        "tenders": [{"method": t["kind"], "amount": t.get("tendered") or t["amount"],
                     "reference": t.get("reference")} for t in body["tenders"]],
        "sold_at": shown_time(body, "occurred_at"), "cashier": body["cashier"], "till": till,
        # Its number in the till's series where the market wants one, else the sale's id.
        "sale_number": body.get("receipt_number") or body["uuid"][:8].upper(),
        "receipt_url": receipt_qr_url(public_url, body["uuid"]),
    }


# -- the till's own documents ---------------------------------------------------------------


def cash_report_items(report: dict[str, Any], locale: str, timezone: str, columns: int,
                      display: CurrencyDisplay = "symbol") -> list[PrintItem]:
    """An X report (open session) or Z report (closed) as lines of text."""
    w, fmt = words_for(locale), ReceiptFormatter(locale, display)
    labels = fmt.labels
    currency = report["currency"]

    def money(amount: int) -> str:
        return fmt.money(Money(amount, currency))

    def row(left: str, amount: int, bold: bool = False) -> list[PrintLine]:
        return [PrintLine(t, bold=bold) for t in two_columns(left, money(amount), columns)]

    closed = report.get("closed_at") is not None
    items: list[PrintItem] = [PrintLine(w["z_report" if closed else "x_report"], "center", True, "large")]
    items += _centered(f"{w['till']}: {report['till']}", columns)
    items += _when(w["opened"], shown_time(report, "opened_at", "opened_clock"), report["opened_by"], fmt,
                   timezone, columns)
    if closed:
        items += _when(w["closed"], shown_time(report, "closed_at", "closed_clock"), report["closed_by"], fmt,
                       timezone, columns)
    items.append(_rule(columns))
    items += row(w["float"], report["float"])
    items += [PrintLine(t) for t in two_columns(w["sales"], str(report["sales_count"]), columns)]
    for kind, amount in sorted(report["sales_by_tender"].items()):
        items += row("  " + labels.get(kind, kind), amount)
    items += [PrintLine(t) for t in two_columns(w["returns"], str(report["returns_count"]), columns)]
    for kind, amount in sorted(report["refunds_by_tender"].items()):
        items += row("  " + labels.get(kind, kind), -amount)
    for movement in report["movements"]:
        sign = 1 if movement["kind"] == "in" else -1
        items += row(f"{w[movement['kind']]}: {movement['reason']}", sign * movement["amount"])
    if report.get("cash_rounding"):
        # Cash sales rounded to the coins in circulation: already in the cash above.
        items += row(labels["rounding"], report["cash_rounding"])
    items.append(_rule(columns))
    items += row(w["expected"], report["expected_cash"], bold=True)
    if closed:
        items += row(w["counted"], report["counted_cash"], bold=True)
        items += row(w["difference"], report["difference"], bold=True)
    return items


def return_items(body: dict[str, Any], detail: dict[str, Any], store: StoreFacts, till: str,
                 columns: int, display: CurrencyDisplay = "symbol") -> list[PrintItem]:
    """The shopper's return receipt: what came back, and how the money went back."""
    w, fmt = words_for(store.locale), ReceiptFormatter(store.locale, display)
    currency = body["currency"]

    def money(amount: int) -> str:
        return fmt.money(Money(amount, currency))

    items: list[PrintItem] = _centered(store.document.get("name", store.code), columns // 2, bold=True,
                                       size="large")
    items.append(PrintLine(w["return"], "center", True, "tall"))
    items.append(_rule(columns))
    for line in detail["lines"]:
        quantity = (fmt.weight(line["quantity"]) if line["sold_by"] == "weight"
                    else f"{line['quantity']} x")
        items += [PrintLine(t) for t in two_columns(f"{quantity} {line['name']}", money(-line["refund"]),
                                                    columns)]
    items.append(_rule(columns))
    items += [PrintLine(t, bold=True, size="tall")
              for t in two_columns(w["refunded"].upper(), money(body["total"]), columns)]
    for refund in body["refunds"]:
        label = fmt.labels.get(refund["kind"], refund["kind"])
        items += [PrintLine(t) for t in two_columns(label, money(refund["amount"]), columns)]
    items.append(_rule(columns))
    if body.get("reason"):
        items += [PrintLine(t) for t in wrap_text(f"{w['reason']}: {body['reason']}", columns)]
    items += [PrintLine(t) for t in two_columns(f"{w['sale']}: {detail['sale_number']}",
                                                f"{w['till']}: {till}", columns)]
    items += [PrintLine(t) for t in two_columns(f"{w['cashier']}: {body['cashier']}",
                                                _local(shown_time(body, "occurred_at"), fmt, store.timezone),
                                                columns)]
    return items


def copy_banner(locale: str, columns: int) -> list[PrintItem]:
    word = words_for(locale)["copy"]
    return [PrintLine(f"*** {word} ***", "center", True, "tall"), _rule(columns)]


def _rule(columns: int) -> PrintLine:
    return PrintLine("-" * columns)


def _centered(text: str, columns: int, **style: Any) -> list[PrintItem]:
    return [PrintLine(part, align="center", **style) for part in wrap_text(text, columns)]


def _local(moment: str, fmt: ReceiptFormatter, timezone: str) -> str:
    return fmt.when(datetime.fromisoformat(moment).astimezone(ZoneInfo(timezone)))


def _when(word: str, moment: str, who: str, fmt: ReceiptFormatter, timezone: str,
          columns: int) -> list[PrintItem]:
    return [PrintLine(t) for t in two_columns(f"{word}: {who}", _local(moment, fmt, timezone), columns)]


# -- print jobs -----------------------------------------------------------------------------

RETRY_FIRST, RETRY_MAX = 1.0, 30.0  # seconds between tries while the printer is away


class TillPrinter:
    """The till's receipt printer, fed through the spool journal by one worker thread.

    A job is built and written to the journal before ``submit`` returns (its bytes, and its
    printed items as the recipe for a copy), so a job the till accepted outlives a crash of the
    till. The worker sends the journal's pending jobs in order, now, while the printer is away
    (retrying with a growing pause) and after a restart (``start``). A job whose bytes may have
    reached the printer before the till lost track of it (killed mid-send, or no acknowledgement)
    is never sent as it was: a copy marked "COPY" goes instead, without a drawer kick, once. A
    shopper never gets two receipts that both look like originals, and a receipt the till owes
    is not lost to a crash or to a printer that was away.
    """

    def __init__(self, url: str, spool_path: Any) -> None:
        self.url = url
        self.journal = SpoolJournal(spool_path)
        self.printer = ReceiptPrinter(url, journal=self.journal)
        self.outcomes: dict[str, str] = {}
        self.last: str | None = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    @property
    def profile(self) -> PrinterProfile:
        return self.printer.profile

    def start(self) -> None:
        """Run the worker: it sends what the journal holds from before, and every new job."""
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopping.clear()
                self._thread = threading.Thread(target=self._run, name="till-printer", daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def waiting(self) -> int:
        """Jobs not yet printed (the printer is away, or busy with them)."""
        return len(self.journal.pending(self.url))

    def submit(self, job_id: str, build: Callable[[int, CurrencyDisplay], Sequence[PrintItem]], *,
               locale: str, open_drawer: bool = False, copy: bool = False) -> str:
        """Journal the document ``build(columns, display)`` as job ``job_id`` and answer at once;
        the worker prints it. Raises what building it raises (the job is not taken then)."""
        profile = self.profile
        plan = plan_items(lambda display: build(profile.columns, display), profile)
        data = plan_job(plan, profile, job_id=job_id, open_drawer=open_drawer)
        self.journal.record(job_id, self.url, data, _recipe(locale, plan.items, copy))
        return self._queued(job_id)

    def _queued(self, job_id: str) -> str:
        job = self.journal.get(job_id)
        self.outcomes[job_id] = "printed" if job is not None and job.state == PRINTED else "printing"
        self.start()
        return job_id

    def sale_receipt(self, data: dict[str, Any], locale: str, *, job_id: str, open_drawer: bool,
                     copy: bool = False) -> str:
        receipt = receipt_from_sale(data)

        def build(columns: int, display: CurrencyDisplay) -> list[PrintItem]:
            banner = copy_banner(locale, columns) if copy else []
            return [*banner, *render_receipt(receipt, locale, columns, display)]

        return self.submit(job_id, build, locale=locale, open_drawer=open_drawer, copy=copy)

    def document(self, build: Callable[[int, CurrencyDisplay], Sequence[PrintItem]], *, job_id: str,
                 locale: str, open_drawer: bool = False) -> str:
        """Text items built for the printer's width (``build(columns, display)``); a document
        that cannot be built is reported, not raised (what it records is already safe)."""
        try:
            return self.submit(job_id, build, locale=locale, open_drawer=open_drawer)
        except Exception as exc:  # noqa: BLE001 (a paper problem never undoes the deed)
            log.warning("print job %s cannot be made: %s", job_id, exc)
            self.outcomes[job_id] = f"not printed: {exc}"
            return job_id

    def kick_drawer(self, job_id: str) -> str:
        self.journal.record(job_id, self.url, drawer_job(job_id, self.profile))
        return self._queued(job_id)

    # -- the worker ------------------------------------------------------------------------

    def _run(self) -> None:
        pause = RETRY_FIRST
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                done = all(self._deliver(job) for job in self.journal.pending(self.url))
            except Exception:  # noqa: BLE001 (the worker outlives any one bad job or disk hiccup)
                log.exception("the print worker failed a pass; trying again")
                done = False
            if done:
                pause = RETRY_FIRST
                self._wake.wait()  # until a new job (or stop)
            else:  # the printer is away: keep the order, try again in a while
                self._wake.wait(pause)
                pause = min(pause * 2, RETRY_MAX)

    def _deliver(self, job: SpooledJob) -> bool:
        """Print one pending job; False when the printer did not take it."""
        if self._stopping.is_set():
            return False
        if job.reached:
            return self._replace(job)
        try:
            self.printer.send(job.job_id, job.data)
        except Exception as exc:  # noqa: BLE001 (any printer trouble is reported, not raised)
            log.warning("print job %s did not print yet: %s", job.job_id, exc)
            self.outcomes[job.job_id] = f"not printed: {exc}"
            self.last = job.job_id
            return False
        self.outcomes[job.job_id] = "printed"
        self.last = job.job_id
        return True

    def _replace(self, job: SpooledJob) -> bool:
        """A job that may have printed: send a marked copy in its place, once."""
        recipe = json.loads(job.recipe) if job.recipe else None
        if recipe is None or recipe.get("copy"):
            # A drawer kick, or a copy that may have printed itself: nothing more to send.
            self.journal.mark_unconfirmed(job.job_id)
            self.outcomes[job.job_id] = "may have printed"
            return True
        locale, items = recipe["locale"], _items(recipe["items"])
        copy_id = copy_job_id(job.job_id)
        try:
            self.submit(copy_id, lambda columns, display: [*copy_banner(locale, columns), *items],
                        locale=locale, copy=True)
        except Exception as exc:  # noqa: BLE001 (no copy can be made: say so, do not resend)
            log.warning("no copy of print job %s can be made: %s", job.job_id, exc)
            self.journal.mark_unconfirmed(job.job_id)
            self.outcomes[job.job_id] = f"may have printed; no copy: {exc}"
            return True
        self.journal.mark_replaced(job.job_id, copy_id)
        self.outcomes[job.job_id] = f"reprinted as {copy_id}"
        log.info("print job %s may have printed before the till lost track of it: "
                 "printing the copy %s", job.job_id, copy_id)
        copy = self.journal.get(copy_id)
        return copy is not None and self._deliver(copy)


def _recipe(locale: str, items: Sequence[PrintItem], copy: bool) -> str:
    """What the journal keeps to print a copy of a job: its language and printed items."""
    return json.dumps({"locale": locale, "copy": copy, "items": [
        {"qr": item.data} if isinstance(item, PrintQR) else
        {"text": item.text, "align": item.align, "bold": item.bold, "size": item.size}
        for item in items]}, ensure_ascii=False)


def _items(data: list[dict[str, Any]]) -> list[PrintItem]:
    return [PrintQR(entry["qr"]) if "qr" in entry else
            PrintLine(entry["text"], entry["align"], entry["bold"], entry["size"]) for entry in data]


def copy_job_id(uuid: str) -> str:
    """A copy's own job id (a job id is printed once, ever: each copy needs a new one)."""
    return f"copy-{uuid}-{secrets.token_hex(4)}"
