import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { ThumbprintProbe } from '../../src/thumbprint/probe.js';
import { parseTerraformQuery, renderTerraformResult } from '../../src/thumbprint/terraform.js';

describe('the Terraform external data source query', () => {
  it('takes a url, with the port it names or 443', () => {
    expect(parseTerraformQuery('{"url":"https://issuer.example.com/openid/v1/jwks"}')).toEqual({
      target: { host: 'issuer.example.com', port: 443 },
    });
    expect(parseTerraformQuery('{"url":"https://127.0.0.1:8443/openid/v1/jwks"}')).toEqual({
      target: { host: '127.0.0.1', port: 8443 },
    });
  });

  it('takes a host with an optional port, and a timeout', () => {
    expect(parseTerraformQuery('{"host":"issuer.example.com"}')).toEqual({
      target: { host: 'issuer.example.com', port: 443 },
    });
    expect(parseTerraformQuery('{"host":"issuer.example.com","port":"8443","timeout_ms":"2500"}')).toEqual({
      target: { host: 'issuer.example.com', port: 8443 },
      timeoutMs: 2500,
    });
  });

  it('treats an empty string as absent, the only way a module can leave a key unset', () => {
    expect(parseTerraformQuery('{"url":"https://issuer.example.com","host":"","port":"","timeout_ms":""}')).toEqual({
      target: { host: 'issuer.example.com', port: 443 },
    });
  });

  it.each([
    [
      'an unknown key',
      '{"url":"https://a.example.com","thumbprint_url":"x"}',
      /unknown key "thumbprint_url".*url, host, port, timeout_ms/,
    ],
    ['a non-string value', '{"host":"a.example.com","port":443}', /value of port must be a string/],
    ['neither url nor host', '{}', /neither url nor host/],
    ['both url and host', '{"url":"https://a.example.com","host":"b.example.com"}', /both url and host/],
    ['a url with a port key', '{"url":"https://a.example.com","port":"8443"}', /both url and host\/port/],
    [
      'a port that is not a port',
      '{"host":"a.example.com","port":"https"}',
      /port = "https" is not a whole number from 1 to 65535/,
    ],
    ['port 0', '{"host":"a.example.com","port":"0"}', /not a whole number/],
    ['an http:// url', '{"url":"http://a.example.com"}', /https:\/\/ only/],
    ['not JSON', 'url=https://a.example.com', /not JSON/],
    ['empty stdin', '', /stdin was empty/],
    ['a JSON array', '["https://a.example.com"]', /must be a JSON object of strings/],
    ['JSON null', 'null', /must be a JSON object of strings/],
  ])('refuses %s with a configuration error', (_name, stdin, message) => {
    expect(() => parseTerraformQuery(stdin)).toThrow(ConfigError);
    expect(() => parseTerraformQuery(stdin)).toThrow(message);
  });
});

describe('the Terraform external data source result', () => {
  const probe: ThumbprintProbe = {
    host: 'issuer.example.com',
    port: 443,
    servername: 'issuer.example.com',
    thumbprint: 'b'.repeat(40),
    chain: [
      {
        subject: 'CN=issuer.example.com',
        issuer: 'CN=Example CA',
        sha1: 'a'.repeat(40),
        notAfter: '2027-01-01T00:00:00.000Z',
      },
      {
        subject: 'CN=Example CA',
        issuer: 'CN=Example Root',
        sha1: 'b'.repeat(40),
        notAfter: '2030-01-01T00:00:00.000Z',
      },
    ],
    trusted: false,
    trustError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    hostnameMatches: true,
    protocol: 'TLSv1.3',
  };

  it('is a flat object of strings only', () => {
    const result = JSON.parse(renderTerraformResult(probe)) as Record<string, unknown>;
    expect(result).toEqual({
      thumbprint: 'b'.repeat(40),
      host: 'issuer.example.com',
      port: '443',
      trusted: 'false',
      trust_error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      hostname_matches: 'true',
      chain_length: '2',
      chain_sha1: `${'a'.repeat(40)},${'b'.repeat(40)}`,
      thumbprint_subject: 'CN=Example CA',
      thumbprint_not_after: '2030-01-01T00:00:00.000Z',
    });
    expect(Object.values(result).every((value) => typeof value === 'string')).toBe(true);
  });

  it('keeps every key when trusted, so a configuration can always index them', () => {
    const { trustError, ...trustedProbe } = probe;
    expect(trustError).toBeDefined();
    const result = JSON.parse(renderTerraformResult({ ...trustedProbe, trusted: true })) as Record<string, string>;
    expect(result.trusted).toBe('true');
    expect(result.trust_error).toBe('');
    expect(Object.keys(result)).toEqual(Object.keys(JSON.parse(renderTerraformResult(probe)) as object));
  });
});
