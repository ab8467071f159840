// node --test tests/pos_client/js: the till page keeps the promises its header makes to tests.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");

const STATIC = path.join(__dirname, "..", "..", "..", "pos_client", "static");
const read = (name) => fs.readFileSync(path.join(STATIC, name), "utf8");
const I18n = require(path.join(STATIC, "i18n.js"));

const tillJs = read("till.js");
const tillHtml = read("till.html");

// Selectors of one word among the header's prose.
const SINGLE_WORDS = ["statusbar", "line", "total", "due", "paid", "discount", "member", "message", "change",
  "complete", "search", "discounts", "lines", "tenders", "tender", "waiting", "reprint", "logout", "subtotal"];

/* The selectors listed in the comment at the top of till.js. */
function documentedSelectors() {
  const header = tillJs.slice(0, tillJs.indexOf("(function ()"));
  const block = header.slice(header.indexOf("Stable selectors"), header.indexOf("After every render"));
  const names = new Set();
  for (const line of block.split("\n")) {
    const text = line.replace(/^\s*\*\s*/, "").replace(/^(status bar|messages|sign-in|open|selling|paying|cash|alipay|manager|number|return|session|confirm|keypads)\s{2,}/, "");
    for (const word of text.split(/[\s,;()]+/)) {
      if ((/^[a-z][a-z0-9-]*[a-z0-9]$/.test(word) && word.includes("-")) || SINGLE_WORDS.includes(word)) {
        names.add(word);
      }
    }
  }
  return names;
}

test("every selector the header documents is on the page or made by the script", () => {
  const names = documentedSelectors();
  assert.ok(names.size > 120, `found only ${names.size} selectors in the header`);
  const ignored = new Set(["data-index", "data-sku", "data-selected", "data-state", "data-count", "data-kind",
    "data-code", "data-line", "data-amount", "data-qr", "data-uuid", "non-voided", "agent-down"]);
  // Names made in the script from a prefix: "pin-digit-" + key, "manager-user-" + username.
  const madeFrom = (name) => tillJs.includes(`"${name.slice(0, name.lastIndexOf("-") + 1)}"`);
  const missing = [...names].filter((name) => !ignored.has(name)
    && !tillHtml.includes(`data-test="${name}"`) && !tillJs.includes(`"${name}"`) && !madeFrom(name));
  assert.deepEqual(missing, []);
});

test("every data-test on the page is documented in the header", () => {
  const names = documentedSelectors();
  const onPage = [...tillHtml.matchAll(/data-test="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(onPage.filter((name) => !names.has(name)), []);
});

test("no two elements of the page share a data-test", () => {
  const onPage = [...tillHtml.matchAll(/data-test="([^"]+)"/g)].map((m) => m[1]);
  const seen = new Set();
  const twice = onPage.filter((name) => (seen.has(name) ? true : (seen.add(name), false)));
  assert.deepEqual(twice, []);
});

test("selectors the script makes never take a name the page already uses", () => {
  const onPage = new Set([...tillHtml.matchAll(/data-test="([^"]+)"/g)].map((m) => m[1]));
  const made = [...tillJs.matchAll(/\btest: "([^"]+)"/g)].map((m) => m[1]);
  assert.ok(made.length > 20);
  // "waiting" is the page's placeholder that each status render replaces with a new one.
  assert.deepEqual(made.filter((name) => onPage.has(name) && name !== "waiting"), []);
});

test("every text key the pages and scripts use exists in English", () => {
  const en = I18n.STRINGS.en;
  const has = (key) => en[key] != null || en[key + ".other"] != null;
  const used = new Set();
  for (const name of ["till.html", "display.html"]) {
    for (const m of read(name).matchAll(/data-i18n(?:-[a-z]+)?="([^"]+)"/g)) {
      used.add(m[1]);
    }
  }
  for (const name of ["till.js", "display.js"]) {
    for (const m of read(name).matchAll(/\bt\("([a-zA-Z]+\.[a-zA-Z_.-]+)"/g)) {
      used.add(m[1]);
    }
    for (const m of read(name).matchAll(/"((?:discount|return|session)\.reason[A-Za-z]+)"/g)) {
      used.add(m[1]);
    }
  }
  assert.ok(used.size > 100, `found only ${used.size} keys`);
  // A key built at run time ("report.difference." + state) needs some key under its prefix.
  const hasPrefix = (prefix) => Object.keys(en).some((key) => key.startsWith(prefix));
  assert.deepEqual([...used].filter((key) => (key.endsWith(".") ? !hasPrefix(key) : !has(key))), []);
});

test("the page never uses alert(), confirm() or prompt()", () => {
  for (const name of ["till.js", "display.js"]) {
    assert.doesNotMatch(read(name), /\b(window\.)?(alert|prompt)\(|[^.\w]confirm\(/, name);
  }
});

test("the pages load only the agent's own files (no CDN: the till may be offline)", () => {
  for (const name of ["till.html", "display.html"]) {
    const sources = [...read(name).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(sources.length > 0);
    for (const source of sources) {
      assert.match(source, /^(\/static\/[\w.-]+|data:,)$/, `${name}: ${source}`);
    }
  }
});
