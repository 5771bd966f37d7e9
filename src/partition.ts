/**
 * AWS partitions: every ARN and policy is written in the partition of its region (`arn:aws-cn:` in
 * China, `arn:aws-us-gov:` in GovCloud), and IAM, a global service, is signed in its partition's region.
 */
export type Partition = 'aws' | 'aws-cn' | 'aws-us-gov';

export function partitionOf(region: string): Partition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

const iamRegions: Readonly<Record<Partition, string>> = {
  aws: 'us-east-1',
  'aws-cn': 'cn-north-1',
  'aws-us-gov': 'us-gov-west-1',
};

/** The region to sign IAM calls in; a bucket's region (or none: the commercial partition) names the partition. */
export function iamRegionFor(region: string | undefined): string {
  return iamRegions[partitionOf(region ?? '')];
}
