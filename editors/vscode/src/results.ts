/**
 * What the user is told after the server's `secgen.generate` command.
 *
 * The command answers {applied, clean, attempts, residual} when code went in,
 * or {applied: false, reason} when not; `clean` means no blocking finding is
 * left, while `residual` lists every finding left, blocking or not. No `vscode` import here, so the unit
 * tests run under plain node.
 */

export interface GenerateResult {
  applied?: boolean;
  reason?: string;
  clean?: boolean;
  attempts?: number;
  residual?: string[];
}

export interface Report {
  level: "info" | "warning";
  message: string;
}

function attempts(n: number | undefined): string {
  return n === 1 ? "1 attempt" : `${n ?? "?"} attempts`;
}

export function generateReport(result: GenerateResult | null | undefined): Report {
  if (!result || typeof result !== "object") {
    return { level: "warning", message: "secgen: the server gave no answer to secgen.generate." };
  }
  if (!result.applied) {
    return { level: "warning", message: `secgen: no code generated: ${result.reason ?? "the edit was not applied"}.` };
  }
  const residual = result.residual ?? [];
  const findings = residual.length > 0 ? `: ${residual.join(", ")}` : "";
  if (result.clean === false) {
    return { level: "warning",
      message: `secgen: generated code inserted, but findings that block remain after ${attempts(result.attempts)}${findings}.` };
  }
  // clean: nothing blocking is left; `residual` may still list findings below the policy's threshold
  const notes = residual.length > 0 ? ` (non-blocking findings${findings})` : "";
  return { level: "info", message: `secgen: generated code inserted, clean after ${attempts(result.attempts)}${notes}.` };
}
