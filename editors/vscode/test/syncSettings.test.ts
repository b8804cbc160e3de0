import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

// the compiled test runs from out/test: the sources are two folders up
const root = join(__dirname, "..", "..");

interface Property {
  type?: string | string[];
  enum?: string[];
  default?: unknown;
  properties?: Record<string, Property>;
  items?: Property;
  scope?: string;
}

test("package.json contributes every server setting and the client ones", () => {
  const schema = JSON.parse(readFileSync(join(root, "..", "..", "server", "settings.schema.json"), "utf8")) as
    { properties: Record<string, Property> };
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as
    { contributes: { configuration: { properties: Record<string, Property> }[] } };
  const properties = Object.assign({}, ...manifest.contributes.configuration.map((c) => c.properties)) as
    Record<string, Property>;
  for (const [key, setting] of Object.entries(schema.properties)) {
    assert.deepEqual(properties[`secgen.${key}`].default, setting.default, key);
  }
  assert.equal(properties["secgen.residualSuggestions"].type, "string");
  assert.equal(properties["secgen.policy"].properties?.blockAt.type, "string");
  for (const key of ["serverPath", "pythonPath", "logFile"]) {
    assert.equal(properties[`secgen.client.${key}`].scope, "machine-overridable");
  }
});

test("--check fails when the schema has moved on", () => {
  const schemaPath = join(root, "..", "..", "server", "settings.schema.json");
  const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as { properties: Record<string, Property> };
  schema.properties.tMax.default = 99;
  const folder = mkdtempSync(join(tmpdir(), "secgen-sync-"));
  try {
    const changed = join(folder, "schema.json");
    writeFileSync(changed, JSON.stringify(schema));
    const script = join(root, "scripts", "sync-settings.mjs");
    execFileSync(process.execPath, [script, "--check"], { stdio: "pipe" }); // in step with the real schema
    const run = spawnSync(process.execPath, [script, "--check", "--schema", changed], { encoding: "utf8" });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /out of date/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
