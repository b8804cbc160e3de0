/**
 * The status bar item: server and model state, last latency, repairs made.
 *
 * The words come from `status.ts`; this class only holds the latest state and
 * paints it. Clicking the item runs `secgen.showStats`.
 */

import * as vscode from "vscode";

import { type ServerState, type ServerStatus, statusView } from "./status";

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private server: ServerState = { state: "starting" };
  private status: ServerStatus | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem("secgen.status", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "secgen";
    this.item.command = "secgen.showStats";
    this.render();
    this.item.show();
  }

  setServer(server: ServerState): void {
    this.server = server;
    if (server.state === "starting") {
      this.status = undefined; // a new server process loads its model anew
    }
    this.render();
  }

  setStatus(status: ServerStatus): void {
    this.status = status;
    this.render();
  }

  private render(): void {
    const view = statusView(this.server, this.status);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.tone === "error"
      ? new vscode.ThemeColor("statusBarItem.errorBackground")
      : view.tone === "warning" ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
