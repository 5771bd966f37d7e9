import { Command, Option } from 'commander';
import type { CliIo } from './io.js';
import { addOutputOptions, addProxyOption, s3EndpointOption, type EgressFlags, type OutputFlags } from './options.js';

export interface TeardownFlags extends OutputFlags, EgressFlags {
  readonly caFile?: string;
  readonly bucket?: string;
  readonly region?: string;
  readonly prefix: string;
  readonly clusterName?: string;
  readonly roleName?: string;
  readonly yes?: boolean;
  readonly force?: boolean;
  readonly deleteBucket?: boolean;
  readonly s3Endpoint?: string;
}

export function teardownCommand(io: CliIo): Command {
  const command = new Command('teardown')
    .summary('remove what bootstrap created for one issuer, and nothing else (prints the plan without --yes)')
    .description(
      'Removes, for the issuer https://BUCKET.s3.REGION.amazonaws.com[/PREFIX]: every version and delete marker of ' +
        'the objects sync and bootstrap write under the prefix (the two documents and openid/v1/exposed-kids), the ' +
        "bucket-policy statement bootstrap added (other statements stay), the IAM OIDC provider and the publisher's " +
        'role, each only when it carries the tags bootstrap put on it. Without --yes it prints the plan and changes ' +
        'nothing. Everything is checked before the first delete: a refusal deletes nothing. A second teardown finds ' +
        'nothing to do. Stop the in-cluster job first (helm uninstall), or it publishes again until its role is gone.',
    )
    .addOption(new Option('--bucket <name>', 'the bucket bootstrap published to'))
    .addOption(new Option('--region <region>', "the bucket's region; it names the issuer's host and the partition"))
    .addOption(new Option('--prefix <path>', 'the prefix under the bucket bootstrap used').default(''))
    .addOption(
      new Option('--cluster-name <name>', 'as given to bootstrap (default: the last prefix segment, else the bucket)'),
    )
    .addOption(
      new Option(
        '--role-name <name>',
        "the publisher's role, if bootstrap was given one (default: irsa-issuer-<cluster-name>)",
      ),
    )
    .addOption(new Option('--yes', 'delete; without it, only print the plan'))
    .addOption(new Option('--force', 'delete the provider even though other roles trust it (they are named)'))
    .addOption(
      new Option(
        '--delete-bucket',
        'also delete the bucket, only if bootstrap created it (tagged), nothing else is in it (no version or delete ' +
          'marker) and no provider for the issuer remains',
      ),
    )
    .addOption(s3EndpointOption());
  command.addOption(
    new Option('--ca-file <path>', 'also trust this CA (PEM) for outbound TLS to S3 and IAM (a corporate CA)'),
  );
  addProxyOption(command);
  addOutputOptions(command);
  command.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  irsa-issuer teardown --bucket my-bucket --region eu-west-1 --prefix clusters/prod',
      '  irsa-issuer teardown --bucket my-bucket --region eu-west-1 --prefix clusters/prod --yes',
      '  irsa-issuer teardown --bucket my-bucket --region eu-west-1 --yes --delete-bucket --output json',
      '',
      'Exit codes: 0 done (or the plan printed), 1 failed (AWS; what was deleted is reported), 2 usage error,',
      '            3 refused (something with our names is not ours, or other roles trust the provider): nothing deleted.',
    ].join('\n'),
  );
  command.action(async (flags: TeardownFlags) => {
    const { runTeardown } = await import('./teardown-action.js');
    await runTeardown(flags, io);
  });
  return command;
}
