// Types only: the SDK itself is loaded where a command is sent (sdk.ts says why).
import type { IAMClient } from '@aws-sdk/client-iam';
import type { Issuer } from '../issuer.js';
import { awsErrorName } from '../errors.js';
import { iamError } from './failure.js';

/**
 * What the stage needs from IAM: an `IAMClient`, or anything that sends its commands the same way
 * (aws-sdk-client-mock, a client with counting middleware). Built by the CLI, never here.
 */
export type ProviderApi = Pick<IAMClient, 'send'>;

/** The IAM OIDC provider this issuer should have. */
export interface DesiredProvider {
  readonly issuer: Issuer;
  /** Audiences STS accepts; the caller decides the default (`sts.amazonaws.com`). */
  readonly clientIds: readonly string[];
  /** SHA-1 of the certificate, 40 lower-case hex each; IAM holds 1 to 5. */
  readonly thumbprints: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

/** The provider as IAM holds it now. */
export interface ActualProvider {
  readonly arn: string;
  /** As IAM reports it: `HOST/PATH`, without the scheme. */
  readonly url: string;
  readonly clientIds: readonly string[];
  readonly thumbprints: readonly string[];
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The provider's ARN is `arn:PARTITION:iam::ACCOUNT:oidc-provider/HOST/PATH`. Compare the whole
 * suffix after the resource type, not a prefix: `host/a` must not find `host/ab`.
 */
function isProviderFor(arn: string, issuer: Issuer): boolean {
  const marker = ':oidc-provider/';
  const at = arn.indexOf(marker);
  return at !== -1 && arn.slice(at + marker.length) === issuer.providerName;
}

export interface ReadProviderOptions {
  /**
   * Read the provider's tags too (ListOpenIDConnectProviderTags, paged). Only a run that asks for
   * tags needs them; without, `tags` is empty and one IAM call is saved. Default: true.
   */
  readonly tags?: boolean;
}

/** Reads the issuer's provider, or undefined when the account has none for it. */
export async function readProvider(
  issuer: Issuer,
  api: ProviderApi,
  options: ReadProviderOptions = {},
): Promise<ActualProvider | undefined> {
  const subject = `the OIDC provider for ${issuer.url}`;
  let arns: string[];
  try {
    const { ListOpenIDConnectProvidersCommand } = await import('./sdk.js');
    // IAM does not paginate this call: the whole list (at most the account's quota) comes at once.
    const listed = await api.send(new ListOpenIDConnectProvidersCommand({}));
    arns = (listed.OpenIDConnectProviderList ?? []).flatMap((entry) => (entry.Arn ? [entry.Arn] : []));
  } catch (error) {
    throw iamError(error, 'ListOpenIDConnectProviders', subject);
  }
  const arn = arns.find((candidate) => isProviderFor(candidate, issuer));
  if (arn === undefined) return undefined;

  // The provider and its tags need only the ARN: both reads at once. When both fail, the provider's
  // error is the one reported, so the same failure always gives the same message.
  const [details, tagged] = await Promise.allSettled([
    readDetails(api, arn),
    options.tags === false ? Promise.resolve({}) : readTags(api, arn),
  ]);
  if (details.status === 'rejected') throw details.reason;
  if (tagged.status === 'rejected') throw tagged.reason;
  const [provider, tags] = [details.value, tagged.value];
  // Deleted between the list and the get: as good as missing.
  if (provider === undefined || tags === undefined) return undefined;
  return {
    arn,
    url: provider.Url ?? issuer.providerName,
    clientIds: provider.ClientIDList ?? [],
    thumbprints: provider.ThumbprintList ?? [],
    tags,
  };
}

async function readDetails(api: ProviderApi, arn: string) {
  try {
    const { GetOpenIDConnectProviderCommand } = await import('./sdk.js');
    return await api.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchEntity') return undefined;
    throw iamError(error, 'GetOpenIDConnectProvider', arn);
  }
}

async function readTags(api: ProviderApi, arn: string): Promise<Record<string, string> | undefined> {
  const tags: Record<string, string> = {};
  let marker: string | undefined;
  try {
    const { ListOpenIDConnectProviderTagsCommand } = await import('./sdk.js');
    do {
      const page = await api.send(
        new ListOpenIDConnectProviderTagsCommand({
          OpenIDConnectProviderArn: arn,
          ...(marker ? { Marker: marker } : {}),
        }),
      );
      for (const tag of page.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
  } catch (error) {
    if (awsErrorName(error) === 'NoSuchEntity') return undefined;
    throw iamError(error, 'ListOpenIDConnectProviderTags', arn);
  }
  return tags;
}
