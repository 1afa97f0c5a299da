import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import YAML from 'yaml';
import { withSiblingTests } from '../src/config/load-agents';
import type { Harness } from './kit/harness';
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
