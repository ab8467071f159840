"""What the till prints: sale receipts (and marked copies), return receipts, X/Z reports, and
drawer kicks, on the receipt printer named by the till's ``--printer`` URL.

Printing is best effort and never undoes anything: a sale, a return or a closed session is in
the outbox before its paper is asked for, and a printer fault is reported, not raised. Jobs run
on a worker thread, one at a time, so the cashier's screen never waits on the printer. Every
job has its own id, kept in the spool journal: a receipt job is the sale's UUID, so printing
the same sale's receipt twice prints it once; a copy the cashier asks for has an id of its own.

Receipts are ``retail.receipt`` documents (the same layout the back office previews); the
other documents are plain text lines in the store's language, sent the way ``hardware`` sends
a receipt's text: in a code page with every glyph, the printer's Chinese font, or as a raster.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hardware.escpos_receipt import document_job
from hardware.printers import ReceiptPrinter
from hardware.spool import SpoolJournal
from pos_client.clock import shown_time
from pos_client.replica import Replica, StoreFacts
from retail.barcodes import receipt_qr_url
from retail.money import Money
from retail.receipt import (
    CurrencyDisplay,
    PrintItem,
    PrintLine,
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
    lines = []
    for line in body["lines"]:
        item = replica.by_code(line["sku"])
        rate = Decimal(str(regime.rate(item.tax_class if item else "standard"))) * 100
        entry: dict[str, Any] = {"name": item.name if item else line["sku"], "unit_price": line["unit_price"],
                                 "tax_rate": rate}
        if item is not None and item.sold_by == "weight":
            entry["weight_grams"] = line["quantity"]
        else:
            entry["quantity"] = line["quantity"]
        lines.append(entry)
    doc = store.document
    return {
        "currency": body["currency"],
        "tax_mode": "inclusive" if regime.prices_include_tax else "exclusive",
        "store": {"name": doc.get("name", store.code), "timezone": store.timezone,
                  "address": tuple(filter(None, [doc.get("address", "")])), "tax_id": doc.get("tax_id", "")},
        "lines": lines, "discounts": body["discounts"],
        # Cash as handed over, so the receipt shows the change.
        "tenders": [{"method": t["kind"], "amount": t.get("tendered") or t["amount"],
                     "reference": t.get("reference")} for t in body["tenders"]],
        "sold_at": shown_time(body, "occurred_at"), "cashier": body["cashier"], "till": till,
        "sale_number": body["uuid"][:8].upper(),
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
        quantity = (f"{fmt.weight_kg(line['quantity'])} kg" if line["sold_by"] == "weight"
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


class TillPrinter:
    """The till's receipt printer, fed from one worker thread; outcomes by job id."""

    def __init__(self, url: str, spool_path: Any) -> None:
        self.url = url
        self.spool_path = spool_path
        self.outcomes: dict[str, str] = {}
        self.last: str | None = None
        self._jobs: queue.Queue[tuple[str, Callable[[ReceiptPrinter], Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def _printer(self) -> ReceiptPrinter:
        return ReceiptPrinter(self.url, journal=SpoolJournal(self.spool_path))

    def submit(self, job_id: str, work: Callable[[ReceiptPrinter], Any]) -> str:
        """Queue ``work`` (it gets the printer); answers at once with the job id."""
        self.outcomes[job_id] = "printing"
        self._jobs.put((job_id, work))
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="till-printer", daemon=True)
            self._thread.start()
        return job_id

    def _run(self) -> None:
        printer: ReceiptPrinter | None = None
        while True:
            try:
                job = self._jobs.get(timeout=30)
            except queue.Empty:
                return
            if job is None:  # stop(): the jobs before it are done
                return
            job_id, work = job
            try:
                printer = printer or self._printer()
                work(printer)
                self.outcomes[job_id] = "printed"
            except Exception as exc:  # noqa: BLE001 (any printer trouble is reported, not raised)
                log.warning("print job %s did not print: %s", job_id, exc)
                self.outcomes[job_id] = f"not printed: {exc}"
            self.last = job_id

    def stop(self, timeout: float = 30.0) -> None:
        """Print what is queued, then end the worker thread."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._jobs.put(None)
            thread.join(timeout)

    def sale_receipt(self, data: dict[str, Any], locale: str, *, job_id: str, open_drawer: bool,
                     copy: bool = False) -> str:
        receipt = receipt_from_sale(data)
        if not copy:
            return self.submit(job_id, lambda p: p.print_receipt(receipt, locale, job_id=job_id,
                                                                 open_drawer=open_drawer))

        def reprint(printer: ReceiptPrinter) -> None:
            columns = printer.profile.columns
            job = document_job(lambda display: [*copy_banner(locale, columns),
                                                *render_receipt(receipt, locale, columns, display)],
                               printer.profile, job_id=job_id)
            printer.send(job_id, job)

        return self.submit(job_id, reprint)

    def document(self, build: Callable[[int, CurrencyDisplay], Sequence[PrintItem]], *, job_id: str,
                 open_drawer: bool = False) -> str:
        """Text items built for the printer's width (``build(columns, display)``)."""

        def run(printer: ReceiptPrinter) -> None:
            columns = printer.profile.columns
            printer.send(job_id, document_job(lambda display: build(columns, display), printer.profile,
                                              job_id=job_id, open_drawer=open_drawer))

        return self.submit(job_id, run)

    def kick_drawer(self, job_id: str) -> str:
        return self.submit(job_id, lambda p: p.open_drawer(job_id=job_id))


def copy_job_id(uuid: str) -> str:
    """A copy's own job id (a job id is printed once, ever: each copy needs a new one)."""
    return f"copy-{uuid}-{secrets.token_hex(4)}"
