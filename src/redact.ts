/**
 * The one redactor for anything quoted from an upstream (API server, S3, IAM, STS, a web host):
 * an error page or a proxy may echo what we sent, and a message must never carry a credential.
 * And, for text shown on a terminal, the one escaper of control characters: a key ID or an error
 * body must not be able to move the cursor, clear the screen or spoof a line.
 */
const rules: readonly (readonly [RegExp, string])[] = [
  // Authorization headers and bearer tokens, as an echo or a log line would show them.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  // JSON Web Tokens (service-account tokens): three base64url parts, the first two JSON objects.
  [/\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[redacted]'],
  // Credentials in a URL (a proxy's http://USER:PASSWORD@HOST:PORT, as an error may quote it).
  // The placeholder our own messages teach (USER:PASSWORD) stays readable.
  [/\b([a-z][a-z0-9+.-]*:\/\/)(?!USER:PASSWORD@)[^\s/?#@:]+:[^\s/?#@]*@/g, '$1[redacted]@'],
  // AWS access key IDs (long-term AKIA, temporary ASIA).
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, '[redacted]'],
  // Secret keys and session tokens, wherever they are named: key=value, "Key": "value", <Key>value</Key>.
  [
    /((?:aws_)?secret_?access_?key|session_?token|x-amz-security-token)(["']?\s*[:=>]\s*["']?)[^\s"'<,}&]+/gi,
    '$1$2[redacted]',
  ],
];

/** `text` with every credential-shaped run, and each of `secrets` (8 characters or more), replaced. */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 8) result = result.replaceAll(secret, '[redacted]');
  }
  for (const [pattern, replacement] of rules) result = result.replace(pattern, replacement);
  return result;
}

/** Control characters (ANSI escapes included) as visible `\xNN`; newlines and tabs stay. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (character) => {
    return `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
