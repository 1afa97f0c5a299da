import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type Harness, startHarness } from '../kit/harness';

/** Debian's Chromium; the browser tests skip themselves where it is not installed. */
export const CHROMIUM = '/usr/bin/chromium';

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Script errors the pages threw, for a test to assert there were none. */
  pageErrors: string[];
  close(): Promise<void>;
}

/** Skips the suite, saying why, where Debian's Chromium is not installed. */
export function skipWithoutChromium(suite: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  console.log(`      skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, as root)`);
  suite.skip();
}

/** Debian's Chromium, headless, with a throwaway profile and nothing that reaches the network by itself. */
export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'callflow-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1366, height: 860 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return {
    context,
    page,
    pageErrors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the dashboard and signs in with the API token through the login form. */
export async function signIn(page: Page, baseUrl: string, token: string, hash = ''): Promise<void> {
  await page.goto(`${baseUrl}/dashboard/${hash}`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#logout:not([hidden])').waitFor();
}

/** A harness whose store holds `agent` (created through the API), and Chromium signed in at its Settings tab. */
export async function openAgentDashboard(
  agent: { id: string } & Record<string, unknown>,
  opts: { agentTests?: boolean } = {},
): Promise<{ h: Harness; browser: Browser; page: Page }> {
  const h = await startHarness({ agents: [], storeAgents: true, noWorker: true, ...opts });
  let browser: Browser | undefined;
  try {
    const created = await h.api('POST', '/v1/agents', agent);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    browser = await launchBrowser();
    await signIn(browser.page, h.url, h.token, `#/agents/${agent.id}/settings`);
    return { h, browser, page: browser.page };
  } catch (err) {
    await browser?.close();
    await h.stop();
    throw err;
  }
}
