/**
 * The one way a public document becomes bytes. Documents are built with their members in a fixed
 * order, so compact JSON of the same input is always the same bytes, and a re-run can compare bytes
 * to decide that nothing needs writing.
 */
export function serialiseDocument(document: object): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(document));
}

export const documentContentType = 'application/json';
