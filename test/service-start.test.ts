import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { freshDataDir } from './kit/pglite-template';
import { type ServiceProcess, startService } from './kit/service';
import { TEST_CODEC_KEYS, testServer } from './kit/temporal';

/** `npm start` against the suite's Temporal server: what it prints, and that the service it starts answers. */
describe('npm start', () => {
  let service: ServiceProcess;
  let dataDir: string;

  before(async function () {
    this.timeout(120_000);
    const server = await testServer();
    // Its store copied from a migrated template: creating and migrating one takes seconds.
    dataDir = await freshDataDir('callflow-start-');
    service = await startService(
      {
        ...process.env,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_TASK_QUEUE: `start-test-${process.pid}`,
        CALLFLOW_DATA_DIR: dataDir,
        CALLFLOW_CODEC_KEYS: TEST_CODEC_KEYS,
        CALLFLOW_API_TOKEN: '',
        PORT: '0',
      },
      100_000,
    );
  });

  after(async () => {
    service?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function apiBase(): string {
    const port = /API\s+http:\/\/localhost:(\d+)\/v1/.exec(service.stdout)?.[1];
    assert.ok(port, service.stdout);
    return `http://127.0.0.1:${port}`;
  }

  it('keeps the generated API token in the data directory and out of its output', () => {
    const token = readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    assert.ok(token.length >= 20);
    assert.ok(!service.stdout.includes(token), 'the token is printed');
    assert.ok(!service.stderr.includes(token), 'the token is logged');
    assert.match(service.stdout, /Authorization: Bearer \$\(cat [^)]*api-token\)/);
    // Not a terminal: no login link in the output, the command that makes one instead.
    assert.ok(!service.stdout.includes('ticket='), 'a login ticket is printed to a non-terminal');
    assert.match(service.stdout, /UI login\s+curl -X POST .*\/codec\/login-url/);
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
    assert.equal(await service.stop(), 0, service.stderr);
    assert.match(service.stderr + service.stdout, /stopped/);
  });
});
