/*
 * The till's screen: sign-in, cash session, selling, payment, returns and the end of day, all
 * on one page that talks only to the local agent (pos_client/agent.py) with fetch and updates
 * the DOM from each answer. The agent holds every state that matters (sale, session, outbox):
 * this page can be reloaded at any moment and shows the same thing again.
 *
 * Every answer the page renders is a whole document (the sale summary, the status), so a call
 * that fails changes nothing on screen: the error goes to the message band, the rest stays.
 *
 * Stable selectors (data-test="..."), for browser tests and the benchmark:
 *
 *   status bar   statusbar, status-online (data-state="online" | "offline" | "agent-down"), waiting
 *                (the number of sales not yet on the server, data-count), waiting-text,
 *                status-rejected (data-count), documents-waiting (data-count), clock-warning
 *                (shown when the till's clock is more than a minute off the server's; data-offset:
 *                seconds ahead, negative when behind), status-store, status-cashier, session-menu
 *   messages     message (data-kind="error" | "info", data-code), message-text, message-detail,
 *                message-close; while a dialog is open the band moves into that dialog
 *   sign-in      screen-login, cashier-list, login-user-<username>, login-username,
 *                login-username-ok, pin-who, pin-input, pin-digit-0 ... pin-digit-9, pin-back,
 *                pin-clear, pin-ok, login-back
 *   open         screen-open, float-input, float-key-<k>, open-session, logout-open
 *   selling      screen-sale, search, search-results, search-result (data-sku), search-none,
 *                member (data-state="identified" | "pending"), lines, empty-sale,
 *                search-result-variant (colour, length... of that SKU),
 *                line (one per line not voided; data-index, data-sku, data-selected),
 *                line-voided (data-index), line-name, line-variant, line-qty, line-qty-minus, line-qty-plus,
 *                line-unit-price, line-gross, line-discount, line-net, line-override,
 *                line-price, line-void, discounts, discount (data-line, data-amount; text: the
 *                reason), discount-text (the reason alone), subtotal, discount-total, tax-label, tax-total,
 *                total, paid, due, tenders, tender (data-kind, data-amount), discount-open
 *                (the F7 button), return-open, void-sale
 *                Money values carry data-amount="<minor units>" besides their formatted text.
 *   paying       pay-cash, pay-alipay-qr, pay-alipay-code, pay-points (shown for a member with
 *                points), points-value (what they are worth, data-amount), alipay-offline,
 *                tenders-remove, complete-sale, complete, change, print-status, new-sale, reprint,
 *                rounding-row, cash-rounding (cash rounded to the smallest coin, data-amount),
 *                gift-notice (the opening gift: data-state = qualifies | given | none; its text)
 *   cash         dialog-cash, cash-due, cash-tendered, cash-amount, cash-quick-list,
 *                cash-quick (data-amount), cash-key-<k>, cash-change-label, cash-change,
 *                cash-confirm, cash-cancel
 *   alipay       dialog-alipay, alipay-title, alipay-amount, alipay-qr (data-qr: the payload),
 *                alipay-code-input, alipay-code-submit, alipay-status, alipay-cancel
 *   manager      dialog-manager, manager-title, price-line, price-label, price-input,
 *                discount-mode-percent, discount-mode-amount, discount-value-label,
 *                discount-value, discount-reason, discount-preset-<key>,
 *                manager-user-<username>, manager-username, manager-pin, manager-key-<k>,
 *                manager-ok, manager-cancel
 *   number       dialog-number, number-title, number-label, number-input, number-key-<k>,
 *                number-ok, number-cancel (a line's quantity; grams of a weighed item)
 *   return       dialog-return, return-code, return-lookup, return-sale, return-lines,
 *                return-line (data-line), return-line-name, return-line-sold,
 *                return-line-minus, return-line-qty (an input, data-line), return-line-plus,
 *                return-line-refund, return-tenders, return-reason, return-reason-<key>,
 *                return-total, return-confirm, return-result, return-refund (data-kind,
 *                data-amount), return-refund-total, return-cash-back, return-done, return-cancel
 *   session      dialog-session, session-info, cash-in, cash-out, x-report, close-session,
 *                rejected-open, sync-now, reprint-last, logout, session-close-dialog,
 *                movement-title, movement-amount, movement-key-<k>, movement-reason,
 *                movement-preset-<key>, movement-ok, movement-back, counted-input,
 *                counted-key-<k>, close-confirm, close-back, report-title,
 *                x-report-view / z-report (the report shown), <x|z>-opened, <x|z>-closed,
 *                <x|z>-float, <x|z>-sales-count, <x|z>-returns-count, <x|z>-sales-<tender>,
 *                <x|z>-refunds-<tender>, <x|z>-rounding, <x|z>-movement, <x|z>-expected, <x|z>-counted,
 *                <x|z>-difference (data-amount; data-state="over" | "short" | "exact"),
 *                report-back, z-done, rejected-list, rejected-item (data-uuid, data-kind),
 *                rejected-send-again (data-uuid), rejected-none, rejected-back
 *   confirm      dialog-confirm, confirm-text, confirm-ok, confirm-cancel
 *   keypads      <prefix>-key-<k> with k = 0 ... 9, dot, back, clear (tabindex -1: keyboards type)
 *
 * After every render of the sale: document.body.dataset.lines = lines not voided, then
 * window "plaza:rendered". document.body.dataset.screen = loading | login | open | sale.
 * window.PlazaTill.scan(code) feeds a code as the scanner would (returns a promise).
 *
 * Keys: F2 search, F4 cash, F6 return, F7 discount, F8 Alipay QR, F9 Alipay payment code,
 * F10 till menu, Esc closes a dialog (or clears the search), Enter completes a paid sale /
 * starts the next one, Up/Down pick a line, + / - change its quantity, Delete voids it.
 */
(function () {
  "use strict";

  const I18n = window.PlazaI18n;
  const Money = window.PlazaMoney;
  const MANAGER_ROLES = ["manager", "admin"];
  const PAID = ["paid", "refunded_partially", "refunded_fully"];
  const ENDED = ["failed", "cancelled", "canceled", "expired", "closed"];
  const STATUS_EVERY_MS = 2000;

  // -- DOM helpers ------------------------------------------------------------------------

  const q = (name, root) => (root || document).querySelector(`[data-test="${name}"]`);

  /* h("button", {test: "new-thing", class: "btn", onclick: fn}, "Label") */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value == null || value === false) {
        continue;
      } else if (key === "test") {
        el.dataset.test = value;
      } else if (key === "class") {
        el.className = value;
      } else if (key === "data") {
        for (const [name, v] of Object.entries(value)) {
          if (v != null) {
            el.dataset[name] = String(v);
          }
        }
      } else if (key.startsWith("on")) {
        el.addEventListener(key.slice(2), value);
      } else {
        el.setAttribute(key, value === true ? "" : value);
      }
    }
    for (const child of children.flat()) {
      if (child != null && child !== false) {
        el.append(child instanceof Node ? child : String(child));
      }
    }
    return el;
  }

  /* "{count} sales waiting" with {count} replaced by a node (so tests can read the number). */
  function fillTemplate(el, template, nodes) {
    el.replaceChildren(...template.split(/(\{\w+\})/).filter(Boolean).map((part) => {
      const name = part.startsWith("{") ? part.slice(1, -1) : null;
      return name && nodes[name] ? nodes[name] : part;
    }));
  }

  const isField = (el) => !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // -- state ------------------------------------------------------------------------------

  const state = {
    status: null, // the last GET /api/status
    agentDown: false,
    screen: "loading",
    lang: "en",
    langKey: "",
    t: I18n.translator("en"),
    money: Money.moneyFormatter("en", "EUR", 2),
    qty: Money.quantityFormatter("en"),
    sale: null, // the last sale summary rendered
    selected: null, // index of the line the keyboard acts on
    lastComplete: null, // {uuid, change, print} of the sale just completed
    cashiers: [],
    loginUser: null,
  };
  const t = (key, params) => state.t(key, params);
  const fmt = (minor) => state.money.format(minor || 0);
  const moneyEl = (tag, test, minor, extra) =>
    h(tag, Object.assign({ test: test, class: "num", data: { amount: minor || 0 } }, extra || {}), fmt(minor));

  function fmtDate(iso) {
    const d = iso ? new Date(iso) : null;
    if (!d || isNaN(d)) {
      return iso || "";
    }
    try {
      // In the store's time zone, as the paper prints it: the browser's may be another.
      return new Intl.DateTimeFormat(state.money.locale, { dateStyle: "short", timeStyle: "short",
        timeZone: state.timeZone || undefined }).format(d);
    } catch (e) {
      return d.toLocaleString();
    }
  }

  const tenderName = (kind) => (state.t.has("tender." + kind) ? t("tender." + kind) : kind);

  // -- the agent --------------------------------------------------------------------------

  class AgentError extends Error {
    constructor(status, body) {
      super((body && body.detail) || `HTTP ${status}`);
      this.status = status;
      this.body = body || {};
      this.code = this.body.code || `http-${status}`;
      this.detail = this.body.detail || "";
    }
  }

  /* One call to the agent: the JSON answer, or an AgentError carrying its {code, detail}. */
  async function api(method, path, body, timeoutMs) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs || 15000);
    const init = { method: method, cache: "no-store", signal: controller.signal, headers: {} };
    if (method === "POST") {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body || {});
    }
    let response;
    let text = "";
    try {
      response = await fetch(path, init);
      text = await response.text();
    } catch (e) {
      const timedOut = e && e.name === "AbortError";
      throw new AgentError(0, { code: timedOut ? "agent-timeout" : "agent-unreachable",
        detail: String((e && e.message) || e) });
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      const problem = data && typeof data === "object" ? data : { detail: text.slice(0, 300) };
      const err = new AgentError(response.status, problem);
      if (response.status === 401 && err.code === "signed-out") {
        signedOut();
      }
      throw err;
    }
    return data;
  }

  /*
   * Calls that change the sale go one after the other, so answers render in the order the
   * cashier acted (two quick scans never show the first basket last).
   */
  let saleQueue = Promise.resolve();
  function queued(call) {
    const p = saleQueue.then(call, call);
    saleQueue = p.catch(() => null);
    return p;
  }
  function saleCall(method, path, body, timeoutMs) {
    return queued(() => api(method, path, body, timeoutMs)).then((sale) => {
      if (sale && Array.isArray(sale.lines)) {
        renderSale(sale);
      }
      return sale;
    });
  }

  // -- messages ---------------------------------------------------------------------------

  const messageEl = q("message");
  let messageTimer = null;

  function showMessage(kind, text, detail, code) {
    clearTimeout(messageTimer);
    messageEl.dataset.kind = kind;
    messageEl.dataset.code = code || "";
    q("message-text").textContent = text || "";
    q("message-detail").textContent = detail && detail !== text ? detail : "";
    messageEl.hidden = false;
    placeMessage();
    if (kind === "info") {
      messageTimer = setTimeout(() => clearMessage("info"), 6000);
    }
  }

  /* An agent error in the store's language when we know its code; its detail beside it. */
  function showError(err) {
    if (!(err instanceof AgentError)) {
      console.error(err); // eslint-disable-line no-console
      showMessage("error", t("error.unexpected"), String((err && err.message) || err), "unexpected");
      return;
    }
    const key = "error." + err.code;
    const known = state.t.has(key);
    const text = known ? t(key, err.body) : err.detail || t("error.unexpected");
    showMessage("error", text, known ? err.detail : "", err.code);
  }

  function clearMessage(kind) {
    if (!kind || messageEl.dataset.kind === kind) {
      clearTimeout(messageTimer);
      messageEl.hidden = true;
      messageEl.dataset.kind = "";
    }
  }

  /* A modal dialog hides the page: the band goes into the dialog on top while one is open. */
  function placeMessage() {
    const top = topDialog();
    const home = top ? dialogs[top].el.querySelector("form") : document.getElementById("message-home");
    if (messageEl.parentElement !== home) {
      home.prepend(messageEl);
    }
  }

  q("message-close").addEventListener("click", () => clearMessage());

  // -- dialogs ----------------------------------------------------------------------------

  const dialogs = {};
  const dialogStack = [];

  for (const el of document.querySelectorAll("dialog[data-dialog]")) {
    const name = el.dataset.dialog;
    dialogs[name] = { el: el, onClose: null };
    el.addEventListener("cancel", (event) => {
      event.preventDefault();
      closeDialog(name);
    });
    el.addEventListener("close", () => forgetDialog(name));
    el.querySelector("form").addEventListener("submit", (event) => event.preventDefault());
    for (const button of el.querySelectorAll("[data-close]")) {
      button.addEventListener("click", () => closeDialog(name));
    }
    // Keypads type into the field of this dialog that last had the focus.
    el.addEventListener("focusin", (event) => {
      if (event.target.tagName === "INPUT") {
        el.lastInput = event.target;
      }
    });
  }

  function openDialog(name, onClose) {
    const d = dialogs[name];
    d.onClose = onClose || null;
    d.el.lastInput = null;
    if (!d.el.open) {
      d.el.showModal();
    }
    if (dialogStack.indexOf(name) < 0) {
      dialogStack.push(name);
    }
    clearMessage();
  }

  function closeDialog(name) {
    const d = dialogs[name];
    if (d.el.open) {
      d.el.close();
    }
    forgetDialog(name);
  }

  /* Idempotent: runs when we close a dialog and when the browser does. */
  function forgetDialog(name) {
    const i = dialogStack.indexOf(name);
    if (i >= 0) {
      dialogStack.splice(i, 1);
    }
    placeMessage();
    const onClose = dialogs[name].onClose;
    dialogs[name].onClose = null;
    if (onClose) {
      onClose();
    }
  }

  const topDialog = () => (dialogStack.length ? dialogStack[dialogStack.length - 1] : null);

  function closeAllDialogs(except) {
    for (const name of dialogStack.slice().reverse()) {
      if (name !== except) {
        closeDialog(name);
      }
    }
  }

  /* Enter in a field of a form without a submit button presses the button it names. */
  for (const input of document.querySelectorAll("[data-enter]")) {
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.defaultPrevented) {
        event.preventDefault();
        q(input.dataset.enter).click();
      }
    });
  }

  /* Disable a button while its call runs: a double tap never sends twice. */
  async function busy(button, work) {
    if (button.disabled) {
      return undefined;
    }
    button.disabled = true;
    try {
      return await work();
    } finally {
      button.disabled = false;
    }
  }

  // -- keypads ----------------------------------------------------------------------------

  const keypads = [];

  function buildKeypad(container, naming, decimal, target) {
    const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", decimal ? "dot" : "clear", "0", "back"];
    for (const key of keys) {
      const button = h("button", {
        type: "button", class: "btn key", tabindex: "-1", test: naming(key), data: { key: key } },
        key === "back" ? "⌫" : key === "clear" ? "C" : key === "dot" ? "." : key);
      button.addEventListener("pointerdown", (event) => event.preventDefault()); // the field keeps the focus
      button.addEventListener("click", () => pressKey(target(), key));
      container.append(button);
    }
    keypads.push(container);
  }

  function pressKey(input, key) {
    if (!input) {
      return;
    }
    if (key === "back") {
      input.value = input.value.slice(0, -1);
    } else if (key === "clear") {
      input.value = "";
    } else if (key === "dot") {
      if (!/[.,]/.test(input.value) && state.money.exponent > 0) {
        input.value += (input.value ? "" : "0") + state.money.decimalSeparator;
      }
    } else {
      input.value += key;
    }
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.focus();
  }

  const dialogTarget = (name, fallback) => () => dialogs[name].el.lastInput || q(fallback);
  buildKeypad(document.getElementById("pin-pad"), (k) => (/\d/.test(k) ? "pin-digit-" + k : "pin-" + k), false,
    () => q("pin-input"));
  buildKeypad(document.getElementById("float-pad"), (k) => "float-key-" + k, true, () => q("float-input"));
  buildKeypad(document.getElementById("cash-pad"), (k) => "cash-key-" + k, true, dialogTarget("cash", "cash-tendered"));
  buildKeypad(document.getElementById("manager-pad"), (k) => "manager-key-" + k, true,
    dialogTarget("manager", "manager-pin"));
  buildKeypad(document.getElementById("number-pad"), (k) => "number-key-" + k, false, () => q("number-input"));
  buildKeypad(document.getElementById("movement-pad"), (k) => "movement-key-" + k, true,
    dialogTarget("session", "movement-amount"));
  buildKeypad(document.getElementById("counted-pad"), (k) => "counted-key-" + k, true, () => q("counted-input"));

  // -- language ---------------------------------------------------------------------------

  function setLanguage(s) {
    const locale = s.locale || s.language || "en";
    state.lang = String(s.language || locale).split(/[-_]/)[0].toLowerCase();
    state.t = I18n.translator(state.lang, locale);
    state.money = Money.moneyFormatter(locale, s.currency || "EUR", s.currency_exponent);
    state.qty = Money.quantityFormatter(locale);
    state.timeZone = s.timezone || null;
    document.documentElement.lang = state.lang;
    translatePage(document);
    presetButtons(document.getElementById("discount-presets"), "discount-preset",
      ["discount.reasonDamaged", "discount.reasonPriceMatch", "discount.reasonGoodwill", "discount.reasonStaff"],
      q("discount-reason"));
    presetButtons(document.getElementById("return-presets"), "return-reason",
      ["return.reasonDefective", "return.reasonWrong", "return.reasonChangedMind", "return.reasonDamaged"],
      q("return-reason"));
    for (const pad of keypads) {
      const dot = pad.querySelector('[data-key="dot"]');
      if (dot) {
        dot.textContent = state.money.decimalSeparator;
        dot.disabled = state.money.exponent === 0;
      }
    }
  }

  function translatePage(root) {
    for (const el of root.querySelectorAll("[data-i18n]")) {
      el.textContent = t(el.dataset.i18n);
    }
    for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
      el.placeholder = t(el.dataset.i18nPlaceholder);
    }
    for (const el of root.querySelectorAll("[data-i18n-aria]")) {
      el.setAttribute("aria-label", t(el.dataset.i18nAria));
    }
  }

  // -- status and screens -----------------------------------------------------------------

  async function refreshStatus() {
    try {
      applyStatus(await api("GET", "/api/status", undefined, 5000));
    } catch (err) {
      state.agentDown = true;
      renderStatusBar();
    }
  }

  function pollStatus() {
    refreshStatus().finally(() => setTimeout(pollStatus, STATUS_EVERY_MS));
  }

  function applyStatus(s) {
    state.status = s;
    state.agentDown = false;
    const langKey = [s.language, s.locale, s.currency, s.currency_exponent, s.timezone].join("|");
    if (langKey !== state.langKey) {
      state.langKey = langKey;
      setLanguage(s);
      if (state.sale) {
        renderSale(state.sale);
      }
    }
    document.title = `${t("title")} · ${s.store_name || s.store || ""}`;
    renderStatusBar();
    renderPayButtons();
    if (state.sale && state.sale.completed) {
      q("print-status").textContent = printText(state.lastComplete);
    }
    route();
  }

  function renderStatusBar() {
    const s = state.status;
    const net = q("status-online");
    if (state.agentDown || !s) {
      net.dataset.state = state.agentDown ? "agent-down" : "unknown";
      net.textContent = state.agentDown ? t("status.agentDown") : "…";
      return;
    }
    net.dataset.state = s.online ? "online" : "offline";
    net.textContent = s.online ? t("status.online") : t("status.offline");
    net.title = s.online ? "" : t("status.offlineHint");

    const waiting = Number(s.waiting) || 0;
    fillTemplate(q("waiting-text"), state.t.raw("status.waiting", waiting),
      { count: h("strong", { test: "waiting", data: { count: waiting } }, String(waiting)) });
    q("waiting-text").classList.toggle("alert", waiting > 0 && !s.online);

    const rejected = Number(s.rejected) || 0;
    const rejectedEl = q("status-rejected");
    rejectedEl.hidden = rejected === 0;
    rejectedEl.dataset.count = rejected;
    rejectedEl.textContent = t("status.rejected", { count: rejected });

    const documents = Number(s.documents_waiting) || 0;
    const documentsEl = q("documents-waiting");
    documentsEl.hidden = documents === 0;
    documentsEl.dataset.count = documents;
    documentsEl.textContent = t("status.documents", { count: documents });

    renderClockWarning(s.clock || {});

    q("status-store").textContent = s.store_name || s.store || "";
    const cashier = s.cashier;
    q("status-cashier").textContent = cashier ? cashier.display_name || cashier.username : "";
    q("session-menu").hidden = !(cashier && s.session);
  }

  /* The till's clock against the server's, as the agent last measured it: times and prices are
   * corrected either way, but someone should set the clock. */
  function renderClockWarning(clock) {
    const el = q("clock-warning");
    el.hidden = !clock.warning;
    if (!clock.warning) {
      return;
    }
    const offset = Number(clock.offset) || 0;
    const seconds = Math.round(Math.abs(offset));
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    const span = hours ? t("clock.hours", { hours: hours, minutes: String(minutes).padStart(2, "0") })
      : t("clock.minutes", { minutes: Math.max(1, minutes) });
    el.dataset.offset = String(offset);
    el.textContent = t(offset > 0 ? "clock.fast" : "clock.slow", { span: span });
    el.title = t("clock.hint");
  }

  function route() {
    const s = state.status;
    const screen = !s ? "loading" : !s.cashier ? "login" : !s.session ? "open" : "sale";
    if (screen === state.screen) {
      return;
    }
    state.screen = screen;
    document.body.dataset.screen = screen;
    for (const el of document.querySelectorAll("[data-screen-name]")) {
      el.hidden = el.dataset.screenName !== screen;
    }
    if (screen === "login") {
      closeAllDialogs();
      enterLogin();
    } else if (screen === "open") {
      closeAllDialogs("session"); // a Z report just shown stays up until the cashier is done
      enterOpen();
    } else if (screen === "sale") {
      enterSale();
    }
  }

  function signedOut() {
    if (state.status && state.status.cashier) {
      state.status = Object.assign({}, state.status, { cashier: null });
      renderStatusBar();
      route();
    }
    refreshStatus();
  }

  // -- sign-in ----------------------------------------------------------------------------

  async function loadCashiers() {
    const answer = await api("GET", "/api/cashiers");
    state.cashiers = Array.isArray(answer) ? answer : (answer && answer.cashiers) || [];
    return state.cashiers;
  }

  async function enterLogin() {
    showCashierPick();
    try {
      await loadCashiers();
    } catch (err) {
      state.cashiers = [];
      showError(err);
    }
    renderCashiers();
  }

  function renderCashiers() {
    const list = document.getElementById("cashier-list");
    list.replaceChildren(...state.cashiers.map((c) => h("button", {
      type: "button", class: "btn cashier", test: "login-user-" + c.username, data: { username: c.username },
      onclick: () => pickCashier(c),
    }, h("span", { class: "who" }, c.display_name || c.username),
    h("small", {}, state.t.has("role." + c.role) ? t("role." + c.role) : c.role || ""))));
    document.getElementById("login-manual").hidden = state.cashiers.length > 0;
    const first = list.querySelector("button") || q("login-username");
    if (state.screen === "login" && !topDialog()) {
      first.focus();
    }
  }

  function showCashierPick() {
    state.loginUser = null;
    q("pin-input").value = "";
    document.querySelector(".login-pick").hidden = false;
    document.getElementById("pin-form").hidden = true;
  }

  function pickCashier(cashier) {
    state.loginUser = cashier;
    q("pin-who").textContent = cashier.display_name || cashier.username;
    q("pin-input").value = "";
    document.querySelector(".login-pick").hidden = true;
    document.getElementById("pin-form").hidden = false;
    q("pin-input").focus();
  }

  document.getElementById("login-manual").addEventListener("submit", (event) => {
    event.preventDefault();
    const username = q("login-username").value.trim();
    if (username) {
      pickCashier({ username: username, display_name: username });
    }
  });

  document.getElementById("pin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const pin = q("pin-input").value;
    if (!state.loginUser || !pin) {
      return;
    }
    busy(q("pin-ok"), async () => {
      try {
        const answer = await api("POST", "/api/login", { username: state.loginUser.username, pin: pin });
        clearMessage();
        if (answer && answer.status) {
          applyStatus(answer.status);
        } else {
          await refreshStatus();
        }
      } catch (err) {
        showError(err);
        q("pin-input").value = "";
        q("pin-input").focus();
      }
    });
  });

  q("login-back").addEventListener("click", () => {
    showCashierPick();
    renderCashiers();
  });

  async function logout() {
    try {
      await api("POST", "/api/logout");
    } catch (err) {
      showError(err);
    }
    closeAllDialogs();
    await refreshStatus();
  }

  // -- opening the till -------------------------------------------------------------------

  function enterOpen() {
    q("float-input").value = "";
    if (!topDialog()) {
      q("float-input").focus();
    }
  }

  document.getElementById("open-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const float = state.money.parse(q("float-input").value);
    if (float === null) {
      showMessage("error", t("error.amount"));
      q("float-input").focus();
      return;
    }
    busy(q("open-session"), async () => {
      try {
        await api("POST", "/api/session/open", { float: float });
        clearMessage();
        await refreshStatus();
      } catch (err) {
        showError(err);
      }
    });
  });
  q("logout-open").addEventListener("click", logout);

  // -- the sale ---------------------------------------------------------------------------

  async function enterSale() {
    try {
      const sale = await saleCall("GET", "/api/sale");
      const payment = openPayment(sale);
      if (payment && !topDialog()) {
        resumeAlipay(payment); // the page was reloaded while the shopper was paying
      }
    } catch (err) {
      showError(err);
    }
  }

  const activeLines = (sale) => (sale ? sale.lines.filter((line) => !line.voided) : []);
  const hasTenders = (sale) => !!(sale && sale.tenders && sale.tenders.length);
  const editable = (sale) => !!sale && !sale.completed && !hasTenders(sale);
  const alipayAvailable = () => {
    const s = state.status || {};
    return s.alipay !== undefined ? !!s.alipay : !!s.online;
  };
  const canPay = () => {
    const sale = state.sale;
    return !!sale && !sale.completed && !openPayment(sale) && activeLines(sale).length > 0 && sale.due > 0;
  };
  /* An Alipay payment of this sale still waiting for the shopper (the agent's summary says). */
  const openPayment = (sale) => (sale && sale.payment && PAID.concat(ENDED).indexOf(sale.payment.status) < 0
    ? sale.payment : null);

  /* The line a scan or tap just changed: new, or with another quantity. */
  function changedLine(before, after) {
    if (!before || before.uuid !== after.uuid) {
      return null;
    }
    for (const line of after.lines) {
      const old = before.lines[line.index];
      if (!line.voided && (!old || old.quantity !== line.quantity)) {
        return line.index;
      }
    }
    return null;
  }

  function renderSale(sale) {
    const before = state.sale;
    state.sale = sale;
    const active = activeLines(sale);
    const changed = changedLine(before, sale);
    if (changed !== null) {
      state.selected = changed;
    }
    if (!active.some((line) => line.index === state.selected)) {
      state.selected = active.length ? active[active.length - 1].index : null;
    }
    renderLines(sale);
    renderDiscounts(sale);
    renderMember(sale);
    renderTotals(sale);
    renderPayButtons();
    renderComplete(sale);
    renderCounterPromises(sale);
    if (topDialog() === "cash") {
      if (before && state.money.parse(cashAmount.value) === cashDue(before)) {
        cashAmount.value = state.money.plain(cashDue(sale)); // a scan while paying: cash pays the new due
      }
      refreshCashDialog();
    }
    document.body.dataset.lines = String(active.length);
    window.dispatchEvent(new Event("plaza:rendered"));
  }

  function renderLines(sale) {
    const list = document.getElementById("lines");
    const canEdit = editable(sale);
    const rows = sale.lines.map((line) => {
      if (line.voided) {
        return h("li", { class: "line voided", test: "line-voided", data: { index: line.index } },
          h("span", { class: "line-name" }, line.name), h("span", { class: "void-label" }, t("line.voided")));
      }
      const weighed = line.sold_by === "weight";
      const fixed = weighed || line.label_price != null;
      const i = line.index;
      const notes = [line.sku];
      if (line.label_price != null) {
        notes.push(t("line.label"));
      }
      const override = line.override
        ? h("small", { class: "override", test: "line-override" },
          t("line.override", { was: fmt(line.override.was), by: line.override.by || "" }))
        : null;
      const selected = i === state.selected;
      return h("li", {
        class: "line" + (selected ? " selected" : ""), test: "line",
        data: { index: i, sku: line.sku, selected: selected ? "true" : "false" },
        onclick: (event) => {
          if (!event.target.closest("button")) {
            selectLine(i);
          }
        },
      },
      h("div", { class: "line-name" }, h("span", { test: "line-name" }, line.name),
        line.variant ? h("small", { class: "variant", test: "line-variant" }, line.variant) : null,
        h("small", {}, h("span", { class: "unit-price", test: "line-unit-price", data: { amount: line.unit_price } },
          fmt(line.unit_price) + (weighed ? " " + t("line.perKg") : "")), " · ", notes.join(" · ")), override),
      h("div", { class: "line-qty" },
        h("button", { type: "button", class: "btn icon", test: "line-qty-minus", "aria-label": t("line.less"),
          disabled: !canEdit || fixed || line.quantity <= 1,
          onclick: () => changeQuantity(i, line.quantity - 1) }, "−"),
        h("button", { type: "button", class: weighed ? "btn qty weighed" : "btn qty", test: "line-qty",
          data: { quantity: line.quantity },
          disabled: !canEdit || fixed, onclick: () => askQuantity(line) }, state.qty(line.quantity, line.sold_by)),
        h("button", { type: "button", class: "btn icon", test: "line-qty-plus", "aria-label": t("line.more"),
          disabled: !canEdit || fixed, onclick: () => changeQuantity(i, line.quantity + 1) }, "+")),
      moneyEl("span", "line-gross", line.gross, { class: "num col-gross" }),
      h("span", { class: "num discount-cell", test: "line-discount", data: { amount: line.discount || 0 } },
        line.discount ? fmt(-line.discount) : ""),
      moneyEl("span", "line-net", line.net, { class: "num net" }),
      h("div", { class: "line-actions" },
        h("button", { type: "button", class: "btn icon", test: "line-price", title: t("line.price"),
          "aria-label": t("line.price"), disabled: !canEdit, onclick: () => openManager("price", line) }, "✎"),
        h("button", { type: "button", class: "btn icon danger", test: "line-void", title: t("line.void"),
          "aria-label": t("line.void"), disabled: !canEdit, onclick: () => voidLine(i) }, "✕")));
    });
    list.replaceChildren(...rows);
    q("empty-sale").hidden = sale.lines.length > 0;
    const selected = list.querySelector(".line.selected");
    if (selected) {
      selected.scrollIntoView({ block: "nearest" });
    }
  }

  function renderDiscounts(sale) {
    const names = {};
    for (const line of sale.lines) {
      names[line.index] = line.name;
    }
    document.getElementById("discounts").replaceChildren(...(sale.discounts || []).map((d) => h("li", {
      test: "discount", data: { line: d.line, amount: d.amount, code: d.code },
    }, h("span", { class: "discount-reason", test: "discount-text" }, d.reason || ""),
    d.line != null && names[d.line] ? h("small", {}, names[d.line]) : null,
    d.by ? h("small", {}, d.by) : null,
    h("span", { class: "num" }, fmt(-d.amount)))));
  }

  function renderMember(sale) {
    const el = q("member");
    const member = sale.member;
    el.hidden = !member;
    if (!member) {
      return;
    }
    if (member === true) {
      el.dataset.state = "identified";
      el.textContent = t("member.yes");
    } else if (member.pending) {
      el.dataset.state = "pending";
      el.textContent = t("member.pending");
    } else {
      el.dataset.state = "identified";
      const points = new Intl.NumberFormat(state.money.locale).format(Number(member.points) || 0);
      el.textContent = t("member.named", { name: member.name || "", number: member.number || "", points: points });
    }
  }

  function renderTotals(sale) {
    const set = (test, minor, negative) => {
      const el = q(test);
      el.dataset.amount = minor || 0;
      el.textContent = fmt(negative && minor ? -minor : minor);
    };
    set("subtotal", sale.subtotal);
    set("discount-total", sale.discount_total, true);
    set("tax-total", sale.tax_total);
    q("tax-label").textContent = sale.prices_include_tax ? t("totals.taxIncluded") : t("totals.tax");
    set("total", sale.total);
    set("paid", sale.paid);
    set("due", sale.due);
    document.getElementById("tenders").replaceChildren(...(sale.tenders || []).map((tender) => h("li", {
      test: "tender", data: { kind: tender.kind, amount: tender.amount },
    }, h("span", {}, tenderName(tender.kind)),
    tender.tendered != null && tender.tendered !== tender.amount
      ? h("small", {}, t("tender.given", { tendered: fmt(tender.tendered), change: fmt(tender.change) })) : null,
    h("span", { class: "num" }, fmt(tender.amount)))));
  }

  function renderPayButtons() {
    const sale = state.sale;
    const payable = canPay();
    const alipayOk = alipayAvailable();
    const completed = !!(sale && sale.completed);
    q("pay-cash").disabled = !payable;
    q("pay-alipay-qr").disabled = !payable || !alipayOk;
    q("pay-alipay-code").disabled = !payable || !alipayOk;
    const reason = q("alipay-offline");
    reason.hidden = alipayOk;
    reason.textContent = t("pay.alipayOffline");
    for (const test of ["pay-alipay-qr", "pay-alipay-code"]) {
      q(test).title = alipayOk ? "" : t("pay.alipayOffline");
    }
    renderPointsButton(payable);
    const tenders = sale && sale.tenders ? sale.tenders : [];
    q("tenders-remove").hidden = completed || !tenders.length || !!openPayment(sale);
    q("complete-sale").hidden = !sale || completed || !activeLines(sale).length || sale.due !== 0;
    document.getElementById("pay-actions").hidden = completed;
    const canEdit = editable(sale) && activeLines(sale).length > 0;
    q("discount-open").disabled = !canEdit;
    q("void-sale").disabled = !canEdit;
    q("discount-open").hidden = completed; // the completed panel needs the room
    q("void-sale").hidden = completed;
  }

  function renderComplete(sale) {
    const panel = q("complete");
    const shown = !!sale.completed;
    panel.hidden = !shown;
    if (!shown) {
      return;
    }
    const last = state.lastComplete && state.lastComplete.uuid === sale.uuid ? state.lastComplete : null;
    const change = last && last.change != null ? last.change : sale.change || 0;
    const el = q("change");
    el.dataset.amount = change;
    el.textContent = fmt(change);
    q("print-status").textContent = printText(last);
  }

  /* The cash rounding (where the smallest coins are gone) and the opening gift: given with how
   * many are left, that the sale qualifies, or why no gift can be given (offline, none left). */
  function renderCounterPromises(sale) {
    const row = q("rounding-row");
    row.hidden = !sale.rounding;
    const rounding = q("cash-rounding");
    rounding.dataset.amount = sale.rounding || 0;
    rounding.textContent = fmt(sale.rounding || 0);
    const gift = q("gift-notice");
    const text = I18n.giftText(t, sale.gift, alipayAvailable());
    gift.hidden = !text;
    gift.textContent = text;
    gift.dataset.state = sale.gift ? sale.gift.state : "";
  }

  /* A member's points pay part of the sale: shown while they have points worth something. */
  function renderPointsButton(payable) {
    const sale = state.sale;
    const member = sale && sale.member && !sale.member.pending ? sale.member : null;
    const value = member ? Number(member.points_value) || 0 : 0;
    const button = q("pay-points");
    button.hidden = !member || value <= 0 || !!(sale && sale.completed);
    button.disabled = !payable || !alipayAvailable(); // the server redeems them: offline, no points
    button.title = alipayAvailable() ? "" : t("error.offline");
    const shown = q("points-value");
    shown.dataset.amount = value;
    shown.textContent = fmt(value);
  }

  async function payPoints() {
    if (!canPay()) {
      return;
    }
    try {
      const sale = await saleCall("POST", "/api/sale/points", {}, 30000);
      clearMessage("error");
      if (sale.due === 0) {
        await completeSale();
      } else {
        showMessage("info", t("pay.partPaid", { due: fmt(sale.due) }));
      }
    } catch (err) {
      showError(err);
    }
  }

  /* The receipt printer's word on the last job (GET /api/status `printer`), for the sale just done. */
  function printText(last) {
    const outcome = state.status && state.status.printer;
    if (!last || typeof outcome !== "string" || outcome === "printing") {
      return t("complete.printing");
    }
    if (outcome === "printed") {
      return t("complete.printed");
    }
    return t("complete.notPrinted", { why: outcome.replace(/^not printed:\s*/, "") });
  }

  function selectLine(index) {
    state.selected = index;
    for (const li of document.querySelectorAll('#lines [data-test="line"]')) {
      const on = Number(li.dataset.index) === index;
      li.classList.toggle("selected", on);
      li.dataset.selected = on ? "true" : "false";
      if (on) {
        li.scrollIntoView({ block: "nearest" });
      }
    }
  }

  function moveSelection(step) {
    const active = activeLines(state.sale);
    if (!active.length) {
      return;
    }
    const at = active.findIndex((line) => line.index === state.selected);
    const next = Math.min(active.length - 1, Math.max(0, (at < 0 ? active.length : at) + step));
    selectLine(active[next].index);
  }

  const selectedLine = () => activeLines(state.sale).find((line) => line.index === state.selected) || null;

  // -- changing the basket ----------------------------------------------------------------

  async function scanToSale(code) {
    try {
      await saleCall("POST", "/api/sale/scan", { code: code });
      clearMessage("error");
    } catch (err) {
      await saleProblem(err, code);
    }
  }

  /* What the cashier sees when the agent refuses; some refusals have a next step. */
  async function saleProblem(err, code) {
    if (err.code === "needs-weight" && err.body.sku) {
      return addWeighed(err.body.sku, err.body.name || "");
    }
    if (err.code === "not-an-item" && code) {
      if (err.body.kind === "WalletPaymentCode" && canPay() && alipayAvailable()) {
        return openAlipay("code", code);
      }
      if (err.body.kind === "ReceiptQR") {
        return openReturn(code);
      }
    }
    if (err.code === "no-session") {
      refreshStatus();
    }
    showError(err);
    return undefined;
  }

  async function addItem(sku, quantity) {
    try {
      await saleCall("POST", "/api/sale/items", quantity ? { sku: sku, quantity: quantity } : { sku: sku });
      clearMessage("error");
    } catch (err) {
      await saleProblem(err);
    }
  }

  async function addWeighed(sku, name) {
    const grams = await askNumber(name || t("weight.title"), t("weight.label"), "");
    if (grams) {
      await addItem(sku, grams);
    }
  }

  async function changeQuantity(index, quantity) {
    if (quantity < 1) {
      return;
    }
    try {
      await saleCall("POST", `/api/sale/lines/${index}/quantity`, { quantity: quantity });
      clearMessage("error");
    } catch (err) {
      showError(err);
    }
  }

  async function askQuantity(line) {
    const quantity = await askNumber(line.name, t("qty.label"), String(line.quantity));
    if (quantity) {
      await changeQuantity(line.index, quantity);
    }
  }

  async function voidLine(index) {
    try {
      await saleCall("POST", `/api/sale/lines/${index}/void`);
      clearMessage("error");
    } catch (err) {
      showError(err);
    }
  }

  async function newSale() {
    try {
      await saleCall("POST", "/api/sale", {});
      state.lastComplete = null;
      clearMessage();
      if (document.activeElement && document.activeElement !== document.body) {
        document.activeElement.blur();
      }
    } catch (err) {
      showError(err);
    }
  }

  async function voidSale() {
    if (!editable(state.sale) || !activeLines(state.sale).length) {
      return;
    }
    if (await confirmAsk(t("confirm.voidSale"))) {
      try {
        await saleCall("POST", "/api/sale", { discard: true });
        clearMessage();
      } catch (err) {
        showError(err);
      }
    }
  }

  q("new-sale").addEventListener("click", newSale);
  q("void-sale").addEventListener("click", voidSale);
  q("reprint").addEventListener("click", () => reprint(state.sale && state.sale.uuid));
  q("complete-sale").addEventListener("click", () => busy(q("complete-sale"), completeSale));
  q("tenders-remove").addEventListener("click", async () => {
    const wallet = (state.sale.tenders || []).some((x) => x.kind !== "cash");
    if (wallet && !(await confirmAsk(t("confirm.refundTenders")))) {
      return; // Alipay tenders are refunded to the shopper when they are taken back
    }
    try {
      await saleCall("DELETE", "/api/sale/tenders", undefined, 60000);
      clearMessage("error");
    } catch (err) {
      showError(err);
    }
  });

  async function reprint(uuid) {
    try {
      await api("POST", "/api/sale/reprint", uuid ? { uuid: uuid } : {});
      showMessage("info", t("complete.reprinting"));
    } catch (err) {
      showError(err);
    }
  }

  /* The sale is paid: the agent queues it, prints the receipt and opens the drawer. */
  async function completeSale() {
    try {
      const done = await queued(() => api("POST", "/api/sale/complete", {}, 30000));
      state.lastComplete = { uuid: done.uuid, change: done.change, print: done.print || null };
      if (state.status && typeof done.waiting === "number") {
        state.status.waiting = done.waiting;
        renderStatusBar();
      }
      renderSale(done.sale);
      clearMessage("error");
      if (!topDialog()) {
        q("new-sale").focus();
      }
    } catch (err) {
      showError(err);
    }
  }

  // -- search -----------------------------------------------------------------------------

  const searchInput = q("search");
  const resultsEl = document.getElementById("search-results");
  let searchTimer = null;
  let searchSeq = 0;
  let searchItems = [];

  function hideResults() {
    searchSeq += 1; // an answer still on its way is no longer wanted
    clearTimeout(searchTimer);
    searchItems = [];
    resultsEl.hidden = true;
    resultsEl.replaceChildren();
  }

  searchInput.addEventListener("input", () => {
    clearTimeout(searchTimer);
    const text = searchInput.value.trim();
    if (text.length < 2) {
      hideResults();
      return;
    }
    searchTimer = setTimeout(() => runSearch(text), 200);
  });

  async function runSearch(text) {
    searchSeq += 1;
    const seq = searchSeq;
    try {
      const answer = await api("GET", "/api/search?limit=12&q=" + encodeURIComponent(text));
      if (seq === searchSeq) {
        renderResults((answer && answer.items) || []);
      }
    } catch (err) {
      if (seq === searchSeq) {
        showError(err);
      }
    }
  }

  function renderResults(items) {
    searchItems = items;
    resultsEl.replaceChildren(...(items.length ? items.map((item) => {
      const stock = item.available != null ? item.available : item.on_hand;
      return h("button", { type: "button", class: "result", test: "search-result", data: { sku: item.sku },
        onclick: () => pickResult(item) },
      h("span", { class: "result-name" }, item.name,
        item.variant ? [" · ", h("span", { class: "variant", test: "search-result-variant" }, item.variant)] : null),
      h("small", {}, [item.sku, stock != null ? t("search.stock", { count: stock }) : null]
        .filter(Boolean).join(" · ")),
      h("span", { class: "num" }, item.price != null
        ? fmt(item.price) + (item.sold_by === "weight" ? " " + t("line.perKg") : "") : t("search.noPrice")));
    }) : [h("p", { class: "none", test: "search-none" }, t("search.none"))]));
    resultsEl.hidden = false;
  }

  function pickResult(item) {
    searchInput.value = "";
    hideResults();
    searchInput.focus();
    if (item.sold_by === "weight") {
      addWeighed(item.sku, item.name);
    } else {
      addItem(item.sku);
    }
  }

  searchInput.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      const first = resultsEl.querySelector("button");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    } else if (event.key === "Enter" && !event.defaultPrevented) {
      event.preventDefault();
      const text = searchInput.value.trim();
      if (!text) {
        return;
      }
      if (/^\d{6,14}$/.test(text) || /^https?:\/\//i.test(text)) {
        searchInput.value = ""; // a code keyed in by hand: a scan
        hideResults();
        scanToSale(text);
      } else if (searchItems.length && !resultsEl.hidden) {
        pickResult(searchItems[0]);
      } else {
        clearTimeout(searchTimer);
        runSearch(text);
      }
    }
  });

  resultsEl.addEventListener("keydown", (event) => {
    const buttons = Array.from(resultsEl.querySelectorAll("button"));
    const at = buttons.indexOf(document.activeElement);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = at + (event.key === "ArrowDown" ? 1 : -1);
      (next < 0 ? searchInput : buttons[Math.min(next, buttons.length - 1)]).focus();
    }
  });

  function focusSearch() {
    searchInput.focus();
    searchInput.select();
  }

  // -- a number (quantity, grams) ---------------------------------------------------------

  let numberAnswer = null;

  function askNumber(title, label, value) {
    return new Promise((resolve) => {
      q("number-title").textContent = title;
      q("number-label").textContent = label;
      q("number-input").value = value || "";
      numberAnswer = resolve;
      openDialog("number", () => {
        if (numberAnswer) {
          numberAnswer(null);
          numberAnswer = null;
        }
      });
      q("number-input").focus();
      q("number-input").select();
    });
  }

  document.getElementById("number-form").addEventListener("submit", () => {
    const text = q("number-input").value.trim();
    const value = /^\d+$/.test(text) ? Number(text) : 0;
    if (!value) {
      showMessage("error", t("error.number"));
      q("number-input").focus();
      return;
    }
    const answer = numberAnswer;
    numberAnswer = null;
    closeDialog("number");
    answer(value);
  });

  // -- yes / no ---------------------------------------------------------------------------

  let confirmAnswer = null;

  function confirmAsk(text) {
    return new Promise((resolve) => {
      q("confirm-text").textContent = text;
      confirmAnswer = resolve;
      openDialog("confirm", () => {
        if (confirmAnswer) {
          confirmAnswer(false);
          confirmAnswer = null;
        }
      });
      q("confirm-cancel").focus();
    });
  }

  document.getElementById("confirm-form").addEventListener("submit", () => {
    const answer = confirmAnswer;
    confirmAnswer = null;
    closeDialog("confirm");
    if (answer) {
      answer(true);
    }
  });

  // -- cash -------------------------------------------------------------------------------

  const cashTendered = q("cash-tendered");
  const cashAmount = q("cash-amount");

  function openCash() {
    if (!canPay()) {
      return;
    }
    cashTendered.value = "";
    cashAmount.value = state.money.plain(cashDue(state.sale));
    openDialog("cash");
    refreshCashDialog();
    cashTendered.focus();
  }

  /* What cash settles the rest with: the due, rounded to the smallest coin where that is not a cent. */
  const cashDue = (sale) => (sale ? (sale.cash_due != null ? sale.cash_due : sale.due) : 0);

  /* The amount to pay in cash: what is due, or less for a split (keyed in the second field). */
  function cashToPay() {
    const due = cashDue(state.sale);
    const amount = state.money.parse(cashAmount.value);
    return amount === null ? due : amount;
  }

  function refreshCashDialog() {
    const due = cashDue(state.sale);
    const dueEl = q("cash-due");
    dueEl.dataset.amount = due;
    dueEl.textContent = fmt(due);
    const amount = cashToPay();
    const list = document.getElementById("cash-quick");
    list.replaceChildren(...Money.quickTenders(amount, state.money.currency,
      state.money.exponent, 6).map((value, i) => {
      const button = h("button", {
        type: "button", class: "btn quick", test: "cash-quick", data: { amount: value },
        onclick: () => {
          cashTendered.value = state.money.plain(value);
          refreshCashChange();
          q("cash-confirm").focus();
        },
      });
      // The amount never breaks inside; "Exact" may go on a line of its own above it.
      const money = h("span", { class: "amount" }, fmt(value));
      if (i === 0 && value === amount) {
        fillTemplate(button, state.t.raw("cash.exact"), { amount: money });
      } else {
        button.append(money);
      }
      return button;
    }));
    fitLabels(list.querySelectorAll(".btn.quick"));
    refreshCashChange();
  }

  /* Shrinks the text of buttons whose label is wider than the button (a long currency amount
   * in a narrow column) until it fits, down to a still readable size. */
  function fitLabels(buttons) {
    for (const button of buttons) {
      button.style.fontSize = "";
      let size = parseFloat(getComputedStyle(button).fontSize);
      while (labelWidth(button) > button.clientWidth && size > 12) {
        size -= 1;
        button.style.fontSize = size + "px";
      }
    }
  }

  /* The width a button's text takes with its padding (centred text overflows both sides). */
  function labelWidth(el) {
    const range = document.createRange();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let left = Infinity;
    let right = -Infinity;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) {
        left = Math.min(left, rect.left);
        right = Math.max(right, rect.right);
      }
    }
    const style = getComputedStyle(el);
    return right > left ? Math.ceil(right - left + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight)) : 0;
  }

  function refreshCashChange() {
    const amount = cashToPay();
    const tendered = state.money.parse(cashTendered.value);
    const label = q("cash-change-label");
    const value = q("cash-change");
    value.classList.remove("short");
    if (tendered === null) {
      label.textContent = t("complete.change");
      value.dataset.amount = "";
      value.textContent = "—";
    } else if (tendered < amount) {
      label.textContent = t("cash.short");
      value.classList.add("short");
      value.dataset.amount = amount - tendered;
      value.textContent = fmt(amount - tendered);
    } else {
      label.textContent = t("complete.change");
      value.dataset.amount = tendered - amount;
      value.textContent = fmt(tendered - amount);
    }
  }

  cashTendered.addEventListener("input", refreshCashChange);
  cashAmount.addEventListener("input", refreshCashDialog);

  document.getElementById("cash-form").addEventListener("submit", () => {
    const due = state.sale ? state.sale.due : 0;
    const rest = cashDue(state.sale); // cash settling the rest: rounded where coins are missing
    const amount = cashToPay();
    const keyed = state.money.parse(cashTendered.value);
    const tendered = keyed === null ? amount : keyed; // nothing keyed in: the exact amount
    if (!(amount > 0 && amount <= Math.max(due, rest))) {
      showMessage("error", t("error.cashAmount", { due: fmt(rest) }));
      cashAmount.focus();
      return;
    }
    if (tendered < amount) {
      showMessage("error", t("error.notEnough", { more: fmt(amount - tendered) }));
      cashTendered.focus();
      return;
    }
    busy(q("cash-confirm"), async () => {
      try {
        const all = amount === rest || amount >= due;
        const body = all ? { tendered: tendered } : { tendered: tendered, amount: amount };
        const sale = await saleCall("POST", "/api/sale/cash", body);
        closeDialog("cash");
        if (sale.due === 0) {
          await completeSale();
        } else {
          showMessage("info", t("pay.partPaid", { due: fmt(sale.due) }));
        }
      } catch (err) {
        showError(err);
      }
    });
  });

  // -- Alipay -----------------------------------------------------------------------------

  // `token` changes whenever the dialog's payment stops being ours to watch (paid, closed...).
  const alipay = { mode: null, payment: null, token: 0, charging: false };
  const alipayCodeInput = q("alipay-code-input");
  const alipayQr = q("alipay-qr");

  function setAlipayStatus(text) {
    q("alipay-status").textContent = text || "";
  }

  function openAlipay(mode, code) {
    if (!canPay()) {
      return;
    }
    if (!alipayAvailable()) {
      showMessage("error", t("pay.alipayOffline"));
      return;
    }
    showAlipayDialog(mode, state.sale.due);
    if (mode === "qr") {
      startAlipayQr();
    } else if (code) {
      chargeAlipayCode(code);
    }
  }

  function showAlipayDialog(mode, amountDue) {
    alipay.mode = mode;
    alipay.payment = null;
    alipay.token += 1;
    const el = dialogs.alipay.el;
    for (const part of el.querySelectorAll("[data-mode]")) {
      part.hidden = part.dataset.mode !== mode;
    }
    q("alipay-title").textContent = mode === "qr" ? t("pay.alipayQr") : t("pay.alipayCode");
    const amount = q("alipay-amount");
    amount.dataset.amount = amountDue;
    amount.textContent = fmt(amountDue);
    alipayQr.hidden = true;
    alipayQr.dataset.qr = "";
    alipayQr.removeAttribute("src");
    alipayCodeInput.value = "";
    setAlipayStatus("");
    openDialog("alipay", abandonAlipay);
    if (mode === "code") {
      alipayCodeInput.focus();
    }
  }

  /* Watch again a payment the agent still holds open (after a reload of this page). */
  function resumeAlipay(payment) {
    showAlipayDialog(payment.method === "code" ? "code" : "qr", payment.amount);
    alipay.payment = payment.id;
    if (payment.qr_code) {
      showQr(payment.qr_code);
    }
    setAlipayStatus(alipay.mode === "qr" ? t("alipay.waitingQr") : t("alipay.waitingPhone"));
    waitForAlipay(alipay.token);
  }

  function showQr(payload) {
    alipayQr.dataset.qr = payload || "";
    alipayQr.alt = payload || "";
    alipayQr.src = "/api/display/qr.png?ts=" + Date.now();
    alipayQr.hidden = false;
  }

  async function startAlipayQr() {
    const token = alipay.token;
    setAlipayStatus(t("alipay.creating"));
    let answer;
    try {
      answer = await api("POST", "/api/sale/alipay", { method: "qr", amount: state.sale.due }, 30000);
    } catch (err) {
      if (token === alipay.token) {
        closeDialog("alipay");
        showError(err);
      }
      return;
    }
    if (token !== alipay.token) {
      cancelPayment(answer.payment, true); // closed while the payment was being made
      return;
    }
    alipay.payment = answer.payment;
    showQr(answer.qr_code);
    if (!(await alipayAnswer(answer, token))) {
      waitForAlipay(token);
    }
  }

  async function chargeAlipayCode(code) {
    const authCode = String(code || "").trim();
    if (!authCode || alipay.charging || alipay.payment) {
      return;
    }
    const token = alipay.token;
    alipay.charging = true;
    alipayCodeInput.value = ""; // a payment code is used once and never kept
    q("alipay-code-submit").disabled = true;
    setAlipayStatus(t("alipay.charging"));
    try {
      const answer = await api("POST", "/api/sale/alipay",
        { method: "code", amount: state.sale.due, auth_code: authCode }, 60000);
      if (token !== alipay.token) {
        cancelPayment(answer.payment, true);
        return;
      }
      alipay.payment = answer.payment;
      if (!(await alipayAnswer(answer, token))) {
        waitForAlipay(token);
      }
    } catch (err) {
      if (token === alipay.token) {
        setAlipayStatus("");
        showError(err);
        alipayCodeInput.focus();
      }
    } finally {
      alipay.charging = false;
      q("alipay-code-submit").disabled = false;
    }
  }

  document.getElementById("alipay-form").addEventListener("submit", () => {
    if (alipay.mode === "code") {
      chargeAlipayCode(alipayCodeInput.value);
    }
  });

  /* Long-polls the agent until the payment is over or the dialog is no longer watching it. */
  async function waitForAlipay(token) {
    while (token === alipay.token && alipay.payment) {
      let answer;
      try {
        answer = await api("GET", `/api/sale/alipay/${encodeURIComponent(alipay.payment)}?wait=20`, undefined, 30000);
      } catch (err) {
        if (token !== alipay.token) {
          return;
        }
        if (err.status === 0 || err.status >= 500 || err.code === "offline") {
          setAlipayStatus(t("alipay.waitingServer")); // the wallet may still pay: keep asking
          await sleep(2000);
          continue;
        }
        showError(err);
        return;
      }
      if (token !== alipay.token || (await alipayAnswer(answer, token))) {
        return;
      }
    }
  }

  /* True when the payment is over (paid, failed, cancelled). */
  async function alipayAnswer(answer, token) {
    const status = answer && answer.status;
    if (PAID.indexOf(status) >= 0) {
      alipay.payment = null;
      alipay.token += 1;
      closeDialog("alipay");
      await alipayPaid();
      return true;
    }
    if (ENDED.indexOf(status) >= 0) {
      alipay.payment = null;
      const why = answer.detail || (answer.failure && answer.failure.reason) || "";
      if (alipay.mode === "code" && token === alipay.token) {
        setAlipayStatus(t("alipay.failed"));
        showMessage("error", t("alipay.failed"), why, status);
        alipayCodeInput.focus(); // another code, or another tender
      } else {
        alipay.token += 1;
        closeDialog("alipay");
        showMessage("error", t("alipay.failed"), why, status);
      }
      return true;
    }
    setAlipayStatus(alipay.mode === "qr" ? t("alipay.waitingQr") : t("alipay.waitingPhone"));
    return false;
  }

  async function alipayPaid() {
    let sale;
    try {
      sale = await saleCall("GET", "/api/sale"); // the agent has added the tender
    } catch (err) {
      showError(err);
      return;
    }
    if (sale.due === 0 && !sale.completed) {
      await completeSale();
    } else if (sale.due > 0) {
      showMessage("info", t("pay.partPaid", { due: fmt(sale.due) }));
    }
  }

  /* The cashier closed the dialog: cancel a payment that is still open. */
  function abandonAlipay() {
    const payment = alipay.payment;
    alipay.payment = null;
    alipay.token += 1;
    if (payment) {
      cancelPayment(payment, false);
    }
  }

  async function cancelPayment(payment, quiet) {
    if (!payment) {
      return;
    }
    if (!quiet) {
      showMessage("info", t("alipay.cancelling"));
    }
    try {
      // The server may be busy with long-polls: give the cancel time rather than guess.
      const answer = await api("POST", `/api/sale/alipay/${encodeURIComponent(payment)}/cancel`, {}, 45000);
      if (answer && PAID.indexOf(answer.status) >= 0) {
        showMessage("info", t("alipay.paidAnyway"));
        await alipayPaid(); // the shopper paid just before the cancel: the sale has it
        return;
      }
      if (!quiet) {
        showMessage("info", t("alipay.cancelled"));
      }
    } catch (err) {
      showError(err);
    }
    saleCall("GET", "/api/sale").catch(() => null); // the pay buttons follow the agent's word
  }

  // -- manager approval: price override, discount -----------------------------------------

  const manager = { mode: null, line: null, who: null, discountKind: "percent" };

  async function openManager(mode, line) {
    if (!editable(state.sale) || !activeLines(state.sale).length) {
      return;
    }
    if (!state.cashiers.length) {
      try {
        await loadCashiers();
      } catch (err) {
        state.cashiers = [];
      }
    }
    const me = state.status && state.status.cashier;
    const managers = state.cashiers.filter((c) => MANAGER_ROLES.indexOf(c.role) >= 0);
    manager.mode = mode;
    manager.line = line || null;
    manager.who = me && MANAGER_ROLES.indexOf(me.role) >= 0 ? me.username
      : managers.length === 1 ? managers[0].username : null;
    const el = dialogs.manager.el;
    for (const part of el.querySelectorAll("[data-mode]")) {
      part.hidden = part.dataset.mode !== mode;
    }
    q("manager-pin").value = "";
    q("manager-username").value = "";
    q("manager-username").closest("label").hidden = managers.length > 0;
    document.getElementById("manager-list").replaceChildren(...managers.map((c) => h("button", {
      type: "button", class: "btn", test: "manager-user-" + c.username, data: { username: c.username },
      "aria-pressed": String(c.username === manager.who),
      onclick: () => pickManager(c.username),
    }, c.display_name || c.username)));
    let first;
    if (mode === "price") {
      q("manager-title").textContent = t("price.title");
      q("price-line").textContent = `${line.name} · ${fmt(line.unit_price)}`;
      q("price-label").textContent = line.sold_by === "weight" ? t("price.perKg") : t("price.each");
      q("price-input").value = "";
      first = q("price-input");
    } else {
      q("manager-title").textContent = t("discount.title");
      setDiscountKind("percent");
      q("discount-value").value = "";
      q("discount-reason").value = "";
      first = q("discount-value");
    }
    openDialog("manager");
    first.focus();
  }

  function pickManager(username) {
    manager.who = username;
    for (const button of document.querySelectorAll("#manager-list button")) {
      button.setAttribute("aria-pressed", String(button.dataset.username === username));
    }
    q("manager-pin").focus();
  }

  function setDiscountKind(kind) {
    manager.discountKind = kind;
    q("discount-mode-percent").setAttribute("aria-pressed", String(kind === "percent"));
    q("discount-mode-amount").setAttribute("aria-pressed", String(kind === "amount"));
    q("discount-value-label").textContent = kind === "percent" ? t("discount.percentLabel") : t("discount.amountLabel");
    q("discount-value").value = "";
  }

  q("discount-mode-percent").addEventListener("click", () => setDiscountKind("percent"));
  q("discount-mode-amount").addEventListener("click", () => setDiscountKind("amount"));

  document.getElementById("manager-form").addEventListener("submit", () => {
    const who = manager.who || q("manager-username").value.trim();
    const pin = q("manager-pin").value;
    let path;
    let body;
    if (manager.mode === "price") {
      const price = state.money.parse(q("price-input").value);
      if (price === null) {
        showMessage("error", t("error.amount"));
        q("price-input").focus();
        return;
      }
      path = `/api/sale/lines/${manager.line.index}/price`;
      body = { unit_price: price };
    } else {
      const reason = q("discount-reason").value.trim();
      const text = q("discount-value").value.trim();
      if (manager.discountKind === "percent") {
        const percent = /^\d{1,3}([.,]\d{1,2})?$/.test(text) ? Number(text.replace(",", ".")) : NaN;
        if (!(percent > 0 && percent <= 100)) {
          showMessage("error", t("error.percent"));
          q("discount-value").focus();
          return;
        }
        body = { percent: percent };
      } else {
        const amount = state.money.parse(text);
        if (!amount) {
          showMessage("error", t("error.amount"));
          q("discount-value").focus();
          return;
        }
        body = { amount: amount };
      }
      if (!reason) {
        showMessage("error", t("error.reasonNeeded"));
        q("discount-reason").focus();
        return;
      }
      body.reason = reason;
      path = "/api/sale/discount";
    }
    if (!who) {
      showMessage("error", t("error.pickManager"));
      return;
    }
    if (!pin) {
      showMessage("error", t("error.pinNeeded"));
      q("manager-pin").focus();
      return;
    }
    body.manager = who;
    body.manager_pin = pin;
    busy(q("manager-ok"), async () => {
      try {
        await saleCall("POST", path, body);
        closeDialog("manager");
        clearMessage("error");
      } catch (err) {
        showError(err);
        q("manager-pin").value = "";
        q("manager-pin").focus();
      }
    });
  });

  /* Reasons a cashier taps rather than types, in the store's language: "discount.reasonDamaged"
     becomes data-test "<prefix>-damaged". */
  function presetButtons(container, prefix, keys, input) {
    container.replaceChildren(...keys.map((key) => h("button", {
      type: "button", class: "btn preset",
      test: prefix + "-" + key.split(".").pop().replace(/^reason/, "").toLowerCase(),
      onclick: () => {
        input.value = t(key);
        input.focus();
      },
    }, t(key))));
  }

  // -- returns ----------------------------------------------------------------------------

  const ret = { step: "lookup", original: null, qty: {} };
  const returnCode = q("return-code");

  function setReturnStep(step) {
    ret.step = step;
    for (const part of dialogs.return.el.querySelectorAll("[data-step]")) {
      part.hidden = part.dataset.step !== step;
    }
    q("return-cancel").hidden = step === "done";
  }

  function openReturn(code) {
    ret.original = null;
    ret.qty = {};
    returnCode.value = code || "";
    setReturnStep("lookup");
    openDialog("return", () => refreshStatus());
    returnCode.focus();
    if (code) {
      lookupReturn(code);
    }
  }

  async function lookupReturn(code) {
    const text = String(code || "").trim();
    if (!text) {
      return;
    }
    try {
      ret.original = await api("POST", "/api/returns/lookup", { code: text });
      ret.qty = {};
      renderReturnPick();
      setReturnStep("pick");
      clearMessage("error");
      const first = dialogs.return.el.querySelector('[data-test="return-line-plus"]:not([disabled])');
      (first || q("return-reason")).focus();
    } catch (err) {
      showError(err);
      returnCode.select();
    }
  }

  q("return-lookup").addEventListener("click", () => lookupReturn(returnCode.value));

  const returnable = (line) => (line.returnable != null ? line.returnable
    : Math.max(0, line.quantity - (line.returned || 0)));

  function renderReturnPick() {
    const original = ret.original;
    q("return-sale").textContent = t("return.saleInfo", {
      number: original.number || String(original.uuid || "").slice(0, 8).toUpperCase(),
      date: fmtDate(original.occurred_at), total: fmt(original.total),
    });
    document.getElementById("return-lines").replaceChildren(...(original.lines || []).map((line) => {
      const left = returnable(line);
      const weighed = line.sold_by === "weight";
      const key = line.line;
      const qtyInput = h("input", { type: "text", inputmode: "numeric", test: "return-line-qty", data: { line: key },
        value: "0", readonly: weighed || left === 0, "aria-label": t("return.qty") });
      const set = (value) => {
        const n = Math.max(0, Math.min(left, value));
        ret.qty[key] = n;
        qtyInput.value = String(n);
        refreshReturnTotal();
      };
      qtyInput.addEventListener("input", () => {
        const n = /^\d+$/.test(qtyInput.value) ? Number(qtyInput.value) : 0;
        ret.qty[key] = Math.min(n, left);
        refreshReturnTotal();
      });
      qtyInput.addEventListener("change", () => set(ret.qty[key] || 0));
      return h("li", { test: "return-line", data: { line: key, returnable: left } },
        h("span", { class: "line-name", test: "return-line-name" }, line.name),
        h("small", { test: "return-line-sold" }, t("return.soldReturned", {
          sold: state.qty(line.quantity, line.sold_by), returned: state.qty(line.returned || 0, line.sold_by),
          net: fmt(line.net) })),
        h("div", { class: "line-qty" },
          h("button", { type: "button", class: "btn icon", test: "return-line-minus", data: { line: key },
            disabled: left === 0, onclick: () => set(weighed ? 0 : (ret.qty[key] || 0) - 1) }, "−"),
          qtyInput,
          h("button", { type: "button", class: "btn icon", test: "return-line-plus", data: { line: key },
            disabled: left === 0, onclick: () => set(weighed ? left : (ret.qty[key] || 0) + 1) }, "+")),
        h("span", { class: "num", test: "return-line-refund", data: { line: key, amount: 0 } }, ""));
    }));
    q("return-tenders").textContent = t("return.paidWith", {
      tenders: (original.tenders || []).map((x) => `${tenderName(x.kind)} ${fmt(x.amount)}`
        + (x.refunded ? ` (${t("return.refunded", { amount: fmt(x.refunded) })})` : "")).join(", "),
    });
    q("return-reason").value = "";
    refreshReturnTotal();
  }

  /* A preview with retail/returns.py's arithmetic; the agent's answer is what is refunded. */
  function refreshReturnTotal() {
    let total = 0;
    let any = false;
    for (const line of ret.original.lines || []) {
      const qty = ret.qty[line.line] || 0;
      const refund = qty ? Money.lineRefund(line.net, line.quantity, line.returned || 0, qty) : 0;
      const cell = dialogs.return.el.querySelector(`[data-test="return-line-refund"][data-line="${line.line}"]`);
      if (cell) {
        cell.dataset.amount = refund;
        cell.textContent = qty ? fmt(refund) : "";
      }
      total += refund;
      any = any || qty > 0;
    }
    const el = q("return-total");
    el.dataset.amount = total;
    el.textContent = fmt(total);
    q("return-confirm").disabled = !any;
  }

  q("return-confirm").addEventListener("click", () => {
    const lines = Object.entries(ret.qty).filter(([, qty]) => qty > 0)
      .map(([line, qty]) => ({ line: Number(line), quantity: qty }));
    const reason = q("return-reason").value.trim();
    if (!lines.length) {
      return;
    }
    if (!reason) {
      showMessage("error", t("error.reasonNeeded"));
      q("return-reason").focus();
      return;
    }
    busy(q("return-confirm"), async () => {
      try {
        const body = { original: ret.original.uuid, lines: lines, reason: reason };
        const done = await api("POST", "/api/returns", body, 60000); // a wallet refund asks the server
        renderReturnDone(done);
        setReturnStep("done");
        clearMessage("error");
        q("return-done").focus();
        refreshStatus();
      } catch (err) {
        showError(err);
      }
    });
  });

  function renderReturnDone(done) {
    const refunds = done.refunds || [];
    document.getElementById("return-refunds").replaceChildren(
      ...refunds.map((r) => h("li", { test: "return-refund", data: { kind: r.kind, amount: r.amount } },
        h("span", {}, tenderName(r.kind)), h("span", { class: "num" }, fmt(r.amount)))),
      h("li", { class: "total", test: "return-refund-total", data: { amount: done.total } },
        h("span", {}, t("return.total")), h("span", { class: "num" }, fmt(done.total))));
    const cash = refunds.filter((r) => r.kind === "cash").reduce((sum, r) => sum + r.amount, 0);
    const back = q("return-cash-back");
    back.dataset.amount = cash;
    back.textContent = cash ? t("return.cashBack", { amount: fmt(cash) }) : "";
  }

  // -- session: cash in / out, X and Z reports, rejected documents ------------------------

  const session = { movement: null };

  function setSessionView(view) {
    clearMessage("info");
    for (const part of dialogs.session.el.querySelectorAll("[data-view]")) {
      part.hidden = part.dataset.view !== view;
    }
    q("session-close-dialog").hidden = view === "report" && !q("z-done").hidden;
    const part = `[data-view="${view}"]`;
    const target = dialogs.session.el.querySelector(`${part} input, ${part} button:not([disabled])`);
    if (target) {
      target.focus();
    }
  }

  function openSession() {
    const s = state.status;
    if (!s || !s.session) {
      return;
    }
    q("session-info").textContent = t("session.info", {
      opened: fmtDate(s.session.opened_shown || s.session.opened_at), by: s.session.opened_by || "", float: fmt(s.session.float),
    });
    openDialog("session", () => {
      if (state.screen === "open") {
        q("float-input").focus(); // after a Z report: the next float
      }
    });
    setSessionView("menu");
  }

  for (const button of dialogs.session.el.querySelectorAll("[data-back]")) {
    button.addEventListener("click", () => setSessionView("menu"));
  }

  function openMovement(kind) {
    session.movement = kind;
    q("movement-title").textContent = kind === "in" ? t("session.cashIn") : t("session.cashOut");
    q("movement-amount").value = "";
    q("movement-reason").value = "";
    presetButtons(document.getElementById("movement-presets"), "movement-preset",
      kind === "in" ? ["session.reasonChange", "session.reasonFloat"]
        : ["session.reasonBank", "session.reasonSafe", "session.reasonExpense"], q("movement-reason"));
    setSessionView("movement");
  }

  q("cash-in").addEventListener("click", () => openMovement("in"));
  q("cash-out").addEventListener("click", () => openMovement("out"));

  q("movement-ok").addEventListener("click", () => {
    const amount = state.money.parse(q("movement-amount").value);
    const reason = q("movement-reason").value.trim();
    if (!amount) {
      showMessage("error", t("error.amount"));
      q("movement-amount").focus();
      return;
    }
    if (!reason) {
      showMessage("error", t("error.reasonNeeded"));
      q("movement-reason").focus();
      return;
    }
    busy(q("movement-ok"), async () => {
      try {
        await api("POST", "/api/session/movements", { kind: session.movement, amount: amount, reason: reason });
        setSessionView("menu");
        showMessage("info", t(session.movement === "in" ? "session.cashInDone" : "session.cashOutDone",
          { amount: fmt(amount) }));
      } catch (err) {
        showError(err);
      }
    });
  });

  q("x-report").addEventListener("click", () => busy(q("x-report"), async () => {
    try {
      renderReport("x", await api("GET", "/api/session/report"));
      setSessionView("report");
      clearMessage("error");
    } catch (err) {
      showError(err);
    }
  }));

  q("close-session").addEventListener("click", () => {
    q("counted-input").value = "";
    setSessionView("close");
  });

  q("close-confirm").addEventListener("click", () => {
    const counted = state.money.parse(q("counted-input").value);
    if (counted === null) {
      showMessage("error", t("error.amount"));
      q("counted-input").focus();
      return;
    }
    busy(q("close-confirm"), async () => {
      try {
        const z = await api("POST", "/api/session/close", { counted: counted }, 30000);
        renderReport("z", z);
        setSessionView("report");
        clearMessage("error");
        q("z-done").focus();
        refreshStatus(); // no session now: the page goes back to "open the till" behind the report
      } catch (err) {
        showError(err);
      }
    });
  });

  /* An X report (session still open) or a Z report (closed): the till's own figures. */
  function renderReport(kind, r) {
    const p = kind;
    const container = document.getElementById("report");
    container.dataset.test = kind === "z" ? "z-report" : "x-report-view";
    q("report-title").textContent = kind === "z" ? t("report.zTitle") : t("report.xTitle");
    q("z-done").hidden = kind !== "z";
    q("report-back").hidden = kind === "z";
    const row = (label, value, test, extra) => h("tr", extra || {}, h("th", { scope: "row" }, label),
      h("td", { class: "num", test: test }, value));
    const moneyRow = (label, minor, test, extra) => {
      const tr = row(label, fmt(minor), test, extra);
      tr.querySelector("td").dataset.amount = minor || 0;
      return tr;
    };
    const shown = r.shown || {}; // the times the paper prints (the server's clock as the till knew it)
    const rows = [
      row(t("report.opened"), `${fmtDate(shown.opened || r.opened_at)} · ${r.opened_by || ""}`, p + "-opened"),
    ];
    if (r.closed_at) {
      rows.push(row(t("report.closed"), `${fmtDate(shown.closed || r.closed_at)} · ${r.closed_by || ""}`,
        p + "-closed"));
    }
    rows.push(moneyRow(t("report.float"), r.float, p + "-float"));
    rows.push(row(t("report.salesCount"), String(r.sales_count || 0), p + "-sales-count"));
    rows.push(row(t("report.returnsCount"), String(r.returns_count || 0), p + "-returns-count"));
    for (const [tender, amount] of Object.entries(r.sales_by_tender || {})) {
      rows.push(moneyRow(t("report.salesBy", { tender: tenderName(tender) }), amount, `${p}-sales-${tender}`));
    }
    for (const [tender, amount] of Object.entries(r.refunds_by_tender || {})) {
      rows.push(moneyRow(t("report.refundsBy", { tender: tenderName(tender) }), amount, `${p}-refunds-${tender}`));
    }
    if (r.cash_rounding) { // cash sales rounded to the smallest coin: already in the cash above
      rows.push(moneyRow(t("totals.rounding"), r.cash_rounding, p + "-rounding"));
    }
    for (const m of r.movements || []) {
      const label = `${m.kind === "in" ? t("session.cashIn") : t("session.cashOut")} · ${m.reason || ""} · ${fmtDate(m.shown_at || m.at)}`;
      rows.push(moneyRow(label, m.kind === "out" ? -m.amount : m.amount, p + "-movement"));
    }
    rows.push(moneyRow(t("report.expected"), r.expected_cash, p + "-expected", { class: "strong" }));
    if (r.counted_cash != null) {
      rows.push(moneyRow(t("report.counted"), r.counted_cash, p + "-counted", { class: "strong" }));
    }
    if (r.difference != null) {
      const state_ = r.difference > 0 ? "over" : r.difference < 0 ? "short" : "exact";
      const tr = moneyRow(t("report.difference." + state_), r.difference, p + "-difference",
        { class: "strong difference " + state_ });
      tr.querySelector("td").dataset.state = state_;
      rows.push(tr);
    }
    container.replaceChildren(h("table", {}, h("tbody", {}, rows)));
  }

  q("rejected-open").addEventListener("click", () => busy(q("rejected-open"), loadRejected));

  async function loadRejected() {
    let answer;
    try {
      answer = await api("GET", "/api/rejected");
    } catch (err) {
      showError(err);
      return;
    }
    const groups = Array.isArray(answer) ? [["sale", answer]]
      : [["sale", answer.sales], ["return", answer.returns], ["cash_session", answer.cash_sessions]];
    const items = [];
    for (const [kind, list] of groups) {
      for (const doc of list || []) {
        const uuid = doc.uuid;
        const inner = doc.body || doc.sale || {}; // returns and Z reports keep what was sent in `body`
        const total = doc.total != null ? doc.total : inner.total;
        items.push(h("li", { test: "rejected-item", data: { uuid: uuid, kind: doc.kind || kind } },
          h("div", {},
            h("strong", {}, `${t("rejected." + kind)} ${String(uuid).slice(0, 8).toUpperCase()}`),
            h("small", {}, [fmtDate(doc.created_at || inner.occurred_at || inner.closed_at),
              typeof total === "number" ? fmt(total) : null].filter(Boolean).join(" · ")),
            h("p", { class: "why" }, [doc.code, doc.reason].filter(Boolean).join(": "))),
          h("button", { type: "button", class: "btn", test: "rejected-send-again", data: { uuid: uuid },
            onclick: (event) => sendAgain(event.currentTarget, uuid) }, t("rejected.sendAgain"))));
      }
    }
    document.getElementById("rejected-list").replaceChildren(...(items.length ? items
      : [h("li", { test: "rejected-none" }, t("rejected.none"))]));
    setSessionView("rejected");
  }

  async function sendAgain(button, uuid) {
    await busy(button, async () => {
      try {
        await api("POST", `/api/rejected/${encodeURIComponent(uuid)}/send-again`);
        showMessage("info", t("rejected.queued"));
        refreshStatus();
        await loadRejected();
      } catch (err) {
        showError(err);
      }
    });
  }

  q("sync-now").addEventListener("click", () => busy(q("sync-now"), async () => {
    try {
      applyStatus(await api("POST", "/api/sync"));
      showMessage("info", t("session.syncing"));
    } catch (err) {
      showError(err);
    }
  }));
  q("reprint-last").addEventListener("click", () => reprint(null));
  q("logout").addEventListener("click", logout);
  q("session-menu").addEventListener("click", openSession);

  // -- buttons and keys -------------------------------------------------------------------

  q("pay-cash").addEventListener("click", openCash);
  q("pay-alipay-qr").addEventListener("click", () => openAlipay("qr"));
  q("pay-alipay-code").addEventListener("click", () => openAlipay("code"));
  q("pay-points").addEventListener("click", () => busy(q("pay-points"), payPoints));
  q("discount-open").addEventListener("click", () => openManager("discount"));
  q("return-open").addEventListener("click", () => openReturn());

  const SHORTCUTS = {
    F2: focusSearch,
    F4: openCash,
    F6: () => openReturn(),
    F7: () => openManager("discount"),
    F8: () => openAlipay("qr"),
    F9: () => openAlipay("code"),
    F10: openSession,
  };

  let lastKeyAt = -1e9;
  let pendingKey = null;

  window.addEventListener("keydown", (event) => {
    const gap = event.timeStamp - lastKeyAt;
    lastKeyAt = event.timeStamp;
    if (pendingKey) {
      clearTimeout(pendingKey); // a key right after "+" or "-": that was part of a scan
      pendingKey = null;
    }
    if (event.defaultPrevented) {
      return; // the scanner's Enter, or a field that handled it
    }
    const top = topDialog();
    if (event.key === "Escape") {
      event.preventDefault();
      if (top) {
        closeDialog(top);
      } else if (state.screen === "login" && !document.getElementById("pin-form").hidden) {
        showCashierPick();
        renderCashiers();
      } else if (state.screen === "sale") {
        searchInput.value = "";
        hideResults();
        if (document.activeElement) {
          document.activeElement.blur();
        }
      }
      return;
    }
    if (top || state.screen !== "sale") {
      return;
    }
    if (SHORTCUTS[event.key]) {
      event.preventDefault();
      SHORTCUTS[event.key]();
      return;
    }
    const target = event.target;
    if (isField(target) || (target && target.tagName === "BUTTON") || event.ctrlKey || event.altKey || event.metaKey) {
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      moveSelection(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Delete") {
      const line = selectedLine();
      if (line && editable(state.sale)) {
        voidLine(line.index);
      }
    } else if (event.key === "+" || event.key === "-") {
      // Scanned codes hold "-" too: act only when no other key follows as fast as a scanner types.
      if (gap < 30) {
        return;
      }
      const step = event.key === "+" ? 1 : -1;
      pendingKey = setTimeout(() => {
        pendingKey = null;
        const line = selectedLine();
        if (line && editable(state.sale) && line.sold_by !== "weight" && line.label_price == null) {
          changeQuantity(line.index, line.quantity + step);
        }
      }, 40);
    } else if (event.key === "Enter") {
      const sale = state.sale;
      if (sale && sale.completed) {
        newSale();
      } else if (sale && activeLines(sale).length && sale.due === 0) {
        completeSale();
      }
    } else if (/^\p{L}$/u.test(event.key)) {
      searchInput.focus(); // typing a name starts a search; the letter lands in the box
    }
  });

  // -- the scanner ------------------------------------------------------------------------

  /*
   * A scan goes where the cashier is: the Alipay code field, the return's receipt field, or
   * the sale. The scanner "types" into whatever field has the focus; those characters are
   * taken back out so a scan never ends up as search text.
   */
  function onScan(code) {
    const el = document.activeElement;
    if (isField(el) && typeof el.value === "string") {
      const at = el.value.lastIndexOf(code);
      if (at >= 0) {
        el.value = el.value.slice(0, at) + el.value.slice(at + code.length);
      }
      if (el === searchInput) {
        clearTimeout(searchTimer);
        if (!searchInput.value.trim()) {
          hideResults();
        }
      }
    }
    return routeScan(code);
  }

  function routeScan(code) {
    const top = topDialog();
    if (top === "alipay" && alipay.mode === "code") {
      return chargeAlipayCode(code);
    }
    if (top === "return" && ret.step === "lookup") {
      returnCode.value = code;
      return lookupReturn(code);
    }
    if ((top === null || top === "cash") && state.screen === "sale") {
      return scanToSale(code);
    }
    showMessage("error", t(state.screen === "login" ? "scan.signInFirst"
      : state.screen === "open" ? "scan.openFirst" : "scan.closeDialog"));
    return Promise.resolve();
  }

  window.PlazaScanner.attachScanner(document, onScan);

  // -- start ------------------------------------------------------------------------------

  window.PlazaTill = {
    scan: (code) => routeScan(String(code)),
    state: state,
  };

  pollStatus();
})();
