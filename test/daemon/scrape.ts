/**
 * `/metrics` read the way Prometheus reads it: parsed as exposition text by a real parser, then
 * looked up by family name and labels.
 */
import parsePrometheusTextFormat, { type MetricFamily, type Sample } from 'parse-prometheus-text-format';
import type { DaemonProcess } from './daemon-process.js';

export interface Scrape {
  readonly families: readonly MetricFamily[];
  family(name: string): MetricFamily;
  /** The sample of `name` whose labels include `labels`, as a number. */
  value(name: string, labels?: Readonly<Record<string, string>>): number;
  sample(name: string, labels?: Readonly<Record<string, string>>): Sample;
}

export function parseScrape(text: string): Scrape {
  const families = parsePrometheusTextFormat(text);
  const family = (name: string): MetricFamily => {
    const found = families.find((candidate) => candidate.name === name);
    if (found === undefined) throw new Error(`/metrics has no ${name}`);
    return found;
  };
  const sample = (name: string, labels: Readonly<Record<string, string>> = {}): Sample => {
    const found = family(name).metrics.find((candidate) =>
      Object.entries(labels).every(([key, value]) => candidate.labels?.[key] === value),
    );
    if (found === undefined) throw new Error(`/metrics has no ${name} sample with ${JSON.stringify(labels)}`);
    return found;
  };
  return {
    families,
    family,
    sample,
    value: (name, labels) => Number(sample(name, labels).value),
  };
}

export async function scrape(daemon: DaemonProcess): Promise<Scrape> {
  const answer = await daemon.get('/metrics');
  if (answer.status !== 200) throw new Error(`/metrics answered ${String(answer.status)}: ${answer.body}`);
  if (!(answer.headers.get('content-type') ?? '').startsWith('text/plain; version=0.0.4')) {
    throw new Error(`/metrics is not Prometheus text: ${answer.headers.get('content-type') ?? 'no content type'}`);
  }
  return parseScrape(answer.body);
}
