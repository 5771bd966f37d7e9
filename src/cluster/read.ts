import type { ClusterIssuerMetadata } from '../documents/index.js';
import type { Logger } from '../log.js';
import type { StageOutcome } from '../report.js';
import type { ClusterReader } from './reader.js';

/** The read stage of a run: the issuer metadata as the cluster (or PEM files) gives it. */
export async function readStage(reader: ClusterReader, log: Logger): Promise<StageOutcome<ClusterIssuerMetadata>> {
  const metadata = await reader.read();
  log.debug({ source: metadata.source, keys: metadata.keys.length }, 'read issuer metadata');
  return { value: metadata, status: 'unchanged', summary: `${metadata.keys.length} key(s) from ${metadata.source}` };
}
