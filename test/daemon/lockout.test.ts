/**
 * Self-federation lock-out: in the cluster the daemon reaches AWS with its own projected token
 * (AWS_WEB_IDENTITY_TOKEN_FILE), which STS checks against the very JWKS the daemon publishes. When
 * the key that signed that token is not published, the daemon says so where an operator looks:
 * /readyz, the run's log line, a metric; and it re-reads the token, which the kubelet rotates.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, type SigningKey } from '../stand/apiserver-keys.js';
import { everySecond, issuer, startTestCluster, type TestCluster } from './cluster.js';
import { startDaemonProcess, type DaemonProcess } from './daemon-process.js';
import { scrape } from './scrape.js';

let cluster: TestCluster;
const started: DaemonProcess[] = [];

beforeAll(async () => {
  cluster = await startTestCluster();
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((daemon) => daemon.kill()));
  cluster.reset();
});

afterAll(async () => {
  await cluster.stop();
});

/** A projected service-account token as the kubelet writes it, signed by `key`. */
async function writeToken(path: string, key: SigningKey): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ kubernetes: { serviceaccount: { name: 'irsa-issuer' } } })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setIssuer(issuer)
    .setAudience('sts.amazonaws.com')
    .setSubject('system:serviceaccount:irsa-issuer:irsa-issuer')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(key.privateKey);
  await writeFile(path, token);
}

describe('irsa-issuer daemon with AWS_WEB_IDENTITY_TOKEN_FILE', () => {
  it('is not ready while its own token is signed by a key the published JWKS lacks, and recovers when the token is', async () => {
    const directory = await cluster.directory();
    const tokenFile = join(directory, 'token');
    const retired = await generateSigningKey('rsa');
    await writeToken(tokenFile, retired);
    const target = join(directory, 'public');
    const daemon = await startDaemonProcess(['--schedule', everySecond, ...cluster.syncArgs(target)], {
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    });
    started.push(daemon);

    const [first] = await daemon.waitForRuns(1);
    expect(first).toMatchObject({
      level: 50,
      msg: 'run finished, but the daemon is locked out of AWS',
      result: 'success',
      ownKid: retired.kid,
    });
    expect(first?.lockout).toContain(`locked out: the key ${retired.kid}`);
    const notReady = await daemon.poll('/readyz', (answer) => answer.status === 503, '503');
    expect(notReady.body).toContain(
      `the key ${retired.kid} that signed this daemon's own AWS token (AWS_WEB_IDENTITY_TOKEN_FILE) is not in the published JWKS`,
    );
    expect(notReady.body).toContain(`irsa-issuer sync --issuer ${issuer}`);
    expect(notReady.body.trim().split('\n')).toHaveLength(1);
    expect((await scrape(daemon)).value('irsa_issuer_locked_out')).toBe(1);

    // The kubelet rotates the projected token; the cluster now signs with a published key.
    const signing = cluster.stand.keys[0];
    if (signing === undefined) throw new Error('the stand has no signing key');
    await writeToken(tokenFile, signing);
    await daemon.poll('/readyz', (answer) => answer.status === 200, '200 after the token rotated');
    const latest = daemon.runs.at(-1);
    expect(latest).toMatchObject({ level: 30, msg: 'run finished', ownKid: signing.kid });
    expect(latest?.lockout).toBeUndefined();
    expect((await scrape(daemon)).value('irsa_issuer_locked_out')).toBe(0);
  });

  it('does not guess when the token file is unreadable: it warns and judges by the runs alone', async () => {
    const directory = await cluster.directory();
    const daemon = await startDaemonProcess(
      ['--schedule', everySecond, ...cluster.syncArgs(join(directory, 'public'))],
      {
        AWS_WEB_IDENTITY_TOKEN_FILE: join(directory, 'missing-token'),
      },
    );
    started.push(daemon);
    const warning = await daemon.waitForLog(
      (line) => line.msg === "cannot tell which key signs the daemon's own AWS token",
      'the warning',
    );
    expect(warning.problem).toMatch(/^cannot read .*missing-token \(.*ENOENT/);
    await daemon.poll('/readyz', (answer) => answer.status === 200, '200');
  });
});
