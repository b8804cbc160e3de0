/**
 * Which command starts the language server, and what to say when none does.
 *
 * In order: `secgen.client.serverPath` (a secgen-lsp executable),
 * `secgen.client.pythonPath` (an interpreter with secgen installed: runs
 * `-m secgen.server.lsp`), `secgen-lsp` on PATH, then the `.venv` of each
 * trusted workspace folder (what `make demo` creates in a secgen checkout).
 * A path the user set is never silently replaced by a guess: when it does not
 * lead to an executable, resolution fails and says so. The file system is
 * reached only through `isExecutable`, so the unit tests run under plain node
 * with no `vscode` import.
 */

import * as path from "node:path";

export const SERVER_NAME = "secgen-lsp";
export const SERVER_MODULE = "secgen.server.lsp";
export const INSTALL_HINT =
  "Install it with `python3 -m pip install -e /path/to/secgen` (or run `make demo` in a secgen checkout), " +
  "then set secgen.client.serverPath to its secgen-lsp (in a checkout: .venv/bin/secgen-lsp).";

export interface ClientSettings {
  serverPath?: string | null;
  pythonPath?: string | null;
  logFile?: string | null;
}

export interface Environment {
  platform: NodeJS.Platform;
  home: string;
  /** The PATH variable. */
  searchPath: string;
  /** PATHEXT on Windows. */
  pathExt?: string;
  /** File-system paths of the workspace folders that may hold a .venv (the trusted ones). */
  workspaceFolders: readonly string[];
  isExecutable(file: string): boolean;
}

export interface ServerCommand {
  command: string;
  args: string[];
  /** Arguments that make it print its version and exit: a quick check that it runs at all. */
  versionArgs: string[];
  /** Where it came from, for messages: "secgen.client.serverPath", "PATH", ... */
  origin: string;
}

export type Resolution =
  | { ok: true; server: ServerCommand; tried: string[] }
  | { ok: false; tried: string[] };

function blank(value: string | null | undefined): value is null | undefined | "" {
  return value === null || value === undefined || value.trim() === "";
}

/** `~`, `${userHome}` and `${workspaceFolder}` (the first folder) in a path setting. */
export function expandPath(value: string, env: Pick<Environment, "home" | "workspaceFolders">): string {
  let result = value.trim();
  result = result.replace(/\$\{userHome\}/g, env.home);
  if (env.workspaceFolders.length > 0) {
    result = result.replace(/\$\{workspaceFolder\}/g, env.workspaceFolders[0]);
  }
  if (result === "~") {
    return env.home;
  }
  if (result.startsWith("~/") || result.startsWith("~\\")) {
    return path.join(env.home, result.slice(2));
  }
  return result;
}

function pathModule(env: Environment): typeof path.posix {
  return env.platform === "win32" ? path.win32 : path.posix;
}

function isBareName(name: string): boolean {
  return !name.includes("/") && !name.includes("\\");
}

/** The first executable called `name` in the PATH directories, else undefined. */
export function searchPath(name: string, env: Environment): string | undefined {
  const p = pathModule(env);
  const separator = env.platform === "win32" ? ";" : ":";
  const suffixes = env.platform === "win32" && !p.extname(name)
    ? (env.pathExt || ".EXE;.CMD;.BAT;.COM").split(";").filter(Boolean)
    : [""];
  for (const directory of env.searchPath.split(separator)) {
    if (!directory) {
      continue;
    }
    for (const suffix of suffixes) {
      const candidate = p.join(directory, name + suffix);
      if (env.isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

function serverArgs(settings: ClientSettings, env: Environment): string[] {
  const args = ["--stdio"];
  if (!blank(settings.logFile)) {
    args.push("--log-file", expandPath(settings.logFile, env));
  }
  return args;
}

function executable(command: string, settings: ClientSettings, env: Environment, origin: string): ServerCommand {
  return { command, args: serverArgs(settings, env), versionArgs: ["--version"], origin };
}

function pythonModule(python: string, settings: ClientSettings, env: Environment): ServerCommand {
  const run = ["-m", SERVER_MODULE];
  return { command: python, args: [...run, ...serverArgs(settings, env)], versionArgs: [...run, "--version"],
    origin: "secgen.client.pythonPath" };
}

/** An executable named by a setting: a path, or a bare name looked up on PATH. */
function findSetting(key: string, value: string, env: Environment, tried: string[]): string | undefined {
  const expanded = expandPath(value, env);
  if (isBareName(expanded)) {
    const found = searchPath(expanded, env);
    tried.push(`${key} = ${value} (${found ? `found at ${found}` : "not found on PATH"})`);
    return found;
  }
  const ok = env.isExecutable(expanded);
  tried.push(`${key} = ${value} (${ok ? "found" : "no executable file there"})`);
  return ok ? expanded : undefined;
}

/** The command that starts the server, or the list of what was tried. */
export function resolveServerCommand(settings: ClientSettings, env: Environment): Resolution {
  const tried: string[] = [];
  if (!blank(settings.serverPath)) {
    const command = findSetting("secgen.client.serverPath", settings.serverPath, env, tried);
    return command
      ? { ok: true, server: executable(command, settings, env, "secgen.client.serverPath"), tried }
      : { ok: false, tried };
  }
  if (!blank(settings.pythonPath)) {
    const command = findSetting("secgen.client.pythonPath", settings.pythonPath, env, tried);
    return command
      ? { ok: true, server: pythonModule(command, settings, env), tried }
      : { ok: false, tried };
  }
  const onPath = searchPath(SERVER_NAME, env);
  tried.push(`${SERVER_NAME} on PATH (${onPath ? `found at ${onPath}` : "not found"})`);
  if (onPath) {
    return { ok: true, server: executable(onPath, settings, env, "PATH"), tried };
  }
  const p = pathModule(env);
  const venvBin = env.platform === "win32" ? ["Scripts", `${SERVER_NAME}.exe`] : ["bin", SERVER_NAME];
  for (const folder of env.workspaceFolders) {
    const candidate = p.join(folder, ".venv", ...venvBin);
    const ok = env.isExecutable(candidate);
    tried.push(`${candidate} (${ok ? "found" : "not found"})`);
    if (ok) {
      return { ok: true, server: executable(candidate, settings, env, "the workspace's .venv"), tried };
    }
  }
  return { ok: false, tried };
}

/** A shell-like rendering of a command line, for messages and the log. */
export function commandLine(server: ServerCommand): string {
  const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`);
  return [server.command, ...server.args].map(quote).join(" ");
}

/** The error shown when no server could be started: what was tried, and how to install one. */
export function startFailureMessage(tried: readonly string[], error?: string): string {
  const parts = ["secgen: could not start the language server."];
  if (tried.length > 0) {
    parts.push(`Tried: ${tried.join("; ")}.`);
  }
  if (error) {
    parts.push(`Error: ${error.trim()}`.replace(/\.?$/, "."));
  }
  parts.push(INSTALL_HINT);
  return parts.join(" ");
}
