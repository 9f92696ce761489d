// Two `kzbench corpus fetch` at once: one lock per cache entry, a temporary
// directory per fetch, stale locks taken over. apt is faked (a PATH of
// scripts, a .deb built with the real dpkg-deb), its downloads counted.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { APT_OPTIONS, fakeCommand } from './corpus.js';
import { before, describe, it } from 'node:test';
import { CacheLockError, withLock } from '../src/corpus/lock.js';
import { bin, fixtureDir } from './suite-fixture.js';

const haveDpkgDeb = spawnSync('dpkg-deb', ['--version']).status === 0;
const ENTRY = 'linux-image-6.1.0-99-amd64_6.1.999-1_amd64';

function runFetch(env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'corpus', 'fetch', 'debian12-amd64'], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // A fetch that never ends fails the test instead of hanging it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** A pid that was just used and is now gone. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('corpus fetch, concurrently (apt faked)', { skip: !haveDpkgDeb && 'dpkg-deb not installed' }, () => {
  const root = mkdtempSync(join(tmpdir(), 'kzbench-corpus-lock-'));
  const fakeBin = join(root, 'bin');
  const tree = join(root, 'tree');
  const { image } = fixtureDir('corpus-lock');
  const envFor = (cache: string, log: string): NodeJS.ProcessEnv => ({
    ...process.env,
    PATH: `${fakeBin}:${process.env.PATH}`,
    KZBENCH_CACHE: cache,
    FAKE_APT_LOG: log,
  });

  before(() => {
    mkdirSync(fakeBin, { recursive: true });
    mkdirSync(join(tree, 'boot'), { recursive: true });
    mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
    copyFileSync(image, join(tree, 'boot', 'vmlinuz-6.1.0-99-amd64'));
    writeFileSync(join(tree, 'boot', 'config-6.1.0-99-amd64'), 'CONFIG_X86_64=y\n');
    writeFileSync(
      join(tree, 'DEBIAN', 'control'),
      'Package: linux-image-6.1.0-99-amd64\nVersion: 6.1.999-1\nArchitecture: amd64\nMaintainer: test <t@example.org>\nDescription: test kernel\n',
    );
    const script = (name: string, body: string) => fakeCommand(fakeBin, name, body);
    script('dpkg', 'if [ "$1" = --print-architecture ]; then echo amd64; exit 0; fi; exit 1');
    // The fakes take the private state's -o options; apt-get update leaves an index so the lists count as fetched.
    const strip = APT_OPTIONS;
    script(
      'apt-cache',
      `${strip}
case "$1 $2" in
  "madison linux-image-amd64") printf 'linux-image-amd64 | 6.1.999-1 | http://deb.debian.org/debian bookworm/main amd64 Packages\\n' ;;
  "madison linux-image-6.1.0-99-amd64") printf 'linux-image-6.1.0-99-amd64 | 6.1.999-1 | http://deb.debian.org/debian bookworm/main amd64 Packages\\n' ;;
  "show linux-image-amd64=6.1.999-1") printf 'Package: linux-image-amd64\\nVersion: 6.1.999-1\\nDepends: linux-image-6.1.0-99-amd64 (= 6.1.999-1)\\n' ;;
esac`,
    );
    // Each download is counted and takes a second, so two fetches started together overlap.
    script(
      'apt-get',
      `${strip}
if [ "$1" = update ]; then echo update >> "$FAKE_APT_LOG"; : > "$(dirname "$SRC")/state/lists/fake_Packages"; exit 0; fi
[ "$1" = download ] || exit 100\necho download >> "$FAKE_APT_LOG"\nsleep 1\nexec dpkg-deb --build "${tree}" linux-image-6.1.0-99-amd64_6.1.999-1_amd64.deb >/dev/null`,
    );
  });

  it('two fetches of one kernel: one download, both succeed, nothing left behind', async () => {
    const cache = join(root, 'cache-two');
    const log = join(root, 'two.log');
    const env = envFor(cache, log);
    const [a, b] = await Promise.all([runFetch(env), runFetch(env)]);
    for (const r of [a, b]) {
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /debian12-amd64: linux-image-6\.1\.0-99-amd64 6\.1\.999-1 amd64 \((fetched|already cached)\)/);
    }
    // One private apt-get update (the second fetch waits on its lock, then finds the lists fresh) and one download.
    assert.equal(readFileSync(log, 'utf8'), 'update\ndownload\n', 'one update, one download');
    assert.equal([a, b].filter((r) => /\(fetched\)/.test(r.stdout)).length, 1, a.stdout + b.stdout);
    assert.deepEqual(readdirSync(join(cache, 'kernels')), [ENTRY]);
    assert.ok(existsSync(join(cache, 'kernels', ENTRY, 'kzbench.json')));
    assert.deepEqual(readdirSync(join(cache, 'tmp')), [], 'no temporary directory left');
    assert.deepEqual(readdirSync(join(cache, 'locks')), [], 'no lock left');
  });

  it('a lock left by a killed fetch is taken over, and its temporary directory removed', () => {
    const cache = join(root, 'cache-stale');
    const log = join(root, 'stale.log');
    mkdirSync(join(cache, 'locks'), { recursive: true });
    mkdirSync(join(cache, 'tmp', `${ENTRY}-dead01`), { recursive: true });
    writeFileSync(join(cache, 'locks', `${ENTRY}.lock`), JSON.stringify({ pid: deadPid(), host: hostname(), since: new Date().toISOString() }));
    const r = spawnSync(process.execPath, [bin, 'corpus', 'fetch', 'debian12-amd64'], { encoding: 'utf8', env: envFor(cache, log), timeout: 120_000 });
    assert.equal(r.status, 0, `${r.error ?? ''} ${r.stderr}`);
    assert.match(r.stderr, /taking over a lock of pid \d+, which is gone/);
    assert.match(r.stdout, /\(fetched\)/);
    assert.deepEqual(readdirSync(join(cache, 'tmp')), []);
    assert.deepEqual(readdirSync(join(cache, 'locks')), []);
  });
});

describe('cache locks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kzbench-locks-'));

  it('locks of different entries are independent; a held one is waited for, not forever', () => {
    const a = join(dir, 'a.lock');
    const b = join(dir, 'b.lock');
    const lines: string[] = [];
    const got = withLock(a, 'kernel A', () => {
      // B is free while A is held.
      const inner = withLock(b, 'kernel B', () => 'b');
      // A is held by a live process (this one): waiting for it ends in a one-line error after maxWaitMs.
      assert.throws(
        () => withLock(a, 'kernel A', () => 'never', { maxWaitMs: 300, pollMs: 50, log: (s) => lines.push(s) }),
        (e: unknown) => e instanceof CacheLockError && /kernel A is still being fetched by pid \d+/.test(e.message) && !e.message.includes('\n'),
      );
      return inner;
    });
    assert.equal(got, 'b');
    assert.match(lines[0] ?? '', /waiting: pid \d+ is fetching kernel A/);
    assert.ok(!existsSync(a) && !existsSync(b), 'both released');
  });

  it('released when the work throws; a lock file naming nobody is stale after a while', () => {
    const a = join(dir, 'c.lock');
    assert.throws(
      () =>
        withLock(a, 'kernel C', () => {
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.ok(!existsSync(a));
    writeFileSync(a, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(a, old, old);
    const lines: string[] = [];
    assert.equal(
      withLock(a, 'kernel C', () => 'c', { log: (s) => lines.push(s) }),
      'c',
    );
    assert.match(lines.join('\n'), /taking over a lock file that names no holder/);
  });
});
