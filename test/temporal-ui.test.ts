import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { freePort } from '../src/temporal/free-port';
import { freshDataDir } from './kit/pglite-template';
import { type ServiceProcess, startService } from './kit/service';
import { eventually } from './kit/temporal';
import { type Browser, launchBrowser, signIn, skipWithoutChromium } from './support/browser';

const CALLER = '+14155550142';
const SAID = 'Where is order A-1001?';
/** `binary/encrypted` as the UI shows an undecoded payload's metadata (base64). */
const ENCRYPTED_MARK = Buffer.from('binary/encrypted').toString('base64');

/**
 * `npm start` as a new user runs it (its own dev server, the example agent, a generated token and key), and the
 * real Temporal UI it ships, in Chromium: a call made through the API reads decoded, with no codec settings.
 */
describe('the Temporal UI after npm start (in Chromium)', () => {
  let service: ServiceProcess | undefined;
  let dataDir: string;
  let uiPort: number;
  let browser: Browser | undefined;
  let base: string;
  let token: string;

  before(async function () {
    skipWithoutChromium(this);
    this.timeout(180_000);
    // Its store copied from a migrated template: creating and migrating one takes seconds.
    dataDir = await freshDataDir('callflow-ui-');
    uiPort = await freePort();
    service = await startService(
      {
        ...process.env,
        TEMPORAL_ADDRESS: '',
        TEMPORAL_DEV_PORT: String(await freePort()),
        TEMPORAL_DEV_UI_PORT: String(uiPort),
        CALLFLOW_DATA_DIR: dataDir,
        CALLFLOW_API_TOKEN: '',
        CALLFLOW_CODEC_KEYS: '',
        // For the recipe for a UI on another origin, played with the dev server's own UI port.
        CALLFLOW_CODEC_ORIGINS: `http://127.0.0.1:${uiPort}`,
        PORT: '0',
      },
      170_000,
    );
    const ui = /Temporal UI\s+(http:\/\/localhost:\d+)\/temporal\//.exec(service.stdout);
    assert.ok(ui, `the banner names the Temporal UI on the ingress: ${service.stdout}`);
    base = ui[1];
    token = readFileSync(path.join(dataDir, 'api-token'), 'utf8').trim();
    await makeCall();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The README's walk-through call: it starts, the agent looks an order up, the caller hangs up. */
  async function makeCall(): Promise<void> {
    const post = (p: string, body: unknown) =>
      fetch(`${base}/v1${p}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const started = await post('/calls/ui-1/events', {
      agentId: 'acme-support',
      call: { direction: 'inbound', from: CALLER, to: '+14155550100' },
      events: [
        {
          id: 'u1',
          type: 'utterance',
          role: 'agent',
          at: '2026-03-03T14:00:01Z',
          text: 'Acme, how can I help?',
        },
        { id: 'u2', type: 'utterance', role: 'caller', at: '2026-03-03T14:00:04Z', text: SAID },
      ],
    });
    assert.equal(started.status, 202, await started.text());
    const tool = await post('/calls/ui-1/actions/lookup_order', {
      requestId: 'tool-1',
      args: { order_id: 'A-1001' },
    });
    assert.equal(tool.status, 200, await tool.text());
    const ended = await post('/calls/ui-1/events', {
      event: { id: 'end', type: 'ended', at: '2026-03-03T14:01:00Z' },
    });
    assert.equal(ended.status, 202, await ended.text());
    await eventually(
      async () => {
        const res = await fetch(`${base}/v1/calls/ui-1`, { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { status?: string };
        return body.status === 'completed' ? true : undefined;
      },
      60_000,
      'the call to complete',
    );
  }

  const workflowPage = () => `${base}/temporal/namespaces/default/workflows/call-ui-1`;

  async function expectDecodedCall(page: Page): Promise<void> {
    await page.getByRole('heading', { name: 'call-ui-1' }).waitFor();
    await page.getByRole('heading', { name: 'Input' }).waitFor();
    await page.getByText(`"from": "${CALLER}"`).first().waitFor();
    await page.getByText('"agentId": "acme-support"').first().waitFor();
    // Each action's activity carries its summary, encrypted in the history like the input.
    await page.getByText('during call: lookup_order (http_request)').first().waitFor();
    await page.getByText('after call: record in the call log').first().waitFor();
    const text = (await page.locator('body').textContent()) ?? '';
    assert.ok(!text.includes(ENCRYPTED_MARK), 'a payload is shown encrypted');
    assert.ok(!/codec server could not connect/i.test(text), 'the UI reports the codec unreachable');
  }

  it('keeps the UI and the codec closed to a browser that has not signed in', async () => {
    const page = await fetch(`${base}/temporal/namespaces/default/workflows`, { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.match(page.headers.get('location') ?? '', /^\/codec\/sign-in\?next=%2Ftemporal%2F/);
    const api = await fetch(`${base}/temporal/api/v1/namespaces/default/workflows`, {
      headers: { accept: 'application/json' },
    });
    assert.equal(api.status, 401);
    const decode = await fetch(`${base}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ payloads: [] }),
    });
    assert.equal(decode.status, 401);
    const wrong = await fetch(`${base}/codec/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: 'not-the-token', next: '/temporal/' }),
      redirect: 'manual',
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('set-cookie'), null);
  });

  it('shows only ciphertext on the dev server’s own port, which has no codec session', async () => {
    const page = browser!.page;
    await page.goto(`http://127.0.0.1:${uiPort}/temporal/namespaces/default/workflows/call-ui-1`);
    await page.getByRole('heading', { name: 'call-ui-1' }).waitFor();
    await page.getByText(ENCRYPTED_MARK).first().waitFor();
    const text = (await page.locator('body').textContent()) ?? '';
    for (const clear of [CALLER, 'acme-support', 'during call: lookup_order'])
      assert.ok(!text.includes(clear), `"${clear}" is readable without signing in`);
  });

  it('signs in with the API token and shows the call decoded: its input and its actions’ summaries', async () => {
    const page = browser!.page;
    await page.goto(workflowPage());
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/temporal\/namespaces\/default\/workflows\/call-ui-1/);
    await expectDecodedCall(page);
  });

  it("opens a call's run from the dashboard decoded: signing in there signs the UI in too", async () => {
    const fresh = await launchBrowser();
    try {
      await signIn(fresh.page, base, token, '#/agents/acme-support/calls/ui-1');
      const link = fresh.page.getByRole('link', { name: 'Open this run in the Temporal UI' });
      assert.equal(await link.getAttribute('href'), '/temporal/namespaces/default/workflows/call-ui-1');
      const [tab] = await Promise.all([fresh.context.waitForEvent('page'), link.click()]);
      await expectDecodedCall(tab);
    } finally {
      await fresh.close();
    }
  });

  it('opens the UI signed in from the one-time login link npm start prints', async () => {
    const res = await fetch(`${base}/codec/login-url`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    const { url } = (await res.json()) as { url: string };
    const fresh = await launchBrowser();
    try {
      await fresh.page.goto(url);
      await fresh.page.waitForURL(`${base}/temporal/**`);
      await fresh.page.goto(workflowPage());
      await expectDecodedCall(fresh.page);
      await fresh.page.goto(url);
      assert.match(
        (await fresh.page.locator('body').textContent()) ?? '',
        /invalid, expired or already used/,
      );
    } finally {
      await fresh.close();
    }
  });

  it("decodes in a UI on another origin with the README's recipe: browser setting, endpoint, cross-origin credentials", async () => {
    const ingress = base.replace('localhost', '127.0.0.1');
    const res = await fetch(`${ingress}/codec/login-url`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const { url } = (await res.json()) as { url: string };
    const fresh = await launchBrowser();
    try {
      const page = fresh.page;
      await page.goto(url);
      await page.goto(`http://127.0.0.1:${uiPort}/temporal/namespaces/default/workflows`);
      await page.getByTestId('data-encoder-status-configured').click();
      await page.getByRole('button', { name: 'Use Cluster-level setting, where available.' }).click();
      await page.getByLabel('Use my browser setting and ignore Cluster-level setting.').check();
      await page.getByPlaceholder('Paste your endpoint here').fill(`${ingress}/codec`);
      // The UI's top bar overlaps the switch in a short window: toggled from the keyboard.
      const credentials = page.getByRole('switch', { name: 'Include cross-origin credentials' });
      await credentials.focus();
      await page.keyboard.press('Space');
      assert.equal(await credentials.isChecked(), true);
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.goto(`http://127.0.0.1:${uiPort}/temporal/namespaces/default/workflows/call-ui-1`);
      await expectDecodedCall(page);
    } finally {
      await fresh.close();
    }
  });
});
