/**
 * The extension's commands: fix the file, generate from a comment, show stats, restart.
 *
 * Their ids differ from the server's own `secgen.generate` and
 * `secgen.accepted`, which vscode-languageclient registers by itself. The
 * model takes seconds, so the two that run it show a cancellable progress
 * notification, and cancelling it cancels the LSP request.
 */

import * as vscode from "vscode";
import {
  type CodeAction,
  CodeActionKind,
  CodeActionRequest,
  CodeActionResolveRequest,
  CodeActionTriggerKind,
  type Command,
  ExecuteCommandRequest,
  type LanguageClient,
  type WorkspaceEdit,
} from "vscode-languageclient/node";

import { type Connection, DOCUMENT_SELECTOR, requestStats } from "./connection";
import { type GenerateResult, generateReport } from "./results";
import { formatStats, statusFromStats } from "./status";
import type { StatusBar } from "./statusBar";

const GENERATE = "secgen.generate";

interface Context {
  connection: Connection;
  statusBar: StatusBar;
  stats: vscode.OutputChannel;
  output: vscode.LogOutputChannel;
}

/** The running client, or undefined after telling the user why there is none. */
async function runningClient(connection: Connection): Promise<LanguageClient | undefined> {
  const client = connection.running;
  if (client) {
    return client;
  }
  if (connection.lastFailure) {
    await connection.showFailure();
  } else {
    const choice = await vscode.window.showWarningMessage("secgen: the language server is not running.", "Restart Server");
    if (choice) {
      await connection.restart();
    }
  }
  return undefined;
}

/** The active editor if the server handles its language, else undefined after saying so. */
function supportedEditor(): vscode.TextEditor | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage("secgen: open a file first.");
    return undefined;
  }
  if (vscode.languages.match(DOCUMENT_SELECTOR, editor.document) === 0) {
    void vscode.window.showInformationMessage(`secgen: ${editor.document.languageId} files are not analyzed.`);
    return undefined;
  }
  return editor;
}

function isCodeAction(item: Command | CodeAction): item is CodeAction {
  return typeof (item as Command).command !== "string";
}

/** The server's `source.fixAll` action for the document, if it offers one. */
async function fixAllAction(client: LanguageClient, document: vscode.TextDocument,
  token: vscode.CancellationToken): Promise<CodeAction | undefined> {
  const c2p = client.code2ProtocolConverter;
  const actions = await client.sendRequest(CodeActionRequest.type, {
    textDocument: c2p.asTextDocumentIdentifier(document),
    range: c2p.asRange(new vscode.Range(0, 0, document.lineCount, 0)),
    context: {
      diagnostics: c2p.asDiagnosticsSync([...client.diagnostics?.get(document.uri) ?? []]),
      only: [CodeActionKind.SourceFixAll],
      triggerKind: CodeActionTriggerKind.Invoked,
    },
  }, token);
  return (actions ?? []).filter(isCodeAction).find((action) =>
    action.kind === CodeActionKind.SourceFixAll || action.kind?.startsWith(`${CodeActionKind.SourceFixAll}.`));
}

/** True when the edit was computed for another version of the document than the one open now. */
function isStale(edit: WorkspaceEdit, uri: string, document: vscode.TextDocument, version: number): boolean {
  return document.version !== version || (edit.documentChanges ?? []).some((change) =>
    "textDocument" in change && typeof change.textDocument.version === "number"
    && change.textDocument.uri === uri && change.textDocument.version !== document.version);
}

async function fixFile({ connection, output }: Context): Promise<void> {
  const editor = supportedEditor();
  const client = editor && await runningClient(connection);
  if (!editor || !client) {
    return;
  }
  const document = editor.document;
  const version = document.version;
  await vscode.window.withProgress({
    location: vscode.ProgressLocation.Notification,
    title: "secgen: fixing analyzer findings",
    cancellable: true,
  }, async (progress, token) => {
    const fixAll = await fixAllAction(client, document, token);
    if (token.isCancellationRequested) {
      return;
    }
    if (!fixAll) {
      void vscode.window.showInformationMessage("secgen: no analyzer findings to fix in this file.");
      return;
    }
    progress.report({ message: "the model is repairing the code…" });
    const resolved = fixAll.edit ? fixAll : await client.sendRequest(CodeActionResolveRequest.type, fixAll, token);
    if (token.isCancellationRequested) {
      return;
    }
    if (!resolved.edit) {
      output.info(`fix all: no edit for ${document.uri.toString()}`); // the server has said why (showMessage)
      return;
    }
    if (isStale(resolved.edit, client.code2ProtocolConverter.asUri(document.uri), document, version)) {
      void vscode.window.showWarningMessage("secgen: the file changed while the fix was being computed; run the command again.");
      return;
    }
    const edit = await client.protocol2CodeConverter.asWorkspaceEdit(resolved.edit, token);
    if (!await vscode.workspace.applyEdit(edit)) {
      void vscode.window.showErrorMessage("secgen: the fix could not be applied to the file.");
      return;
    }
    if (resolved.command) {
      await client.sendRequest(ExecuteCommandRequest.type,
        { command: resolved.command.command, arguments: resolved.command.arguments });
    }
    vscode.window.setStatusBarMessage("secgen: fix applied", 5000);
  });
}

async function generateFromComment({ connection }: Context): Promise<void> {
  const editor = supportedEditor();
  const client = editor && await runningClient(connection);
  if (!editor || !client) {
    return;
  }
  const c2p = client.code2ProtocolConverter;
  const args = [c2p.asUri(editor.document.uri), c2p.asPosition(editor.selection.active)];
  const result = await vscode.window.withProgress({
    location: vscode.ProgressLocation.Notification,
    title: "secgen: generating code from the comment",
    cancellable: true,
  }, (_progress, token) => client.sendRequest(ExecuteCommandRequest.type, { command: GENERATE, arguments: args }, token)) as
    GenerateResult | null;
  const report = generateReport(result);
  if (report.level === "info") {
    vscode.window.setStatusBarMessage(report.message, 8000);
  } else {
    void vscode.window.showWarningMessage(report.message);
  }
}

async function showStats({ connection, statusBar, stats }: Context): Promise<void> {
  const client = await runningClient(connection);
  if (!client) {
    return;
  }
  const answer = await requestStats(client);
  statusBar.setStatus(statusFromStats(answer));
  stats.replace(formatStats(answer));
  stats.show(true);
}

/** Runs a command, turning a failed request into a message (a cancelled one stays quiet). */
function guarded(context: Context, name: string, run: (context: Context) => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await run(context);
    } catch (error) {
      if (error instanceof vscode.CancellationError || (error as { code?: number })?.code === -32800) {
        return; // RequestCancelled
      }
      const message = error instanceof Error ? error.message : String(error);
      context.output.error(`${name}: ${message}`);
      void vscode.window.showErrorMessage(`secgen: ${name} failed: ${message}`);
    }
  };
}

export function registerCommands(context: Context): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand("secgen.fixFile", guarded(context, "fix all", fixFile)),
    vscode.commands.registerCommand("secgen.generateFromComment", guarded(context, "generate", generateFromComment)),
    vscode.commands.registerCommand("secgen.showStats", guarded(context, "show stats", showStats)),
    vscode.commands.registerCommand("secgen.restartServer", guarded(context, "restart", () => context.connection.restart())),
  ];
}
