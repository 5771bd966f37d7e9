import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { generatedReadme, valuesRows } from '../../scripts/chart-readme.js';
import { chartPath, container, notes, render } from './helm.js';

const packageJson = join(import.meta.dirname, '..', '..', 'package.json');
const base = {
  issuer: 'https://my-bucket.s3.eu-west-1.amazonaws.com/clusters/prod',
  image: { repository: 'registry.example.com/irsa-issuer' },
};

describe('the chart runs the release it ships with', () => {
  it("has package.json's version as appVersion, and that as the default image tag", async () => {
    const { version } = JSON.parse(await readFile(packageJson, 'utf8')) as { version: string };
    const chart = load(await readFile(join(chartPath, 'Chart.yaml'), 'utf8')) as {
      apiVersion: string;
      appVersion: string;
    };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.appVersion).toBe(version);
    expect(container(await render(base)).image).toBe(`registry.example.com/irsa-issuer:${version}`);
  });

  it('pulls by digest when one is given, and names the missing repository otherwise', async () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    expect(container(await render({ ...base, image: { ...base.image, digest } })).image).toBe(
      `registry.example.com/irsa-issuer@${digest}`,
    );
    await expect(render({ ...base, image: {} })).rejects.toThrow(/image\.repository is empty/);
  });
});

describe('the chart README', () => {
  it('is what scripts/chart-readme.ts generates from values.yaml (run it after changing a value)', async () => {
    const { current, generated } = await generatedReadme();
    expect(current).toBe(generated);
  });

  it('documents every value: the generator refuses a value without a "# --" comment', () => {
    const schema = { type: 'object', properties: { documented: { type: 'string' }, forgotten: { type: 'integer' } } };
    expect(() => valuesRows('# -- said\ndocumented: x\nforgotten: 1\n', schema)).toThrow(
      /forgotten has no "# --" comment/,
    );
    expect(valuesRows('# -- said\ndocumented: x\n', schema)).toEqual([
      { key: 'documented', type: 'string', defaultValue: '"x"', description: 'said' },
    ]);
  });

  it('warns about the namespace and documents the lock-out and the move from access keys to IRSA', async () => {
    const readme = await readFile(join(chartPath, 'README.md'), 'utf8');
    expect(readme).toMatch(/Lock the release's namespace down/);
    expect(readme).toMatch(/self-federation lock-out/);
    expect(readme).toMatch(/npx irsa-issuer sync --issuer ISSUER/);
    expect(readme).toMatch(/### From access keys to IRSA/);
  });
});

describe('the notes helm prints after install', () => {
  it('say how to run and read the first run, and how to check it as STS would, in either mode', async () => {
    const cronjob = await notes({ ...base, aws: { roleArn: 'arn:aws:iam::111122223333:role/irsa-issuer' } });
    expect(cronjob).toContain('kubectl -n irsa-issuer create job --from=cronjob/irsa-issuer irsa-issuer-first-run');
    expect(cronjob).toContain('kubectl -n irsa-issuer logs job/irsa-issuer-first-run');
    expect(cronjob).toContain(
      `npx irsa-issuer verify --issuer ${base.issuer} --service-account irsa-issuer/irsa-issuer --role-arn arn:aws:iam::111122223333:role/irsa-issuer`,
    );
    expect(cronjob).toMatch(/Lock the namespace irsa-issuer down/);
    const daemon = await notes({ ...base, mode: 'daemon' });
    expect(daemon).toContain('kubectl -n irsa-issuer logs deploy/irsa-issuer');
    expect(daemon).toContain('npx irsa-issuer verify');
  });

  it('with access keys, say how to move to IRSA once the provider exists', async () => {
    const printed = await notes({ ...base, aws: { existingSecret: 'bootstrap-keys' } });
    expect(printed).toContain('--set aws.existingSecret= --set aws.roleArn=');
  });
});
