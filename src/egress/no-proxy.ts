/**
 * NO_PROXY, with the semantics of Go's net/http (golang.org/x/net/http/httpproxy), which kubectl,
 * Terraform and the AWS provider use, so one value means the same to all of them: a comma- (or
 * space-) separated list of
 * - `*`: no proxy at all;
 * - a domain name, matching itself and every subdomain (`example.com` matches `s3.example.com`);
 * - a domain with a leading `.` or `*.`, matching subdomains only (`.svc` matches `kubernetes.default.svc`);
 * - an IP address, or an IP range in CIDR notation (`10.96.0.0/12`), matching literal IPs only;
 * - any of the names or IPs with `:PORT`, matching that port only.
 * Unlike Go, `localhost` and loopback addresses are not exempt on their own (as with curl, Node's
 * NODE_USE_ENV_PROXY and npm's proxy-from-env): list them when they must be.
 */
import { BlockList, isIP } from 'node:net';

export type NoProxyRule =
  | { readonly kind: 'all' }
  | { readonly kind: 'domain'; readonly domain: string; readonly subdomainsOnly: boolean; readonly port?: number }
  | { readonly kind: 'ip'; readonly list: BlockList; readonly port?: number };

function splitPort(entry: string): { host: string; port?: number } {
  // [v6]:port, v4:port or name:port; a bare IPv6 address has more than one colon and no port.
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) {
    const host = bracketed[1] ?? '';
    return bracketed[2] === undefined ? { host } : { host, port: Number(bracketed[2]) };
  }
  const colon = entry.lastIndexOf(':');
  if (colon > 0 && entry.indexOf(':') === colon && /^\d+$/.test(entry.slice(colon + 1))) {
    return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
  }
  return { host: entry };
}

function ipRule(host: string, port: number | undefined): NoProxyRule | undefined {
  const slash = host.indexOf('/');
  const address = slash < 0 ? host : host.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return undefined;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  if (slash < 0) list.addAddress(address, type);
  else {
    const prefix = Number(host.slice(slash + 1));
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
    list.addSubnet(address, prefix, type);
  }
  return { kind: 'ip', list, ...(port === undefined ? {} : { port }) };
}

/** Parses NO_PROXY; entries that are none of the forms above are ignored, as Go ignores them. */
export function parseNoProxy(raw: string | undefined): NoProxyRule[] {
  const rules: NoProxyRule[] = [];
  for (const item of (raw ?? '').split(/[,\s]+/)) {
    const entry = item.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') {
      rules.push({ kind: 'all' });
      continue;
    }
    const { host, port } = splitPort(entry);
    const ip = ipRule(host, port);
    if (ip !== undefined) {
      rules.push(ip);
      continue;
    }
    if (host.includes('/')) continue;
    const subdomainsOnly = host.startsWith('.') || host.startsWith('*.');
    const domain = host.replace(/^\*?\./, '').replace(/\.$/, '');
    if (domain === '') continue;
    rules.push({ kind: 'domain', domain, subdomainsOnly, ...(port === undefined ? {} : { port }) });
  }
  return rules;
}

/** True when NO_PROXY exempts `host:port` from the proxy. */
export function bypassesProxy(rules: readonly NoProxyRule[], host: string, port: number): boolean {
  const name = host
    .replace(/^\[(.*)\]$/, '$1')
    .toLowerCase()
    .replace(/\.$/, '');
  const family = isIP(name);
  return rules.some((rule) => {
    if (rule.kind === 'all') return true;
    if (rule.port !== undefined && rule.port !== port) return false;
    if (rule.kind === 'ip') return family !== 0 && rule.list.check(name, family === 4 ? 'ipv4' : 'ipv6');
    if (family !== 0) return false;
    if (name === rule.domain) return !rule.subdomainsOnly;
    return name.endsWith(`.${rule.domain}`);
  });
}
