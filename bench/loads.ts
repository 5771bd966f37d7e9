/**
 * How much of the bundle each command line loads (and so parses and runs): the files a run loads,
 * recorded by a module hook (test/stand/loaded-files.ts), and their sizes.
 */
import { stat } from 'node:fs/promises';
import { loadedFiles } from '../test/stand/loaded-files.js';

export interface CommandLoad {
  readonly name: string;
  readonly files: number;
  readonly kib: number;
}

export async function commandLoads(
  commands: readonly (readonly [string, readonly string[]])[],
  env: NodeJS.ProcessEnv,
): Promise<CommandLoad[]> {
  const loads: CommandLoad[] = [];
  for (const [name, args] of commands) {
    const { files } = await loadedFiles(args, env);
    const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
    loads.push({ name, files: files.length, kib: sizes.reduce((sum, size) => sum + size, 0) / 1024 });
  }
  return loads;
}
