import { Command, Option } from 'commander';
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
import { addProxyOption, caFileFrom, egressFromFlags, timeoutMsFrom, type EgressFlags } from './options.js';

interface ThumbprintFlags extends EgressFlags {
  readonly output: 'text' | 'json';
  readonly terraform?: boolean;
  readonly timeout: string;
  readonly caFile?: string;
}

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

export function thumbprintCommand(io: CliIo): Command {
  const command = new Command('thumbprint')
    .summary('print the TLS thumbprint IAM wants for an issuer or jwks_uri host')
    .description(
      'Connects to the host of URL over TLS (port 443 unless the URL names one) and prints the SHA-1 (40 lower-case ' +
        'hex) of the last certificate the server presents: what `openssl s_client -showcerts` prints last, and what ' +
        "AWS calls the thumbprint. A root from this machine's trust store that the server never sent is never " +
        "reported. With --terraform it speaks Terraform's external data-source protocol: a JSON query on stdin " +
        '({"url": ...} or {"host": ..., "port": ...}), a flat JSON object of strings on stdout. Through a proxy ' +
        '(--proxy, HTTPS_PROXY unless NO_PROXY lists the host) it tunnels with CONNECT, and refuses a chain that does ' +
        'not lead to a publicly trusted CA: a TLS-inspecting proxy could have made it.',
    )
    .argument('[url]', 'https:// URL of the issuer or its jwks_uri (not with --terraform)')
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--terraform', 'read the query from stdin and answer as a Terraform external data source'))
    .addOption(new Option('--timeout <seconds>', 'give up on the TLS handshake after this long').default('10'))
    .addOption(
      new Option(
        '--ca-file <path>',
        'also trust this CA (PEM) when reporting whether the chain is trusted; never changes the thumbprint',
      ),
    )

    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  irsa-issuer thumbprint https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod',
        '  echo \'{"url":"https://oidc.example.com"}\' | irsa-issuer thumbprint --terraform',
        '',
        'Terraform:',
        '  data "external" "thumbprint" {',
        '    program = ["irsa-issuer", "thumbprint", "--terraform"]',
        '    query   = { url = "https://oidc.example.com/clusters/prod" }',
        '  }',
      ].join('\n'),
    );
  addProxyOption(command);
  command.action(async (url: string | undefined, flags: ThumbprintFlags) => {
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
  });
  return command;
}
