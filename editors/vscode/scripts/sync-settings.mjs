#!/usr/bin/env node
// Writes package.json's contributes.configuration from the server's settings schema.
//
//   node scripts/sync-settings.mjs           rewrite package.json
//   node scripts/sync-settings.mjs --check   exit 1 when package.json is out of date (npm run check, CI)
//   node scripts/sync-settings.mjs --schema PATH   another schema (default: ../../server/settings.schema.json)
//
// Every server setting `key` becomes `secgen.<key>` with its type, enum, default, bounds, items and
// nested properties; the extension's own settings (secgen.client.*) are added after them, and both
// sets that name programs or paths are listed in capabilities.untrustedWorkspaces.restrictedConfigurations,
// so a folder's .vscode/settings.json cannot make an untrusted workspace run a program.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const packagePath = join(here, "package.json");

// server settings whose values name programs, models or files to write
const RESTRICTED_SERVER_KEYS = ["model", "sarifAnalyzers", "svace", "icd", "collectPairsPath"];

const CLIENT_PROPERTIES = {
  "secgen.client.serverPath": {
    type: "string",
    default: "",
    scope: "machine-overridable",
    markdownDescription: "Path of the `secgen-lsp` executable (for example `/path/to/secgen/.venv/bin/secgen-lsp`). "
      + "Empty: `secgen.client.pythonPath` if set, else `secgen-lsp` on `PATH`, else the workspace's "
      + "`.venv/bin/secgen-lsp`. `~` and `${workspaceFolder}` are expanded. Not sent to the server.",
    order: 0,
  },
  "secgen.client.pythonPath": {
    type: "string",
    default: "",
    scope: "machine-overridable",
    markdownDescription: "A Python interpreter with secgen installed: the server runs as "
      + "`PYTHON -m secgen.server.lsp --stdio`. Used when `secgen.client.serverPath` is empty. Not sent to the server.",
    order: 1,
  },
  "secgen.client.logFile": {
    type: "string",
    default: "",
    scope: "machine-overridable",
    markdownDescription: "Where the server writes its log (`--log-file`). Empty: warnings go to the **secgen** "
      + "output channel. Changing a `secgen.client` setting restarts the server. Not sent to the server.",
    order: 2,
  },
};

function parseArgs(argv) {
  const args = { check: false, schema: join(here, "..", "..", "server", "settings.schema.json") };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--check") {
      args.check = true;
    } else if (argv[i] === "--schema" && i + 1 < argv.length) {
      args.schema = argv[++i];
    } else {
      throw new Error(`unknown argument ${argv[i]} (usage: sync-settings.mjs [--check] [--schema PATH])`);
    }
  }
  return args;
}

// VS Code's settings editor needs a type: an enum of strings is a string.
function withType(schema) {
  if (schema.type === undefined && Array.isArray(schema.enum) && schema.enum.every((v) => typeof v === "string")) {
    return { type: "string", ...schema };
  }
  return schema;
}

// A JSON schema node as VS Code wants it: typed enums, all the way down.
function convert(schema) {
  if (Array.isArray(schema)) {
    return schema.map(convert);
  }
  if (schema === null || typeof schema !== "object") {
    return schema;
  }
  const out = {};
  for (const [key, value] of Object.entries(withType(schema))) {
    if (key === "properties") {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, convert(sub)]));
    } else if (["items", "additionalProperties", "anyOf", "oneOf", "allOf"].includes(key)) {
      out[key] = convert(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

export function configuration(schema) {
  const properties = {};
  Object.entries(schema.properties).forEach(([key, setting], order) => {
    const { description, ...rest } = convert(setting);
    properties[`secgen.${key}`] = { ...rest, description, order };
  });
  return [
    { title: "secgen", properties },
    { title: "secgen: client", properties: CLIENT_PROPERTIES },
  ];
}

function restrictedConfigurations(schema) {
  const missing = RESTRICTED_SERVER_KEYS.filter((key) => !(key in schema.properties));
  if (missing.length > 0) {
    throw new Error(`restricted settings not in the schema: ${missing.join(", ")}`);
  }
  return [...RESTRICTED_SERVER_KEYS.map((key) => `secgen.${key}`), ...Object.keys(CLIENT_PROPERTIES)];
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const schema = JSON.parse(readFileSync(args.schema, "utf8"));
  const before = readFileSync(packagePath, "utf8");
  const manifest = JSON.parse(before);
  manifest.contributes = { ...manifest.contributes, configuration: configuration(schema) };
  manifest.capabilities = {
    ...manifest.capabilities,
    untrustedWorkspaces: {
      ...manifest.capabilities?.untrustedWorkspaces,
      supported: "limited",
      restrictedConfigurations: restrictedConfigurations(schema),
    },
  };
  const after = `${JSON.stringify(manifest, null, 2)}\n`;
  const name = relative(process.cwd(), packagePath) || "package.json";
  if (args.check) {
    if (after !== before) {
      console.error(`${name}: contributes.configuration is out of date with ${relative(process.cwd(), args.schema)}; `
        + "run `npm run sync-settings`");
      process.exit(1);
    }
    return;
  }
  if (after !== before) {
    writeFileSync(packagePath, after);
    console.log(`${name}: settings updated from ${relative(process.cwd(), args.schema)}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main();
}
