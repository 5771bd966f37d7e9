import { IamError, InternalError } from '../errors.js';
import type { Logger } from '../log.js';
import { iamError, type IamAction } from './failure.js';
import type { ProviderChange, ProviderPlan } from './plan.js';
import type { ProviderApi } from './provider.js';

export interface ApplyOptions {
  readonly log?: Logger;
}

const actionOf: Record<ProviderChange['kind'], IamAction> = {
  create: 'CreateOpenIDConnectProvider',
  'update-thumbprints': 'UpdateOpenIDConnectProviderThumbprint',
  'add-client-id': 'AddClientIDToOpenIDConnectProvider',
  'remove-client-id': 'RemoveClientIDFromOpenIDConnectProvider',
  tag: 'TagOpenIDConnectProvider',
};

function tagList(tags: Readonly<Record<string, string>>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** Sends one change; returns the provider's ARN when IAM hands out a new one. */
async function send(change: ProviderChange, arn: string, api: ProviderApi): Promise<string | undefined> {
  // Loaded here, not at the top: sdk.ts says why.
  const {
    AddClientIDToOpenIDConnectProviderCommand,
    CreateOpenIDConnectProviderCommand,
    RemoveClientIDFromOpenIDConnectProviderCommand,
    TagOpenIDConnectProviderCommand,
    UpdateOpenIDConnectProviderThumbprintCommand,
  } = await import('./sdk.js');
  switch (change.kind) {
    case 'create': {
      const tags = tagList(change.tags);
      const created = await api.send(
        new CreateOpenIDConnectProviderCommand({
          Url: change.url,
          ClientIDList: [...change.clientIds],
          ThumbprintList: [...change.thumbprints],
          ...(tags.length > 0 ? { Tags: tags } : {}),
        }),
      );
      return created.OpenIDConnectProviderArn;
    }
    case 'update-thumbprints':
      await api.send(
        new UpdateOpenIDConnectProviderThumbprintCommand({
          OpenIDConnectProviderArn: arn,
          ThumbprintList: [...change.to],
        }),
      );
      return undefined;
    case 'add-client-id':
      await api.send(
        new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: change.clientId }),
      );
      return undefined;
    case 'remove-client-id':
      await api.send(
        new RemoveClientIDFromOpenIDConnectProviderCommand({
          OpenIDConnectProviderArn: arn,
          ClientID: change.clientId,
        }),
      );
      return undefined;
    case 'tag':
      await api.send(
        new TagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, Tags: tagList(change.tags) }),
      );
      return undefined;
  }
}

/**
 * Applies the plan's changes in order and returns the provider's ARN. An empty plan sends nothing.
 * A failure is wrapped once as IamError naming the action, the ARN (or issuer) and how far it got;
 * the SDK error is its `cause`.
 */
export async function applyProviderPlan(
  plan: ProviderPlan,
  api: ProviderApi,
  options: ApplyOptions = {},
): Promise<string> {
  const log = options.log?.child({ stage: 'iam' });
  let arn = plan.arn;
  for (const [index, change] of plan.changes.entries()) {
    const subject = arn ?? `the OIDC provider for ${plan.issuerUrl}`;
    if (arn === undefined && change.kind !== 'create') {
      throw new InternalError(`Cannot ${change.description} on ${subject}: the plan names no provider ARN.`);
    }
    try {
      const created = await send(change, arn ?? '', api);
      if (created !== undefined) arn = created;
    } catch (error) {
      const context = [
        index > 0 ? `${index} of ${plan.changes.length} planned changes were applied before this one.` : '',
        // OIDC allows a port in the issuer; IAM refuses it in a provider URL.
        change.kind === 'create' && new URL(change.url).port !== ''
          ? 'IAM refuses provider URLs with a port: serve the issuer on 443 and drop the port.'
          : '',
      ]
        .filter(Boolean)
        .join(' ');
      throw iamError(error, actionOf[change.kind], subject, context);
    }
    log?.info({ arn, change: change.description }, 'provider changed');
  }
  if (arn === undefined) {
    throw new IamError(
      `IAM created the OIDC provider for ${plan.issuerUrl} but returned no ARN. Run again: the next run finds it.`,
    );
  }
  return arn;
}
