import assert from "node:assert/strict";
import { test } from "node:test";

import { preflight } from "../src/preflight";
import type { ServerCommand } from "../src/serverCommand";

// node itself stands in for the server: its -e script plays `--version`
function server(script: string): ServerCommand {
  return { command: process.execPath, args: [], versionArgs: ["-e", script], origin: "test" };
}

test("a server that prints its version", async () => {
  assert.deepEqual(await preflight(server("console.log('secgen-lsp 0.1.0')")), { ok: true, version: "secgen-lsp 0.1.0" });
});

test("a server that fails: its stderr is the error", async () => {
  const result = await preflight(server("console.error('No module named secgen.server'); process.exit(1)"));
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.error : "", /^No module named secgen\.server \(Command failed/);
});

test("a program that is not there", async () => {
  const result = await preflight({ command: "/nowhere/secgen-lsp", args: [], versionArgs: ["--version"], origin: "test" });
  assert.equal(result.ok, false);
  assert.match(!result.ok ? result.error : "", /ENOENT/);
});

test("a server that hangs is given up on", async () => {
  const result = await preflight(server("setTimeout(() => {}, 60000)"), 300);
  assert.deepEqual(result, { ok: false, error: "no answer to --version within 0.3 s" });
});
