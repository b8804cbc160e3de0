/**
 * The language client's life: find the server, start it, restart it, stop it.
 *
 * One `Connection` owns at most one `LanguageClient`. Starts and stops are
 * queued so a restart never overlaps a start. Before the client is created,
 * the server command is resolved (settings, PATH, the workspace's .venv) and
 * run once with `--version`; any failure becomes one error message that names
 * what was tried and how to install the server, with a button to the settings.
 * The `secgen.client` settings stay on this side: they are stripped from the
 * initializationOptions and from every workspace/configuration answer.
 */

import * as fs from "node:fs";
import * as os from "node:os";

import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  type LanguageClientOptions,
  State,
} from "vscode-languageclient/node";

import { preflight } from "./preflight";
import { type ClientSettings, commandLine, type Environment, resolveServerCommand, startFailureMessage } from "./serverCommand";
import { SECTION, serverSettings, stripClientSettings } from "./settings";
import { type ServerStats, type ServerStatus, statusFromStats } from "./status";
import type { StatusBar } from "./statusBar";

/** The LSP languageIds the server analyzes (secgen.analyzers.languages.LANGUAGE_IDS). */
export const LANGUAGES = ["python", "c", "cpp", "csharp", "java", "javascript", "javascriptreact", "php", "rust"];
export const DOCUMENT_SELECTOR = LANGUAGES.flatMap((language) => [
  { scheme: "file", language },
  { scheme: "untitled", language },
]);

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function environment(): Environment {
  const folders = vscode.workspace.isTrusted ? vscode.workspace.workspaceFolders ?? [] : [];
  return {
    platform: process.platform,
    home: os.homedir(),
    searchPath: process.env.PATH ?? "",
    pathExt: process.env.PATHEXT,
    workspaceFolders: folders.filter((folder) => folder.uri.scheme === "file").map((folder) => folder.uri.fsPath),
    isExecutable,
  };
}

function clientSettings(): ClientSettings {
  const config = vscode.workspace.getConfiguration(`${SECTION}.client`);
  return {
    serverPath: config.get<string | null>("serverPath"),
    pythonPath: config.get<string | null>("pythonPath"),
    logFile: config.get<string | null>("logFile"),
  };
}

/** The server's settings as plain JSON (configuration objects are proxies). */
function initializationOptions(): unknown {
  const section: unknown = vscode.workspace.getConfiguration().get(SECTION);
  return serverSettings(section === undefined ? {} : JSON.parse(JSON.stringify(section)));
}

/**
 * The `secgen/stats` request. It takes no parameters; an empty object goes along
 * (servers before secgen 51c2791 left a request without `params` unanswered).
 */
export function requestStats(client: LanguageClient): Promise<ServerStats> {
  return client.sendRequest<ServerStats>("secgen/stats", {});
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class Connection implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private failure: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly output: vscode.LogOutputChannel, private readonly statusBar: StatusBar) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((event) => this.onConfigurationChanged(event)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        if (this.failure) {
          void this.restart(); // the workspace's .venv may be used now
        }
      }),
    );
  }

  /** The client while its server runs, else undefined. */
  get running(): LanguageClient | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  /** Why the last start failed, while no server runs because of it. */
  get lastFailure(): string | undefined {
    return this.failure;
  }

  start(): Promise<void> {
    return this.enqueue(() => this.startNow());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.stopNow();
      await this.startNow();
    });
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.stopNow());
  }

  /** The error message with its buttons, again (the status bar's click when the start failed). */
  async showFailure(): Promise<void> {
    if (!this.failure) {
      return;
    }
    const choice = await vscode.window.showErrorMessage(this.failure, "Open Settings", "Show Log");
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", `${SECTION}.client`);
    } else if (choice === "Show Log") {
      this.output.show(true);
    }
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async startNow(): Promise<void> {
    this.failure = undefined;
    this.statusBar.setServer({ state: "starting" });
    const resolution = resolveServerCommand(clientSettings(), environment());
    if (!resolution.ok) {
      this.fail(startFailureMessage(resolution.tried));
      return;
    }
    const server = resolution.server;
    const tried = `${commandLine(server)} (from ${server.origin})`;
    this.output.info(`starting ${tried}`);
    const check = await preflight(server);
    if (!check.ok) {
      this.fail(startFailureMessage([tried], check.error));
      return;
    }
    this.output.info(`server version: ${check.version}`);
    const client = new LanguageClient("secgen", "secgen", { command: server.command, args: server.args }, this.options());
    // before start: the server sends its first status as soon as it is initialized
    client.onNotification("secgen/status", (status: ServerStatus) => {
      if (client === this.client) {
        this.statusBar.setStatus(status);
      }
    });
    client.onDidChangeState((event) => this.onState(client, event.newState));
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.client = undefined;
      this.fail(startFailureMessage([tried], errorText(error)));
      await client.dispose().catch(() => undefined);
    }
  }

  private async stopNow(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.dispose();
      } catch (error) {
        this.output.warn(`stopping the server: ${errorText(error)}`);
      }
    }
    this.statusBar.setServer({ state: "stopped" });
  }

  private options(): LanguageClientOptions {
    return {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.output,
      initializationOptions,
      middleware: {
        workspace: {
          configuration: async (params, token, next) => {
            const answer: unknown = await next(params, token);
            if (!Array.isArray(answer)) {
              return answer as ReturnType<typeof next>;
            }
            return answer.map((value: unknown, index) => stripClientSettings(params.items[index]?.section, value));
          },
        },
      },
    };
  }

  private onState(client: LanguageClient, state: State): void {
    if (client !== this.client) {
      return; // a client being replaced
    }
    if (state === State.Starting) {
      this.statusBar.setServer({ state: "starting" });
    } else if (state === State.Running) {
      this.statusBar.setServer({ state: "running" });
      this.refreshStatus(client);
    } else if (state === State.Stopped && !this.failure) {
      this.statusBar.setServer({ state: "stopped" });
    }
  }

  /** The status from `secgen/stats`, in case the first `secgen/status` came before we listened. */
  private refreshStatus(client: LanguageClient): void {
    requestStats(client).then(
      (stats) => {
        if (client === this.client && stats) {
          this.statusBar.setStatus(statusFromStats(stats));
        }
      },
      (error: unknown) => this.output.warn(`secgen/stats: ${errorText(error)}`),
    );
  }

  private fail(message: string): void {
    this.failure = message;
    this.output.error(message);
    this.statusBar.setServer({ state: "failed", error: message });
    void this.showFailure();
  }

  private onConfigurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (event.affectsConfiguration(`${SECTION}.client`)) {
      this.output.info(`${SECTION}.client changed: restarting the server`);
      void this.restart();
      return;
    }
    const client = this.running;
    if (event.affectsConfiguration(SECTION) && client) {
      // settings: null makes the server ask (workspace/configuration), and the answer goes through the middleware
      client.sendNotification(DidChangeConfigurationNotification.type, { settings: null }).catch(
        (error: unknown) => this.output.warn(`didChangeConfiguration: ${errorText(error)}`));
    }
  }

  dispose(): void {
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
