// Stands in for `undici` in the bundle. @kubernetes/client-node imports undici for its fetch-based
// API clients (KubeConfig.applyToFetchOptions, makeApiClient, watch, log, metrics); irsa-issuer makes
// its API-server requests with Node's own https and KubeConfig.applyToHTTPSOptions (src/cluster/
// api-call.ts), so none of that code ever runs. Leaving undici out sheds 0.75 MB of the bundle and
// ~10 MiB of RSS from every command (bench/README.md). If a future change calls one of those APIs,
// it fails here, loudly, on the first call: never a silent difference.
const absent = (what) => {
  throw new Error(
    `irsa-issuer bug: ${what} from undici was called, but undici is left out of the bundle (scripts/undici-absent.mjs).`,
  );
};

// Functions, not classes: `new Agent(...)` calls them just the same, and they throw.
export function Agent() {
  absent('Agent');
}

export function ProxyAgent() {
  absent('ProxyAgent');
}

export function fetch() {
  return absent('fetch');
}
