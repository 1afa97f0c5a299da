import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import YAML from 'yaml';
import { parseTestCases } from '../src/agents/test-cases';
import { runAgentTests } from '../src/agents/test-runner';
import { loadAgentFile, withSiblingTests } from '../src/config/load-agents';
import { CallLog } from '../src/store/call-log';
import { failureConverterPath } from '../src/worker';
import { type Harness, quietLog } from './kit/harness';
import { workflowBundle } from './kit/temporal';
import { type Browser, openAgentDashboard, skipWithoutChromium } from './support/browser';

const EXAMPLE = path.join(__dirname, '..', 'agents', 'example.yaml');
const example = () =>
  withSiblingTests(YAML.parse(readFileSync(EXAMPLE, 'utf8')), EXAMPLE) as Record<string, any>;

describe('dashboard Tests tab (in Chromium)', function () {
  this.timeout(60_000);
  let h: Harness;
  let browser: Browser;
  let page: Page;

  before(async function () {
    skipWithoutChromium(this);
    ({ h, browser, page } = await openAgentDashboard(example() as { id: string }, { agentTests: true }));
  });

  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  afterEach(() => {
    assert.deepEqual(browser?.pageErrors ?? [], [], 'the pages threw no script errors');
  });

  it("tests an unsaved draft edited in the tab, replays last week's calls through it, and publishes it once fixed", async () => {
    // Two calls of this week in the call log, run on version 1: the example's first scripted calls.
    const { tests } = parseTestCases(example().tests);
    const report = await runAgentTests({ ...loadAgentFile(EXAMPLE), version: 1 }, tests.slice(0, 2), {
      client: h.client,
      connection: h.nativeConnection,
      namespace: h.server.namespace,
      workflowBundle: await workflowBundle(),
      store: h.store,
      log: quietLog,
      codec: h.codec,
      failureConverterPath,
    });
    const log = new CallLog(h.store);
    for (const [i, t] of report.tests.entries())
      await log.write({
        record: {
          ...t.record!,
          callId: `week-${i + 1}`,
          startedAt: new Date(Date.now() - i * 3600_000).toISOString(),
        },
        agentVersion: 1,
      });
    const before = (await h.api('GET', '/v1/agents/acme-support')).body.version;

    await page.goto(`${h.url}/dashboard/#/agents/acme-support/tests`);
    await page.getByLabel('Run against').selectOption('draft');
    const draft = example();
    draft.actions.duringCall.find((a: { id: string }) => a.id === 'text_order_status').body =
      'Acme order: {{actions.lookup_order.order_status}}.';
    await page.getByLabel('Draft configuration (JSON, with its tests)').fill(JSON.stringify(draft, null, 2));

    await page.getByRole('button', { name: 'Run all tests' }).click();
    await page.locator('.test-summary').getByText('4 passed, 1 failed of 5').waitFor();
    assert.match(
      (await page.locator('#test-results pre.diff').textContent()) ?? '',
      /\+ actual {3}"Acme order: shipped\."/,
    );

    await page.getByRole('button', { name: "Replay last week's calls" }).click();
    await page
      .locator('.replay-summary')
      .getByText('2 calls replayed, 1 would go differently', { exact: false })
      .waitFor();
    const changed = page.locator('#test-results li');
    assert.equal(await changed.count(), 1);
    assert.match((await changed.locator('code').textContent()) ?? '', /^week-1$/);
    assert.match(
      (await changed.locator('pre.diff').textContent()) ?? '',
      /input_changed text_order_status\n- [\s\S]*Acme: your order is shipped[\s\S]*\n\+ [\s\S]*Acme order: shipped\./,
    );
    // Nothing was saved meanwhile.
    assert.equal((await h.api('GET', '/v1/agents/acme-support')).body.version, before);

    // Publishing is refused while a test fails; fixed (the test expects the new words), it is published.
    await page.getByRole('button', { name: 'Publish this draft' }).click();
    await page.getByText('Not published: its tests fail.').waitFor();
    draft.tests[0].expect.actions.find((a: { id: string }) => a.id === 'text_order_status').input.body =
      'Acme order: shipped.';
    await page.getByLabel('Draft configuration (JSON, with its tests)').fill(JSON.stringify(draft, null, 2));
    await page.getByRole('button', { name: 'Run all tests' }).click();
    await page.locator('.test-summary').getByText('5 passed, 0 failed of 5').waitFor();
    await page.getByRole('button', { name: 'Publish this draft' }).click();
    await page.getByText(`Published as version ${before + 1}.`).waitFor();
  });

  it('runs all tests, then shows the diff of a test a forced change broke', async () => {
    await page.getByRole('link', { name: 'Tests' }).click();
    await page.getByRole('button', { name: 'Run all tests' }).click();
    await page.locator('.test-summary').getByText('5 passed, 0 failed of 5').waitFor();

    const broken = example();
    broken.actions.duringCall.find((a: { id: string }) => a.id === 'text_order_status').body =
      'Acme: {{actions.lookup_order.order_status}}.';
    assert.equal((await h.api('PUT', '/v1/agents/acme-support?force=true', broken)).status, 200);
    await page.reload();
    await page.getByRole('button', { name: 'Run order status is looked up and texted' }).click();
    await page.locator('.test-summary').getByText('0 passed, 1 failed of 1').waitFor();
    const diff = (await page.locator('#test-results pre.diff').textContent()) ?? '';
    assert.match(
      diff,
      /actions\.text_order_status\.input\.body:\n- expected "Acme: your order is shipped, ETA 2026-01-07\."\n\+ actual {3}"Acme: shipped\."/,
    );
  });
});
