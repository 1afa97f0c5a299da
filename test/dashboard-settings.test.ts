import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import type { Harness } from './kit/harness';
import { eventually } from './kit/temporal';
import { type Browser, openAgentDashboard, skipWithoutChromium } from './support/browser';

const AGENT = 'settings-line';
const SCREENSHOTS = mkdtempSync(path.join(os.tmpdir(), 'callflow-settings-'));

describe('dashboard Settings tab (in Chromium)', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;

  before(async function () {
    skipWithoutChromium(this);
    ({ h, browser, page } = await openAgentDashboard({
      id: AGENT,
      name: 'Settings line',
      timezone: 'America/Chicago',
      actions: { duringCall: [], afterCall: [] },
    }));
    await settingsForm().waitFor();
  });

  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  afterEach(() => {
    assert.deepEqual(browser?.pageErrors ?? [], [], 'the pages threw no script errors');
  });

  const settingsForm = () => page.locator('form.settings');
  const targetsCard = () => page.getByRole('group', { name: 'Transfer targets', exact: true });
  const target = (name: string) => page.getByRole('group', { name: `Transfer target ${name}`, exact: true });
  const newTarget = () => page.getByRole('group', { name: 'New transfer target', exact: true });
  const calendarCard = () => page.getByRole('group', { name: 'Calendar', exact: true });
  const numbersCard = () => page.getByRole('group', { name: 'Phone numbers', exact: true });
  const crmCard = () => page.getByRole('group', { name: 'CRM', exact: true });
  const dialog = () => page.locator('dialog[open]');
  const latest = async () => (await h.api('GET', `/v1/agents/${AGENT}`)).body;
  const shot = (name: string, part: Locator) =>
    part.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });

  /** Waits for the inline problem beside a control (the field-error its aria-describedby names) to match. */
  async function problemBeside(control: Locator, expected: RegExp): Promise<string> {
    let shown = '';
    const read = async () => {
      const ids = ((await control.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
      const texts = await Promise.all(
        ids.map((id) => page.locator(`[id="${id}"].field-error:not([hidden])`).allTextContents()),
      );
      return texts.flat().join(' ');
    };
    try {
      return await eventually(
        async () => {
          shown = await read();
          return expected.test(shown) ? shown : undefined;
        },
        10_000,
        `a problem matching ${expected} beside the control`,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; shown: "${shown}"`);
    }
  }

  const isFocused = (control: Locator) => control.evaluate((el) => el.matches(':focus'));

  async function save(version: number) {
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText(`Saved as version ${version}.`).waitFor();
    await settingsForm().waitFor();
  }

  async function addTarget(name: string) {
    await targetsCard().getByRole('button', { name: '+ Add transfer target' }).click();
    await newTarget().getByLabel('Name').fill(name);
    return target(name);
  }

  it('adds transfer targets with a destination, mode, hours per weekday and a fallback chain', async () => {
    const sales = await addTarget('sales');
    await sales.getByRole('radio', { name: 'Phone number' }).check();
    await sales.getByRole('textbox', { name: 'Phone number' }).fill('+14155550100');
    await sales.getByLabel('Description').fill('Sales desk');
    await sales.getByLabel('Mode').selectOption('cold');
    await sales.getByLabel('Ring timeout (seconds)').fill('25');

    await sales.getByLabel('Only during business hours').check();
    const hours = sales.getByRole('group', { name: 'Business hours' });
    // New hours start from the agent's time zone and 09:00-17:00 on weekdays.
    assert.equal(await hours.getByLabel('Time zone').inputValue(), 'America/Chicago');
    await hours.getByLabel('Time zone').fill('America/New_York');
    await hours.getByRole('button', { name: 'Add hours on Monday' }).click();
    await hours.getByLabel('Monday hours 2, from').fill('18:00');
    await hours.getByLabel('Monday hours 2, to').fill('20:00');
    await hours.getByLabel('Friday hours 1, to').fill('13:00');
    await hours.getByRole('button', { name: 'Remove Wednesday hours 1' }).click();
    await hours.getByRole('button', { name: 'Add hours on Saturday' }).click();
    await hours.getByLabel('Saturday hours 1, from').fill('10:00');
    await hours.getByLabel('Saturday hours 1, to').fill('00:00');
    await hours.getByRole('button', { name: '+ Closed date' }).click();
    await hours.getByLabel('Closed date 1', { exact: true }).fill('2026-12-25');

    const support = await addTarget('support');
    await support.getByRole('radio', { name: 'SIP URI' }).check();
    await support.getByRole('textbox', { name: 'SIP URI' }).fill('sip:desk@pbx.example.com');

    await sales.getByRole('button', { name: '+ Fallback step' }).click();
    await sales.getByLabel('Step 1: transfer to').selectOption({ label: 'support' });
    await sales.getByRole('button', { name: '+ Fallback step' }).click();
    await sales.getByLabel('Step 2', { exact: true }).selectOption({ label: 'Voicemail' });
    await sales.getByLabel('Voicemail greeting').fill('Leave us a message.');
    await sales.getByRole('button', { name: 'Move fallback step 2 up' }).click();
    assert.equal(await sales.getByLabel('Step 1', { exact: true }).inputValue(), 'voicemail');
    assert.equal(await sales.getByLabel('Step 2: transfer to').inputValue().then(Boolean), true);
    // A target is not offered as its own fallback.
    const choices = await sales.getByLabel('Step 2: transfer to').locator('option').allInnerTexts();
    assert.deepEqual(choices, ['Choose a target…', 'support']);
    await shot('transfer-targets', targetsCard());

    await save(2);
    const saved = await latest();
    assert.deepEqual(saved.agent.transferTargets, {
      sales: {
        number: '+14155550100',
        description: 'Sales desk',
        mode: 'cold',
        ringTimeoutSeconds: 25,
        hours: {
          timezone: 'America/New_York',
          weekly: {
            mon: ['09:00-17:00', '18:00-20:00'],
            tue: ['09:00-17:00'],
            thu: ['09:00-17:00'],
            fri: ['09:00-13:00'],
            sat: ['10:00-24:00'],
          },
          closedDates: ['2026-12-25'],
        },
        fallback: [{ voicemail: { greeting: 'Leave us a message.' } }, { target: 'support' }],
      },
      support: { sip: 'sip:desk@pbx.example.com' },
    });
  });

  it('shows a saved target as it was saved, and follows a renamed target in fallback chains', async () => {
    const sales = target('sales');
    assert.equal(await sales.getByRole('textbox', { name: 'Phone number' }).inputValue(), '+14155550100');
    assert.equal(await sales.getByLabel('Mode').inputValue(), 'cold');
    assert.equal(await sales.getByLabel('Saturday hours 1, to').inputValue(), '00:00');
    await target('support').getByLabel('Name').fill('helpdesk');
    assert.equal(
      await sales.getByLabel('Step 2: transfer to').locator('option:checked').textContent(),
      'helpdesk',
    );
    await save(3);
    const saved = (await latest()).agent.transferTargets;
    assert.deepEqual(Object.keys(saved), ['sales', 'helpdesk']);
    assert.deepEqual(saved.sales.fallback[1], { target: 'helpdesk' });
  });

  it("shows the API's problems beside the controls they name, and saves nothing", async () => {
    const sales = target('sales');
    const phone = sales.getByRole('textbox', { name: 'Phone number' });
    await phone.fill('+1415');
    await problemBeside(phone, /^Phone number: a valid E\.164 phone number like \+14155550100$/);
    assert.equal(await phone.getAttribute('aria-invalid'), 'true');

    const hours = sales.getByRole('group', { name: 'Business hours' });
    await hours.getByLabel('Tuesday hours 1, from').fill('18:00');
    const tuesday = hours.getByRole('group', { name: 'Tuesday' });
    await problemBeside(tuesday, /Tuesday: "18:00-17:00" must start before it ends, within one day/);

    await target('helpdesk').getByLabel('Ring timeout (seconds)').fill('2');
    const ring = target('helpdesk').getByLabel('Ring timeout (seconds)');
    await problemBeside(ring, /^Ring timeout \(seconds\): Too small/);

    // The summary lists every problem with its field path.
    const summary = page.getByRole('alert').filter({ hasText: 'cannot be saved yet' });
    await summary.getByText('transferTargets.sales.number').waitFor();
    await summary.getByText('transferTargets.sales.hours.weekly.tue').waitFor();
    await summary.getByText('transferTargets.helpdesk.ringTimeoutSeconds').waitFor();
    await shot('transfer-target-problems', target('sales'));

    await page.getByRole('button', { name: 'Save settings' }).click();
    await eventually(
      async () => ((await isFocused(phone)) ? true : undefined),
      30_000,
      'focus on the first invalid control',
    );
    assert.equal((await latest()).version, 3);

    // Fixing them clears the marks.
    await phone.fill('+14155550100');
    await hours.getByLabel('Tuesday hours 1, from').fill('09:00');
    await ring.fill('20');
    await summary.waitFor({ state: 'detached' });
    assert.equal(await phone.getAttribute('aria-invalid'), null);
  });

  it('checks target names in the page: required, the id rule, not twice', async () => {
    const added = targetsCard().getByRole('button', { name: '+ Add transfer target' });
    await added.click();
    // The legend follows the name, so the new target is found by position.
    const fresh = targetsCard().locator('fieldset.target').last();
    const name = fresh.getByLabel('Name');
    await fresh.getByRole('textbox', { name: 'Phone number' }).fill('+14155550111');
    await name.fill('Sales Desk');
    await problemBeside(name, /starting with a letter/);
    await name.fill('sales');
    await problemBeside(name, /another target is already called "sales"/);
    await target('sales').last().getByRole('button', { name: 'Remove transfer target sales' }).click();
    // Focus goes back to the add button after a removal.
    assert.equal(await isFocused(added), true);
    await page.getByRole('alert').filter({ hasText: 'cannot be saved yet' }).waitFor({ state: 'detached' });
    assert.equal(await target('sales').count(), 1);
  });

  it('is usable from the keyboard: add a target, fill it, reorder its fallback and remove it', async () => {
    const added = targetsCard().getByRole('button', { name: '+ Add transfer target' });
    await added.focus();
    await page.keyboard.press('Enter');
    assert.equal(await isFocused(newTarget().getByLabel('Name')), true);
    await page.keyboard.type('night');
    const night = target('night');
    await night.getByRole('textbox', { name: 'Phone number' }).focus();
    await page.keyboard.type('+14155550122');
    const addStep = night.getByRole('button', { name: '+ Fallback step' });
    await addStep.focus();
    await page.keyboard.press('Enter');
    // The new step's kind is focused first.
    assert.equal(await isFocused(night.getByLabel('Step 1', { exact: true })), true);
    await addStep.focus();
    await page.keyboard.press('Enter');
    await night.getByLabel('Step 1: transfer to').selectOption({ label: 'sales' });
    await night.getByLabel('Step 2', { exact: true }).selectOption({ label: 'Back to the AI agent' });
    await night.getByRole('button', { name: 'Move fallback step 2 up' }).focus();
    await page.keyboard.press('Enter');
    assert.equal(await night.getByLabel('Step 1', { exact: true }).inputValue(), 'agent');
    // The moved step keeps the focus: at the top, on its other move button.
    assert.equal(await isFocused(night.getByRole('button', { name: 'Move fallback step 1 down' })), true);
    await night.getByRole('button', { name: 'Remove transfer target night' }).focus();
    await page.keyboard.press('Enter');
    assert.equal(await target('night').count(), 0);
    assert.equal(await isFocused(added), true);
  });

  it("sets up the calendar with the chosen provider's own fields, naming credentials only as env vars", async () => {
    const card = calendarCard();
    await card.getByLabel('Calendar provider').selectOption({ label: 'Google Calendar' });
    const calendarId = card.getByLabel('Calendar ID');
    assert.equal(await calendarId.getAttribute('required'), '');
    await card.getByText(/reads GOOGLE_SERVICE_ACCOUNT_JSON/).waitFor();
    await problemBeside(calendarId, /^Calendar ID: required with provider google$/);
    await calendarId.fill('primary');
    const hours = card.getByRole('group', { name: 'Bookable hours' });
    await hours.getByLabel('Time zone').fill('America/Denver');
    await card.getByLabel('Appointment length (minutes)').fill('45');
    await card.getByLabel('Slots offered at once').fill('4');
    await card.getByLabel('Also check these calendars').fill('team@example.com\nholidays@example.com');
    await shot('calendar', calendarCard());
    await save(4);
    assert.deepEqual((await latest()).agent.scheduling, {
      provider: 'google',
      calendarId: 'primary',
      checkCalendars: ['team@example.com', 'holidays@example.com'],
      hours: {
        timezone: 'America/Denver',
        weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, ['09:00-17:00']])),
      },
      durationMinutes: 45,
      maxOptions: 4,
    });
  });

  it('relabels the calendar field for each provider, and removes the calendar with "No calendar"', async () => {
    const card = calendarCard();
    await card.getByLabel('Calendar provider').selectOption({ label: 'Cal.com' });
    assert.equal(await card.getByLabel('Event type ID').inputValue(), 'primary');
    await card.getByText(/reads CALCOM_API_KEY/).waitFor();
    await card.getByLabel('Calendar provider').selectOption({ label: 'Built-in (stored by callflow)' });
    assert.equal(await card.getByLabel('Calendar name').getAttribute('required'), null);
    await card.getByText('No credentials needed.').waitFor();
    await card.getByLabel('Calendar provider').selectOption({ label: 'No calendar' });
    await save(5);
    assert.equal((await latest()).agent.scheduling, undefined);
  });

  it('edits the advanced settings with fields too: secrets and platform secrets as env var names', async () => {
    await page
      .getByLabel('Secrets (environment variable names)', { exact: true })
      .fill('CALLFLOW_SECRET_CRM_TOKEN\nCALLFLOW_SECRET_LOOKUP_KEY');
    // Each platform folds away until it is opened.
    const secrets = page.getByLabel('Retell webhook secrets (environment variable names)');
    assert.equal(await secrets.isVisible(), false);
    await page.locator('summary', { hasText: 'Retell' }).click();
    await secrets.fill('retell key');
    await problemBeside(secrets, /Retell webhook secrets.*\[0\]/);
    await secrets.fill('RETELL_API_KEY');
    // Twilio's callbacks are verified with the auth tokens of the account the agent's numbers live in.
    const twilioTokens = page.getByLabel('Twilio auth tokens (environment variable names)');
    await page.locator('summary', { hasText: 'Twilio' }).click();
    await twilioTokens.fill('TWILIO_AUTH_TOKEN_NEW\nTWILIO_AUTH_TOKEN_OLD');
    await save(6);
    const saved = (await latest()).agent;
    assert.deepEqual(saved.secrets, ['CALLFLOW_SECRET_CRM_TOKEN', 'CALLFLOW_SECRET_LOOKUP_KEY']);
    assert.deepEqual(saved.platforms, {
      retell: { secrets: ['RETELL_API_KEY'] },
      twilio: { secrets: ['TWILIO_AUTH_TOKEN_NEW', 'TWILIO_AUTH_TOKEN_OLD'] },
    });
  });
  it("edits the phone numbers, and lists the numbers the transfer targets dial, masked, as they're edited", async () => {
    const card = numbersCard();
    await card.getByLabel('Telephony provider').selectOption('twilio');
    await card.getByLabel('SMS sending number').fill('+14155550177');
    await card.getByLabel('Agent TwiML URL').fill('https://agent.example.com/twiml');
    await card.getByLabel('Hold music URL').fill('https://agent.example.com/hold.mp3');
    const dialled = card.getByRole('table', { name: 'Numbers the transfer targets dial' });
    const rows = async () =>
      dialled
        .locator('tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.children].map((cell) => (cell.textContent ?? '').trim())),
        );
    assert.deepEqual(await rows(), [
      ['sales', '***0100', 'default (TWILIO_FROM_NUMBER)', 'cold'],
      ['helpdesk', 'sip:desk@pbx.example.com', 'default (TWILIO_FROM_NUMBER)', 'warm'],
    ]);
    // The list follows the Transfer targets form before anything is saved.
    await target('sales').getByRole('textbox', { name: 'Phone number' }).fill('+14155550166');
    await eventually(
      async () => ((await rows())[0]?.[1] === '***0166' ? true : undefined),
      10_000,
      'the new number, masked, in the list',
    );
    assert.doesNotMatch((await dialled.textContent()) ?? '', /4155550166/);
    await shot('phone-numbers', card);
    await save(7);
    const saved = (await latest()).agent;
    assert.deepEqual(saved.telephony, {
      provider: 'twilio',
      smsFrom: '+14155550177',
      agentTwimlUrl: 'https://agent.example.com/twiml',
      holdMusicUrl: 'https://agent.example.com/hold.mp3',
    });
    assert.equal(saved.transferTargets.sales.number, '+14155550166');
    assert.equal(await numbersCard().getByLabel('SMS sending number').inputValue(), '+14155550177');
  });

  it('offers to add a CRM log when the After Call stage has none: the picker opens with crm_log chosen', async () => {
    const card = crmCard();
    await card.getByText(/no crm_log action in the After Call stage/).waitFor();
    await card.getByRole('button', { name: '+ Add a CRM log to After Call' }).click();
    await dialog().getByRole('heading', { name: 'Add Action After Call' }).waitFor();
    assert.equal(
      await dialog()
        .getByRole('radio', { name: /^crm_log/ })
        .isChecked(),
      true,
    );
    await dialog().getByRole('button', { name: 'Next' }).click();
    await dialog()
      .getByRole('heading', { name: /^Add crm_log/ })
      .waitFor();
    await dialog().getByRole('textbox', { name: 'id', exact: true }).fill('file_call');
    await dialog()
      .getByLabel(/^provider/)
      .selectOption('hubspot');
    await dialog()
      .getByRole('group', { name: 'contact' })
      .getByLabel(/^email/)
      .fill('{{data.email?}}');
    await dialog()
      .getByLabel(/^properties/)
      .fill('{"hs_lead_status": "{{call.disposition}}", "budget": "{{data.budget?}}"}');
    await dialog().getByRole('button', { name: 'Add to list' }).click();
    await page.locator('li.action[data-id="file_call"]').waitFor();
    assert.equal(new URL(page.url()).hash, `#/agents/${AGENT}/actions`, 'the request left the address');
    const saveActions = page.getByRole('button', { name: 'Save', exact: true });
    await eventually(async () => ((await saveActions.isEnabled()) ? true : undefined), 30_000, 'Save');
    await saveActions.click();
    await page.getByText('Saved as version 8.').waitFor();
    const saved = (await latest()).agent.actions.afterCall;
    assert.deepEqual(saved, [
      {
        id: 'file_call',
        type: 'crm_log',
        provider: 'hubspot',
        contact: { email: '{{data.email?}}' },
        properties: { hs_lead_status: '{{call.disposition}}', budget: '{{data.budget?}}' },
      },
    ]);
  });

  it("shows each crm_log's provider, contact and property mapping, and opens its editor on the Actions tab", async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    const log = crmCard().getByRole('region', { name: /^file_call/ });
    await log.waitFor();
    assert.match((await log.locator('dl').textContent()) ?? '', /ProviderHubSpot.*HUBSPOT_ACCESS_TOKEN/);
    const mapping = async (name: string) =>
      log
        .getByRole('table', { name })
        .locator('tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.children].map((cell) => (cell.textContent ?? '').trim())),
        );
    // The phone the contact is found by is the action type's default.
    assert.deepEqual(await mapping('Contact mapping of file_call'), [
      ['Phone', '{{call.customer}}'],
      ['Email', '{{data.email?}}'],
    ]);
    assert.deepEqual(await mapping('Property mapping of file_call'), [
      ['hs_lead_status', '{{call.disposition}}'],
      ['budget', '{{data.budget?}}'],
    ]);
    await shot('crm', crmCard());

    await log.getByRole('button', { name: 'Edit file_call in Actions' }).click();
    await dialog()
      .getByRole('heading', { name: /^Edit file_call/ })
      .waitFor();
    assert.equal(
      await dialog()
        .getByLabel(/^provider/)
        .inputValue(),
      'hubspot',
    );
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'detached' });
    assert.equal(new URL(page.url()).hash, `#/agents/${AGENT}/actions`);
  });
});
