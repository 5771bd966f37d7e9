/**
 * The one reader of untrusted JSON shapes: what an API server, a bucket or a web host answers is
 * checked here before any member of it is trusted.
 */
export type JsonObject = Readonly<Record<string, unknown>>;

/** A JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The parsed value, or undefined when the text (or UTF-8 bytes) is not JSON. */
export function parseJson(text: string | Uint8Array): unknown {
  try {
    return JSON.parse(typeof text === 'string' ? text : new TextDecoder().decode(text)) as unknown;
  } catch {
    return undefined;
  }
}

/** A member that is a non-empty string, else undefined. */
export function stringMember(object: JsonObject, member: string): string | undefined {
  const value = object[member];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
