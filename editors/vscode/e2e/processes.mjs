/**
 * Stopping what the driver started: the browser, code-server's process group, and any process that still
 * carries the run's environment marker (SECGEN_E2E_MARKER=...), wherever it ended up in the process tree.
 * Only processes with this run's marker are touched.
 */

import * as fs from "node:fs";

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

async function waitGone(pid, ms) {
  const deadline = Date.now() + ms;
  while (groupAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !groupAlive(pid);
}

/** Processes (other than this one) whose environment holds the marker, as {pid, command}. */
export function markedProcesses(marker) {
  const needle = `SECGEN_E2E_MARKER=${marker}`;
  const found = [];
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) {
      continue;
    }
    try {
      const environ = fs.readFileSync(`/proc/${pid}/environ`, "latin1");
      if (environ.split("\0").includes(needle)) {
        const command = fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ").trim();
        found.push({ pid, command: command.slice(0, 200) });
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** SIGKILL every process that still carries the marker; returns what was found. */
export function killMarked(marker, log) {
  const found = markedProcesses(marker);
  for (const { pid, command } of found) {
    log(`killing leftover ${pid}: ${command}`);
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Close the browser, then stop code-server's group: SIGTERM, five seconds' grace, SIGKILL. */
export async function cleanup(held, marker, log) {
  const { browser, codeServer } = held;
  held.browser = null;
  held.codeServer = null;
  if (browser) {
    await Promise.race([browser.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
  if (codeServer?.pid) {
    signalGroup(codeServer.pid, "SIGTERM");
    if (!(await waitGone(codeServer.pid, 5_000))) {
      log("code-server's group outlived SIGTERM; SIGKILL");
      signalGroup(codeServer.pid, "SIGKILL");
      await waitGone(codeServer.pid, 5_000);
    }
  }
  // the language server and its children may have left the group; the marker still finds them
  const deadline = Date.now() + 5_000;
  while (markedProcesses(marker).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
