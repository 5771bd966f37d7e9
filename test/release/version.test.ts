/**
 * One version: package.json's. The bundle embeds it at build time (scripts/build.mjs), the image
 * labels it (the Dockerfile's VERSION default), the chart runs it (appVersion, whose default image tag
 * test/chart/metadata.test.ts checks), and README's Install section tells users to install it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string): Promise<string> => readFile(join(root, path), 'utf8');

async function packageVersion(): Promise<string> {
  const { version } = JSON.parse(await read('package.json')) as { version: string };
  return version;
}

describe('the version', () => {
  it("is package.json's in the bundle's --version (the bundle the global setup built)", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(root, 'dist', 'irsa-issuer.mjs'),
      '--version',
    ]);
    expect(stdout.trim()).toBe(await packageVersion());
  });

  it("is the chart's appVersion and the Dockerfile's VERSION default, which labels the image", async () => {
    const version = await packageVersion();
    const chart = load(await read('charts/irsa-issuer/Chart.yaml')) as { appVersion: string };
    expect(chart.appVersion).toBe(version);
    const dockerfile = await read('Dockerfile');
    const defaults = [...dockerfile.matchAll(/^ARG VERSION(?:=(\S*))?$/gm)].map((match) => match[1]);
    expect(defaults).toEqual([version]);
    expect(dockerfile).toMatch(/^\s*org\.opencontainers\.image\.version="\$\{VERSION\}"/m);
  });

  it("is the one README's Install section names for npx, npm i -g, the image and the chart", async () => {
    const version = await packageVersion();
    const install = /^## Install\n([\s\S]*?)^## /m.exec(await read('README.md'))?.[1] ?? '';
    expect(install).toContain(`npx irsa-issuer@${version} `);
    expect(install).toContain(`npm i -g irsa-issuer@${version}`);
    expect(install).toMatch(/^docker build .*--build-arg VERSION=/m);
    expect(install).toMatch(/^helm install /m);
    const named = [...install.matchAll(/\b\d+\.\d+\.\d+\S*/g)].map((match) => match[0]);
    expect(named.length).toBeGreaterThanOrEqual(5);
    expect(new Set(named)).toEqual(new Set([version]));
  });
});
