/**
 * What the server may see of the `secgen` configuration section.
 *
 * The extension's own keys live under `secgen.client` (where the server is,
 * which Python runs it, its log file). The server knows nothing of them and
 * warns about keys it does not know, so they are removed from everything sent
 * to it: the initializationOptions and the answers to workspace/configuration.
 * No `vscode` import here, so the unit tests run under plain node.
 */

export const SECTION = "secgen";
export const CLIENT_KEY = "client";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The server's part of the `secgen` section: a copy without `client`. */
export function serverSettings(section: unknown): unknown {
  if (!isObject(section)) {
    return section;
  }
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    if (key !== CLIENT_KEY) {
      copy[key] = value;
    }
  }
  return copy;
}

/**
 * One workspace/configuration answer with the client keys taken out.
 *
 * `section` is what the server asked for: `secgen` (the usual case), a key
 * below it, or nothing (the whole configuration, whose `secgen` member is
 * then filtered).
 */
export function stripClientSettings(section: string | null | undefined, value: unknown): unknown {
  if (!section) {
    if (!isObject(value) || !(SECTION in value)) {
      return value;
    }
    return { ...value, [SECTION]: serverSettings(value[SECTION]) };
  }
  if (section === SECTION) {
    return serverSettings(value);
  }
  const clientPrefix = `${SECTION}.${CLIENT_KEY}`;
  if (section === clientPrefix || section.startsWith(`${clientPrefix}.`)) {
    return null;
  }
  return value;
}
