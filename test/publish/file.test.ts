import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoveryPath, jwksPath } from '../../src/issuer.js';
import { ConfigError, KeyReplacementError, PublishConflictError, PublishError } from '../../src/errors.js';
import { contentHash, FileStore } from '../../src/publish/file.js';
import { applyPublish, planPublish, readActual, type DesiredObject } from '../../src/publish/plan.js';
import type { ObjectStore } from '../../src/publish/store.js';
import { parseTarget } from '../../src/publish/target.js';

const run = promisify(execFile);
const bytes = (text: string) => new TextEncoder().encode(text);
const document = (key: string, text: string): DesiredObject => ({
  key,
  body: bytes(text),
  contentType: 'application/json',
  cacheControl: 'max-age=300',
});

const jwks = document(jwksPath, '{"keys":[{"kid":"one"}]}\n');
const discovery = document(
  discoveryPath,
  '{"issuer":"https://issuer.example.com","jwks_uri":"https://issuer.example.com/openid/v1/jwks"}\n',
);

async function publish(store: ObjectStore, desired: readonly DesiredObject[] = [jwks, discovery]) {
  const plan = planPublish(
    desired,
    await readActual(
      store,
      desired.map((object) => object.key),
    ),
  );
  return { plan, applied: await applyPublish(plan, store) };
}

/** Every entry below `directory`, relative, so a test can see that no temporary file is left. */
async function listing(directory: string): Promise<string[]> {
  return (await readdir(directory, { recursive: true })).sort();
}

let scratch: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'irsa-issuer-file-'));
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('publishing to a directory', () => {
  it('writes both documents where a web server serves them, creating .well-known and openid/v1', async () => {
    const root = join(scratch, 'public');
    const { applied } = await publish(new FileStore(root));

    expect(applied.written.map((write) => write.key)).toEqual([jwksPath, discoveryPath]);
    expect(await readFile(join(root, '.well-known', 'openid-configuration'), 'utf8')).toBe(
      new TextDecoder().decode(discovery.body),
    );
    expect(await readFile(join(root, 'openid', 'v1', 'jwks'), 'utf8')).toBe(new TextDecoder().decode(jwks.body));
    // Readable by a web server running as another user, whatever the umask.
    expect((await stat(join(root, 'openid', 'v1', 'jwks'))).mode & 0o777).toBe(0o644);
    expect(await listing(root)).toEqual([
      '.well-known',
      '.well-known/openid-configuration',
      'openid',
      'openid/v1',
      'openid/v1/jwks',
    ]);
  });

  it('a second publish writes nothing: the files keep their modification time', async () => {
    const store = new FileStore(scratch);
    await publish(store);
    const before = await stat(join(scratch, jwksPath));
    await new Promise((resolve) => setTimeout(resolve, 20));

    const { plan, applied } = await publish(store);

    expect(plan.writes).toEqual([]);
    expect(applied.written).toEqual([]);
    const after = await stat(join(scratch, jwksPath));
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
  });

  it('replaces a changed document whole, by rename: a reader sees the old file or the new one', async () => {
    const store = new FileStore(scratch);
    await publish(store);
    const before = await stat(join(scratch, jwksPath));
    const rotated = document(jwksPath, '{"keys":[{"kid":"one"},{"kid":"two"}]}\n');

    const { applied } = await publish(store, [rotated, discovery]);

    expect(applied.written.map((write) => [write.key, write.reason])).toEqual([[jwksPath, 'update-content']]);
    expect(await readFile(join(scratch, jwksPath), 'utf8')).toContain('"two"');
    expect((await stat(join(scratch, jwksPath))).ino).not.toBe(before.ino);
    expect(await listing(scratch)).not.toContainEqual(expect.stringMatching(/\.tmp$/));
  });

  it('reads back what it wrote, with the content hash as version', async () => {
    const store = new FileStore(scratch);
    await publish(store);
    const object = await store.get(jwksPath);
    expect(object).toEqual({ body: jwks.body, etag: contentHash(jwks.body) });
    expect(await store.get('openid/v1/missing')).toBeUndefined();
  });

  it('a file changed by someone else since it was read is re-read and written once more', async () => {
    const store = new FileStore(scratch);
    await publish(store);
    const rotated = document(jwksPath, '{"keys":[{"kid":"two"}]}\n');
    const plan = planPublish([rotated], await readActual(store, [jwksPath]));
    await writeFile(join(scratch, jwksPath), '{"keys":[{"kid":"someone else"}]}\n');

    const applied = await applyPublish(plan, store);

    expect(applied.written).toHaveLength(1);
    expect(applied.written[0]?.condition).toEqual({
      ifMatch: contentHash(bytes('{"keys":[{"kid":"someone else"}]}\n')),
    });
    expect(await readFile(join(scratch, jwksPath), 'utf8')).toBe('{"keys":[{"kid":"two"}]}\n');
  });

  it('lets the caller refuse what the other writer wrote before replacing it', async () => {
    const store = new FileStore(scratch);
    await publish(store);
    const plan = planPublish([document(jwksPath, '{"keys":[{"kid":"two"}]}\n')], await readActual(store, [jwksPath]));
    await writeFile(join(scratch, jwksPath), '{"keys":[{"kid":"another cluster"}]}\n');
    const seen: string[] = [];

    const failure = applyPublish(plan, store, {
      recheck: (key, current) => {
        seen.push(`${key}: ${new TextDecoder().decode(current?.body)}`);
        throw new KeyReplacementError('the published JWKS shares no kid with ours');
      },
    });

    await expect(failure).rejects.toThrow(KeyReplacementError);
    expect(seen).toEqual([`${jwksPath}: {"keys":[{"kid":"another cluster"}]}\n`]);
    expect(await readFile(join(scratch, jwksPath), 'utf8')).toBe('{"keys":[{"kid":"another cluster"}]}\n');
  });

  it('refuses to create a file that appeared after it was read', async () => {
    const store = new FileStore(scratch);
    await mkdir(join(scratch, 'openid', 'v1'), { recursive: true });
    await writeFile(join(scratch, jwksPath), 'theirs');
    expect(await store.put({ ...jwks, condition: { ifNoneMatch: '*' } })).toBe('conflict');
    expect(await readFile(join(scratch, jwksPath), 'utf8')).toBe('theirs');
    expect(await listing(scratch)).toEqual(['openid', 'openid/v1', 'openid/v1/jwks']);
  });

  it('gives up with PublishConflictError when another writer changes the file before every write', async () => {
    const store = new FileStore(scratch);
    await publish(store);
    let rivalWrites = 0;
    // A second publisher on the same directory, writing its own JWKS just before each of ours.
    const contested: ObjectStore = {
      description: store.description,
      get: (key) => store.get(key),
      put: async (write) => {
        rivalWrites++;
        await writeFile(join(scratch, write.key), `{"keys":[{"kid":"rival-${rivalWrites}"}]}\n`);
        return store.put(write);
      },
    };
    const plan = planPublish([document(jwksPath, '{"keys":[{"kid":"ours"}]}\n')], await readActual(store, [jwksPath]));

    const failure = applyPublish(plan, contested);

    await expect(failure).rejects.toThrow(PublishConflictError);
    await expect(failure).rejects.toThrow(/openid\/v1\/jwks.*another writer is publishing to the same target/s);
    expect(rivalWrites).toBe(2);
    expect(await listing(scratch)).not.toContainEqual(expect.stringMatching(/\.tmp$/));
  });

  it('a target path that runs through a regular file fails with PublishError naming that file', async () => {
    // chmod cannot make a directory unwritable for root (the tests run as root), a file in the path can.
    await writeFile(join(scratch, 'site'), 'not a directory');
    const store = new FileStore(join(scratch, 'site', 'public'));

    const failure = publish(store);

    await expect(failure).rejects.toThrow(PublishError);
    await expect(failure).rejects.toThrow(`${join(scratch, 'site')} is a file, not a directory`);
    expect(await listing(scratch)).toEqual(['site']);
  });

  it('a directory where a document belongs fails with PublishError and leaves no temporary file', async () => {
    await mkdir(join(scratch, jwksPath), { recursive: true });
    const store = new FileStore(scratch);

    // put on its own: the failure comes after the temporary file exists, when the condition is checked.
    const failure = store.put({ ...jwks, condition: { ifNoneMatch: '*' } });

    await expect(failure).rejects.toThrow(PublishError);
    await expect(failure).rejects.toThrow(/is a directory.*Remove that directory/);
    expect(await listing(scratch)).toEqual(['openid', 'openid/v1', 'openid/v1/jwks']);
  });

  it.runIf(process.getuid?.() !== 0)(
    'an unwritable directory fails with PublishError and the fix (non-root only)',
    async () => {
      await chmod(scratch, 0o555);
      try {
        await expect(publish(new FileStore(scratch))).rejects.toThrow(/permission denied\. Make .* writable/);
        expect(await listing(scratch)).toEqual([]);
      } finally {
        await chmod(scratch, 0o755);
      }
    },
  );

  describe('on a read-only file system', () => {
    let readOnly: string | undefined;
    beforeEach(async () => {
      const mountPoint = join(scratch, 'ro');
      await mkdir(mountPoint);
      try {
        await run('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'irsa-issuer-test', mountPoint]);
        readOnly = mountPoint;
      } catch {
        readOnly = undefined;
      }
    });
    afterEach(async () => {
      if (readOnly !== undefined) await run('umount', [readOnly]);
    });

    // Kubernetes' readOnlyRootFilesystem is the realistic way to meet EROFS. Mounting needs
    // privileges; where the test process lacks them, the test says so and checks nothing.
    it('fails with PublishError that says to mount a writable volume', async (context) => {
      if (readOnly === undefined) {
        context.skip('mount(8) is not permitted here, so no read-only file system can be made');
        return;
      }
      const failure = publish(new FileStore(readOnly));
      await expect(failure).rejects.toThrow(PublishError);
      await expect(failure).rejects.toThrow(/read-only.*emptyDir or a PersistentVolumeClaim/);
      expect(await listing(readOnly)).toEqual([]);
    });
  });
});

describe('a directory target and what points out of it', () => {
  it('refuses to write through a symbolic link that leads outside the target, and writes nothing there', async () => {
    const base = await mkdtemp(join(tmpdir(), 'irsa-file-escape-'));
    try {
      const root = join(base, 'public');
      const outside = join(base, 'outside');
      await mkdir(root);
      await mkdir(outside);
      await symlink(outside, join(root, 'openid'));
      const store = new FileStore(root);
      const write = {
        key: 'openid/v1/jwks',
        body: new TextEncoder().encode('{}'),
        contentType: 'application/json',
        cacheControl: 'max-age=300',
        condition: { ifNoneMatch: '*' as const },
      };
      await expect(store.put(write)).rejects.toThrow(
        /resolves to .*outside, outside the target .*public: a symbolic link/,
      );
      expect(await readdir(outside)).toEqual([]);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it.each([
    ['file://localhost/srv/www/oidc', '/srv/www/oidc'],
    ['file:///srv/www/oidc', '/srv/www/oidc'],
    ['file:///srv/my%20site', '/srv/my site'],
    ['file://./public', './public'],
  ])('reads %s as the directory %s (RFC 8089)', (raw, directory) => {
    expect(parseTarget(raw)).toEqual({ kind: 'file', directory });
  });

  it.each([['file://~/public'], ['file://~'], ['file:///srv/%E0%A4%A']])('refuses %s with a usage error', (raw) => {
    expect(() => parseTarget(raw)).toThrow(ConfigError);
  });
});
