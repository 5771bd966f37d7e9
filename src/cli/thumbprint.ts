import { Command, Option } from 'commander';
import type { CliIo } from './io.js';
import { addProxyOption, type EgressFlags } from './options.js';

export interface ThumbprintFlags extends EgressFlags {
  readonly output: 'text' | 'json';
  readonly terraform?: boolean;
  readonly timeout: string;
  readonly caFile?: string;
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
    const { runThumbprint } = await import('./thumbprint-action.js');
    await runThumbprint(url, flags, io);
  });
  return command;
}
