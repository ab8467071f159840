// node --test tests/hardware/js: the keyboard-wedge burst detector on a fake clock.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { createScanDetector, attachScanner } = require(
  path.join(__dirname, "..", "..", "..", "hardware", "static", "scanner.js"),
);

function fakeClock() {
  const timers = new Map();
  let next = 1;
  return {
    setTimer(fn, ms) { const id = next++; timers.set(id, fn); return id; },
    clearTimer(id) { timers.delete(id); },
    fireAll() { const fns = [...timers.values()]; timers.clear(); fns.forEach((fn) => fn()); },
    pending() { return timers.size; },
  };
}

function type(detector, text, startMs, gapMs) {
  let at = startMs;
  for (const ch of text) { detector.key(ch, at); at += gapMs; }
  return at;
}

test("a fast burst ended by Enter is a scan and its Enter is swallowed", () => {
  const clock = fakeClock();
  const scans = [];
  const d = createScanDetector((code) => scans.push(code), clock);
  const at = type(d, "8412345678905", 1000, 12);
  assert.equal(d.key("Enter", at), true);
  assert.deepEqual(scans, ["8412345678905"]);
});

test("a person typing slowly is never a scan", () => {
  const clock = fakeClock();
  const scans = [];
  const d = createScanDetector((code) => scans.push(code), clock);
  const at = type(d, "8412345678905", 1000, 150);
  assert.equal(d.key("Enter", at), false);
  clock.fireAll();
  assert.deepEqual(scans, []);
});

test("short fast bursts are not scans", () => {
  const scans = [];
  const d = createScanDetector((code) => scans.push(code), fakeClock());
  const at = type(d, "12345", 0, 10);
  assert.equal(d.key("Enter", at), false);
  assert.deepEqual(scans, []);
});

test("a scanner without Enter is ended by 100 ms of silence", () => {
  const clock = fakeClock();
  const scans = [];
  const d = createScanDetector((code) => scans.push(code), clock);
  type(d, "PLAZA-M1:abcdefgh.sig", 0, 8);
  assert.equal(clock.pending(), 1);
  clock.fireAll();
  assert.deepEqual(scans, ["PLAZA-M1:abcdefgh.sig"]);
});

test("keys typed by hand before a scan are not glued to it", () => {
  const scans = [];
  const d = createScanDetector((code) => scans.push(code), fakeClock());
  let at = type(d, "ab", 0, 200);
  at = type(d, "96385074", at + 300, 10);
  d.key("Enter", at);
  assert.deepEqual(scans, ["96385074"]);
});

test("modifier keys inside a scan are ignored", () => {
  const scans = [];
  const d = createScanDetector((code) => scans.push(code), fakeClock());
  let at = type(d, "PLAZA", 0, 10);
  d.key("Shift", at);
  at = type(d, "-M1:token1234", at + 5, 10);
  d.key("Enter", at);
  assert.deepEqual(scans, ["PLAZA-M1:token1234"]);
});

test("attachScanner listens on a target and stops when detached", () => {
  const listeners = {};
  const target = {
    addEventListener(name, fn) { listeners[name] = fn; },
    removeEventListener(name) { delete listeners[name]; },
  };
  const scans = [];
  const detach = attachScanner(target, (code) => scans.push(code), fakeClock());
  let prevented = 0;
  let at = 0;
  for (const key of [..."96385074", "Enter"]) {
    listeners.keydown({
      key, timeStamp: at, preventDefault() { prevented++; }, stopPropagation() {},
    });
    at += 9;
  }
  assert.deepEqual(scans, ["96385074"]);
  assert.equal(prevented, 1);
  detach();
  assert.equal(listeners.keydown, undefined);
});
