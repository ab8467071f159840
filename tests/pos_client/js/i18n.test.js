// node --test tests/pos_client/js: the till's words in every language, and their fallback.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const I18n = require(path.join(__dirname, "..", "..", "..", "pos_client", "static", "i18n.js"));

const FULL = ["en", "es", "zh", "ru", "de", "fr", "pt"];
const PLURAL = /\.(zero|one|two|few|many|other)$/;
const base = (key) => key.replace(PLURAL, "");
const placeholders = (text) => (text.match(/\{\w+\}/g) || []).sort().join(" ");

test("the store languages of the demo and the issue all have a table", () => {
  for (const lang of FULL) {
    assert.ok(I18n.LANGUAGES.includes(lang), lang);
  }
});

test("every language says everything English says", () => {
  const english = new Set(Object.keys(I18n.STRINGS.en).map(base));
  for (const lang of FULL) {
    const keys = new Set(Object.keys(I18n.STRINGS[lang]).map(base));
    const missing = [...english].filter((k) => !keys.has(k));
    const extra = [...keys].filter((k) => !english.has(k));
    assert.deepEqual(missing, [], `${lang} misses`);
    assert.deepEqual(extra, [], `${lang} has keys English lacks`);
  }
});

test("a translation keeps the placeholders of its English text", () => {
  const en = I18n.STRINGS.en;
  for (const lang of FULL) {
    for (const [key, text] of Object.entries(I18n.STRINGS[lang])) {
      const english = en[key] || en[base(key) + ".other"];
      assert.equal(placeholders(text), placeholders(english), `${lang} ${key}`);
      assert.ok(text.trim(), `${lang} ${key} is empty`);
    }
  }
});

test("counted phrases follow each language's plural rules", () => {
  const ru = I18n.translator("ru", "ru_RU");
  assert.equal(ru("status.waiting", { count: 1 }), "1 продажа ждёт отправки");
  assert.equal(ru("status.waiting", { count: 3 }), "3 продажи ждут отправки");
  assert.equal(ru("status.waiting", { count: 5 }), "5 продаж ждут отправки");
  assert.equal(ru("status.waiting", { count: 21 }), "21 продажа ждёт отправки");
  const en = I18n.translator("en");
  assert.equal(en("status.waiting", { count: 1 }), "1 sale waiting to be sent");
  assert.equal(en("status.waiting", { count: 0 }), "0 sales waiting to be sent");
  assert.equal(I18n.translator("zh", "zh_CN")("status.waiting", { count: 2 }), "2 笔销售待上传");
  assert.equal(I18n.translator("es", "es_ES").raw("status.waiting", 4), "{count} ventas pendientes de enviar");
});

test("a language without a table, or a key it lacks, falls back to English", () => {
  const ja = I18n.translator("ja", "ja_JP");
  assert.equal(ja("totals.total"), "Total");
  assert.equal(ja("status.waiting", { count: 2 }), "2 sales waiting to be sent");
  const es = I18n.translator("es_ES");
  assert.equal(es.language, "es");
  assert.equal(es("totals.total"), "Total");
  assert.equal(es("pay.cash"), "Efectivo");
  assert.equal(es("no.such.key"), "no.such.key");
  assert.equal(es.has("error.bad-pin"), true);
  assert.equal(es.has("error.not-a-code-we-know"), false);
});

test("placeholders are filled from the params, unknown ones are left to be seen", () => {
  const en = I18n.translator("en");
  assert.equal(en("pay.partPaid", { due: "€3.00" }), "Payment taken. Still to pay: €3.00");
  assert.equal(en("pay.partPaid"), "Payment taken. Still to pay: {due}");
  assert.equal(I18n.fill("{a} and {b}", { a: 1, b: { not: "text" } }), "1 and {b}");
});
