/**
 * The workspace the driver opens, and the settings it starts VS Code with.
 *
 * ping.py is examples/complete_me.py itself, read from the repository: on the empty line after ping()'s
 * docstring the raw 0.5B model writes `subprocess.run(..., shell=True)` (Bandit B602) and the server
 * repairs it. Small changes to that file (an md5 function before or after ping, another import) change
 * what the model writes there, to code that needs no repair, so the flagged code the diagnostics show lives
 * in a second file, hashing.py (md5: B324, pickle.loads: B301).
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

const HASHING = `import hashlib
import pickle


def hash_password(password):
    return hashlib.md5(password.encode()).hexdigest()


def load_session(data):
    return pickle.loads(data)
`;

export const FIXTURES = {
  "ping.py": fs.readFileSync(path.join(REPO, "examples", "complete_me.py"), "utf8"),
  "hashing.py": HASHING,
};

/** 1-based, as `secgen complete --line 8 --column 5` and VS Code's Go to Line take it. */
export const PING_CURSOR = { line: 8, column: 5 };

/**
 * The settings, as {user, machine}. code-server's window is a remote window: there, settings of scope
 * "machine" and "machine-overridable" (secgen.client.*) are taken from the remote machine's settings
 * (USER_DATA_DIR/Machine/settings.json) and dropped from the user settings; the dropping seems to wait
 * until the extension's contribution has told the workbench their scope, and in 2 runs of 6 the extension
 * started without secgen.client.serverPath when it was in the user settings (never in 5 runs from the
 * machine file). secgen's settings go in the machine file; a quiet workbench (no trust prompt, welcome
 * page, telemetry, chat or minimap) in the user file.
 */
export function settingsFor({ serverPath, model, timeBudgetS, serverLog }) {
  const secgen = {
    "secgen.client.serverPath": serverPath,
    "secgen.client.logFile": serverLog,
    "secgen.timeBudgetS": timeBudgetS,
  };
  if (model) {
    secgen["secgen.model"] = model;
  }
  const user = {
    "editor.inlineSuggest.enabled": true,
    "editor.inlineSuggest.keepOnBlur": true,
    "editor.quickSuggestions": { other: false, comments: false, strings: false },
    "editor.suggestOnTriggerCharacters": false,
    "editor.minimap.enabled": false,
    "editor.hover.delay": 200,
    "editor.fontSize": 13,
    "security.workspace.trust.enabled": false,
    "telemetry.telemetryLevel": "off",
    "workbench.startupEditor": "none",
    "workbench.welcomePage.walkthroughs.openOnInstall": false,
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "workbench.editor.enablePreview": false,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.layoutControl.enabled": false,
    "workbench.activityBar.location": "hidden",
    "chat.disableAIFeatures": true,
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "update.mode": "none",
    "git.enabled": false,
    "files.autoSave": "off",
  };
  return { user, machine: secgen };
}
