import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { openStore } from '../src/store/open-store';
import { type Harness, startHarness, TEST_TOKEN } from './kit/harness';

const SCRIPT = join(__dirname, '../scripts/agents.ts');

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SCRIPT, ...args],
      { env: { ...process.env, DATABASE_URL: '', CALLFLOW_API_TOKEN: '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const TWO_AGENTS = `id: front-desk
name: Front desk
actions:
  afterCall:
    - id: thanks
      type: send_sms
      to: "{{call.from}}"
      body: Thanks for calling.
---
id: billing
name: Billing
call: { inactivityTimeoutSeconds: 600 }
actions:
  afterCall: []
`;

describe('agents CLI', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'agents-cli-'));
  const env = { CALLFLOW_DATA_DIR: join(dir, 'data') };
  const file = join(dir, 'agents.yaml');
  writeFileSync(file, TWO_AGENTS);

  it('applies a file of several agents, then reports them unchanged', async () => {
    const first = await cli(['apply', '-f', file, '--author', 'ops'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /created front-desk: version 1/);
    assert.match(first.stdout, /created billing: version 1/);
    const again = await cli(['apply', '-f', file], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /unchanged front-desk: version 1/);
    assert.match(again.stdout, /unchanged billing: version 1/);
  });

  it('exits non-zero with the field named, and writes nothing', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, TWO_AGENTS.replace('body: Thanks for calling.', 'bdy: Thanks.'));
    const res = await cli(['apply', '-f', bad], env);
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /agent "front-desk" in .*bad\.yaml#1: actions\.afterCall\[0\] \(id "thanks"\): field "bdy": unknown setting/,
    );
    assert.match(res.stderr, /field "body": required/);
    const exported = await cli(['export', '--id', 'front-desk'], env);
    assert.match(exported.stdout, /body: Thanks for calling\./);
  });

  it('exports what it applied, and the export applies back unchanged', async () => {
    const out = join(dir, 'export.yaml');
    const exported = await cli(['export', '-o', out], env);
    assert.equal(exported.code, 0, exported.stderr);
    const docs = YAML.parseAllDocuments(readFileSync(out, 'utf8')).map((d) => d.toJS());
    const original = YAML.parseAllDocuments(TWO_AGENTS).map((d) => d.toJS());
    assert.deepEqual(
      docs.sort((a, b) => a.id.localeCompare(b.id)),
      original.sort((a, b) => a.id.localeCompare(b.id)),
    );
    const json = join(dir, 'export.json');
    assert.equal((await cli(['export', '-o', json], env)).code, 0);
    assert.equal(JSON.parse(readFileSync(json, 'utf8')).agents.length, 2);
    const back = await cli(['apply', '-f', json], env);
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /unchanged billing: version 1/);
    assert.match(back.stdout, /unchanged front-desk: version 1/);
  });

  describe('while the service holds the PGlite directory', () => {
    let h: Harness;
    const held = join(dir, 'held');
    before(async () => {
      const store = await openStore({ dataDir: join(held, 'store') });
      h = await startHarness({ agents: [], storeAgents: true, noWorker: true, store });
    });
    after(async () => {
      await h?.stop();
      await h?.store.close();
    });

    it('goes through its API instead', async () => {
      const apiEnv = { CALLFLOW_DATA_DIR: held, CALLFLOW_URL: h.url, CALLFLOW_API_TOKEN: TEST_TOKEN };
      const res = await cli(['apply', '-f', file, '--author', 'ops'], apiEnv);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /is in use by pid \d+.*: using its API at http:\/\/127\.0\.0\.1/);
      assert.match(res.stdout, /created front-desk: version 1/);
      const listed = await h.api('GET', '/v1/agents/front-desk');
      assert.equal(listed.body.updatedBy, 'ops');
      writeFileSync(join(dir, 'renamed.yaml'), TWO_AGENTS.replace('name: Billing', 'name: Billing desk'));
      const changed = await cli(['apply', '-f', join(dir, 'renamed.yaml')], apiEnv);
      assert.match(changed.stdout, /updated billing: version 2, was 1/);
      assert.match(changed.stdout, /unchanged front-desk: version 1/);
      const exported = await cli(['export', '--id', 'billing'], apiEnv);
      assert.match(exported.stdout, /name: Billing desk/);
    });
  });
});
