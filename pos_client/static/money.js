/*
 * Money and quantities on the till's screens: amounts are integer minor units (as the agent
 * sends them), shown with Intl.NumberFormat in the store's locale and currency, and keyed-in
 * amounts are parsed back to minor units without floating point.
 *
 * Browser: <script src="/static/money.js"></script> -> window.PlazaMoney
 * Node (tests): const PlazaMoney = require(".../money.js");
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory();
  } else {
    root.PlazaMoney = factory();
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  /* "es_ES" (the agent's form) -> "es-ES" (BCP 47); anything Intl refuses -> "en". */
  function localeTag(locale) {
    const tag = String(locale || "en").replace(/_/g, "-");
    try {
      return Intl.getCanonicalLocales(tag)[0] || "en";
    } catch (e) {
      return "en";
    }
  }

  /* 1234 minor units, exponent 2 -> "12.34": exact, whatever the size. */
  function decimalString(minor, exponent) {
    const negative = minor < 0;
    let digits = String(Math.abs(Math.trunc(Number(minor) || 0)));
    if (exponent > 0) {
      digits = digits.padStart(exponent + 1, "0");
      digits = digits.slice(0, -exponent) + "." + digits.slice(-exponent);
    }
    return (negative ? "-" : "") + digits;
  }

  /*
   * A formatter for one store: format(minor) -> "12,34 €". Intl takes the decimal string
   * as is (no float rounding on big amounts); an unknown currency code still shows the
   * amount, followed by the code.
   */
  function moneyFormatter(locale, currency, exponent) {
    const tag = localeTag(locale);
    const exp = Number.isInteger(exponent) && exponent >= 0 ? exponent : 2;
    const digits = { minimumFractionDigits: exp, maximumFractionDigits: exp };
    let nf;
    let suffix = "";
    try {
      nf = new Intl.NumberFormat(tag, Object.assign({ style: "currency", currency: currency }, digits));
    } catch (e) {
      nf = new Intl.NumberFormat(tag, digits);
      suffix = currency ? " " + currency : "";
    }
    const plain = new Intl.NumberFormat(tag, Object.assign({ useGrouping: false }, digits));
    const decimalPart = plain.formatToParts(1.5).find((p) => p.type === "decimal");
    return {
      locale: tag,
      currency: currency,
      exponent: exp,
      decimalSeparator: decimalPart ? decimalPart.value : ".",
      format(minor) {
        return nf.format(decimalString(minor, exp)) + suffix;
      },
      /* For an input field: "12,34" in es-ES, no symbol, no grouping. */
      plain(minor) {
        return plain.format(decimalString(minor, exp));
      },
      parse(text) {
        return parseMoney(text, exp);
      },
    };
  }

  /*
   * What a cashier keyed in ("12,5", "12.50", "1.234,50", "20") -> minor units, or null when
   * it is not an amount. The last "." or "," is the decimal separator, unless it is the only
   * kind, used once, and followed by exactly three digits where the currency has fewer
   * decimals ("1.000" in Spain is a thousand).
   */
  function parseMoney(text, exponent) {
    const exp = Number.isInteger(exponent) && exponent >= 0 ? exponent : 2;
    const cleaned = String(text == null ? "" : text).replace(/[\s\u00a0\u202f'’]/g, "");
    if (!/^[0-9.,]+$/.test(cleaned) || !/[0-9]/.test(cleaned)) {
      return null;
    }
    let whole = cleaned;
    let rawWhole = cleaned;
    let fraction = "";
    const last = Math.max(cleaned.lastIndexOf("."), cleaned.lastIndexOf(","));
    if (last >= 0) {
      const sep = cleaned[last];
      const other = sep === "." ? "," : ".";
      const after = cleaned.slice(last + 1);
      const onlyKind = cleaned.indexOf(other) < 0;
      const usedOnce = cleaned.indexOf(sep) === last;
      const grouping = onlyKind && (!usedOnce || (after.length === 3 && exp < 3));
      if (!grouping) {
        whole = cleaned.slice(0, last);
        fraction = after;
      }
      rawWhole = whole;
      whole = whole.replace(/[.,]/g, "");
    }
    // Grouping separators only between groups of three digits: "12,345,6" is a typing slip.
    if (fraction.length > exp || /[.,]/.test(fraction) || !/^(\d*|\d{1,3}([.,]\d{3})+)$/.test(rawWhole)) {
      return null;
    }
    const minor = Number((whole || "0") + fraction.padEnd(exp, "0"));
    return Number.isSafeInteger(minor) ? minor : null;
  }

  /* Notes and coins a shopper hands over, in major units, for the quick-tender buttons. */
  const DENOMINATIONS = {
    EUR: [1, 2, 5, 10, 20, 50, 100, 200],
    USD: [1, 5, 10, 20, 50, 100],
    CAD: [1, 2, 5, 10, 20, 50, 100],
    GBP: [1, 2, 5, 10, 20, 50],
    CHF: [1, 2, 5, 10, 20, 50, 100, 200],
    CNY: [1, 5, 10, 20, 50, 100],
    RUB: [10, 50, 100, 200, 500, 1000, 2000, 5000],
    BRL: [1, 2, 5, 10, 20, 50, 100, 200],
    JPY: [100, 500, 1000, 5000, 10000],
  };

  /*
   * Amounts a shopper is likely to hand over for `due`: the exact amount, then `due` rounded
   * up to each denomination (13.40 -> 14, 15, 20, 50 ...), smallest first, at most `count`.
   */
  function quickTenders(due, currency, exponent, count) {
    const exp = Number.isInteger(exponent) && exponent >= 0 ? exponent : 2;
    const notes = DENOMINATIONS[currency] || [1, 5, 10, 20, 50, 100];
    const scale = Math.pow(10, exp);
    const out = [due];
    for (const note of notes) {
      const unit = note * scale;
      const up = Math.ceil(due / unit) * unit;
      if (up > due && out.indexOf(up) < 0) {
        out.push(up);
      }
    }
    return out.sort((a, b) => a - b).slice(0, count || 6);
  }

  /* A line's quantity as a person reads it: pieces, or grams as "0,512 kg" ("0,512 кг"):
   * the locale's unit, as the receipt prints it (CLDR through Babel there, Intl here). */
  function quantityFormatter(locale) {
    const tag = localeTag(locale);
    const kg = new Intl.NumberFormat(tag, {
      style: "unit", unit: "kilogram", unitDisplay: "short",
      minimumFractionDigits: 3, maximumFractionDigits: 3,
    });
    const pieces = new Intl.NumberFormat(tag, { maximumFractionDigits: 0 });
    return function formatQuantity(quantity, soldBy) {
      if (soldBy === "weight") {
        return kg.format(decimalString(quantity, 3));
      }
      return pieces.format(quantity);
    };
  }

  /*
   * What returning `qty` of a line refunds when `before` were returned already, as
   * retail/returns.py line_refund computes it: the refunds of a line over several returns add
   * up to its net exactly. The till only previews it; the agent's answer is what is paid.
   */
  function lineRefund(net, sold, before, qty) {
    const roundHalfUp = (a, b) => (2n * a + b) / (2n * b); // a, b >= 0: floor(a/b + 1/2)
    const n = BigInt(net);
    const s = BigInt(sold);
    if (s <= 0n) {
      return 0;
    }
    return Number(roundHalfUp(n * BigInt(before + qty), s) - roundHalfUp(n * BigInt(before), s));
  }

  return {
    localeTag: localeTag,
    decimalString: decimalString,
    moneyFormatter: moneyFormatter,
    parseMoney: parseMoney,
    quickTenders: quickTenders,
    quantityFormatter: quantityFormatter,
    lineRefund: lineRefund,
    DENOMINATIONS: DENOMINATIONS,
  };
});
