// node --test tests/pos_client/js: money on the till's screens, from minor units and back.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const Money = require(path.join(__dirname, "..", "..", "..", "pos_client", "static", "money.js"));

// Intl separates the symbol with a (narrow) no-break space in many locales.
const plain = (text) => text.replace(/[\u00a0\u202f]/g, " ");

test("amounts are formatted in the store's locale and currency from minor units", () => {
  assert.equal(plain(Money.moneyFormatter("es_ES", "EUR", 2).format(123456)), "1234,56 €");
  assert.equal(plain(Money.moneyFormatter("zh_CN", "CNY", 2).format(123456)), "¥1,234.56");
  assert.equal(plain(Money.moneyFormatter("ru_RU", "RUB", 2).format(123456)), "1 234,56 ₽");
  assert.equal(plain(Money.moneyFormatter("en_US", "USD", 2).format(-5)), "-$0.05");
  assert.equal(plain(Money.moneyFormatter("ja_JP", "JPY", 0).format(1500)), "￥1,500");
});

test("large amounts keep every cent (no floating point on the way)", () => {
  const f = Money.moneyFormatter("en_US", "USD", 2);
  assert.equal(f.format(900719925474099), "$9,007,199,254,740.99");
  assert.equal(Money.decimalString(7, 2), "0.07");
  assert.equal(Money.decimalString(-1234, 3), "-1.234");
  assert.equal(Money.decimalString(42, 0), "42");
});

test("an unknown locale falls back to English and still shows the currency", () => {
  const f = Money.moneyFormatter("not a locale!", "EUR", 2);
  assert.equal(f.locale, "en");
  assert.equal(f.format(1000), "€10.00");
});

test("the plain form fills an input with the locale's decimal separator", () => {
  const es = Money.moneyFormatter("es_ES", "EUR", 2);
  assert.equal(es.plain(123456), "1234,56");
  assert.equal(es.decimalSeparator, ",");
  assert.equal(Money.moneyFormatter("zh_CN", "CNY", 2).decimalSeparator, ".");
});

test("keyed-in amounts become minor units, whichever separator the cashier used", () => {
  const cases = [
    ["20", 2000], ["12,5", 1250], ["12.50", 1250], [" 7,05 ", 705], [".5", 50],
    ["1.234,50", 123450], ["1,234.50", 123450], ["1.000", 100000], ["1 000,00", 100000],
  ];
  for (const [text, minor] of cases) {
    assert.equal(Money.parseMoney(text, 2), minor, text);
  }
  assert.equal(Money.parseMoney("1500", 0), 1500);
  assert.equal(Money.moneyFormatter("es_ES", "EUR", 2).parse("3,99"), 399);
});

test("what is not an amount is refused, never guessed", () => {
  for (const text of ["", "abc", "12,345,6", "1.2.3,4.5", "12.345", "-5", "1e3", null, undefined]) {
    const value = Money.parseMoney(text, 2);
    assert.ok(value === null || text === "12.345", `${text} -> ${value}`);
  }
  assert.equal(Money.parseMoney("12.345", 2), 1234500); // a thousands group, not three decimals
  assert.equal(Money.parseMoney("1,5", 0), null); // a currency without decimals
});

test("quick tenders are the exact amount, then the amount rounded up to each note", () => {
  assert.deepEqual(Money.quickTenders(1340, "EUR", 2, 6), [1340, 1400, 1500, 2000, 5000, 10000]);
  assert.deepEqual(Money.quickTenders(2000, "EUR", 2, 6), [2000, 5000, 10000, 20000]);
  assert.deepEqual(Money.quickTenders(3700, "RUB", 2, 3), [3700, 4000, 5000]);
  assert.deepEqual(Money.quickTenders(1500, "JPY", 0, 3), [1500, 2000, 5000]);
});

test("weighed quantities read as kilograms, pieces as whole numbers", () => {
  const es = Money.quantityFormatter("es_ES");
  assert.equal(es(512, "weight"), "0,512 kg");
  assert.equal(es(1250, "weight"), "1,250 kg");
  assert.equal(es(3, "unit"), "3");
  assert.equal(Money.quantityFormatter("ru_RU")(1250, "weight"), "1,250 кг"); // the locale's unit
  assert.equal(Money.quantityFormatter("en")(1000, "unit"), "1,000");
});

test("the refund preview of a line adds up to its net over any sequence of returns", () => {
  // retail/returns.py line_refund: round_half_up(net*(before+qty)/sold) - round_half_up(net*before/sold)
  assert.deepEqual([0, 1, 2].map((before) => Money.lineRefund(1000, 3, before, 1)), [333, 334, 333]);
  for (const [net, sold] of [[1000, 3], [999, 7], [1, 2], [123457, 11]]) {
    for (const steps of [[sold], [1, sold - 1], Array(sold).fill(1)]) {
      let before = 0;
      let total = 0;
      for (const qty of steps) {
        total += Money.lineRefund(net, sold, before, qty);
        before += qty;
      }
      assert.equal(total, net, `${net}/${sold} in ${steps}`);
    }
  }
  assert.equal(Money.lineRefund(500, 2, 0, 1), 250);
  assert.equal(Money.lineRefund(5, 2, 0, 1), 3); // half up
});
