import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { CallLog } from '../src/store/call-log';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { type Browser, launchBrowser, signIn, skipWithoutChromium } from './support/browser';

const AGENT = 'calls-line';
// The browser and this process share the machine's time zone: the page's date filters and the chart's days
// (bucketed in the agent's time zone) then name the same days as the test does.
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const localDay = (d: Date) => d.toLocaleDateString('en-CA');
const TODAY = localDay(new Date());
const EARLIER = new Date(new Date().setHours(12, 0, 0, 0) - 3 * 86_400_000);
const EARLIER_DAY = localDay(EARLIER);

const agent = {
  id: AGENT,
  name: 'Calls line',
  timezone: ZONE,
  transferTargets: {
    sales: { number: '+14155550100', fallback: [{ target: 'support' }] },
    support: { sip: 'sip:support@pbx.example.com', mode: 'cold' },
  },
  actions: {
    duringCall: [
      {
        id: 'transfer',
        type: 'transfer',
        args: { target: { type: 'string', required: true }, reason: { type: 'string' } },
        reason: '{{args.reason}}',
      },
    ],
    afterCall: [
      {
        id: 'disposition',
        type: 'set_disposition',
        codes: ['booked', 'callback', 'transferred'],
        rules: [
          { code: 'transferred', when: '{{call.transferOutcome}} == answered' },
          { code: 'booked', when: '{{data.outcome}} == booked' },
        ],
        default: 'callback',
      },
    ],
  },
};

describe('dashboard Calls tab and call page (in Chromium)', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;

  before(async function () {
    skipWithoutChromium(this);
    h = await startHarness({ agents: [], storeAgents: true });
    const created = await h.api('POST', '/v1/agents', agent);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await runCall('c-booked', [
      { id: 'd1', type: 'data', fields: { outcome: 'booked', callback_number: '+14155550142' } },
    ]);
    await runCall('c-transfer', [], async () => {
      const transfer = await h.api('POST', '/v1/calls/c-transfer/actions/transfer', {
        requestId: 'tool-1',
        args: { target: 'sales', reason: 'a bulk order' },
      });
      assert.equal(transfer.body.output?.status, 'instructed', JSON.stringify(transfer.body));
      await h.api('POST', '/v1/calls/c-transfer/events', {
        events: [
          { id: 't1', type: 'transfer_status', status: 'ringing', at: new Date().toISOString() },
          { id: 't2', type: 'transfer_status', status: 'answered', at: new Date().toISOString() },
        ],
      });
    });
    // Temporal's clock can't be set back: the earlier call is written to the call log as it keeps a call past
    // Temporal's retention, from a real call's record moved three days back.
    const record = (await h.api('GET', '/v1/calls/c-booked')).body.record;
    await new CallLog(h.store).write({
      agentVersion: 1,
      record: {
        ...record,
        callId: 'c-earlier',
        startedAt: EARLIER.toISOString(),
        endedAt: new Date(EARLIER.getTime() + 95_000).toISOString(),
        disposition: 'callback',
        data: { outcome: 'no time suited' },
      },
    });
    browser = await launchBrowser();
    page = browser.page;
    await signIn(page, h.url, h.token, `#/agents/${AGENT}/calls`);
    await rows().first().waitFor();
  });

  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  afterEach(() => {
    assert.deepEqual(browser?.pageErrors ?? [], [], 'the pages threw no script errors');
  });

  /** Starts a call with these events, runs `during` while it is on, ends it and waits for its log row. */
  async function runCall(callId: string, events: Record<string, unknown>[], during?: () => Promise<void>) {
    const now = () => new Date().toISOString();
    const started = await h.api('POST', `/v1/calls/${callId}/events`, {
      agentId: AGENT,
      call: { direction: 'inbound', from: '+14155550123', to: '+14155550199' },
      events: [
        { id: 'u1', type: 'utterance', role: 'agent', at: now(), text: 'Calls line, how can I help?' },
        ...events.map((e) => ({ at: now(), ...e })),
      ],
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    await during?.();
    await h.api('POST', `/v1/calls/${callId}/events`, { event: { id: 'end', type: 'ended', at: now() } });
    await eventually(
      async () => {
        const r = await h.api('GET', `/v1/calls?agent=${AGENT}`);
        return r.body.calls?.some((c: { callId: string }) => c.callId === callId) || undefined;
      },
      60_000,
      `call ${callId} in the call log`,
    );
  }

  const form = () => page.getByRole('form', { name: 'Filter calls' });
  const rows = () => page.getByRole('table', { name: 'Calls' }).locator('tbody tr');
  const listed = () =>
    rows().evaluateAll((trs) =>
      trs.map((tr) => (tr as unknown as { dataset: { callId: string } }).dataset.callId),
    );
  const cells = (callId: string) => page.locator(`tr[data-call-id="${callId}"] td`).allInnerTexts();

  async function applyFilters(filters: { disposition?: string; from?: string; to?: string }) {
    await form()
      .getByLabel('Disposition')
      .selectOption(filters.disposition ?? '');
    await form()
      .getByLabel('From')
      .fill(filters.from ?? '');
    await form()
      .getByLabel('To')
      .fill(filters.to ?? '');
    await form().getByRole('button', { name: 'Apply filters' }).click();
  }

  /** Waits until the list shows exactly these calls, newest first. */
  async function waitForList(expected: string[]) {
    let shown: string[] = [];
    try {
      await eventually(
        async () => {
          shown = (await page.getByText('Loading…').count()) ? [] : await listed();
          return JSON.stringify(shown) === JSON.stringify(expected) ? true : undefined;
        },
        15_000,
        `the calls ${expected.join(', ')}`,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; shown: ${shown.join(', ')}`);
    }
  }

  it('lists every call with its disposition and collected data, phone numbers masked', async () => {
    await waitForList(['c-transfer', 'c-booked', 'c-earlier']);
    const booked = await cells('c-booked');
    assert.equal(booked[1], '***0123');
    assert.equal(booked[3], 'booked');
    const data = page.locator('tr[data-call-id="c-booked"] td.data');
    assert.deepEqual(await data.locator('dt').allInnerTexts(), ['outcome', 'callback_number']);
    assert.deepEqual(await data.locator('dd').allInnerTexts(), ['booked', '***0142']);
    assert.equal((await cells('c-transfer'))[3], 'transferred');
    assert.equal((await cells('c-transfer'))[5], '—', 'no data collected');
    const earlier = await cells('c-earlier');
    assert.equal(earlier[3], 'callback');
    assert.equal(earlier[2], '1 min 35 s');
    const earlierData = page.locator('tr[data-call-id="c-earlier"] td.data');
    assert.deepEqual(await earlierData.locator('dt').allInnerTexts(), ['outcome']);
    assert.deepEqual(await earlierData.locator('dd').allInnerTexts(), ['no time suited']);
    assert.ok(!(await page.content()).includes('4155550142'), 'no full phone number on the page');
  });

  it('shows only the calls with the chosen disposition', async () => {
    assert.deepEqual(await page.getByLabel('Disposition').locator('option').allInnerTexts(), [
      'Any',
      'booked',
      'callback',
      'transferred',
    ]);
    await applyFilters({ disposition: 'transferred' });
    await waitForList(['c-transfer']);
    await applyFilters({ disposition: 'callback' });
    await waitForList(['c-earlier']);
    await applyFilters({});
    await waitForList(['c-transfer', 'c-booked', 'c-earlier']);
  });

  it('shows only the calls between the chosen dates', async () => {
    await applyFilters({ from: TODAY });
    await waitForList(['c-transfer', 'c-booked']);
    await applyFilters({ to: EARLIER_DAY });
    await waitForList(['c-earlier']);
    await applyFilters({ from: EARLIER_DAY, to: EARLIER_DAY });
    await waitForList(['c-earlier']);
    await applyFilters({ disposition: 'booked', to: EARLIER_DAY });
    await page.getByText('No calls match these filters.').waitFor();
    assert.equal(await rows().count(), 0);
  });

  it('charts the dispositions per day with the counts of the calls listed', async () => {
    await applyFilters({ from: EARLIER_DAY, to: TODAY });
    await waitForList(['c-transfer', 'c-booked', 'c-earlier']);
    // Every day of the range has a bar slot, the days between included.
    const chart = page.getByRole('img', { name: 'Dispositions per day: 3 calls over 4 days' });
    await chart.waitFor();
    assert.deepEqual(await chart.locator('rect title').allTextContents(), [
      `${EARLIER_DAY}: callback 1`,
      `${TODAY}: booked 1`,
      `${TODAY}: transferred 1`,
    ]);
    assert.deepEqual(await page.locator('.legend li').allInnerTexts(), ['booked', 'callback', 'transferred']);

    await page.getByText('Show as a table').click();
    const table = page.locator('figure.chart-figure table');
    assert.deepEqual(await table.locator('thead th').allInnerTexts(), [
      'Day',
      'booked',
      'callback',
      'transferred',
    ]);
    const body = await table
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
    assert.equal(body.length, 4);
    assert.deepEqual(body[0], [EARLIER_DAY, '0', '1', '0']);
    assert.deepEqual(body[1].slice(1), ['0', '0', '0']);
    assert.deepEqual(body[3], [TODAY, '1', '0', '1']);
  });

  it("shows a call's transfer with its attempt: target, masked destination, mode, outcome and leg events", async () => {
    await page.locator('tr[data-call-id="c-transfer"]').getByRole('link').click();
    await page.getByRole('heading', { name: 'Call c-transfer' }).waitFor();
    const transfers = page.getByRole('region', { name: 'Transfers' });
    await transfers.getByRole('heading', { name: 'To sales — instructed' }).waitFor();
    await transfers.getByText('Reason: a bulk order').waitFor();
    const attempts = await transfers
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
    assert.equal(attempts.length, 1);
    const [target, destination, mode, started, outcome, events] = attempts[0];
    assert.deepEqual(
      [target, destination, mode, outcome, events],
      ['sales', '***0100', 'warm', 'answered', 'ringing → answered'],
    );
    assert.ok(started, 'the attempt has a start time');
    assert.equal(
      await page.locator('.facts').getByText('transferred', { exact: true }).count(),
      1,
      'its disposition',
    );
    assert.ok(!(await page.content()).includes('4155550100'), 'no full phone number on the page');
  });

  it('shows no transfer section for a call without one', async () => {
    await page.goto(`${h.url}/dashboard/#/agents/${AGENT}/calls/c-booked`);
    await page.getByRole('heading', { name: 'Call c-booked' }).waitFor();
    await page.getByRole('heading', { name: 'Collected data' }).waitFor();
    assert.equal(await page.getByRole('region', { name: 'Transfers' }).count(), 0);
  });
});
