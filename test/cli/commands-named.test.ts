/**
 * A message that advises `irsa-issuer bootstrap` before bootstrap exists sends the user to
 * "unknown command". Every `irsa-issuer WORD` in the code and the user's manual must be a command
 * the program has, or one of the few words prose puts after the name.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './cli.js';

/** "irsa-issuer never deletes…": the name as a subject in prose, not a command line. */
const prose = new Set(['did', 'keeps', 'needs', 'never', 'reports', 'runs', 'uses', 'is', 'does', 'can', 'will']);

async function filesUnder(directory: string, suffix: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => join(entry.parentPath, entry.name));
}

async function commandsOfProgram(): Promise<Set<string>> {
  const help = await cli(['--help']);
  const section = help.stdout.split(/^Commands:$/m)[1] ?? '';
  return new Set([...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((match) => match[1] ?? ''));
}

describe('commands named in messages and docs', () => {
  it('every `irsa-issuer COMMAND` in src/, README.md and docs/ exists', async () => {
    const commands = await commandsOfProgram();
    expect(commands).toContain('sync');
    const files = [...(await filesUnder('src', '.ts')), 'README.md', ...(await filesUnder('docs', '.md'))];
    const missing: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      // `helm install irsa-issuer charts/…` names a Helm release, not a command.
      for (const match of text.matchAll(/(?<!(?:install|upgrade|uninstall|template) )irsa-issuer ([a-z][a-z-]*)/g)) {
        const word = match[1] ?? '';
        if (!commands.has(word) && !prose.has(word) && word !== 'help') missing.push(`${file}: irsa-issuer ${word}`);
      }
    }
    expect(missing, 'these name a command the program does not have').toEqual([]);
  });
});
