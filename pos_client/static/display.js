/*
 * The customer display: polls the till agent's GET /api/display every 300 ms and shows the
 * lines, the total, what is still due and, while an Alipay QR payment waits, the QR as a PNG
 * drawn by the agent (GET /api/display/qr.png). Language, locale and currency come from
 * GET /api/status (open without a cashier signed in), refreshed now and then.
 *
 * Selectors: display-store, display-message, display-welcome, display-items, display-lines,
 * display-line (data-index), display-line-variant, display-discount (every discount with its
 * reason, data-amount and data-line: under its line, or with the totals for the whole sale),
 * display-discount-total, display-total, display-due (both with data-amount),
 * display-qr-box, display-qr (data-qr: the payload), display-rounding-row, display-rounding
 * (data-amount), display-gift (data-state: given | qualifies | none). body.dataset.screen = idle | sale;
 * body.dataset.lines = lines shown.
 */
(function () {
  "use strict";

  const I18n = window.PlazaI18n;
  const Money = window.PlazaMoney;
  const POLL_MS = 300;
  const STATUS_MS = 30000;
  const MAX_LINES = 14; // the newest at the bottom; older ones scroll off the top

  const q = (name) => document.querySelector(`[data-test="${name}"]`);
  const view = {
    status: {},
    t: I18n.translator("en"),
    money: Money.moneyFormatter("en", "EUR", 2),
    qty: Money.quantityFormatter("en"),
    key: "",
    last: "",
    qr: null,
  };

  async function getJSON(path) {
    const response = await fetch(path, { cache: "no-store" });
    if (!response.ok) {
      throw new Error(`${path}: HTTP ${response.status}`);
    }
    return response.json();
  }

  function setLanguage(language, locale, currency, exponent) {
    const key = [language, locale, currency, exponent].join("|");
    if (key === view.key) {
      return;
    }
    view.key = key;
    view.last = ""; // redraw with the new words
    view.t = I18n.translator(language || locale || "en", locale || language);
    view.money = Money.moneyFormatter(locale || language || "en", currency || "EUR", exponent);
    view.qty = Money.quantityFormatter(locale || language || "en");
    document.documentElement.lang = view.t.language;
    for (const el of document.querySelectorAll("[data-i18n]")) {
      el.textContent = view.t(el.dataset.i18n);
    }
  }

  async function refreshStatus() {
    try {
      view.status = await getJSON("/api/status");
    } catch (e) {
      // keep what we had: the till agent may be restarting
    }
    setTimeout(refreshStatus, STATUS_MS);
  }

  function el(tag, className, text, test) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (test) {
      node.dataset.test = test;
    }
    node.textContent = text;
    return node;
  }

  /* A discount as the shopper reads it: its reason and what it takes off. */
  function discountItem(tag, discount) {
    const node = el(tag, "discount", "", "display-discount");
    node.dataset.amount = discount.amount || 0;
    node.dataset.line = discount.line != null ? discount.line : "";
    node.append(el("span", "", discount.reason || view.t("totals.discounts")),
      el("span", "num", view.money.format(-(discount.amount || 0))));
    return node;
  }

  function lineItem(line, discounts) {
    const li = document.createElement("li");
    li.dataset.test = "display-line";
    li.dataset.index = line.index != null ? line.index : "";
    const name = el("span", "", line.name || line.sku || "");
    if (line.variant) {
      name.append(" · ", el("small", "variant", line.variant, "display-line-variant"));
    }
    const quantity = line.quantity != null ? line.quantity : 1;
    const qty = el("small", "", `${view.qty(quantity, line.sold_by)} × ${view.money.format(line.unit_price || 0)}`);
    // Before its discounts (listed under the line with their reasons), as on the receipt.
    const gross = line.gross != null ? line.gross : line.net != null ? line.net : line.amount || 0;
    li.append(name, qty, el("span", "num", view.money.format(gross)));
    for (const discount of discounts) {
      li.append(discountItem("small", discount));
    }
    return li;
  }

  function setMoney(test, minor) {
    const el = q(test);
    el.dataset.amount = minor || 0;
    el.textContent = view.money.format(minor || 0);
  }

  function render(shown) {
    const s = view.status || {};
    setLanguage(shown.language || s.language, shown.locale || s.locale, shown.currency || s.currency,
      shown.currency_exponent != null ? shown.currency_exponent : s.currency_exponent);
    const signature = JSON.stringify(shown);
    if (signature === view.last) {
      return; // nothing changed since the last poll
    }
    view.last = signature;

    const storeName = s.store_name || s.store || "";
    q("display-store").textContent = storeName;
    const lines = (shown.lines || []).filter((line) => !line.voided);
    const selling = lines.length > 0;
    document.body.dataset.screen = selling ? "sale" : "idle";
    document.body.dataset.lines = String(lines.length);
    q("display-welcome").hidden = selling;
    q("display-welcome").textContent = view.t("display.welcome", { store: storeName });
    q("display-items").hidden = !selling;
    const discounts = shown.discounts || [];
    const ofLine = (line) => discounts.filter((d) => d.line != null && d.line === line.index);
    q("display-lines").replaceChildren(...lines.slice(-MAX_LINES).map((line) => lineItem(line, ofLine(line))));
    q("display-basket-discounts").replaceChildren(...discounts.filter((d) => d.line == null)
      .map((d) => discountItem("div", d)));
    q("display-discount-row").hidden = !shown.discount_total;
    setMoney("display-discount-total", -(shown.discount_total || 0));
    setMoney("display-total", shown.total);
    setMoney("display-due", shown.due != null ? shown.due : shown.total);
    renderCounterPromises(shown);

    const message = q("display-message");
    const note = noteFor(shown);
    message.hidden = !note;
    message.textContent = note;
    if (shown.message === "closed") {
      q("display-welcome").textContent = view.t("display.closed");
    }

    const qr = shown.qr_code || null;
    const img = q("display-qr");
    q("display-qr-box").hidden = !qr;
    if (qr !== view.qr) {
      view.qr = qr;
      img.dataset.qr = qr || "";
      if (qr) {
        img.src = "/api/display/qr.png?ts=" + Date.now(); // a new payment: a new picture
      } else {
        img.removeAttribute("src");
      }
    }
  }

  /* The cash rounding (where small coins are gone) and the opening gift: given with how many
   * are left, or why not. */
  function renderCounterPromises(shown) {
    q("display-rounding-row").hidden = !shown.rounding;
    setMoney("display-rounding", shown.rounding);
    const el = q("display-gift");
    const text = I18n.giftText(view.t, shown.gift, shown.online !== false);
    el.hidden = !text;
    el.textContent = text;
    el.dataset.state = shown.gift ? shown.gift.state : "";
  }

  /* The agent's `message` is a state (welcome, closed, sale, pay-qr, pay-code, paid): words here. */
  function noteFor(shown) {
    const t = view.t;
    switch (shown.message) {
      case "paid":
        return shown.change > 0 ? `${t("display.thanks")} ${t("display.change", { amount: view.money.format(shown.change) })}`
          : t("display.thanks");
      case "pay-code":
        return t("display.payCode");
      case "welcome": case "closed": case "sale": case "pay-qr": case undefined: case null: case "":
        return "";
      default:
        return String(shown.message);
    }
  }

  async function poll() {
    try {
      render(await getJSON("/api/display"));
    } catch (e) {
      // the agent is away for a moment: keep the last picture and ask again
    }
    setTimeout(poll, POLL_MS);
  }

  refreshStatus().then(poll);
})();
