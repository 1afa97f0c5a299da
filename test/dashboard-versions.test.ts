import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { Harness } from './kit/harness';
import { type Browser, openAgentDashboard, skipWithoutChromium } from './support/browser';

const AGENT = 'restore-line';

describe('dashboard Versions tab (in Chromium)', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;

  before(async function () {
    skipWithoutChromium(this);
    ({ h, browser, page } = await openAgentDashboard({
      id: AGENT,
      name: 'Restore line',
      actions: { duringCall: [], afterCall: [] },
    }));
  });

  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  afterEach(() => {
    assert.deepEqual(browser?.pageErrors ?? [], [], 'the pages threw no script errors');
  });

  const general = () => page.getByRole('group', { name: 'General' });
  const sales = () => page.getByRole('group', { name: 'Transfer target sales', exact: true });

  async function saveSettings(version: number) {
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(`Saved as version ${version}.`).waitFor();
  }

  it('restores the first of two saved settings as a new version, in the page and in the store', async () => {
    // First save: a name, a time zone and a warm transfer target.
    await general().getByLabel('Name').fill('Restore line (day)');
    await general().getByLabel('Time zone').fill('America/New_York');
    await page.getByRole('button', { name: '+ Add transfer target' }).click();
    await page.getByRole('group', { name: 'New transfer target' }).getByLabel('Name').fill('sales');
    await sales().getByRole('textbox', { name: 'Phone number' }).fill('+14155550100');
    await saveSettings(2);

    // Second save: other settings everywhere.
    await general().getByLabel('Name').fill('Restore line (night)');
    await general().getByLabel('Time zone').fill('Europe/Berlin');
    await sales().getByLabel('Mode').selectOption('cold');
    await sales().getByRole('radio', { name: 'SIP URI' }).check();
    await sales().getByRole('textbox', { name: 'SIP URI' }).fill('sip:night@pbx.example.com');
    await saveSettings(3);

    const first = (await h.api('GET', `/v1/agents/${AGENT}/versions/2`)).body.agent;
    const second = (await h.api('GET', `/v1/agents/${AGENT}/versions/3`)).body.agent;
    assert.notDeepEqual(first, second);
    assert.equal(first.name, 'Restore line (day)');
    assert.equal(second.name, 'Restore line (night)');

    await page.getByRole('link', { name: 'Versions' }).click();
    const rows = page.locator('tbody tr');
    await page.getByRole('button', { name: 'Restore version 2' }).waitFor();
    assert.equal(await rows.count(), 3);
    assert.match((await rows.first().textContent()) ?? '', /^3 \(current\)/);
    // The current version has nothing to restore.
    assert.equal(await page.getByRole('button', { name: 'Restore version 3' }).count(), 0);

    await page.getByRole('button', { name: 'Restore version 2' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('Version 2 restored as a new version.').waitFor();

    // In the page: a fourth version, current, named as the first save, holding its content.
    await page.getByRole('heading', { level: 1, name: /Restore line \(day\)/ }).waitFor();
    await page
      .locator('.meta')
      .getByText(/^Version 4/)
      .waitFor();
    assert.equal(await rows.count(), 4);
    assert.match((await rows.first().textContent()) ?? '', /^4 \(current\)/);
    await page.getByRole('button', { name: 'View version 4' }).click();
    await page.getByRole('heading', { name: 'Version 4' }).waitFor();
    assert.deepEqual(JSON.parse((await page.locator('pre.code').textContent()) ?? ''), first);

    await page.getByRole('link', { name: 'Settings' }).click();
    assert.equal(await general().getByLabel('Name').inputValue(), 'Restore line (day)');
    assert.equal(await general().getByLabel('Time zone').inputValue(), 'America/New_York');
    assert.equal(await sales().getByRole('textbox', { name: 'Phone number' }).inputValue(), '+14155550100');
    assert.equal(await sales().getByLabel('Mode').inputValue(), '');

    // Through the API: the latest is a new version with the first save's content; the second is kept.
    const latest = (await h.api('GET', `/v1/agents/${AGENT}`)).body;
    assert.equal(latest.version, 4);
    assert.deepEqual(latest.agent, first);
    const versions = (await h.api('GET', `/v1/agents/${AGENT}/versions`)).body.versions;
    assert.deepEqual(
      versions.map((v: { version: number }) => v.version),
      [4, 3, 2, 1],
    );
    assert.equal(versions[0].note, 'restored from version 2');
    assert.deepEqual((await h.api('GET', `/v1/agents/${AGENT}/versions/3`)).body.agent, second);
  });
});
