import { Command, Option } from 'commander';
import type { CliIo } from './io.js';
import {
  addClusterOptions,
  addProxyOption,
  addIssuerOptions,
  addLogOption,
  trustExposedKeyOption,
  type ClusterFlags,
  type EgressFlags,
  type IssuerFlags,
  type LogFlags,
} from './options.js';

export interface RenderFlags extends IssuerFlags, ClusterFlags, LogFlags, EgressFlags {
  readonly out?: string;
  readonly allowKeyReplacement?: boolean;
  readonly trustExposedKey: string[];
}

export function renderCommand(io: CliIo): Command {
  const command = new Command('render')
    .summary('print the discovery document and JWKS (or write them to a directory); changes nothing remote')
    .description(
      'Reads the keys like sync does and prints {"discovery": ..., "jwks": ...} on stdout, for Terraform ' +
        'or GitOps. With --out DIR it writes DIR/.well-known/openid-configuration and DIR/openid/v1/jwks ' +
        '(byte for byte what sync publishes, with the same guards) instead.',
    );
  addIssuerOptions(command);
  addClusterOptions(command);
  command
    .addOption(new Option('--out <dir>', 'write the two documents under this directory instead of printing them'))
    .addOption(
      new Option(
        '--allow-key-replacement',
        "with --out: write even though the key set already there shares no kid with the cluster's (a re-keyed cluster)",
      ),
    )
    .addOption(trustExposedKeyOption());
  addProxyOption(command);
  addLogOption(command);
  command.action(async (flags: RenderFlags) => {
    const { runRender } = await import('./render-action.js');
    await runRender(flags, io);
  });
  return command;
}
