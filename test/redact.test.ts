import { describe, expect, it } from 'vitest';
import { describeCause } from '../src/errors.js';
import { escapeControl, redact } from '../src/redact.js';

describe('the redactor', () => {
  it.each([
    ['Authorization: Bearer abcdefgh12345678', 'Authorization: Bearer [redacted]'],
    ['token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl here', 'token [redacted] here'],
    ['key AKIAIOSFODNN7EXAMPLE used', 'key [redacted] used'],
    ['aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key=[redacted]'],
    ['<SecretAccessKey>wJalrXUtnFEMI/K7MDENG</SecretAccessKey>', '<SecretAccessKey>[redacted]</SecretAccessKey>'],
    ['"SessionToken": "FwoGZXIvYXdzEBYaDHqa0AP"', '"SessionToken": "[redacted]"'],
    ['proxy http://alice:s3cret@proxy.corp:3128 failed', 'proxy http://[redacted]@proxy.corp:3128 failed'],
    ['give http://USER:PASSWORD@HOST:PORT', 'give http://USER:PASSWORD@HOST:PORT'],
  ])('redacts %j', (text, redacted) => {
    expect(redact(text)).toBe(redacted);
  });

  it('redacts a known secret wherever it appears, and leaves ordinary words alone', () => {
    expect(redact('the token s3cr3t-t0ken-value was echoed', ['s3cr3t-t0ken-value'])).toBe(
      'the token [redacted] was echoed',
    );
    expect(redact('Reading s3://acme-oidc/clusters/prod/openid/v1/jwks was denied')).toBe(
      'Reading s3://acme-oidc/clusters/prod/openid/v1/jwks was denied',
    );
  });

  it('reaches every upstream error we wrap', () => {
    const upstream = new Error('SignatureDoesNotMatch for AKIAIOSFODNN7EXAMPLE, secret_access_key=abc/def');
    expect(describeCause(upstream)).toBe('SignatureDoesNotMatch for [redacted], secret_access_key=[redacted]');
  });

  it('shows control characters instead of letting them act on the terminal', () => {
    expect(escapeControl('kid \u001b[2Jfake\r\nline\u0007')).toBe('kid \\x1b[2Jfake\\x0d\nline\\x07');
  });
});
