/**
 * terraform/README.md is where a Registry user reads the module's inputs and outputs: it must name
 * every variable and output the module declares, and nothing it does not.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { moduleSource } from './workspace.js';

async function declared(file: string, kind: 'variable' | 'output'): Promise<string[]> {
  const text = await readFile(join(moduleSource, file), 'utf8');
  return [...text.matchAll(new RegExp(`^${kind} "([^"]+)" \\{`, 'gm'))].map((match) => match[1] ?? '');
}

/** The first-column names of the README table under `## heading`. */
async function documented(heading: string): Promise<string[]> {
  const readme = await readFile(join(moduleSource, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith(`${heading}\n`)) ?? '';
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1] ?? '');
}

describe('terraform/README.md', () => {
  it('lists every input of variables.tf, in order', async () => {
    expect(await documented('Inputs')).toEqual(await declared('variables.tf', 'variable'));
  });

  it('lists every output of outputs.tf, in order', async () => {
    expect(await documented('Outputs')).toEqual(await declared('outputs.tf', 'output'));
  });
});
