/**
 * A quick run of the server command with `--version` before the real start.
 *
 * vscode-languageclient reports a server that exits at once with a generic
 * "couldn't create connection" toast. Running the same command with
 * `--version` first (about a second) turns the common failures, such as a
 * Python without secgen installed or a broken virtual environment, into one
 * message that quotes the program's own error. Node only, no `vscode`.
 */

import { execFile } from "node:child_process";

import type { ServerCommand } from "./serverCommand";

export type Preflight = { ok: true; version: string } | { ok: false; error: string };

const TAIL = 600;

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > TAIL ? `…${trimmed.slice(-TAIL)}` : trimmed;
}

export function preflight(server: ServerCommand, timeoutMs = 30_000): Promise<Preflight> {
  return new Promise((resolve) => {
    execFile(server.command, server.versionArgs, { timeout: timeoutMs, windowsHide: true },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ ok: true, version: tail(String(stdout)) || "(no version printed)" });
          return;
        }
        const detail = tail(String(stderr)) || tail(String(stdout));
        const reason = error.killed ? `no answer to --version within ${timeoutMs / 1000} s` : error.message;
        resolve({ ok: false, error: detail ? `${detail} (${reason.split("\n")[0]})` : reason.split("\n")[0] });
      });
  });
}
