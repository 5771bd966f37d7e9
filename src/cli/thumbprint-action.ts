/** What `irsa-issuer thumbprint` does, loaded only when it runs (thumbprint.ts declares the command). */
import { ConfigError } from '../errors.js';
import {
  parseTerraformQuery,
  probeThumbprint,
  renderTerraformResult,
  targetFromUrl,
  type ProbeOptions,
  type ThumbprintProbe,
} from '../thumbprint/index.js';
import type { CliIo } from './io.js';
import { caFileFrom, egressFromFlags, timeoutMsFrom } from './flags.js';
import type { ThumbprintFlags } from './thumbprint.js';

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function renderText(probe: ThumbprintProbe, trustedBy: string): string {
  const trust = probe.trusted
    ? `yes, by ${trustedBy}`
    : `no (${probe.trustError ?? 'untrusted'}): AWS will rely on this thumbprint`;
  const lines = [
    `thumbprint  ${probe.thumbprint}`,
    `host        ${probe.host}:${probe.port}`,
    `trusted     ${trust}`,
    'chain as presented (the thumbprint is of the last):',
    ...probe.chain.map(
      (certificate, index) =>
        `  ${index + 1}. ${certificate.sha1}  ${certificate.subject}  (until ${certificate.notAfter.slice(0, 10)})`,
    ),
  ];
  if (!probe.hostnameMatches) lines.push(`! the leaf certificate does not name ${probe.servername ?? probe.host}`);
  return `${lines.join('\n')}\n`;
}

/** Runs `irsa-issuer thumbprint`: probes the host and prints its thumbprint (or answers Terraform). */
export async function runThumbprint(url: string | undefined, flags: ThumbprintFlags, io: CliIo): Promise<void> {
  const options: ProbeOptions = {
    timeoutMs: timeoutMsFrom(flags.timeout),
    egress: egressFromFlags(flags, io.env),
    ...(flags.caFile === undefined ? {} : { ca: await caFileFrom(flags.caFile) }),
  };
  if (flags.terraform) {
    if (url !== undefined)
      throw new ConfigError('With --terraform the URL comes from the query on stdin, not the command line.');
    const query = parseTerraformQuery(await readStdin(io.stdin));
    const probe = await probeThumbprint(query.target, {
      ...options,
      ...(query.timeoutMs === undefined ? {} : { timeoutMs: query.timeoutMs }),
    });
    io.stdout.write(renderTerraformResult(probe));
    return;
  }
  if (url === undefined) throw new ConfigError('Name the host to probe: irsa-issuer thumbprint https://HOST[/PATH].');
  const probe = await probeThumbprint(targetFromUrl(url), options);
  const trustedBy = flags.caFile === undefined ? "this machine's CA store" : `the CA in ${flags.caFile}`;
  io.stdout.write(flags.output === 'json' ? `${JSON.stringify(probe, null, 2)}\n` : renderText(probe, trustedBy));
}
