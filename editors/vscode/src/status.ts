/**
 * The status bar's words, and the stats report, from what the server says.
 *
 * The server pushes `secgen/status` ({model, lastLatencyMs, counts}) when the
 * model starts and ends loading and after every completion, fix and generate;
 * `secgen/stats` answers the same and more on request. This module turns
 * either into text. No `vscode` import here, so the unit tests run under
 * plain node.
 */

export type ModelState = "loading" | "ready" | "failed";

export interface ModelStatus {
  state: ModelState;
  name?: string | null;
  error?: string | null;
  message?: string | null;
}

export type Counts = Partial<Record<string, number>>;

/** The params of the `secgen/status` notification. */
export interface ServerStatus {
  model: ModelStatus;
  lastLatencyMs: number | null;
  counts: Counts;
}

export interface StageLatency {
  count: number;
  p50_ms: number;
  p95_ms: number;
  last_ms: number | null;
}

/** The result of the `secgen/stats` request. */
export interface ServerStats {
  latency?: Record<string, StageLatency>;
  counts?: Counts;
  model?: ModelStatus & { ready?: boolean };
}

/** Where the server process is (the model's state only means something while it runs). */
export type ServerState =
  | { state: "starting" }
  | { state: "running" }
  | { state: "stopped" }
  | { state: "failed"; error: string };

export interface StatusView {
  text: string;
  tooltip: string;
  tone: "normal" | "warning" | "error";
}

const COUNT_NAMES = ["suggestions", "repaired", "residual", "hidden", "accepted", "cancelled"];

/** 850 ms, 1.2 s, 12 s, 2 min 5 s. */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    return "?";
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const seconds = ms / 1000;
  if (seconds < 10) {
    return `${seconds.toFixed(1)} s`;
  }
  if (seconds < 60) {
    return `${Math.round(seconds)} s`;
  }
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
}

/** A `secgen/status`-shaped value from a `secgen/stats` answer. */
export function statusFromStats(stats: ServerStats): ServerStatus {
  const model = stats.model ?? { state: "loading" };
  const state: ModelState = model.state ?? (model.ready ? "ready" : "loading");
  return {
    model: { state, name: model.name ?? null, error: model.error ?? null, message: model.message ?? null },
    lastLatencyMs: stats.latency?.completion?.last_ms ?? null,
    counts: stats.counts ?? {},
  };
}

function countsLine(counts: Counts): string {
  return COUNT_NAMES.map((name) => `${name} ${counts[name] ?? 0}`).join(" · ");
}

function modelView(status: ServerStatus): StatusView {
  const { model } = status;
  const name = model.name ? ` ${model.name}` : "";
  if (model.state === "loading") {
    const lines = [`secgen: loading the model${name}…`];
    if (model.message) {
      lines.push(model.message);
    }
    return { text: "$(sync~spin) secgen: loading model", tooltip: lines.join("\n"), tone: "normal" };
  }
  if (model.state === "failed") {
    const lines = [`secgen: the model${name} failed to load`, model.error || model.message || "(no reason given)",
      "Completions and fixes are off; diagnostics still work. Check secgen.model."];
    return { text: "$(error) secgen: model failed", tooltip: lines.join("\n"), tone: "error" };
  }
  const parts = ["$(check) secgen: ready"];
  if (status.lastLatencyMs !== null && status.lastLatencyMs !== undefined) {
    parts.push(formatLatency(status.lastLatencyMs));
  }
  const repaired = status.counts.repaired ?? 0;
  if (repaired > 0) {
    parts.push(`${repaired} repaired`);
  }
  const lines = [`secgen: model${name} ready`];
  if (status.lastLatencyMs !== null && status.lastLatencyMs !== undefined) {
    lines.push(`Last completion: ${formatLatency(status.lastLatencyMs)}`);
  }
  lines.push(countsLine(status.counts));
  return { text: parts.join(" · "), tooltip: lines.join("\n"), tone: "normal" };
}

/** What the status bar item shows for the server process and, while it runs, its model. */
export function statusView(server: ServerState, status: ServerStatus | undefined): StatusView {
  const click = "Click for stats.";
  switch (server.state) {
    case "starting":
      return { text: "$(sync~spin) secgen: starting", tooltip: "secgen: starting the language server…", tone: "normal" };
    case "stopped":
      return { text: "$(circle-slash) secgen: stopped", tooltip: "secgen: the language server is not running.\nRun \"secgen: Restart server\" to start it.", tone: "warning" };
    case "failed":
      return { text: "$(error) secgen: server failed", tooltip: `secgen: the language server failed.\n${server.error}\n${click}`, tone: "error" };
    case "running": {
      if (!status) {
        return { text: "$(sync~spin) secgen: starting", tooltip: "secgen: waiting for the server's status…", tone: "normal" };
      }
      const view = modelView(status);
      return { ...view, tooltip: `${view.tooltip}\n${click}` };
    }
  }
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The `secgen: Show stats` report: model, latency per stage, counts. */
export function formatStats(stats: ServerStats, when: Date = new Date()): string {
  const lines = [`secgen stats at ${when.toLocaleString()}`, ""];
  const model = stats.model;
  if (model) {
    const name = model.name ?? "(default)";
    lines.push(`model   ${name} (${model.state ?? (model.ready ? "ready" : "loading")})`);
    if (model.error) {
      lines.push(`error   ${model.error}`);
    }
    lines.push("");
  }
  const stages = Object.entries(stats.latency ?? {});
  if (stages.length === 0) {
    lines.push("latency (no timings yet)");
  } else {
    const width = Math.max(5, ...stages.map(([stage]) => stage.length));
    lines.push(`${pad("stage", width)}  ${pad("count", 6, true)}  ${pad("p50", 9, true)}  ${pad("p95", 9, true)}  ${pad("last", 9, true)}`);
    for (const [stage, t] of stages) {
      const last = t.last_ms === null || t.last_ms === undefined ? "-" : formatLatency(t.last_ms);
      lines.push(`${pad(stage, width)}  ${pad(String(t.count), 6, true)}  ${pad(formatLatency(t.p50_ms), 9, true)}  ${pad(formatLatency(t.p95_ms), 9, true)}  ${pad(last, 9, true)}`);
    }
  }
  lines.push("");
  const counts = stats.counts ?? {};
  const names = [...COUNT_NAMES, ...Object.keys(counts).filter((name) => !COUNT_NAMES.includes(name)).sort()];
  const width = Math.max(...names.map((name) => name.length));
  lines.push("counts");
  for (const name of names) {
    lines.push(`  ${pad(name, width)}  ${pad(String(counts[name] ?? 0), 6, true)}`);
  }
  return `${lines.join("\n")}\n`;
}
