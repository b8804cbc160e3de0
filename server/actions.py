"""Code actions on secgen's diagnostics, and the ``secgen.generate`` command.

* "Fix with analyzer: RULE" (quick fix): cheap to list; the edit is computed
  lazily in ``codeAction/resolve``: a mechanical fix first (no model, so it
  answers at once, even before the model has loaded), and only when that
  leaves the finding, the repair loop on the function around it, with that
  finding as the feedback (:mod:`secgen.engine.fix`).
* "Fix all analyzer findings in this file" (``source.fixAll``): the same over
  every blocking finding.
* "Suppress RULE with # nosec" (Bandit, dataflow): a one-line edit, computed at once.
* ``secgen.generate``: the comment block at the cursor becomes a task; the
  loop's code is inserted below it through ``workspace/applyEdit``. Once the
  client has applied it, the opt-in collector may keep a preference pair
  (:mod:`secgen.server.collect`).

A model that fails (a ``BackendError``: an HTTP model server that errs,
garbles or stalls) is one line to the user, and nothing is edited.

Edits are minimal (only the lines that change) and versioned, so a client
will not apply them to a document that has changed since. No edit is written
to disk: the client applies them.
"""

from __future__ import annotations

import asyncio
import difflib
import re

from lsprotocol import types

from secgen.engine.backend import BackendError
from secgen.engine.fix import fix_document
from secgen.engine.prompts import generation_messages
from secgen.server.app import MAX_DOCUMENT_CHARS, SecgenServer
from secgen.server.convert import is_ours, lsp_lines, units
from secgen.server.diagnostics import findings_at, language_of

FIX, FIX_ALL = "fix", "fixAll"
GENERATE_COMMAND = "secgen.generate"
NOSEC_ANALYZERS = ("bandit", "dataflow")  # the analyzers that read ``# nosec RULE`` comments


def line_edits(old: str, new: str) -> list[types.TextEdit]:
    """Whole-line edits turning ``old`` into ``new``, one per changed run of lines."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            edits.append(types.TextEdit(range=types.Range(start=types.Position(line=i1, character=0),
                                                          end=types.Position(line=i2, character=0)),
                                        new_text="".join(b[j1:j2])))
    return edits


def _nosec_edit(lines: list[str], line: int, rule: str, encoding: str = "utf-16") -> types.TextEdit | None:
    if not 0 <= line < len(lines):
        return None
    text = lines[line].rstrip("\r")
    match = re.search(r"#\s*nosec\b(.*)$", text)
    if match:
        if rule in match.group(1):
            return None
        new = text + (f", {rule}" if match.group(1).strip() else f" {rule}")
    else:
        new = text + f"  # nosec {rule}"
    return types.TextEdit(range=types.Range(start=types.Position(line=line, character=0),
                                            end=types.Position(line=line, character=units(text, encoding))),
                          new_text=new)


def _versioned(uri: str, version: int | None, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits=edits)])


def list_actions(ls: SecgenServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    document = ls.document(uri)
    if document is None or len(document.source) > MAX_DOCUMENT_CHARS:  # never analyzed: nothing to act on
        return []
    ours = [d for d in params.context.diagnostics if is_ours(d) and isinstance(d.data, dict)]
    actions = []
    lines = lsp_lines(document.source)
    for d in ours:
        data = {"kind": FIX, "uri": uri, "version": document.version, "finding": d.data}
        actions.append(types.CodeAction(title=f"Fix with analyzer: {d.code}", kind=types.CodeActionKind.QuickFix,
                                        diagnostics=[d], data=data, is_preferred=True))
        if d.data.get("analyzer") in NOSEC_ANALYZERS:
            edit = _nosec_edit(lines, d.range.start.line, str(d.code), ls.position_encoding)
            if edit is not None:
                actions.append(types.CodeAction(title=f"Suppress {d.code} with # nosec",
                                                kind=types.CodeActionKind.QuickFix, diagnostics=[d],
                                                edit=_versioned(uri, document.version, [edit])))
    if any(ls.settings.policy.is_blocking(f) for f in ls.state(uri).findings):
        actions.append(types.CodeAction(title="Fix all analyzer findings in this file",
                                        kind=types.CodeActionKind.SourceFixAll,
                                        data={"kind": FIX_ALL, "uri": uri, "version": document.version}))
    return [a for a in actions if _wanted(a.kind, params.context.only)]


def _wanted(kind: str, only) -> bool:
    """LSP's ``only`` filter: a kind is wanted when it is one of ``only`` or below one (``source`` covers ``source.fixAll``)."""
    return not only or any(kind == k or kind.startswith(f"{k}.") for k in only)


async def resolve(ls: SecgenServer, action: types.CodeAction) -> types.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    uri = data.get("uri")
    document = ls.document(uri) if isinstance(uri, str) else None
    if document is None or data.get("kind") not in (FIX, FIX_ALL):
        return action
    if len(document.source) > MAX_DOCUMENT_CHARS:
        ls.show(f"{uri} has {len(document.source):,} characters; fixes are offered up to {MAX_DOCUMENT_CHARS:,}")
        return action
    only = None
    if data["kind"] == FIX:
        only = findings_at(ls, uri, data.get("finding") or {})
        if not only:
            ls.show("that finding is gone from the current version of the file; nothing to fix")
            return action
    version, text = document.version, document.source
    language = language_of(document)
    # No model in this pass, so not on the model's thread: it must not wait behind a completion or the load.
    quick = await asyncio.to_thread(fix_document, text, ls.make_loop(None), language=language, path=document.path,
                                    only=only, use_model=False)
    result = quick
    if quick.remaining:
        backend = await ls.wait_backend()
        if backend is None:
            ls.show(f"cannot fix without a model: {ls.backend_error}")
            return _with_edit(action, uri, version, text, quick)
        try:
            result = await ls.on_model_thread(fix_document, text, ls.make_loop(backend), language=language,
                                             path=document.path, only=only)
        except BackendError as exc:  # a model server that errs or stalls: one line, the mechanical fixes kept
            ls.show(f"cannot fix with the model ({exc}); only the mechanical fixes are offered")
            return _with_edit(action, uri, version, text, quick)
        for region in result.regions:
            ls.stats.record_loop(region.result)
        ls.notify_status()
    _with_edit(action, uri, version, text, result)
    failed = next((r.result.model_error for r in result.regions if r.result.model_error), None)
    if failed:  # a model server that erred or stalled mid-repair: one line
        ls.show(f"cannot fix with the model ({failed}); " + ("only the mechanical fixes are offered"
                                                             if action.edit else "the code is unchanged"))
    elif action.edit is None:
        tried = sum(len(r.result.attempts) for r in result.regions)
        ls.show(f"could not repair this (no mechanical fix; {tried} model attempts); the code is unchanged")
    return action


def _with_edit(action: types.CodeAction, uri: str, version: int | None, text: str, result) -> types.CodeAction:
    """``action`` carrying the edit that turns ``text`` into ``result.fixed`` (none when they are equal)."""
    fixed = result.fixed if text.endswith("\n") else result.fixed[:-1] if result.fixed.endswith("\n") else result.fixed
    edits = line_edits(text, fixed)
    if edits:
        action.edit = _versioned(uri, version, edits)
    return action


def _task_at(lines: list[str], line: int) -> tuple[str, int, str] | None:
    """(task text, 0-based line after the comment block, indent) for the comment at or above ``line``."""
    if line < len(lines) and not lines[line].strip():
        line -= 1
    if not 0 <= line < len(lines) or not lines[line].lstrip().startswith("#"):
        return None
    first = line
    while first > 0 and lines[first - 1].lstrip().startswith("#"):
        first -= 1
    text = " ".join(l.strip().lstrip("#").strip() for l in lines[first:line + 1]).strip()
    indent = lines[line][: len(lines[line]) - len(lines[line].lstrip())]
    return (text, line + 1, indent) if text else None


def register(server: SecgenServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll], resolve_provider=True))
    def code_action(ls: SecgenServer, params: types.CodeActionParams):
        return list_actions(ls, params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: SecgenServer, action: types.CodeAction):
        return await resolve(ls, action)

    @server.command(GENERATE_COMMAND)
    async def generate(ls: SecgenServer, *args):
        uri, position = (args + (None, None))[:2] if args else (None, None)
        document = ls.document(uri) if isinstance(uri, str) else None
        if document is None or not isinstance(position, dict):
            return {"applied": False, "reason": "arguments: [uri, {line, character}]"}
        if len(document.source) > MAX_DOCUMENT_CHARS:
            return {"applied": False, "reason": f"the document has more than {MAX_DOCUMENT_CHARS:,} characters"}
        lines = lsp_lines(document.source)
        found = _task_at(lines, int(position.get("line", 0)))
        if found is None:
            return {"applied": False, "reason": "no comment at the cursor to turn into code"}
        task, insert_line, indent = found
        backend = await ls.wait_backend()
        if backend is None:
            return {"applied": False, "reason": f"no model: {ls.backend_error}"}
        language = language_of(document)
        try:
            result = await ls.on_model_thread(ls.make_loop(backend).generate, task, language=language)
        except BackendError as exc:
            ls.show(f"cannot generate: the model failed ({exc})")
            return {"applied": False, "reason": f"the model failed: {exc}"}
        ls.stats.record_loop(result)
        ls.notify_status()
        if result.best is None:
            return {"applied": False, "reason": f"no code ({result.stop_reason})"}
        code = "".join(indent + l if l.strip() else l for l in result.text.splitlines(keepends=True))
        at = types.Position(line=insert_line, character=0)
        if insert_line >= len(lines):  # the comment ends the file without a line break: add one first
            last = lines[-1]
            at = types.Position(line=len(lines) - 1, character=units(last, ls.position_encoding))
            code = "\n" + code
        edit = types.TextEdit(range=types.Range(start=at, end=at), new_text=code)
        applied = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(
            edit=_versioned(uri, document.version, [edit]), label="secgen: generate"))
        if applied.applied:  # the user's command, and the code is in: an acceptance (see secgen.server.collect)
            kept = ls.pairs.collect(ls.settings, result, messages=generation_messages(task, language),
                                    language=language, uri=uri)
            if kept:
                ls.stats.count("pairs", kept)
        return {"applied": bool(applied.applied), "clean": result.clean, "attempts": len(result.attempts),
                "residual": [f.label() for f in result.residual]}
