import assert from "node:assert/strict";
import { test } from "node:test";

import { serverSettings, stripClientSettings } from "../src/settings";

const section = {
  model: "fake:/tmp/script.json",
  tMax: 2,
  policy: { blockAt: "high" },
  client: { serverPath: "/opt/secgen-lsp", pythonPath: "", logFile: "" },
};

test("serverSettings drops client and keeps the rest", () => {
  assert.deepEqual(serverSettings(section), { model: "fake:/tmp/script.json", tMax: 2, policy: { blockAt: "high" } });
});

test("serverSettings leaves its input alone", () => {
  serverSettings(section);
  assert.ok("client" in section);
});

test("serverSettings passes non-objects through", () => {
  assert.equal(serverSettings(null), null);
  assert.equal(serverSettings(undefined), undefined);
  assert.deepEqual(serverSettings([1, 2]), [1, 2]);
});

test("the secgen section loses client", () => {
  assert.deepEqual(stripClientSettings("secgen", section), serverSettings(section));
});

test("the whole configuration loses secgen.client only", () => {
  const whole = { editor: { tabSize: 4 }, secgen: section };
  assert.deepEqual(stripClientSettings(undefined, whole),
    { editor: { tabSize: 4 }, secgen: serverSettings(section) });
  assert.deepEqual(stripClientSettings(null, { editor: {} }), { editor: {} });
});

test("a client key asked for directly is not answered", () => {
  assert.equal(stripClientSettings("secgen.client", section.client), null);
  assert.equal(stripClientSettings("secgen.client.serverPath", "/opt/secgen-lsp"), null);
});

test("other sections and keys pass through", () => {
  assert.equal(stripClientSettings("secgen.tMax", 2), 2);
  assert.deepEqual(stripClientSettings("secgen.clientele", { a: 1 }), { a: 1 });
  assert.deepEqual(stripClientSettings("editor", { tabSize: 4 }), { tabSize: 4 });
});
