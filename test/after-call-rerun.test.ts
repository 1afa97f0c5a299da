import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { callWorkflow } from '../workflows/call';
import { startCustomerApi } from './kit/customer-api';
import { event, type Harness, startHarness } from './kit/harness';
import { retellSignature } from './support/platform-signing';

describe('re-running the after-call stage of a finished call', () => {
  let api: Awaited<ReturnType<typeof startCustomerApi>>;
  let h: Harness;
  before(async () => {
    api = await startCustomerApi();
    h = await startHarness({
      agents: [
        {
          id: 'logger',
          name: 'Logger',
          network: { allowPrivate: ['127.0.0.1'] },
          actions: {
            afterCall: [
              {
                id: 'ticket',
                type: 'http_request',
                method: 'POST',
                url: `${api.url}/tickets`,
                output: { ticket: 'body.ticket' },
              },
              {
                id: 'crm',
                type: 'http_request',
                method: 'POST',
                url: `${api.url}/crm`,
                body: { ticket: '{{actions.ticket.ticket}}' },
                retry: { maximumAttempts: 2, initialIntervalSeconds: 0.1 },
              },
              { id: 'thanks', type: 'send_sms', body: 'Logged as {{actions.crm.body.record}}.' },
            ],
          },
        },
      ],
    });
  });
  after(async () => {
    await h?.stop();
    await api?.close();
  });

  it('keeps what completed and runs the rest again once the outage is over', async () => {
    api.setOutage(true);
    await h.api('POST', '/v1/calls/rerun-1/events', {
      agentId: 'logger',
      call: { direction: 'inbound', from: '+14155550193' },
      event: event('end', 5, { type: 'ended' }),
    });
    const first = await h.client.workflow.getHandle<typeof callWorkflow>('call-rerun-1').result();
    assert.deepEqual(
      first.actions.map((a) => [a.actionId, a.status]),
      [
        ['ticket', 'completed'],
        ['crm', 'failed'],
        ['thanks', 'skipped'],
      ],
    );
    assert.match(first.actions[1].error!.message, /HTTP 503/);

    api.setOutage(false);
    const tickets = api.requests.filter((r) => r.url === '/tickets').length;
    const res = await h.api('POST', '/v1/calls/rerun-1/after-call/rerun', {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const record = res.body.record;
    const latest = (id: string) =>
      record.actions.filter((a: { actionId: string }) => a.actionId === id).at(-1);
    assert.equal(latest('crm').status, 'completed');
    assert.equal(latest('thanks').status, 'completed');
    assert.match(latest('thanks').output.body, /^Logged as R-\d+\.$/);
    assert.equal(
      api.requests.filter((r) => r.url === '/tickets').length,
      tickets,
      'a completed action ran again',
    );
    // The re-run sends the same idempotency key the failed attempt used.
    const crmKeys = new Set(
      api.requests.filter((r) => r.url === '/crm').map((r) => r.headers['idempotency-key']),
    );
    assert.deepEqual([...crmKeys], ['call-rerun-1/crm/1']);
  });

  it('shows the latest re-run as the call, starts the next re-run from it, and counts the call once', async () => {
    // After the first test's re-run, GET answers with the re-run's record, not the failed first run's.
    const shown = await h.api('GET', '/v1/calls/rerun-1');
    assert.equal(shown.status, 200);
    const latest = (record: { actions: { actionId: string; status: string }[] }, id: string) =>
      record.actions.filter((a) => a.actionId === id).at(-1)?.status;
    assert.equal(latest(shown.body.record, 'crm'), 'completed');

    // A second re-run starts from that record: nothing is left to run, so no request reaches the API.
    const before = api.requests.length;
    const again = await h.api('POST', '/v1/calls/rerun-1/after-call/rerun', {});
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(api.requests.length, before, 'a re-run repeated what the previous re-run completed');
    assert.equal(latest(again.body.record, 'thanks'), 'completed');

    // Re-runs carry no call search attributes: a search by agent finds the call's own run only.
    const found: string[] = [];
    for await (const wf of h.client.workflow.list({ query: 'CallAgentId = "logger"' }))
      found.push(wf.workflowId);
    assert.ok(found.includes('call-rerun-1'), found.join(', '));
    assert.ok(!found.some((id) => id.includes('rerun-1/')), found.join(', '));
  });

  it('refuses a second re-run while one is running', async () => {
    api.setOutage(true);
    await h.api('POST', '/v1/calls/rerun-3/events', {
      agentId: 'logger',
      call: { direction: 'inbound', from: '+14155550193' },
      event: event('end', 5, { type: 'ended' }),
    });
    await h.client.workflow.getHandle<typeof callWorkflow>('call-rerun-3').result();
    api.setOutage(false);
    const release = api.holdCrm();
    const crmSeen = api.requests.filter((r) => r.url === '/crm').length;
    const first = h.api('POST', '/v1/calls/rerun-3/after-call/rerun', {});
    try {
      // Once the re-run's CRM request is in flight, the re-run is certainly running.
      const deadline = Date.now() + 30_000;
      while (api.requests.filter((r) => r.url === '/crm').length === crmSeen) {
        assert.ok(Date.now() < deadline, 'the re-run never reached the CRM');
        await new Promise((r) => setTimeout(r, 50));
      }
      const second = await h.api('POST', '/v1/calls/rerun-3/after-call/rerun', {});
      assert.equal(second.status, 409);
      assert.match(second.body.error, /already being re-run/);
      const shown = await h.api('GET', '/v1/calls/rerun-3');
      assert.equal(shown.body.rerun, 'running');
    } finally {
      release();
    }
    assert.equal((await first).status, 200);
  });

  it('refuses to re-run a call that is still running (409) or unknown (404)', async () => {
    await h.api('POST', '/v1/calls/rerun-2/events', {
      agentId: 'logger',
      event: event('u', 1, { type: 'utterance', role: 'caller', text: 'hello' }),
    });
    assert.equal((await h.api('POST', '/v1/calls/rerun-2/after-call/rerun', {})).status, 409);
    assert.equal((await h.api('POST', '/v1/calls/nope-9/after-call/rerun', {})).status, 404);
  });
});

describe('re-running the after-call stage of a call whose analysis came after it closed', function () {
  this.timeout(60_000);
  const KEY = 'retell-key-rerun-0123';
  let h: Harness;
  before(async () => {
    h = await startHarness({
      env: { RERUN_RETELL_KEY: KEY },
      agents: [
        {
          id: 'analysed',
          name: 'Analysed',
          platforms: { retell: { secrets: ['RERUN_RETELL_KEY'], awaitAnalysisSeconds: 1 } },
          actions: {
            afterCall: [
              {
                id: 'disposition',
                type: 'set_disposition',
                codes: ['Analysed', 'Unanalysed'],
                rules: [{ code: 'Analysed', if: '{{data.platform_summary}}' }],
                default: 'Unanalysed',
              },
              { id: 'thanks', type: 'send_sms', to: '+14155550193', body: 'Thanks for calling.' },
            ],
          },
        },
      ],
    });
  });
  after(async () => {
    await h?.stop();
  });

  async function deliver(name: string, callId: string) {
    const body = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'retell', `${name}.json`), 'utf8'));
    body.call.call_id = callId;
    const raw = JSON.stringify(body);
    const res = await h.api('POST', '/webhooks/retell/analysed', raw, {
      'content-type': 'application/json',
      'x-retell-signature': retellSignature(raw, KEY, Date.now()),
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return { body, res };
  }

  it('applies the analysis kept as a raw delivery, decides the disposition again, and says it came late', async () => {
    const id = `late-${Date.now().toString(36)}`;
    await deliver('call_ended', id);
    const first = await h.client.workflow.getHandle<typeof callWorkflow>(`call-retell-${id}`).result();
    assert.equal(first.disposition, 'Unanalysed');
    assert.deepEqual(first.analysisWait, { seconds: 1, outcome: 'timed_out' });

    // The analysis comes after the call's workflow closed: answered and kept, but not applied.
    const { body, res } = await deliver('call_analyzed', id);
    assert.equal(res.body.result, 'call_ended');
    const kept = await h.api('GET', `/v1/calls/retell-${id}/deliveries`);
    assert.equal(kept.body.deliveries.length, 2);
    assert.equal((await h.api('GET', `/v1/calls/retell-${id}`)).body.record.disposition, 'Unanalysed');

    const rerun = await h.api('POST', `/v1/calls/retell-${id}/after-call/rerun`, {});
    assert.equal(rerun.status, 200, JSON.stringify(rerun.body));
    const record = rerun.body.record;
    const analysis = body.call.call_analysis;
    assert.equal(record.disposition, 'Analysed');
    assert.equal(record.data.platform_summary, analysis.call_summary);
    assert.equal(record.data.order_id, analysis.custom_analysis_data.order_id);
    assert.equal(record.analyzed, true);
    assert.deepEqual(record.analysisWait, {
      seconds: 1,
      outcome: 'timed_out',
      late: true,
      appliedByRerun: true,
    });
    // The text that completed is not sent again; only the disposition is decided again.
    assert.equal(record.actions.filter((a: { actionId: string }) => a.actionId === 'thanks').length, 1);
    assert.deepEqual(
      record.actions
        .filter((a: { actionId: string }) => a.actionId === 'disposition')
        .map((a: { output: { code: string } }) => a.output.code),
      ['Unanalysed', 'Analysed'],
    );
    // What GET shows is the re-run's record.
    assert.equal((await h.api('GET', `/v1/calls/retell-${id}`)).body.record.disposition, 'Analysed');

    // A second re-run finds the analysis applied and changes nothing.
    const again = await h.api('POST', `/v1/calls/retell-${id}/after-call/rerun`, {});
    assert.equal(again.body.record.disposition, 'Analysed');
    assert.equal(
      again.body.record.actions.filter((a: { actionId: string }) => a.actionId === 'disposition').length,
      2,
    );
  });
});
