import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import twilio from 'twilio';
import { createTwilioClient } from '../src/integrations/twilio-client';
import {
  type FakeMessage,
  loadTwilioSpec,
  startTwilioFake,
  type TwilioFake,
} from './kit/fakes/twilio-server';

const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');
const API_KEY_SID = `SK${randomBytes(16).toString('hex')}`;
const API_KEY_SECRET = randomBytes(16).toString('hex');
const FROM = '+15005550006';
const TO = '+14155552671';
const MESSAGES_PATH = `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`;
const MESSAGES_PATH_TEMPLATE = '/2010-04-01/Accounts/{AccountSid}/Messages.json';

function basicAuthUser(header: string | string[] | undefined): string {
  assert.equal(typeof header, 'string');
  const match = /^Basic (.+)$/.exec(header as string);
  assert.ok(match, `expected Basic credentials, got ${header}`);
  return Buffer.from(match[1], 'base64').toString('utf8').split(':')[0];
}

/** Polls a condition the test cannot subscribe to (socket teardown happens inside the server). */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function isRestException(status: number, code: number) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof twilio.RestException, `expected a RestException, got ${String(err)}`);
    assert.equal(err.status, status);
    assert.equal(err.code, code);
    assert.equal(err.moreInfo, `https://www.twilio.com/docs/errors/${code}`);
    return true;
  };
}

function rawPost(fake: TwilioFake, form: URLSearchParams): Promise<Response> {
  return fetch(`${fake.url}${MESSAGES_PATH}`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    },
    body: form,
  });
}

describe('Twilio fake driven by the official twilio client', () => {
  let fake: TwilioFake;
  let client: twilio.Twilio;

  beforeEach(async () => {
    fake = await startTwilioFake({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      apiKeys: { [API_KEY_SID]: API_KEY_SECRET },
    });
    client = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: fake.url });
  });

  afterEach(async () => {
    fake.holdResponses(false);
    await fake.close();
  });

  describe('sending a message', () => {
    it('posts To, From and Body as form fields with Basic auth of the account', async () => {
      await client.messages.create({ to: TO, from: FROM, body: 'Your table is booked for 7pm.' });

      assert.equal(fake.requests.length, 1);
      const [request] = fake.requests;
      assert.equal(request.method, 'POST');
      assert.equal(request.path, MESSAGES_PATH);
      assert.deepEqual(request.form, { To: TO, From: FROM, Body: 'Your table is booked for 7pm.' });
      assert.match(String(request.headers['content-type']), /^application\/x-www-form-urlencoded/);
      assert.equal(request.authUser, ACCOUNT_SID);
      assert.equal(basicAuthUser(request.headers.authorization), ACCOUNT_SID);
      assert.equal(request.status, 201);
      assert.deepEqual(fake.contractViolations(), []);
    });

    it('returns the created message to the client with its sid and queued status', async () => {
      const message = await client.messages.create({ to: TO, from: FROM, body: 'Hello' });

      assert.equal(fake.messages.length, 1);
      const stored = fake.messages[0];
      assert.match(message.sid, /^SM[0-9a-f]{32}$/);
      assert.equal(message.sid, stored.sid);
      assert.equal(message.status, 'queued');
      assert.equal(message.accountSid, ACCOUNT_SID);
      assert.equal(message.to, TO);
      assert.equal(message.from, FROM);
      assert.equal(message.body, 'Hello');
      assert.equal(message.numSegments, '1');
      assert.equal(message.direction, 'outbound-api');
      assert.equal(message.uri, `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${message.sid}.json`);
      assert.ok(message.dateCreated instanceof Date && !Number.isNaN(message.dateCreated.getTime()));
      assert.equal(message.dateSent, null);
      assert.deepEqual(fake.contractViolations(), []);
    });

    it('answers with exactly the properties of the spec message schema, dates in RFC 2822', async () => {
      await client.messages.create({ to: TO, from: FROM, body: 'x' });

      const schema = loadTwilioSpec().components.schemas['api.v2010.account.message'];
      const stored: FakeMessage = fake.messages[0];
      assert.deepEqual(Object.keys(stored).sort(), Object.keys(schema.properties ?? {}).sort());
      assert.match(
        stored.date_created,
        /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/,
      );
      assert.equal(
        stored.subresource_uris.media,
        `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${stored.sid}/Media.json`,
      );
    });

    it('sends repeated MediaUrl fields, which the fake records as an array and answers with an MM sid', async () => {
      const media = ['https://example.com/a.png', 'https://example.com/b.png'];
      const message = await client.messages.create({ to: TO, from: FROM, mediaUrl: media });

      assert.deepEqual(fake.requests[0].form.MediaUrl, media);
      assert.match(message.sid, /^MM[0-9a-f]{32}$/);
      assert.equal(message.numMedia, '2');
      assert.deepEqual(fake.contractViolations(), []);
    });

    it('counts segments the way carriers bill them', async () => {
      const gsm = await client.messages.create({ to: TO, from: FROM, body: 'a'.repeat(161) });
      const ucs2 = await client.messages.create({ to: TO, from: FROM, body: '👍'.repeat(36) });

      assert.equal(gsm.numSegments, '2');
      assert.equal(ucs2.numSegments, '2');
    });

    it('accepts an API key SID and secret acting for the account', async () => {
      const keyClient = createTwilioClient({
        accountSid: ACCOUNT_SID,
        apiKeySid: API_KEY_SID,
        apiKeySecret: API_KEY_SECRET,
        apiBaseUrl: fake.url,
      });

      const message = await keyClient.messages.create({ to: TO, from: FROM, body: 'via key' });

      assert.equal(message.accountSid, ACCOUNT_SID);
      assert.equal(fake.requests[0].authUser, API_KEY_SID);
      assert.equal(fake.requests[0].path, MESSAGES_PATH);
      assert.deepEqual(fake.contractViolations(), []);
    });
  });

  describe('Twilio errors reach the client as RestException', () => {
    it('rejects a To number that is not E.164 with code 21211 and status 400', async () => {
      await assert.rejects(
        client.messages.create({ to: '555-1234', from: FROM, body: 'Hi' }),
        isRestException(400, 21211),
      );
      assert.equal(fake.messages.length, 0);
      assert.equal(fake.requests[0].status, 400);
      assert.deepEqual(fake.contractViolations(), []);
    });

    it('rejects a wrong auth token with code 20003 and status 401', async () => {
      const badClient = createTwilioClient({
        accountSid: ACCOUNT_SID,
        authToken: 'wrong',
        apiBaseUrl: fake.url,
      });

      await assert.rejects(
        badClient.messages.create({ to: TO, from: FROM, body: 'Hi' }),
        isRestException(401, 20003),
      );
      assert.equal(fake.messages.length, 0);
    });

    it('rejects a valid API key used on another account path with code 20003', async () => {
      const otherAccount = `AC${randomBytes(16).toString('hex')}`;
      const keyClient = createTwilioClient({
        accountSid: otherAccount,
        apiKeySid: API_KEY_SID,
        apiKeySecret: API_KEY_SECRET,
        apiBaseUrl: fake.url,
      });

      await assert.rejects(
        keyClient.messages.create({ to: TO, from: FROM, body: 'Hi' }),
        isRestException(401, 20003),
      );
    });

    it('reports the missing sender, missing content and overlong body with their Twilio codes', async () => {
      await assert.rejects(client.messages.create({ to: TO, body: 'Hi' }), isRestException(400, 21603));
      await assert.rejects(client.messages.create({ to: TO, from: FROM }), isRestException(400, 21602));
      await assert.rejects(
        client.messages.create({ to: TO, from: FROM, body: 'x'.repeat(1601) }),
        isRestException(400, 21617),
      );
      assert.equal(fake.messages.length, 0);
    });

    it('answers the next POST with the error queued by failNext, and only that one', async () => {
      fake.failNext(429, 20429, 'Too Many Requests');

      await assert.rejects(
        client.messages.create({ to: TO, from: FROM, body: 'Hi' }),
        isRestException(429, 20429),
      );
      const retried = await client.messages.create({ to: TO, from: FROM, body: 'Hi' });

      assert.equal(fake.requests.length, 2, 'the client must not retry on its own');
      assert.equal(fake.messages.length, 1);
      assert.equal(fake.messages[0].sid, retried.sid);
    });

    it('answers an unknown message sid with code 20404', async () => {
      await assert.rejects(client.messages(`SM${'0'.repeat(32)}`).fetch(), isRestException(404, 20404));
    });
  });

  describe('reading messages', () => {
    it('finds a sent message by To and DateSent', async () => {
      const sent = await client.messages.create({ to: TO, from: FROM, body: 'find me' });
      await client.messages.create({ to: '+14155550000', from: FROM, body: 'someone else' });

      const found = await client.messages.list({ to: TO, dateSent: sent.dateCreated });
      const otherDay = await client.messages.list({ to: TO, dateSent: new Date('2001-02-03T00:00:00Z') });

      assert.deepEqual(
        found.map((m) => m.sid),
        [sent.sid],
      );
      assert.equal(found[0].body, 'find me');
      assert.deepEqual(otherDay, []);
      const listRequest = fake.requests.find((r) => r.method === 'GET');
      assert.ok(listRequest);
      assert.equal(listRequest.query.To, TO);
      // The client serialises date filters as full ISO timestamps, not YYYY-MM-DD.
      assert.match(listRequest.query.DateSent, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      assert.deepEqual(fake.contractViolations(), []);
    });

    it('applies DateSent< and DateSent> as inclusive day bounds', async () => {
      const sent = await client.messages.create({ to: TO, from: FROM, body: 'bounded' });
      const day = sent.dateCreated;
      const nextDay = new Date(day.getTime() + 86_400_000);

      assert.equal((await client.messages.list({ dateSentAfter: day, dateSentBefore: day })).length, 1);
      assert.equal((await client.messages.list({ dateSentAfter: nextDay })).length, 0);
      assert.equal((await client.messages.list({ dateSentBefore: nextDay })).length, 1);
      assert.deepEqual(fake.contractViolations(), []);
    });

    it('pages newest first and the client follows next_page_uri to the end', async () => {
      const created: string[] = [];
      for (const body of ['one', 'two', 'three']) {
        created.push((await client.messages.create({ to: TO, from: FROM, body })).sid);
      }

      const listed = await client.messages.list({ to: TO, pageSize: 2 });

      assert.deepEqual(
        listed.map((m) => m.sid),
        [...created].reverse(),
      );
      const gets = fake.requests.filter((r) => r.method === 'GET');
      assert.equal(gets.length, 2);
      assert.equal(gets[1].query.Page, '1');
      assert.match(gets[1].query.PageToken, /^PA/);
      assert.deepEqual(fake.contractViolations(), []);
    });

    it("answers a list with exactly the properties of the spec's list response, in Twilio's uri style", async () => {
      await client.messages.create({ to: TO, from: FROM, body: 'listed' });
      const auth = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;

      const response = await fetch(`${fake.url}${MESSAGES_PATH}?To=${encodeURIComponent(TO)}&PageSize=1`, {
        headers: { Authorization: auth },
      });
      const page = (await response.json()) as Record<string, unknown>;

      const listSchema = (loadTwilioSpec().paths[MESSAGES_PATH_TEMPLATE].get as any).responses['200'].content[
        'application/json'
      ].schema;
      assert.deepEqual(Object.keys(page).sort(), Object.keys(listSchema.properties).sort());
      assert.equal(page.first_page_uri, `${MESSAGES_PATH}?To=%2B14155552671&PageSize=1&Page=0`);
      assert.equal(page.next_page_uri, null);
      assert.equal(page.previous_page_uri, null);
      assert.deepEqual([page.page, page.page_size, page.start, page.end], [0, 1, 0, 0]);
      assert.deepEqual(fake.contractViolations(), []);
    });

    it('fetches one message by sid', async () => {
      const sent = await client.messages.create({ to: TO, from: FROM, body: 'fetch me' });

      const fetched = await client.messages(sent.sid).fetch();

      assert.equal(fetched.sid, sent.sid);
      assert.equal(fetched.body, 'fetch me');
      assert.deepEqual(fake.contractViolations(), []);
    });
  });

  describe('contract checking against the Twilio OpenAPI description', () => {
    it('reports a form parameter the spec does not declare, and still answers', async () => {
      const response = await rawPost(
        fake,
        new URLSearchParams({ To: TO, From: FROM, Body: 'Hi', Priority: 'high' }),
      );

      assert.equal(response.status, 201);
      const violations = fake.contractViolations();
      assert.equal(violations.length, 1);
      assert.match(violations[0], /form parameter 'Priority' is not a property of CreateMessageRequest/);
      assert.deepEqual(fake.requests[0].contractViolations, violations);
    });

    it('reports a missing required parameter and a wrongly typed one', async () => {
      const response = await rawPost(
        fake,
        new URLSearchParams({ From: FROM, Body: 'Hi', ProvideFeedback: 'yes' }),
      );

      assert.equal(response.status, 400);
      assert.equal(((await response.json()) as { code: number }).code, 21604);
      const violations = fake.contractViolations().join('\n');
      assert.match(violations, /required form parameter 'To' is missing/);
      assert.match(violations, /ProvideFeedback="yes" is not a boolean/);
    });

    it('reports a JSON body where the spec wants a form', async () => {
      await fetch(`${fake.url}${MESSAGES_PATH}`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ To: TO, From: FROM, Body: 'Hi' }),
      });

      assert.match(fake.contractViolations().join('\n'), /Content-Type is application\/json/);
    });

    it('reports undeclared query parameters and paths outside the spec', async () => {
      const auth = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
      await fetch(`${fake.url}${MESSAGES_PATH}?Status=delivered`, { headers: { Authorization: auth } });
      const missing = await fetch(`${fake.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Texts.json`, {
        headers: { Authorization: auth },
      });

      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { code: number }).code, 20404);
      const violations = fake.contractViolations().join('\n');
      assert.match(violations, /query parameter 'Status' is not declared for GET/);
      assert.match(violations, /Texts\.json: path is not in the Twilio API description/);
    });
  });

  describe('withheld responses', () => {
    it('creates the message at once but completes the client request only after release', async () => {
      fake.holdResponses(true);
      const created = new Promise<FakeMessage>((resolve) => fake.onMessageCreated(resolve));
      let settled = false;
      const sending = client.messages.create({ to: TO, from: FROM, body: 'held' }).finally(() => {
        settled = true;
      });

      const stored = await created;
      // A full round trip on another connection proves the server is answering everything else.
      const fetched = await client.messages(stored.sid).fetch();
      assert.equal(fetched.sid, stored.sid);
      assert.equal(settled, false);
      assert.equal(fake.messages.length, 1);

      fake.holdResponses(false);
      const message = await sending;

      assert.equal(message.sid, stored.sid);
      assert.equal(fake.requests[0].responseDropped, undefined);
      assert.deepEqual(fake.contractViolations(), []);
    });

    it('keeps the message when the client disconnects before the response is released', async () => {
      fake.holdResponses(true);
      const created = new Promise<FakeMessage>((resolve) => fake.onMessageCreated(resolve));
      const body = new URLSearchParams({ To: TO, From: FROM, Body: 'worker died' }).toString();
      const request = http.request(`${fake.url}${MESSAGES_PATH}`, {
        method: 'POST',
        auth: `${ACCOUNT_SID}:${AUTH_TOKEN}`,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      const aborted = new Promise<void>((resolve) => request.on('error', () => resolve()));
      request.end(body);

      await created;
      request.destroy();
      await aborted;
      await waitFor(() => fake.requests[0]?.responseDropped === true, 'the server to notice the disconnect');

      fake.holdResponses(false);
      assert.equal(fake.messages.length, 1);
      assert.equal(fake.messages[0].body, 'worker died');
      assert.equal(fake.requests[0].status, 201);
      assert.deepEqual(fake.contractViolations(), []);
    });
  });
});
