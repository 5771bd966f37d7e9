import { describe, expect, it } from 'vitest';
import { egressFrom, proxyFor } from '../../src/egress/index.js';
import { ConfigError } from '../../src/errors.js';

const route = (noProxy: string, host: string, port = 443): 'proxy' | 'direct' =>
  proxyFor(egressFrom({}, { HTTPS_PROXY: 'http://proxy.corp:3128', NO_PROXY: noProxy }), 'https', host, port) ===
  undefined
    ? 'direct'
    : 'proxy';

describe('NO_PROXY, read as kubectl and Terraform (Go) read it', () => {
  it('a domain covers itself and its subdomains; a leading dot or *. only the subdomains', () => {
    expect(route('amazonaws.com', 'amazonaws.com')).toBe('direct');
    expect(route('amazonaws.com', 'iam.amazonaws.com')).toBe('direct');
    expect(route('amazonaws.com', 'notamazonaws.com')).toBe('proxy');
    expect(route('.svc', 'kubernetes.default.svc')).toBe('direct');
    expect(route('.svc', 'svc')).toBe('proxy');
    expect(route('*.cluster.local', 'api.cluster.local')).toBe('direct');
    expect(route('*.cluster.local', 'cluster.local')).toBe('proxy');
    expect(route('Example.COM.', 'www.example.com')).toBe('direct');
  });

  it('* turns the proxy off for everything', () => {
    expect(route('*', 's3.eu-west-1.amazonaws.com')).toBe('direct');
  });

  it('IP addresses and CIDR ranges match literal addresses only, IPv6 included', () => {
    expect(route('10.96.0.0/12', '10.96.0.1')).toBe('direct');
    expect(route('10.96.0.0/12', '10.112.0.1')).toBe('proxy');
    expect(route('192.168.1.10', '192.168.1.10')).toBe('direct');
    expect(route('fd00::/8', '[fd00::1]')).toBe('direct');
    expect(route('10.0.0.0/8', 'ten.example')).toBe('proxy');
  });

  it('an entry with a port matches that port only', () => {
    expect(route('minio.internal:9000', 'minio.internal', 9000)).toBe('direct');
    expect(route('minio.internal:9000', 'minio.internal', 443)).toBe('proxy');
    expect(route('[::1]:6443', '::1', 6443)).toBe('direct');
    expect(route('127.0.0.1:6443', '127.0.0.1', 443)).toBe('proxy');
  });

  it('separates entries by commas or spaces and ignores blanks', () => {
    expect(route(' .svc , ,s3.amazonaws.com  10.0.0.0/8', '10.1.2.3')).toBe('direct');
  });

  it('does not exempt localhost on its own (as curl and Node do, unlike Go)', () => {
    expect(route('', 'localhost')).toBe('proxy');
    expect(route('localhost', 'localhost')).toBe('direct');
  });
});

describe('which proxy', () => {
  it('--proxy wins over HTTPS_PROXY and HTTP_PROXY; an empty --proxy turns the proxy off', () => {
    const env = { HTTPS_PROXY: 'http://env-proxy:3128', HTTP_PROXY: 'http://env-proxy:3128' };
    expect(egressFrom({ proxy: 'http://flag-proxy:8080' }, env).https?.display).toBe('http://flag-proxy:8080');
    expect(egressFrom({ proxy: 'http://flag-proxy:8080' }, env).http?.display).toBe('http://flag-proxy:8080');
    expect(egressFrom({ proxy: '' }, env).https).toBeUndefined();
  });

  it('reads the upper-case variable first, then the lower-case one', () => {
    expect(egressFrom({}, { https_proxy: 'http://lower:1' }).https?.display).toBe('http://lower:1');
    expect(egressFrom({}, { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:1' }).https?.display).toBe(
      'http://upper:1',
    );
    expect(egressFrom({}, { HTTP_PROXY: 'http://plain:1' }).https).toBeUndefined();
  });

  it('takes HOST:PORT as http://, sends the credentials as Proxy-Authorization and never displays them', () => {
    const proxy = egressFrom({}, { HTTPS_PROXY: 'http://us%40er:p%3Ass@proxy.corp:3128' }).https;
    expect(proxy?.display).toBe('http://proxy.corp:3128');
    expect(proxy?.authorization).toBe(`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`);
    expect(egressFrom({}, { HTTPS_PROXY: 'proxy.corp:3128' }).https?.port).toBe(3128);
  });

  it('refuses a proxy it cannot speak to, without quoting a value that may hold a password', () => {
    expect(() => egressFrom({ proxy: 'socks5://user:hunter22@proxy:1080' }, {})).toThrow(ConfigError);
    expect(() => egressFrom({ proxy: 'socks5://user:hunter22@proxy:1080' }, {})).not.toThrow(/hunter22/);
    expect(() => egressFrom({}, { HTTPS_PROXY: 'http://user:hunter22@[bad' })).not.toThrow(/hunter22/);
  });
});
