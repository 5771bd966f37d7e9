import { Option, type Command } from 'commander';
import type { Egress } from '../egress/index.js';
import type { Logger } from '../log.js';
import { createS3Client, FileStore, S3Store, type ObjectStore, type Target } from '../publish/index.js';

export interface StoreFlags {
  readonly s3Endpoint?: string;
  readonly region?: string;
}

/** `--s3-endpoint`, also for commands that take the bucket's region as a flag of their own (teardown). */
export function s3EndpointOption(): Option {
  return new Option(
    '--s3-endpoint <url>',
    'S3-compatible endpoint (MinIO, Ceph, ...); path-style addressing is used with it',
  );
}

export function addStoreOptions(command: Command): Command {
  return command
    .addOption(s3EndpointOption())
    .addOption(
      new Option(
        '--region <region>',
        'AWS region of the bucket (default: implied by the issuer, else the AWS SDK chain: AWS_REGION, profile)',
      ),
    );
}

export function storeFor(target: Target, flags: StoreFlags, logger: Logger, egress?: Egress): ObjectStore {
  if (target.kind === 'file') return new FileStore(target.directory);
  const region = flags.region ?? target.region;
  const client = createS3Client({
    logger,
    ...(egress === undefined ? {} : { egress }),
    ...(region === undefined ? {} : { region }),
    ...(flags.s3Endpoint === undefined ? {} : { endpoint: flags.s3Endpoint }),
  });
  return new S3Store(client, target.bucket, target.prefix);
}
