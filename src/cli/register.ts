import { Command, Option } from 'commander';
import { verifyIssuerRules } from '../issuer.js';
import type { CliIo } from './io.js';
import {
  addAccountOptions,
  addAudienceOption,
  addOutputOptions,
  addProxyOption,
  issuerOption,
  repeatable,
  type AccountFlags,
  type EgressFlags,
  type OutputFlags,
} from './options.js';

export interface RegisterFlags extends AccountFlags {
  readonly thumbprint: string[];
  readonly tag: string[];
  readonly pruneAudiences?: boolean;
  readonly pruneThumbprints?: boolean;
}

export function addRegisterOptions(command: Command): Command {
  addAudienceOption(command, 'client ID the IAM OIDC provider must accept');
  addAccountOptions(command, 'create and keep the IAM OIDC provider');
  return command
    .addOption(
      repeatable(
        '--thumbprint <sha1>',
        "pin the provider's thumbprint(s) instead of probing the jwks_uri host over TLS (repeatable, 40 hex digits)",
      ),
    )
    .addOption(
      repeatable('--tag <key=value>', 'tag the IAM OIDC provider (repeatable); tags you did not ask for are kept'),
    )
    .addOption(
      new Option(
        '--prune-audiences',
        'remove client IDs the provider lists but --audience does not (default: keep them)',
      ),
    )
    .addOption(
      new Option(
        '--prune-thumbprints',
        "remove thumbprints the provider lists but this run does not want (default: keep them, within IAM's five)",
      ),
    );
}

/** The flags of a register-only run: `irsa-issuer register`, and `sync --no-publish` (whose flags include these). */
export interface RegisterOnlyFlags extends RegisterFlags, OutputFlags, EgressFlags {
  readonly issuer?: string;
  readonly audience: string[];
  readonly region?: string;
  readonly dryRun?: boolean;
  readonly verify?: boolean;
  readonly caFile?: string;
  readonly timeout: string;
}

export function registerCommand(io: CliIo): Command {
  const command = new Command('register')
    .summary('register the IAM OIDC provider for an issuer that already serves its own documents (GKE, AKS)')
    .description(
      'For an issuer whose discovery document and JWKS are already public (GKE, AKS, any platform that serves ' +
        'them): fetches both anonymously over HTTPS as STS does, holds them to the document checks of ' +
        '`irsa-issuer verify` (issuer byte for byte, https jwks_uri, public signing keys STS accepts), computes the ' +
        'TLS thumbprint of the jwks_uri host (and of the discovery host when it differs), then creates or reconciles ' +
        'the IAM OIDC provider. Reads nothing from a cluster and publishes nothing; the same as `sync --no-publish`. ' +
        'A second run with nothing new writes nothing.',
    )
    .addOption(issuerOption(verifyIssuerRules));
  addRegisterOptions(command);
  addProxyOption(command);
  command
    .addOption(
      new Option(
        '--region <region>',
        'an AWS region of the partition the provider lives in (cn-*, us-gov-*; default: the commercial partition)',
      ),
    )
    .addOption(new Option('--dry-run', 'print the plan; change nothing'))
    .addOption(
      new Option(
        '--verify',
        'after registering, run the checks of `irsa-issuer verify` against the provider (exit 4 when one fails)',
      ),
    )
    .addOption(
      new Option(
        '--ca-file <path>',
        'also trust this CA (PEM) for outbound TLS: the fetches, IAM and STS (a corporate or private CA); never ' +
          'used for the thumbprint',
      ),
    )
    .addOption(
      new Option(
        '--timeout <seconds>',
        'give up on any one stage (read, thumbprint, register) after this long',
      ).default('60'),
    );
  addOutputOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  irsa-issuer register --issuer https://container.googleapis.com/v1/projects/P/locations/L/clusters/C',
      '  irsa-issuer register --dry-run --tag cluster=aks-prod \\',
      '      --issuer https://westeurope.oic.prod-aks.azure.com/TENANT/GUID/',
      '',
      'The issuer is taken exactly as tokens carry it in "iss", a trailing slash included (AKS): IAM keeps',
      'it in the provider URL, so trust-policy condition keys read HOST/PATH/:sub. See docs/public-issuers.md.',
      '',
      'Exit codes: 0 done, 1 failed (network, AWS), 2 usage or configuration error,',
      '            3 refused: the JWKS publishes private key material (nothing registered),',
      '            4 the documents cannot be read or fail a check of verify (nothing registered),',
      '              or --verify found a ✗.',
    ].join('\n'),
  );
  command.action(async (flags: RegisterOnlyFlags) => {
    const { runRegisterOnly } = await import('./register-action.js');
    await runRegisterOnly(flags, io);
  });
  return command;
}
