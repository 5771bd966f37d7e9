/** What `irsa-issuer render` does, loaded only when it runs (render.ts declares the command). */
import { buildDocuments } from '../documents/index.js';
import { defaultCacheControl, discoveryPath, jwksPath } from '../issuer.js';
import { FileStore, publishDocuments } from '../publish/index.js';
import { clusterReaderFrom, egressFromFlags, issuerFrom, loggerFrom, trustedKidsFrom } from './flags.js';
import type { CliIo } from './io.js';
import type { RenderFlags } from './render.js';

/** Runs `irsa-issuer render`: prints the documents, or writes them under --out. */
export async function runRender(flags: RenderFlags, io: CliIo): Promise<void> {
  const issuer = issuerFrom(flags);
  const logger = loggerFrom(flags, io);
  const cluster = await clusterReaderFrom(flags, { egress: egressFromFlags(flags, io.env) });
  const metadata = await cluster.read();
  const documents = await buildDocuments(issuer, metadata, {
    allowIssuerMismatch: flags.allowIssuerMismatch === true,
  });
  for (const warning of [...issuer.warnings, ...documents.warnings]) logger.warn(warning);
  if (flags.out === undefined) {
    io.stdout.write(`${JSON.stringify({ discovery: documents.discovery, jwks: documents.jwks }, null, 2)}\n`);
    return;
  }
  const { out } = flags;
  const published = await publishDocuments(
    {
      issuer,
      documents,
      cacheControl: defaultCacheControl,
      allowKeyReplacement: flags.allowKeyReplacement === true,
      trustExposedKeys: trustedKidsFrom(flags.trustExposedKey),
      dryRun: false,
    },
    new FileStore(out),
    logger.child({ stage: 'publish' }),
  );
  for (const warning of published.warnings ?? []) logger.warn(warning);
  const outcome = published.value.written.length === 0 ? 'unchanged' : 'wrote';
  io.stdout.write(`${outcome}: ${[jwksPath, discoveryPath].map((path) => `${out}/${path}`).join(', ')}\n`);
}
