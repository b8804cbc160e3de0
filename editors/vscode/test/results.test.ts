import assert from "node:assert/strict";
import { test } from "node:test";

import { generateReport } from "../src/results";

test("not applied: the server's reason", () => {
  assert.deepEqual(generateReport({ applied: false, reason: "no comment at the cursor to turn into code" }), {
    level: "warning", message: "secgen: no code generated: no comment at the cursor to turn into code.",
  });
});

test("clean code is an info", () => {
  assert.deepEqual(generateReport({ applied: true, clean: true, attempts: 1, residual: [] }), {
    level: "info", message: "secgen: generated code inserted, clean after 1 attempt.",
  });
});

test("blocking findings left are a warning that names them", () => {
  const report = generateReport({ applied: true, clean: false, attempts: 4, residual: ["B602 (CWE-78)"] });
  assert.equal(report.level, "warning");
  assert.match(report.message, /findings that block remain after 4 attempts: B602 \(CWE-78\)\./);
});

test("clean code with findings below the threshold is still an info", () => {
  assert.deepEqual(generateReport({ applied: true, clean: true, attempts: 1, residual: ["B404 (CWE-78)"] }), {
    level: "info", message: "secgen: generated code inserted, clean after 1 attempt (non-blocking findings: B404 (CWE-78)).",
  });
});

test("no answer", () => {
  assert.equal(generateReport(null).level, "warning");
});
