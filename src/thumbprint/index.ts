export { normaliseThumbprint, normaliseThumbprints } from './pinned.js';
export type { PresentedCertificate } from './presented-chain.js';
export {
  probeThumbprint,
  targetFromUrl,
  thumbprintFromUrl,
  type ProbeOptions,
  type ProbeTarget,
  type ThumbprintProbe,
} from './probe.js';
export { thumbprintStage, type JwksHostProbe, type ThumbprintResult } from './stage.js';
export { parseTerraformQuery, renderTerraformResult } from './terraform.js';
