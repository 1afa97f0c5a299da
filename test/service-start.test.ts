import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, TEST_CODEC_KEYS, testServer } from './kit/temporal';

const ROOT = path.resolve(__dirname, '..');

/** `npm start` against the suite's Temporal server: what it prints, and that the service it starts answers. */
describe('npm start', () => {
  let child: ChildProcess | undefined;
  let dataDir: string;
  let stdout = '';
  let stderr = '';
  let exited: Promise<number | null>;

  before(async function () {
    this.timeout(120_000);
    const server = await testServer();
    dataDir = mkdtempSync(path.join(tmpdir(), 'callflow-start-'));
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_TASK_QUEUE: `start-test-${process.pid}`,
        CALLFLOW_DATA_DIR: dataDir,
        CALLFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
        CALLFLOW_API_TOKEN: '',
        PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => {
      stdout += d;
    });
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    exited = new Promise((resolve) => child?.on('exit', (code) => resolve(code)));
    const banner = eventually(
      () => (stdout.includes('callflow is running') ? true : undefined),
      100_000,
      'the banner',
    );
    const early = exited.then((code) => {
      if (stdout.includes('callflow is running')) return;
      throw new Error(`npm start exited with ${code} before it was running: ${stderr}`);
    });
    await Promise.race([banner, early]);
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  function apiBase(): string {
    const port = /API\s+http:\/\/localhost:(\d+)\/v1/.exec(stdout)?.[1];
    assert.ok(port, stdout);
    return `http://127.0.0.1:${port}`;
  }

  it('keeps the generated API token in the data directory and out of its output', () => {
    const token = readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    assert.ok(token.length >= 20);
    assert.ok(!stdout.includes(token), 'the token is printed');
    assert.ok(!stderr.includes(token), 'the token is logged');
    assert.match(stdout, /Authorization: Bearer \$\(cat [^)]*api-token\)/);
    // Not a terminal: no login link in the output, the command that makes one instead.
    assert.ok(!stdout.includes('ticket='), 'a login ticket is printed to a non-terminal');
    assert.match(stdout, /UI login\s+curl -X POST .*\/codec\/login-url/);
  });

  it('serves the example agent with the token from that file, and makes a login link on request', async () => {
    const token = readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    const base = apiBase();
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

    const refused = await fetch(`${base}/v1/agents`);
    assert.equal(refused.status, 401);
    const agents = await fetch(`${base}/v1/agents`, { headers: auth });
    assert.equal(agents.status, 200);
    assert.match(JSON.stringify(await agents.json()), /"acme-support"/);

    const link = await fetch(`${base}/codec/login-url`, { method: 'POST', headers: auth });
    assert.equal(link.status, 200);
    const { url } = (await link.json()) as { url: string };
    assert.match(url, /\/codec\/login\?ticket=/);
  });

  it('stops cleanly on SIGTERM', async function () {
    this.timeout(60_000);
    child?.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr + stdout, /stopped/);
  });
});
