/**
 * The VS Code workbench as a user works it: the keyboard, the command palette and what the DOM shows.
 *
 * Selectors are Code 1.139's (code-server 4.139.1): `.quick-input-widget` (palette and Quick Open),
 * `.statusbar-item`, `.markers-panel` (Problems), `.ghost-text-decoration` (the cursor line's part of an inline
 * suggestion), `.suggest-preview-text .view-line` (its further lines, in a view zone, as `.ghost-text` spans),
 * `.squiggly-error`, `.monaco-hover`.
 * Monaco renders spaces as U+00A0; every text read here turns them back into spaces.
 */

const NBSP = /\u00a0/g;

export class Workbench {
  constructor(page, log) {
    this.page = page;
    this.log = log;
  }

  async waitReady() {
    await this.page.locator(".monaco-workbench .part.statusbar").waitFor({ timeout: 90_000 });
    await this.page.locator(".explorer-folders-view, .monaco-workbench .part.editor").first()
      .waitFor({ timeout: 30_000 });
    this.log("workbench ready");
    await this.runCommand("Toggle Do Not Disturb Mode"); // toasts would cover the editor in the screenshots
    await this.runCommand("Close Primary Side Bar"); // room for two editors side by side
  }

  /** Type into the open quick input, then pick the row whose label is `label` (or "Category: label"). */
  async quickInput(prefix, label) {
    const input = this.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor({ state: "visible", timeout: 15_000 });
    await input.fill(`${prefix}${label}`);
    const index = await this.page.waitForFunction((wanted) => {
      const rows = [...document.querySelectorAll(".quick-input-widget .monaco-list-row")];
      const found = rows.findIndex((row) => {
        const name = row.querySelector(".label-name")?.textContent.replace(/\u00a0/g, " ").trim() ?? "";
        return name === wanted || name.endsWith(`: ${wanted}`);
      });
      return found >= 0 ? found + 1 : 0; // 0 is falsy: keep waiting
    }, label, { timeout: 15_000, polling: 100 });
    await this.page.locator(".quick-input-widget .monaco-list-row").nth((await index.jsonValue()) - 1).click();
    await input.waitFor({ state: "hidden", timeout: 15_000 });
  }

  /** Run a command by its palette label. */
  async runCommand(label) {
    await this.page.keyboard.press("F1");
    await this.quickInput(">", label);
  }

  /** Open a workspace file with Quick Open (Ctrl+P) and wait until its editor has focus. */
  async openFile(name) {
    await this.page.keyboard.press("Control+KeyP");
    await this.quickInput("", name);
    await this.page.locator(`.tab.active[aria-label^="${name}"]`).first().waitFor({ timeout: 15_000 });
    await this.page.locator(".editor-group-container.active .monaco-editor.focused").waitFor({ timeout: 15_000 });
    this.log(`opened ${name}`);
  }

  /** The focused editor also in a new group on the right; the first group gets the focus back. */
  async splitRight() {
    await this.runCommand("Split Editor Right");
    await this.page.locator(".editor-group-container").nth(1).waitFor({ timeout: 15_000 });
    await this.runCommand("Focus First Editor Group");
  }

  /** Drag the sash between the two editor groups so the first one ends at `x` (page pixels). */
  async resizeFirstGroup(x) {
    const sash = this.page.locator(".part.editor .monaco-sash.vertical").first();
    const box = await sash.boundingBox();
    if (!box) {
      return;
    }
    const y = box.y + box.height / 2;
    await this.page.mouse.move(box.x + box.width / 2, y);
    await this.page.mouse.down();
    await this.page.mouse.move(x, y, { steps: 8 });
    await this.page.mouse.up();
  }

  async closeOtherEditors() {
    await this.runCommand("Close Other Editors in Group");
  }

  async showProblems() {
    await this.runCommand("Focus Problems (Errors, Warnings, Infos)");
    await this.page.locator(".markers-panel").waitFor({ state: "visible", timeout: 15_000 });
  }

  async focusEditor() {
    await this.runCommand("Focus First Editor Group");
  }

  /** The Problems panel's rows once one matches `pattern`. */
  async waitProblems(pattern, timeout) {
    await this.showProblems();
    await this.page.waitForFunction(([source, flags]) => {
      const re = new RegExp(source, flags);
      return [...document.querySelectorAll(".markers-panel .monaco-list-row")].some((row) => re.test(row.textContent));
    }, [pattern.source, pattern.flags], { timeout, polling: 250 });
    const rows = await this.page.locator(".markers-panel .monaco-list-row").allInnerTexts();
    this.log(`problems: ${rows.length} rows`);
    return rows.map((row) => row.replace(NBSP, " ").replace(/\s+/g, " ").trim());
  }

  async statusBarText() {
    const texts = await this.page.locator(".statusbar-item").allTextContents();
    return texts.map((text) => text.replace(NBSP, " ").trim()).find((text) => /secgen/.test(text)) ?? null;
  }

  /** secgen's status bar text once it matches `pattern`. */
  async waitStatusBar(pattern, timeout) {
    await this.page.waitForFunction(([source, flags]) => {
      const re = new RegExp(source, flags);
      return [...document.querySelectorAll(".statusbar-item")]
        .some((item) => re.test(item.textContent.replace(/\u00a0/g, " ")));
    }, [pattern.source, pattern.flags], { timeout, polling: 250 });
    const text = await this.statusBarText();
    this.log(`status bar: ${text}`);
    return text;
  }

  /** The tooltip of secgen's status bar item (model, last latency, counts), once it matches `pattern`. */
  async statusBarTooltip(pattern) {
    await this.page.locator(".statusbar-item", { hasText: "secgen:" }).first().hover();
    const hover = this.page.locator(".workbench-hover, .monaco-hover", { hasText: pattern }).first();
    try {
      await hover.waitFor({ state: "visible", timeout: 10_000 });
    } catch {
      return null;
    }
    return (await hover.innerText()).replace(NBSP, " ").trim();
  }

  /** Go to Line/Column (Ctrl+G) in the focused editor; waits for the status bar's "Ln L, Col C". */
  async goTo(line, column) {
    await this.page.keyboard.press("Control+KeyG");
    const input = this.page.locator(".quick-input-widget .quick-input-box input");
    await input.waitFor({ state: "visible", timeout: 15_000 });
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press("Enter");
    await this.page.locator(".statusbar-item", { hasText: `Ln ${line}, Col ${column}` }).first()
      .waitFor({ timeout: 15_000 });
  }

  async triggerInlineSuggestion() {
    await this.runCommand("Trigger Inline Suggestion");
    this.log("inline suggestion requested");
  }

  /** The ghost text, once shown and unchanged for a second: the cursor line's part, then the further lines. */
  async waitGhostText(timeout) {
    await this.page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text").first()
      .waitFor({ state: "visible", timeout });
    let previous = null;
    for (;;) {
      const text = await this.page.evaluate(readGhostText);
      if (text === previous) {
        this.log(`ghost text: ${JSON.stringify(text)}`);
        return text;
      }
      previous = text;
      await this.page.waitForTimeout(1000); // the settle check: the text must stay the same
    }
  }

  /** Hover the topmost error squiggle of the editor group showing a file other than the focused one. */
  async hoverSquiggle(pattern) {
    const box = await this.page.evaluate(() => {
      const squiggles = [...document.querySelectorAll(".editor-group-container:not(.active) .squiggly-error")];
      const [first] = squiggles.map((squiggle) => squiggle.getBoundingClientRect()).filter((rect) => rect.width > 0)
        .sort((a, b) => a.top - b.top || a.left - b.left);
      return first ? { x: first.left + Math.min(first.width / 2, 40), y: first.top + first.height / 2 } : null;
    });
    if (!box) {
      return null;
    }
    await this.page.mouse.move(box.x, box.y - 3);
    const hover = this.page.locator(".monaco-hover:not(.hidden)", { hasText: pattern }).first();
    try {
      await hover.waitFor({ state: "visible", timeout: 10_000 });
    } catch {
      return null;
    }
    return (await hover.innerText()).replace(NBSP, " ").replace(/\s+/g, " ").trim();
  }

  /** The messages of the notifications shown as toasts (errors still are, in Do Not Disturb mode). */
  async notifications() {
    const texts = await this.page.locator(".notification-toast .notification-list-item-message").allTextContents();
    return texts.map((text) => text.replace(NBSP, " ").trim());
  }

  async clearNotifications() {
    await this.runCommand("Clear All Notifications");
  }

  /** Tab accepts the ghost text; Ctrl+S saves; waits until the tab is no longer dirty. */
  async acceptAndSave() {
    await this.page.keyboard.press("Tab");
    await this.page.locator(".monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text").first()
      .waitFor({ state: "hidden", timeout: 10_000 });
    await this.page.keyboard.press("Control+KeyS");
    await this.page.locator(".tab.active.dirty").first().waitFor({ state: "detached", timeout: 15_000 });
    this.log("accepted and saved");
  }
}

/** Runs in the page: the ghost text of the editor that shows one. */
function readGhostText() {
  const editor = document.querySelector(".ghost-text-decoration, .ghost-text").closest(".monaco-editor");
  const clean = (text) => text.replace(/\u00a0/g, " ");
  const inline = [...editor.querySelectorAll(".ghost-text-decoration, .ghost-text-decoration-preview")]
    .map((span) => clean(span.textContent)).join("");
  const lines = [...editor.querySelectorAll(".suggest-preview-text .view-line")]
    .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
    .map((line) => clean(line.textContent));
  return [inline, ...lines].join("\n");
}
