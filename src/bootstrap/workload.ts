/**
 * What a workload off EKS needs to assume a role with its token, in the shape the chart wires its
 * own (templates/_helpers.tpl): a projected token for the audience, rotated by the kubelet, and the
 * variables the AWS SDKs read. No webhook injects these outside EKS.
 */
import { minimumTokenSeconds } from '../cluster/index.js';

/** The EKS webhook's layout, with STS's audience; the chart mounts its own token here too. */
export const tokenDirectory = '/var/run/secrets/sts.amazonaws.com/serviceaccount';
export const tokenVolume = 'aws-web-identity-token';
export const defaultTokenSeconds = 3600;

/** The annotation EKS's webhook reads; off EKS it documents which role the ServiceAccount is for. */
export const roleAnnotation = 'eks.amazonaws.com/role-arn';

export interface WorkloadRequest {
  readonly serviceAccount: string;
  readonly roleArn: string;
  readonly audience: string;
  readonly region: string;
  readonly expirationSeconds?: number;
}

export function podSpecFragment(request: WorkloadRequest) {
  return {
    spec: {
      serviceAccountName: request.serviceAccount,
      containers: [
        {
          name: 'app',
          env: [
            { name: 'AWS_ROLE_ARN', value: request.roleArn },
            { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: `${tokenDirectory}/token` },
            { name: 'AWS_REGION', value: request.region },
            { name: 'AWS_STS_REGIONAL_ENDPOINTS', value: 'regional' },
          ],
          volumeMounts: [{ name: tokenVolume, mountPath: tokenDirectory, readOnly: true }],
        },
      ],
      volumes: [
        {
          name: tokenVolume,
          projected: {
            sources: [
              {
                serviceAccountToken: {
                  audience: request.audience,
                  expirationSeconds: Math.max(request.expirationSeconds ?? defaultTokenSeconds, minimumTokenSeconds),
                  path: 'token',
                },
              },
            ],
          },
        },
      ],
    },
  };
}
