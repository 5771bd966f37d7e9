import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { describeCause, PublishError } from '../errors.js';
import type { ObjectStore, ObjectWrite, StoredObject, WriteOutcome } from './store.js';
import { describeTarget } from './target.js';

/**
 * The public documents as files under a directory that a static web host serves (nginx, GitHub
 * Pages, a CDN origin). A directory keeps no Content-Type or Cache-Control: the web server sets
 * them, so objects read back without them and the plan compares bytes only.
 */
export class FileStore implements ObjectStore {
  readonly description: string;
  readonly #root: string;

  constructor(directory: string) {
    this.#root = resolve(directory);
    this.description = describeTarget({ kind: 'file', directory: this.#root });
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const path = this.#path(key);
    await this.#staysInside(path);
    const body = await readCurrent(path);
    return body === undefined ? undefined : { body, etag: contentHash(body) };
  }

  /**
   * Writes a temporary file next to the target, then checks the condition against what is there
   * now, then renames over it: readers see the old file or the new one, never half of one. A
   * directory offers no compare-and-swap, so the check narrows the race to the check-to-rename gap.
   */
  async put(write: ObjectWrite): Promise<WriteOutcome> {
    const path = this.#path(write.key);
    const directory = dirname(path);
    await this.#staysInside(path);
    try {
      await makeDirectory(directory);
    } catch (error) {
      throw await fileError(error, path, 'write');
    }
    const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const handle = await open(temporary, 'wx', 0o644);
      try {
        await handle.writeFile(write.body);
        // Not left to the umask: a web server running as another user must be able to read it.
        await handle.chmod(0o644);
        await handle.sync();
      } finally {
        await handle.close();
      }
      const current = await readCurrent(path);
      const holds =
        'ifMatch' in write.condition
          ? current !== undefined && contentHash(current) === write.condition.ifMatch
          : current === undefined;
      if (!holds) {
        await removeQuietly(temporary);
        return 'conflict';
      }
      await rename(temporary, path);
    } catch (error) {
      await removeQuietly(temporary);
      throw error instanceof PublishError ? error : await fileError(error, path, 'write');
    }
    await syncDirectory(directory);
    return 'written';
  }

  /**
   * A symbolic link inside the target (openid -> /etc) would send a write outside it while the
   * report names the inside path: the real directory must be inside the real root.
   */
  async #staysInside(path: string): Promise<void> {
    const [root, directory] = await Promise.all([existingRealPath(this.#root), existingRealPath(dirname(path))]);
    if (root === undefined || directory === undefined) return;
    const inside = relative(root, directory);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      throw new PublishError(
        `${dirname(path)} resolves to ${directory}, outside the target ${root}: a symbolic link inside the target ` +
          'leads out of it. Nothing was written there; remove the link, or point file:// at the real directory.',
      );
    }
  }

  #path(key: string): string {
    const path = resolve(this.#root, ...key.split('/'));
    const inside = relative(this.#root, path);
    if (inside === '' || inside.startsWith('..') || inside.startsWith(sep)) {
      throw new PublishError(
        `The key ${JSON.stringify(key)} points outside ${this.#root}; keys must be relative paths below the ` +
          `target directory.`,
      );
    }
    return path;
  }
}

/**
 * The real path of `path`, or of its deepest ancestor that exists (what a mkdir -p there would go
 * through), with every symbolic link resolved; undefined when not even the root exists.
 */
async function existingRealPath(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw await fileError(error, path, 'read');
    return dirname(path) === path ? undefined : existingRealPath(dirname(path));
  }
}

/** The content hash that stands in for an ETag: SHA-256, hex. */
export function contentHash(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

async function readCurrent(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw await fileError(error, path, 'read');
  }
}

async function fileError(error: unknown, path: string, operation: 'read' | 'write'): Promise<PublishError> {
  const doing = `${operation === 'read' ? 'Reading' : 'Writing'} ${path} failed`;
  const directory = dirname(path);
  const options = { cause: error };
  switch (errorCode(error)) {
    case 'EACCES':
    case 'EPERM':
      return new PublishError(
        `${doing}: permission denied. Make ${directory} ${operation === 'read' ? 'readable' : 'writable'} for the ` +
          `user irsa-issuer runs as` +
          `${typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : ''}, or choose another ` +
          `file:// directory.`,
        options,
      );
    case 'EROFS':
      return new PublishError(
        `${doing}: the file system is read-only. Point file:// at a writable directory (in Kubernetes, mount an ` +
          `emptyDir or a PersistentVolumeClaim there; readOnlyRootFilesystem makes the image itself read-only).`,
        options,
      );
    case 'ENOTDIR': {
      const blocker = await firstNonDirectory(directory);
      return new PublishError(
        `${doing}: ${blocker ?? 'a component of the path'} is a file, not a directory, so ${directory} cannot exist. ` +
          `Remove or rename it, or choose another file:// directory.`,
        options,
      );
    }
    case 'EISDIR':
      return new PublishError(
        `${doing}: ${path} is a directory, where irsa-issuer keeps a document. Remove that directory.`,
        options,
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return new PublishError(
        `${doing}: no space left (or quota exceeded) on the file system holding ${directory}. Free some space.`,
        options,
      );
    default:
      return new PublishError(`${doing}: ${describeCause(error)}`, options);
  }
}

/**
 * `mkdir -p` that reports what really failed: Node's recursive mkdir turns EROFS (and others) on
 * a missing level into ENOENT, which would send the user looking for the wrong problem.
 */
async function makeDirectory(directory: string): Promise<void> {
  try {
    await mkdir(directory, { mode: 0o755 });
    return;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || dirname(directory) === directory) throw error;
  }
  await makeDirectory(dirname(directory));
  try {
    await mkdir(directory, { mode: 0o755 });
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
  }
}

/** The first ancestor of `directory`, from the top, that exists but is not a directory. */
async function firstNonDirectory(directory: string): Promise<string | undefined> {
  const ancestors: string[] = [];
  for (let current = directory; ; current = dirname(current)) {
    ancestors.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const ancestor of ancestors) {
    try {
      if (!(await stat(ancestor)).isDirectory()) return ancestor;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** After a rename, the directory entry itself must reach the disk for the write to survive a crash. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems (and platforms) cannot fsync a directory; the rename itself has happened.
  }
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch {
    // Never created, or already gone: nothing left behind either way.
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
