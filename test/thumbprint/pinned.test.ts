import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { normaliseThumbprint, normaliseThumbprints } from '../../src/thumbprint/pinned.js';

const hex = '9e99a48a9960b14926bb7f3b02e22da2b0ab7280';

describe('a pinned --thumbprint', () => {
  it.each([
    ['lower-case hex', hex],
    ['upper-case hex', hex.toUpperCase()],
    ['colon-separated, as openssl prints it', '9E:99:A4:8A:99:60:B1:49:26:BB:7F:3B:02:E2:2D:A2:B0:AB:72:80'],
    ['the whole openssl line', 'SHA1 Fingerprint=9E:99:A4:8A:99:60:B1:49:26:BB:7F:3B:02:E2:2D:A2:B0:AB:72:80'],
    ['surrounding whitespace', `  ${hex}\n`],
  ])('accepts %s and stores 40 lower-case hex', (_name, raw) => {
    expect(normaliseThumbprint(raw)).toBe(hex);
  });

  it.each([
    ['too short', hex.slice(0, 38)],
    ['too long', `${hex}00`],
    ['not hex', `${hex.slice(0, 39)}g`],
    ['colons in the wrong places', '9e9:9a48a9960b14926bb7f3b02e22da2b0ab7280'],
    ['empty', ''],
  ])('refuses %s with a configuration error that says what to do', (_name, raw) => {
    expect(() => normaliseThumbprint(raw)).toThrow(ConfigError);
    expect(() => normaliseThumbprint(raw)).toThrow(/expected 40 hex digits.*irsa-issuer thumbprint/);
  });

  it('recognises a SHA-256 fingerprint and says IAM wants SHA-1', () => {
    expect(() => normaliseThumbprint('ab'.repeat(32))).toThrow(/SHA-256 fingerprint; IAM wants SHA-1/);
  });

  it('repeated flags: normalised, repeats dropped in order, at most five as IAM allows', () => {
    const other = '0'.repeat(40);
    expect(normaliseThumbprints([hex.toUpperCase(), other, hex])).toEqual([hex, other]);
    const six = ['1', '2', '3', '4', '5', '6'].map((digit) => digit.repeat(40));
    expect(() => normaliseThumbprints(six)).toThrow(/6 distinct thumbprints.*at most 5/);
    expect(normaliseThumbprints([])).toEqual([]);
  });
});
