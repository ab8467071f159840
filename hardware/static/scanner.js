/*
 * Keyboard-wedge scanner detection, shared by the till and kiosk pages.
 *
 * A USB scanner "types" its code at 7-16 ms per character and ends with Enter; a person types
 * at more than 100 ms per key. A burst of at least 6 characters with gaps under 30 ms, ended by
 * Enter or by 100 ms of silence, is a scan (docs/HARDWARE.md). The page gets the code through
 * onScan and the scan's Enter does not submit the form the cursor happens to be in.
 *
 * Browser: <script src=".../scanner.js"></script>, then
 *   const detach = PlazaScanner.attachScanner(document, (code) => ...);
 * Node (tests): const { createScanDetector } = require(".../scanner.js");
 */
(function (root, factory) {
  if (typeof module === "object" && module.exports) {
    module.exports = factory();
  } else {
    root.PlazaScanner = factory();
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  const DEFAULTS = {
    minLength: 6, // shorter bursts are key repeats or fast typists, not codes
    maxGapMs: 30, // between two characters of one scan
    endSilenceMs: 100, // a scanner configured without Enter ends with silence
  };

  /*
   * The pure detector: feed it keys with their time stamps; it calls onScan(code).
   * Timers are injectable so tests can run it on a fake clock.
   */
  function createScanDetector(onScan, options) {
    const opts = Object.assign({}, DEFAULTS, options || {});
    const setTimer = opts.setTimer || ((fn, ms) => setTimeout(fn, ms));
    const clearTimer = opts.clearTimer || ((id) => clearTimeout(id));
    let chars = [];
    let lastAt = null; // chars holds only keys that came scanner-fast after one another
    let timer = null;

    function reset() {
      chars = [];
      lastAt = null;
      if (timer !== null) {
        clearTimer(timer);
        timer = null;
      }
    }

    function finish() {
      const code = chars.join("");
      const isScan = chars.length >= opts.minLength;
      reset();
      if (isScan) {
        onScan(code);
      }
      return isScan;
    }

    /* Returns true when the key ended a scan (the caller should swallow that Enter). */
    function key(value, at) {
      if (value === "Enter") {
        return finish();
      }
      if (typeof value !== "string" || value.length !== 1) {
        return false; // Shift, arrows, F-keys: not part of any code
      }
      if (lastAt !== null && at - lastAt > opts.maxGapMs) {
        // A slow gap: what came before was typed by a person; start over from this key.
        reset();
      }
      chars.push(value);
      lastAt = at;
      if (timer !== null) {
        clearTimer(timer);
      }
      timer = setTimer(finish, opts.endSilenceMs);
      return false;
    }

    return { key: key, reset: reset, pending: () => chars.join("") };
  }

  /* Listen for scans on a DOM target; returns a function that stops listening. */
  function attachScanner(target, onScan, options) {
    const detector = createScanDetector(onScan, options);
    function onKeyDown(event) {
      if (detector.key(event.key, event.timeStamp)) {
        event.preventDefault();
        event.stopPropagation();
      }
    }
    target.addEventListener("keydown", onKeyDown, true);
    return function detach() {
      target.removeEventListener("keydown", onKeyDown, true);
      detector.reset();
    };
  }

  return { createScanDetector: createScanDetector, attachScanner: attachScanner, DEFAULTS: DEFAULTS };
});
