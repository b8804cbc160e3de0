import assert from "node:assert/strict";
import { test } from "node:test";

import { formatLatency, formatStats, type ServerStatus, statusFromStats, statusView } from "../src/status";

const running = { state: "running" } as const;

function status(overrides: Partial<ServerStatus> = {}): ServerStatus {
  return {
    model: { state: "ready", name: "qwen2.5-coder-0.5b", error: null, message: null },
    lastLatencyMs: 1234,
    counts: { suggestions: 5, repaired: 3, residual: 1, hidden: 0, accepted: 2, cancelled: 1 },
    ...overrides,
  };
}

test("formatLatency picks a unit", () => {
  assert.equal(formatLatency(0), "0 ms");
  assert.equal(formatLatency(849.6), "850 ms");
  assert.equal(formatLatency(1234), "1.2 s");
  assert.equal(formatLatency(9_960), "10.0 s");
  assert.equal(formatLatency(12_400), "12 s");
  assert.equal(formatLatency(125_000), "2 min 5 s");
  assert.equal(formatLatency(Number.NaN), "?");
  assert.equal(formatLatency(-1), "?");
});

test("ready: latency and repairs", () => {
  const view = statusView(running, status());
  assert.equal(view.text, "$(check) secgen: ready · 1.2 s · 3 repaired");
  assert.equal(view.tone, "normal");
  assert.match(view.tooltip, /qwen2\.5-coder-0\.5b ready/);
  assert.match(view.tooltip, /suggestions 5 · repaired 3 · residual 1 · hidden 0 · accepted 2 · cancelled 1/);
  assert.match(view.tooltip, /Click for stats/);
});

test("ready before any completion: no latency, no repairs", () => {
  const view = statusView(running, status({ lastLatencyMs: null, counts: {} }));
  assert.equal(view.text, "$(check) secgen: ready");
  assert.match(view.tooltip, /suggestions 0/);
});

test("loading spins and says what is loading", () => {
  const view = statusView(running, status({ model: { state: "loading", name: "0.5b", message: "downloading 40%" } }));
  assert.equal(view.text, "$(sync~spin) secgen: loading model");
  assert.match(view.tooltip, /loading the model 0\.5b/);
  assert.match(view.tooltip, /downloading 40%/);
});

test("a failed model shows the error in the tooltip", () => {
  const view = statusView(running, status({ model: { state: "failed", name: "x.gguf", error: "no such file: x.gguf" } }));
  assert.equal(view.text, "$(error) secgen: model failed");
  assert.equal(view.tone, "error");
  assert.match(view.tooltip, /no such file: x\.gguf/);
});

test("the server's own state comes first", () => {
  assert.equal(statusView({ state: "starting" }, status()).text, "$(sync~spin) secgen: starting");
  assert.equal(statusView({ state: "stopped" }, status()).text, "$(circle-slash) secgen: stopped");
  const failed = statusView({ state: "failed", error: "secgen-lsp not found" }, undefined);
  assert.equal(failed.text, "$(error) secgen: server failed");
  assert.equal(failed.tone, "error");
  assert.match(failed.tooltip, /secgen-lsp not found/);
  assert.equal(statusView(running, undefined).text, "$(sync~spin) secgen: starting");
});

test("statusFromStats reads secgen/stats", () => {
  const stats = {
    latency: { completion: { count: 2, p50_ms: 900, p95_ms: 1500, last_ms: 1500 } },
    counts: { suggestions: 2, repaired: 1 },
    model: { state: "ready" as const, name: "0.5b", error: null, message: null, ready: true },
  };
  assert.deepEqual(statusFromStats(stats), {
    model: { state: "ready", name: "0.5b", error: null, message: null },
    lastLatencyMs: 1500,
    counts: { suggestions: 2, repaired: 1 },
  });
  assert.deepEqual(statusFromStats({}), {
    model: { state: "loading", name: null, error: null, message: null }, lastLatencyMs: null, counts: {},
  });
});

test("formatStats: model, a row per stage, every count", () => {
  const text = formatStats({
    latency: {
      analysis: { count: 4, p50_ms: 120, p95_ms: 300, last_ms: 90 },
      completion: { count: 2, p50_ms: 900, p95_ms: 1500, last_ms: 1500 },
    },
    counts: { suggestions: 2, repaired: 1, pairs: 3 },
    model: { state: "failed", name: "big.gguf", error: "out of memory" },
  }, new Date(0));
  assert.match(text, /^model {3}big\.gguf \(failed\)$/m);
  assert.match(text, /^error {3}out of memory$/m);
  assert.match(text, /^completion +2 +900 ms +1\.5 s +1\.5 s$/m);
  assert.match(text, /^analysis +4 +120 ms +300 ms +90 ms$/m);
  assert.match(text, /^ {2}repaired +1$/m);
  assert.match(text, /^ {2}cancelled +0$/m);
  assert.match(text, /^ {2}pairs +3$/m);
  assert.ok(text.endsWith("\n"));
});

test("formatStats with no timings yet", () => {
  assert.match(formatStats({ counts: {} }), /no timings yet/);
});
