import assert from "node:assert/strict";
import { test } from "node:test";

import {
  commandLine, type Environment, expandPath, INSTALL_HINT, resolveServerCommand, searchPath, startFailureMessage,
} from "../src/serverCommand";

function env(executables: string[], overrides: Partial<Environment> = {}): Environment {
  const present = new Set(executables);
  return {
    platform: "linux",
    home: "/home/ada",
    searchPath: "/usr/local/bin:/usr/bin",
    workspaceFolders: ["/work/secgen"],
    isExecutable: (file) => present.has(file),
    ...overrides,
  };
}

test("secgen-lsp on PATH, the first directory that has it", () => {
  const result = resolveServerCommand({}, env(["/usr/bin/secgen-lsp", "/work/secgen/.venv/bin/secgen-lsp"]));
  assert.ok(result.ok);
  assert.deepEqual(result.server, {
    command: "/usr/bin/secgen-lsp", args: ["--stdio"], versionArgs: ["--version"], origin: "PATH",
  });
});

test("the workspace's .venv when PATH has none", () => {
  const result = resolveServerCommand({ serverPath: "  ", pythonPath: "" }, env(["/work/secgen/.venv/bin/secgen-lsp"]));
  assert.ok(result.ok);
  assert.equal(result.server.command, "/work/secgen/.venv/bin/secgen-lsp");
  assert.deepEqual(result.tried, ["secgen-lsp on PATH (not found)", "/work/secgen/.venv/bin/secgen-lsp (found)"]);
});

test("serverPath wins, with ~ expanded and the log file passed on", () => {
  const result = resolveServerCommand(
    { serverPath: "~/secgen/.venv/bin/secgen-lsp", pythonPath: "/usr/bin/python3", logFile: "~/lsp.log" },
    env(["/home/ada/secgen/.venv/bin/secgen-lsp", "/usr/bin/secgen-lsp", "/usr/bin/python3"]));
  assert.ok(result.ok);
  assert.equal(result.server.command, "/home/ada/secgen/.venv/bin/secgen-lsp");
  assert.deepEqual(result.server.args, ["--stdio", "--log-file", "/home/ada/lsp.log"]);
  assert.equal(result.server.origin, "secgen.client.serverPath");
});

test("a serverPath that is not there fails without guessing", () => {
  const result = resolveServerCommand({ serverPath: "/opt/nothing/secgen-lsp" }, env(["/usr/bin/secgen-lsp"]));
  assert.equal(result.ok, false);
  assert.deepEqual(result.tried, ["secgen.client.serverPath = /opt/nothing/secgen-lsp (no executable file there)"]);
});

test("a bare serverPath is looked up on PATH", () => {
  const result = resolveServerCommand({ serverPath: "secgen-lsp-dev" }, env(["/usr/local/bin/secgen-lsp-dev"]));
  assert.ok(result.ok);
  assert.equal(result.server.command, "/usr/local/bin/secgen-lsp-dev");
});

test("pythonPath runs the module", () => {
  const result = resolveServerCommand({ pythonPath: "${workspaceFolder}/.venv/bin/python" },
    env(["/work/secgen/.venv/bin/python", "/usr/bin/secgen-lsp"]));
  assert.ok(result.ok);
  assert.deepEqual(result.server, {
    command: "/work/secgen/.venv/bin/python",
    args: ["-m", "secgen.server.lsp", "--stdio"],
    versionArgs: ["-m", "secgen.server.lsp", "--version"],
    origin: "secgen.client.pythonPath",
  });
});

test("a bare pythonPath is looked up on PATH, and may be missing", () => {
  assert.equal(resolveServerCommand({ pythonPath: "python3" }, env(["/usr/bin/python3"])).ok, true);
  const missing = resolveServerCommand({ pythonPath: "python3.99" }, env([]));
  assert.deepEqual(missing, { ok: false, tried: ["secgen.client.pythonPath = python3.99 (not found on PATH)"] });
});

test("nothing anywhere: every place tried is named", () => {
  const result = resolveServerCommand({}, env([], { workspaceFolders: ["/a", "/b"] }));
  assert.deepEqual(result, {
    ok: false,
    tried: ["secgen-lsp on PATH (not found)", "/a/.venv/bin/secgen-lsp (not found)", "/b/.venv/bin/secgen-lsp (not found)"],
  });
});

test("an untrusted workspace (no folders given) is not searched", () => {
  const result = resolveServerCommand({}, env(["/work/secgen/.venv/bin/secgen-lsp"], { workspaceFolders: [] }));
  assert.equal(result.ok, false);
});

test("Windows: PATHEXT and Scripts", () => {
  const windows = env(["C:\\Python\\Scripts\\secgen-lsp.EXE"], {
    platform: "win32", searchPath: "C:\\Windows;C:\\Python\\Scripts", pathExt: ".COM;.EXE", workspaceFolders: [],
  });
  assert.equal(searchPath("secgen-lsp", windows), "C:\\Python\\Scripts\\secgen-lsp.EXE");
  const venv = env(["C:\\w\\.venv\\Scripts\\secgen-lsp.exe"], { platform: "win32", searchPath: "", workspaceFolders: ["C:\\w"] });
  const result = resolveServerCommand({}, venv);
  assert.ok(result.ok);
  assert.equal(result.server.command, "C:\\w\\.venv\\Scripts\\secgen-lsp.exe");
});

test("expandPath", () => {
  const where = { home: "/home/ada", workspaceFolders: ["/w"] };
  assert.equal(expandPath("~", where), "/home/ada");
  assert.equal(expandPath("~/x", where), "/home/ada/x");
  assert.equal(expandPath("${userHome}/y", where), "/home/ada/y");
  assert.equal(expandPath(" ${workspaceFolder}/z ", where), "/w/z");
  assert.equal(expandPath("${workspaceFolder}/z", { home: "/h", workspaceFolders: [] }), "${workspaceFolder}/z");
  assert.equal(expandPath("/abs/~x", where), "/abs/~x");
});

test("commandLine quotes what a shell would split", () => {
  assert.equal(commandLine({ command: "/opt/my tools/python", args: ["-m", "secgen.server.lsp", "--stdio"],
    versionArgs: [], origin: "" }), "'/opt/my tools/python' -m secgen.server.lsp --stdio");
});

test("the failure message names what was tried and how to install", () => {
  const message = startFailureMessage(["secgen-lsp on PATH (not found)"]);
  assert.match(message, /could not start the language server/);
  assert.match(message, /Tried: secgen-lsp on PATH \(not found\)\./);
  assert.match(message, /python3 -m pip install -e \/path\/to\/secgen/);
  assert.match(message, /make demo/);
  assert.match(message, /secgen\.client\.serverPath/);
  assert.ok(message.endsWith(INSTALL_HINT));
  assert.match(startFailureMessage(["x"], "No module named secgen\n"), /Error: No module named secgen\. Install/);
});
