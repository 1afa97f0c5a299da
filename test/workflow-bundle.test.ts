import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleFileIn, prebuiltWorkflowBundle, writeWorkflowBundle } from '../src/worker';
import { testServer, workflowBundle } from './kit/temporal';
import { startWorkerProcess } from './kit/worker-process';

describe('prebuilt workflow bundle (CALLFLOW_WORKFLOW_BUNDLE)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'callflow-bundle-test-'));
  const file = path.join(dir, 'workflow-bundle.js');
  after(() => rmSync(dir, { recursive: true, force: true }));

  before(async () => {
    await writeWorkflowBundle(file, { bundle: await workflowBundle() });
  });

  it('writes the bundle and a manifest, and hands the bundle to a worker that matches it', () => {
    const manifest = JSON.parse(readFileSync(`${file}.json`, 'utf8'));
    assert.equal(manifest.tracing, false);
    assert.match(manifest.sdkVersion, /^\d+\.\d+\.\d+/);
    assert.ok(readFileSync(file, 'utf8').includes('callWorkflow'));
    assert.deepEqual(prebuiltWorkflowBundle(file, false), { codePath: file });
  });

  it('keeps the schemas out of the workflow sandbox: the workflow takes only their types', () => {
    const code = readFileSync(file, 'utf8');
    for (const module of ['node_modules/zod', 'src/config/', 'src/shared/call-events', 'src/ingress/'])
      assert.ok(!code.includes(module), `the workflow bundle holds ${module}`);
  });

  it('refuses a bundle built without tracing for a worker that traces, a missing manifest, another SDK', () => {
    assert.throws(
      () => prebuiltWorkflowBundle(file, true),
      /built without tracing, but tracing is on.*--tracing/,
    );
    assert.throws(
      () => prebuiltWorkflowBundle(path.join(dir, 'nope.js'), false),
      /no readable .*nope\.js\.json/,
    );
    const other = path.join(dir, 'other.js');
    writeFileSync(other, readFileSync(file));
    writeFileSync(
      `${other}.json`,
      JSON.stringify({ tracing: false, sdkVersion: '0.0.1', builtAt: new Date().toISOString() }),
    );
    assert.throws(
      () => prebuiltWorkflowBundle(other, false),
      /built with Temporal SDK 0\.0\.1, this worker has/,
    );
  });

  it('takes the bundle that suits the worker from a directory holding both', () => {
    const both = path.join(dir, 'both');
    const write = (tracing: boolean) => {
      const target = bundleFileIn(both, tracing);
      mkdirSync(both, { recursive: true });
      writeFileSync(target, readFileSync(file));
      const manifest = JSON.parse(readFileSync(`${file}.json`, 'utf8'));
      writeFileSync(`${target}.json`, JSON.stringify({ ...manifest, tracing }));
      return target;
    };
    const plain = write(false);
    const traced = write(true);
    assert.notEqual(plain, traced);
    assert.deepEqual(prebuiltWorkflowBundle(both, false), { codePath: plain });
    assert.deepEqual(prebuiltWorkflowBundle(both, true), { codePath: traced });
    rmSync(traced);
    assert.throws(() => prebuiltWorkflowBundle(both, true), /workflow-bundle-tracing\.js does not exist/);
  });

  it('a standalone worker given a bundle that does not suit it exits with the reason', async function () {
    this.timeout(60_000);
    const server = await testServer();
    const { ready } = await startWorkerProcess({
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: `bundle-test-${process.pid}`,
      CALLFLOW_DATA_DIR: path.join(dir, 'data'),
      CALLFLOW_WORKFLOW_BUNDLE: file,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    });
    await assert.rejects(ready, /worker exited \(1\).*CALLFLOW_WORKFLOW_BUNDLE: .* built without tracing/s);
  });
});
