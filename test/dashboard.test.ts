import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { BuiltinCalendar } from '../src/integrations/calendar/builtin';
import { startCustomerApi } from './kit/customer-api';
import { type Harness, startHarness } from './kit/harness';
import { eventually } from './kit/temporal';
import { type Browser, launchBrowser, skipWithoutChromium } from './support/browser';

// `npm run screenshots` refreshes the README's pictures; an ordinary run keeps its own out of the tree.
const SCREENSHOTS =
  process.env.CALLFLOW_SCREENSHOTS === '1'
    ? path.resolve(__dirname, '../docs/screenshots')
    : mkdtempSync(path.join(os.tmpdir(), 'callflow-screenshots-'));
const TEMPORAL_UI = 'http://127.0.0.1:8233';
const AGENT = 'dash-line';
const ZONE = 'America/New_York';
const SMS_BODY = 'Your visit is booked for {{actions.book_visit.start_spoken}}. Reply STOP to opt out.';

/** A bookable start on the built-in calendar's default hours: 10:00 on a weekday three or more days ahead. */
function bookableStart(): string {
  let day = DateTime.now().setZone(ZONE).plus({ days: 3 }).startOf('day');
  while (day.weekday > 5) day = day.plus({ days: 1 });
  return day.set({ hour: 10 }).toISO()!;
}

describe('dashboard (in Chromium)', () => {
  let h: Harness;
  let customer: Awaited<ReturnType<typeof startCustomerApi>>;
  let browser: Browser;
  let page: Page;

  before(async function () {
    skipWithoutChromium(this);
    customer = await startCustomerApi();
    h = await startHarness({ agents: [], storeAgents: true, temporalUiUrl: TEMPORAL_UI });
    browser = await launchBrowser();
    page = browser.page;
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await h?.stop();
    await customer?.close();
  });

  afterEach(() => {
    assert.deepEqual(browser?.pageErrors ?? [], [], 'the pages threw no script errors');
  });

  const shot = (name: string) =>
    page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const dialog = () => page.locator('dialog[open]');
  const afterCallItems = () => page.locator('ol[data-stage="afterCall"] > li.action');

  it('keeps the data behind the token: the shell loads, its settings need the bearer header', async () => {
    const shell = await fetch(`${h.url}/dashboard/`);
    assert.equal(shell.status, 200);
    assert.match(shell.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal((await fetch(`${h.url}/dashboard/settings.json`)).status, 401);
    assert.equal((await fetch(`${h.url}/v1/agents`)).status, 401);
  });

  it('signs in with the token and creates an agent', async () => {
    await page.goto(`${h.url}/dashboard/`);
    await page.getByLabel('API token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not accepted' }).waitFor();

    await page.getByLabel('API token').fill(h.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'AI Voice Agents' }).waitFor();
    await page.getByLabel('Id').fill(AGENT);
    await page.getByLabel('Name').fill('Dashboard test line');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByRole('heading', { name: 'During Call' }).waitFor();
    assert.equal((await h.api('GET', `/v1/agents/${AGENT}`)).body.agent.name, 'Dashboard test line');
  });

  it('saves settings from the Settings tab (the calendar, numbers and network policy the actions need)', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Private hosts http_request may reach').fill('127.0.0.1');
    await page.getByRole('group', { name: 'General' }).getByLabel('Time zone').fill(ZONE);
    await page
      .getByRole('group', { name: 'Phone numbers' })
      .getByLabel('SMS sending number')
      .fill('+14155550188');
    await page.getByRole('button', { name: '+ Add transfer target' }).click();
    await page.getByRole('group', { name: 'New transfer target' }).getByLabel('Name').fill('front_desk');
    await page
      .getByRole('group', { name: 'Transfer target front_desk' })
      .getByRole('textbox', { name: 'Phone number' })
      .fill('+14155550100');
    const calendar = page.getByRole('group', { name: 'Calendar', exact: true });
    await calendar.getByLabel('Calendar provider').selectOption({ label: 'Built-in (stored by callflow)' });
    await calendar.getByRole('group', { name: 'Bookable hours' }).getByLabel('Time zone').fill(ZONE);
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(/Saved as version 2/).waitFor();
    await page
      .getByRole('table', { name: 'Numbers the transfer targets dial' })
      .getByText('***0100')
      .waitFor();
    await shot('settings');
    const saved = (await h.api('GET', `/v1/agents/${AGENT}`)).body;
    assert.deepEqual(saved.agent.network.allowPrivate, ['127.0.0.1']);
    assert.equal(saved.agent.timezone, ZONE);
    assert.equal(saved.agent.telephony.smsFrom, '+14155550188');
    assert.equal(saved.agent.scheduling.provider, 'builtin');
    assert.equal(saved.agent.scheduling.hours.timezone, ZONE);
  });

  it('adds actions in each stage from forms generated from their types (Before Call offers only the lookups)', async () => {
    await page.getByRole('link', { name: 'Actions' }).click();

    await page.getByRole('button', { name: 'Add Action to During Call' }).click();
    await shot('add-action-type-picker');
    await dialog()
      .getByRole('radio', { name: /^http_request/ })
      .check();
    await dialog().getByRole('button', { name: 'Next' }).click();
    await dialog().getByRole('textbox', { name: 'id', exact: true }).fill('lookup_order');
    await dialog().getByLabel('args (JSON)').fill('{"order_id": {"type": "string", "required": true}}');
    const url = dialog().getByLabel(/^url/);
    await url.fill(`${customer.url}/orders/`);
    await url.pressSequentially('{{args.o');
    await dialog().getByRole('option', { name: '{{args.order_id}}' }).waitFor();
    await url.press('Enter');
    assert.equal(await url.inputValue(), `${customer.url}/orders/{{args.order_id}}`);
    await dialog()
      .getByLabel(/^output/)
      .fill('{"order_status": "body.status"}');
    await dialog().getByRole('button', { name: 'Add to list' }).click();
    await page.locator('li.action[data-id="lookup_order"]').waitFor();

    // Before Call offers only the lookups; a customer lookup there greets the caller before the agent answers.
    await page.getByRole('button', { name: 'Add Action to Before Call' }).click();
    const offered = await dialog()
      .getByRole('radio')
      .evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
    assert.deepEqual([...offered].sort(), ['calendar_lookup', 'crm_lookup', 'http_request']);
    await dialog()
      .getByRole('radio', { name: /^http_request/ })
      .check();
    await dialog().getByRole('button', { name: 'Next' }).click();
    await dialog().getByRole('textbox', { name: 'id', exact: true }).fill('find_caller');
    const lookupUrl = dialog().getByLabel(/^url/);
    await lookupUrl.fill(`${customer.url}/customers/`);
    await lookupUrl.pressSequentially('{{call.cust');
    await dialog().getByRole('option', { name: '{{call.customer}}' }).waitFor();
    await lookupUrl.press('Enter');
    assert.equal(await lookupUrl.inputValue(), `${customer.url}/customers/{{call.customer}}`);
    await dialog().getByRole('button', { name: 'Add to list' }).click();
    await page.locator('li.action[data-id="find_caller"]').waitFor();
    assert.deepEqual(await itemIds('beforeCall'), ['find_caller']);

    // The booking runs after the call, on the slot the platform passes in the call's metadata, on the agent's
    // calendar (the built-in one); the SMS after it confirms the booked time.
    await addAfterCall('book_appointment', 'book_visit', async () => {
      await dialog().getByLabel('start', { exact: true }).fill('{{call.metadata.visit_start}}');
      await dialog().getByLabel('name', { exact: true }).fill('{{call.metadata.caller_name}}');
    });
    await addAfterCall('send_sms', 'confirm_sms', async () => {
      const body = dialog().getByLabel(/^body/);
      await body.fill('Your visit is booked for ');
      await body.pressSequentially('{{actions.book_v');
      await body.press('Enter'); // {{actions.book_visit.
      await dialog().getByRole('option', { name: '{{actions.book_visit.start_spoken}}' }).waitFor();
      await shot('template-autocompletion');
      await dialog().getByRole('option', { name: '{{actions.book_visit.start_spoken}}' }).click();
      await body.pressSequentially('. Reply STOP to opt out.');
      assert.equal(await body.inputValue(), SMS_BODY);

      // A condition may ask how the call and the booking went, not only for the booking's output.
      const when = dialog().getByLabel('when', { exact: true });
      await when.pressSequentially('{{actions.book_visit.run.');
      assert.deepEqual(await optionNames(), [
        '{{actions.book_visit.run.status}}',
        '{{actions.book_visit.run.reason}}',
        '{{actions.book_visit.run.error}}',
      ]);
      await when.fill('');
      await when.pressSequentially('{{call.');
      const callFields = await optionNames();
      for (const field of ['status', 'durationSeconds', 'transferred', 'transferOutcome', 'disposition'])
        assert.ok(callFields.includes(`{{call.${field}}}`), `{{call.${field}}} is offered: ${callFields}`);
      await when.press('Escape');
      await when.fill('');
    });
    assert.deepEqual(await itemIds('duringCall'), ['lookup_order']);
    assert.deepEqual(await itemIds(), ['book_visit', 'confirm_sms']);
    await page.locator('li.action.invalid').waitFor({ state: 'detached' });
  });

  it("completes an extraction's fields and missingRequired for the actions after it, not before", async () => {
    // The agent under test has no extraction, so this asks the page's completion module about one that does.
    const agent = {
      actions: {
        duringCall: [],
        afterCall: [
          {
            id: 'extract',
            type: 'extract_data',
            fields: [{ name: 'email', type: 'string', required: true }],
          },
          { id: 'followup', type: 'send_sms' },
        ],
      },
    };
    const referencesAt = (index: number): Promise<string[]> =>
      page.evaluate(
        `import('/dashboard/js/template-complete.js').then((m) => m.referencesFor(${JSON.stringify(agent)}, 'afterCall', ${index}, {}))`,
      );
    const extraction = (await referencesAt(1)).filter((r) => r.startsWith('actions.extract.'));
    assert.deepEqual(extraction, [
      'actions.extract.',
      'actions.extract.summary',
      'actions.extract.missingRequired',
      'actions.extract.data.email',
      'actions.extract.run.status',
      'actions.extract.run.reason',
      'actions.extract.run.error',
    ]);
    const first = await referencesAt(0);
    assert.ok(!first.some((r) => r.startsWith('actions.')), `nothing runs before the extraction: ${first}`);
  });

  it('shows the reference error inline when the SMS is dragged above the booking, before saving', async () => {
    await afterCallItems()
      .nth(1)
      .dragTo(afterCallItems().nth(0), { targetPosition: { x: 40, y: 4 } });
    assert.deepEqual(await itemIds(), ['confirm_sms', 'book_visit']);
    const sms = page.locator('li.action[data-id="confirm_sms"]');
    await sms
      .locator('.item-problems')
      .getByText('"book_visit" runs later in the after-call stage')
      .waitFor();
    // The booking itself refers only to the call, so it stays valid wherever it is.
    assert.equal(await page.locator('li.action[data-id="book_visit"].invalid').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled(), true);
    await shot('actions-invalid-order');
  });

  it('fixes the order from the keyboard and saves it', async () => {
    await page.locator('li.action[data-id="confirm_sms"]').focus();
    await page.keyboard.press('Alt+ArrowDown');
    assert.deepEqual(await itemIds(), ['book_visit', 'confirm_sms']);
    await page.locator('li.action.invalid').waitFor({ state: 'detached' });
    const save = page.getByRole('button', { name: 'Save', exact: true });
    await eventually(async () => ((await save.isEnabled()) ? true : undefined), 30_000, 'Save to be enabled');
    await save.click();
    await page.getByText(/Saved as version 3/).waitFor();
    const saved = (await h.api('GET', `/v1/agents/${AGENT}`)).body;
    assert.equal(saved.version, 3);
    assert.deepEqual(
      saved.agent.actions.duringCall.map((a: { id: string; type: string }) => [a.id, a.type]),
      [['lookup_order', 'http_request']],
    );
    assert.deepEqual(
      saved.agent.actions.afterCall.map((a: { id: string; type: string }) => [a.id, a.type]),
      [
        ['book_visit', 'book_appointment'],
        ['confirm_sms', 'send_sms'],
      ],
    );
    const [booking, sms] = saved.agent.actions.afterCall;
    assert.equal(booking.start, '{{call.metadata.visit_start}}');
    assert.equal(booking.name, '{{call.metadata.caller_name}}');
    assert.equal(sms.body, SMS_BODY);
    assert.equal(sms.when, undefined, 'the condition tried out was cleared');
    await page.getByRole('heading', { name: 'During Call' }).waitFor();
    await shot('actions');
  });

  it('tries a saved action once in dry-run and shows the rendered request and the result', async () => {
    await page.getByRole('button', { name: 'Try lookup_order' }).click();
    await dialog().getByLabel('Sample arguments (JSON)').fill('{"order_id": "A-77"}');
    await dialog().getByRole('button', { name: 'Run dry-run' }).click();
    await dialog().getByRole('heading', { name: 'Rendered request' }).waitFor();
    const shown = await dialog().locator('pre').allInnerTexts();
    assert.match(shown[0], /\/orders\/A-77/);
    assert.ok(shown[1].length > 2, 'a result is shown');
    await shot('try-action');
    await dialog().getByRole('button', { name: 'Close' }).click();
  });

  it('tries an action from its form before it is added or saved, and sends it only when asked', async () => {
    const before = (await h.api('GET', `/v1/agents/${AGENT}`)).body.version;
    await page.getByRole('button', { name: 'Add Action to During Call' }).click();
    await dialog()
      .getByRole('radio', { name: /^http_request/ })
      .check();
    await dialog().getByRole('button', { name: 'Next' }).click();
    const editor = dialog();
    await editor.getByRole('textbox', { name: 'id', exact: true }).fill('check_stock');
    await editor.getByLabel('args (JSON)').fill('{"sku": {"type": "string", "required": true}}');
    const url = editor.getByLabel(/^url/);
    await url.fill(`${customer.url}/stock/{{args.colour}}`);
    const tryButton = editor.getByRole('button', { name: 'Try it', exact: true });
    await tryButton.click();

    // A reference the form cannot resolve comes back from the API naming the field.
    const trial = page
      .locator('dialog[open]')
      .filter({ has: page.getByRole('heading', { name: /^Try check_stock/ }) });
    await trial.getByRole('heading', { name: 'Try check_stock (not saved)' }).waitFor();
    assert.equal(
      await trial.getByLabel('Sample arguments (JSON)').inputValue(),
      '{\n  "sku": "sample-sku"\n}',
    );
    await trial.getByRole('button', { name: 'Run dry-run' }).click();
    const problem = trial.getByRole('alert');
    await problem.getByText('action.url', { exact: true }).waitFor();
    assert.match((await problem.textContent()) ?? '', /args\.colour/);
    await trial.getByRole('button', { name: 'Close' }).click();
    assert.equal(await tryButton.evaluate((el) => el.matches(':focus')), true, 'focus back on Try it');

    await url.fill(`${customer.url}/stock/{{args.sku}}`);
    const requests = customer.requests.length;
    await tryButton.click();
    await trial.getByLabel('Sample arguments (JSON)').fill('{"sku": "B-12"}');
    await trial.getByRole('button', { name: 'Run dry-run' }).click();
    await trial.getByRole('heading', { name: 'Rendered request' }).waitFor();
    const [rendered, result] = await trial.locator('pre').allTextContents();
    assert.equal(JSON.parse(rendered).url, `${customer.url}/stock/B-12`);
    assert.equal(JSON.parse(result).status, 'not_sent');
    assert.equal(customer.requests.length, requests, 'nothing was sent');

    await trial.getByLabel('Really send the HTTP request').check();
    await trial.getByRole('button', { name: 'Run dry-run' }).click();
    await trial.getByText('Completed: it was sent.').waitFor();
    assert.equal(customer.requests.at(-1)?.url, '/stock/B-12');
    await shot('try-unsaved-action');
    await trial.getByRole('button', { name: 'Close' }).click();
    await editor.getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'detached' });

    const after = (await h.api('GET', `/v1/agents/${AGENT}`)).body;
    assert.equal(after.version, before, 'nothing was saved');
    assert.ok(!after.agent.actions.duringCall.some((a: { id: string }) => a.id === 'check_stock'));
  });

  it('books through the built-in calendar after a call run through the ingress, listed with its actions in the saved order', async () => {
    const callId = `dash-${Date.now()}`;
    // The events happen now, as the call's start (the workflow's clock) does.
    const base = Date.now();
    const at = (s: number) => new Date(base + s * 1000).toISOString();
    // The slot the caller chose reaches callflow as call metadata, as a platform's dynamic variables do.
    const start = bookableStart();
    const started = await h.api('POST', `/v1/calls/${callId}/events`, {
      agentId: AGENT,
      call: {
        direction: 'inbound',
        from: '+14155550123',
        to: '+14155550199',
        metadata: { visit_start: start, caller_name: 'Ada Lovelace' },
      },
      events: [
        { id: 'u1', type: 'utterance', role: 'agent', at: at(1), text: 'Dashboard line, how can I help?' },
        {
          id: 'u2',
          type: 'utterance',
          role: 'caller',
          at: at(4),
          text: 'Where is order A-1001? I am on +14155550123.',
        },
      ],
    });
    assert.equal(started.status, 202);
    const tool = await h.api('POST', `/v1/calls/${callId}/actions/lookup_order`, {
      requestId: 'tool-1',
      args: { order_id: 'A-1001' },
    });
    assert.equal(tool.status, 200);
    assert.equal(tool.body.output.order_status, 'status-of-A-1001');
    const calendar = new BuiltinCalendar(h.store);
    assert.deepEqual(await calendar.events(AGENT), [], 'nothing is booked while the call lasts');
    await h.api('POST', `/v1/calls/${callId}/events`, { event: { id: 'end', type: 'ended', at: at(30) } });
    const record = await eventually(
      async () => {
        const r = await h.api('GET', `/v1/calls/${callId}`);
        return r.body.status === 'completed' ? r.body.record : undefined;
      },
      30_000,
      'the call record',
    );
    const order = ['lookup_order', 'book_visit', 'confirm_sms'];
    assert.deepEqual(
      record.actions.map((a: { actionId: string; status: string }) => [a.actionId, a.status]),
      order.map((id) => [id, 'completed']),
      JSON.stringify(record.actions),
    );
    const booked = record.actions[1].output;
    assert.equal(booked.status, 'booked', JSON.stringify(booked));
    assert.equal(Date.parse(booked.start), Date.parse(start));
    // The event is in the harness's store, on the calendar named after the agent.
    const events = await calendar.events(AGENT);
    assert.deepEqual(
      events.map((e) => [e.eventId, Date.parse(e.start)]),
      [[booked.event_id, Date.parse(start)]],
    );
    const logged = await eventually(
      async () => {
        const r = await h.api('GET', `/v1/calls?agent=${AGENT}`);
        return r.body.calls?.find((c: { callId: string }) => c.callId === callId);
      },
      30_000,
      'the call in the call log',
    );

    await page.getByRole('link', { name: 'Calls' }).click();
    const row = page.locator(`tr[data-call-id="${callId}"]`);
    await row.waitFor();
    const cells = await row.locator('td').allInnerTexts();
    assert.equal(cells[1], '***0123');
    assert.equal(cells[2], `${logged.durationSeconds} s`);
    assert.ok(!(await page.content()).includes('4155550123'), 'no full phone number on the page');
    await page.locator('svg.chart').waitFor();
    await shot('calls');

    await row.getByRole('link').click();
    await page.getByRole('heading', { name: `Call ${callId}` }).waitFor();
    const runs = page.locator('ol.runs > li');
    assert.deepEqual(
      await runs.evaluateAll((els) =>
        els.map((e) => (e as unknown as { dataset: Record<string, string> }).dataset.actionId),
      ),
      order,
    );
    for (const id of order)
      assert.match((await page.locator(`li.run[data-action-id="${id}"]`).textContent()) ?? '', /completed/);
    const sms = page.locator('li.run[data-action-id="confirm_sms"]');
    await sms.locator('summary', { hasText: 'Output' }).click();
    // The dry-run sender records the text it would have sent: the time the booking before it made.
    const smsOutput = JSON.parse((await sms.locator('pre').textContent()) ?? '');
    assert.equal(smsOutput.body, `Your visit is booked for ${booked.start_spoken}. Reply STOP to opt out.`);
    assert.equal(smsOutput.to, '***0123');
    assert.equal(smsOutput.from, '***0188');
    // Masking phone numbers leaves the booking's id and times readable.
    const bookingRun = page.locator('li.run[data-action-id="book_visit"]');
    await bookingRun.locator('summary', { hasText: 'Output' }).click();
    const bookingOutput = JSON.parse((await bookingRun.locator('pre').textContent()) ?? '');
    assert.equal(bookingOutput.event_id, booked.event_id);
    assert.equal(bookingOutput.start, booked.start);
    assert.match(
      (await page.locator('ol.transcript').textContent()) ?? '',
      /Where is order A-1001\? I am on \*\*\*0123/,
    );
    assert.equal(
      await page.getByRole('link', { name: 'Open this run in the Temporal UI' }).getAttribute('href'),
      `${TEMPORAL_UI}/namespaces/${h.server.namespace}/workflows/call-${callId}`,
    );
    assert.ok(!(await page.content()).includes('4155550123'), 'no full phone number on the page');
    await shot('call');
  });

  it("tries a calendar lookup from its form: it reads the agent's calendar for the sample caller's number", async () => {
    // The caller of the call above booked a visit on the agent's calendar.
    const caller = '+14155550123';
    const saved = (await h.api('GET', `/v1/agents/${AGENT}`)).body;
    const [visit] = await new BuiltinCalendar(h.store).events(AGENT);
    await page.goto(`${h.url}/dashboard/#/agents/${AGENT}/actions`);
    await page.getByRole('button', { name: 'Add Action to Before Call' }).click();
    await dialog()
      .getByRole('radio', { name: /^calendar_lookup/ })
      .check();
    await dialog().getByRole('button', { name: 'Next' }).click();
    const editor = dialog();
    await editor.getByRole('textbox', { name: 'id', exact: true }).fill('next_visit');
    await editor.getByRole('button', { name: 'Try it', exact: true }).click();
    const trial = page
      .locator('dialog[open]')
      .filter({ has: page.getByRole('heading', { name: /^Try next_visit/ }) });
    await trial.getByLabel('Sample caller’s number').fill(caller);
    await trial.getByRole('button', { name: 'Run dry-run' }).click();
    await trial.getByText('Completed: read from the configured provider.').waitFor();
    const [rendered, result] = await trial.locator('pre').allTextContents();
    assert.equal(JSON.parse(rendered).phone, caller);
    const output = JSON.parse(result).output;
    assert.equal(output.found, true);
    assert.equal(output.event_id, visit.eventId);
    assert.equal(Date.parse(output.start), Date.parse(visit.start));
    await trial.getByRole('button', { name: 'Close' }).click();
    await editor.getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'detached' });
    assert.equal(
      (await h.api('GET', `/v1/agents/${AGENT}`)).body.version,
      saved.version,
      'nothing was saved',
    );
  });

  it('lists the saved versions and shows one', async () => {
    await page.goto(`${h.url}/dashboard/#/agents/${AGENT}/versions`);
    await page.getByRole('button', { name: 'View version 1' }).waitFor();
    assert.equal(await page.locator('tbody tr').count(), 3);
    await page.getByRole('button', { name: 'View version 2' }).click();
    await page.getByRole('heading', { name: 'Version 2' }).waitFor();
    assert.equal(
      JSON.parse((await page.locator('pre.code').textContent()) ?? '').scheduling.provider,
      'builtin',
    );
    await shot('versions');
    await page.goto(`${h.url}/dashboard/#/agents`);
    await page.getByRole('link', { name: 'Dashboard test line' }).waitFor();
    await shot('agents');
  });

  async function addAfterCall(type: string, id: string, fill: () => Promise<void>) {
    await page.getByRole('button', { name: 'Add Action to After Call' }).click();
    await dialog()
      .getByRole('radio', { name: new RegExp(`^${type}`) })
      .check();
    await dialog().getByRole('button', { name: 'Next' }).click();
    await dialog().getByRole('textbox', { name: 'id', exact: true }).fill(id);
    await fill();
    await dialog().getByRole('button', { name: 'Add to list' }).click();
    await page.locator(`li.action[data-id="${id}"]`).waitFor();
  }

  /** The completions the open list offers, in order. */
  async function optionNames(): Promise<string[]> {
    const options = dialog().getByRole('listbox').getByRole('option');
    await options.first().waitFor();
    return options.allTextContents();
  }

  async function itemIds(stage = 'afterCall'): Promise<string[]> {
    return page
      .locator(`ol[data-stage="${stage}"] > li.action`)
      .evaluateAll((els) =>
        els.map((e) => (e as unknown as { dataset: Record<string, string> }).dataset.id ?? ''),
      );
  }
});
