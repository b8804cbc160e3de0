/**
 * secgen for VS Code: the entry point.
 *
 * Starts `secgen-lsp --stdio` through vscode-languageclient, which brings the
 * server's inline completions (LSP 3.18 textDocument/inlineCompletion),
 * diagnostics, code actions and commands into the editor; adds the status
 * bar item and the extension's own commands.
 */

import * as vscode from "vscode";

import { registerCommands } from "./commands";
import { Connection } from "./connection";
import { StatusBar } from "./statusBar";

let connection: Connection | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel("secgen", { log: true });
  const stats = vscode.window.createOutputChannel("secgen stats");
  const statusBar = new StatusBar();
  connection = new Connection(output, statusBar);
  context.subscriptions.push(output, stats, statusBar, connection,
    ...registerCommands({ connection, statusBar, stats, output }));
  void connection.start();
}

export function deactivate(): Promise<void> | undefined {
  return connection?.stop();
}
