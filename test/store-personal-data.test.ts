import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { EncryptionCodec } from '../src/crypto/codec';
import { BuiltinCalendar, toICalendar } from '../src/integrations/calendar/builtin';
import { CalendarError, type NewEvent } from '../src/integrations/calendar/provider';
import { LookupKeyError } from '../src/store/lookup-keys';
import { applyMigrations, type MigrationConnection, migrations } from '../src/store/migrations';
import { loadLookupKeys, openStore, type StoreOptions } from '../src/store/open-store';
import { OptOutList } from '../src/store/opt-outs';
import { RecordSealer } from '../src/store/sealing';
import { SideEffectLedger } from '../src/store/side-effect-ledger';
import type { Store } from '../src/store/store';
import { startPostgres, type TestPostgres } from './kit/postgres';
import { testCodec } from './kit/temporal';

const CALLER = '+14155550123';
const OPTED_OUT = '+14155550177';
const RECIPIENT = '+14155550199';
const NAME = 'Ada Lovelace';
const EMAIL = 'ada@example.com';
/** What must not appear anywhere in the tables: the numbers' digits, the surname, the email. */
const PERSONAL = ['4155550123', '4155550177', '4155550199', 'Lovelace', EMAIL];

const codecKey = (id: string, fill: number) => `${id}:${Buffer.alloc(32, fill).toString('base64')}`;
const OLD_KEY = codecKey('old', 1);
const NEW_KEY = codecKey('new', 2);
const sealerWith = (...keys: string[]) => new RecordSealer(EncryptionCodec.fromKeys(keys.join(',')));

function booking(key: string, start = '2031-03-03T15:00:00.000Z'): NewEvent {
  return {
    key,
    calendarId: 'dr-lee',
    start,
    end: new Date(Date.parse(start) + 30 * 60_000).toISOString(),
    timezone: 'America/New_York',
    title: `Check-up: ${NAME}`,
    description: `${NAME} asked about a filling`,
    attendee: { name: NAME, phone: CALLER, email: EMAIL },
  };
}

const SMS_RECEIPT = { provider: 'twilio', messageId: 'SM0001', status: 'queued', to: RECIPIENT };

/** Every row of the three tables as text, the way a database dump or a read-only SQL user sees them. */
async function dump(store: Pick<Store, 'query'>): Promise<string> {
  const rows = await store.query<{ row: string }>(
    `SELECT to_jsonb(o)::text AS row FROM sms_opt_outs o
     UNION ALL SELECT to_jsonb(e)::text FROM calendar_events e
     UNION ALL SELECT to_jsonb(s)::text FROM side_effects s`,
  );
  return rows
    .map((r) => r.row)
    .sort()
    .join('\n');
}

function assertNothingPersonal(text: string) {
  for (const value of PERSONAL) assert.ok(!text.includes(value), `"${value}" is stored in clear text`);
}

/** Writes one opt-out, one booking and one SMS result through the store's classes. */
async function writeEach(store: Store, prefix: string) {
  await new OptOutList(store).optOut(OPTED_OUT, 'STOP');
  await new BuiltinCalendar(store).book(booking(`${prefix}/book/1`));
  const ledger = new SideEffectLedger(store);
  await ledger.claim(`${prefix}/thanks/1`, 'sms', 60_000);
  await ledger.complete(`${prefix}/thanks/1`, SMS_RECEIPT);
}

/** Every form an earlier version of the store wrote: migrations 1 to 5 only, and plain rows. */
const LEGACY_ROWS = `
  INSERT INTO sms_opt_outs (phone, keyword) VALUES ('${OPTED_OUT}', 'STOP');
  INSERT INTO calendars (calendar_id) VALUES ('dr-lee');
  INSERT INTO calendar_events
    (event_id, calendar_id, booking_key, starts_at, ends_at, timezone, title, description, attendee, phone)
  VALUES ('cflegacy0001', 'dr-lee', 'call-legacy/book/1', '2031-03-03T15:00:00Z', '2031-03-03T15:30:00Z',
    'America/New_York', 'Check-up: ${NAME}', '${NAME} asked about a filling',
    '{"name": "${NAME}", "phone": "${CALLER}", "email": "${EMAIL}"}', '${CALLER}');
  INSERT INTO side_effects (key, kind, status, attempt, result)
  VALUES ('call-legacy/thanks/1', 'sms', 'done', 1, '${JSON.stringify(SMS_RECEIPT)}');
`;

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`personal data at rest in the store (${kind})`, function () {
    this.timeout(120_000);

    let server: TestPostgres | undefined;
    const tempDirs: string[] = [];
    let admin: pg.Client | undefined;

    before(async () => {
      if (kind !== 'postgres') return;
      server = await startPostgres();
      admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
    });

    after(async () => {
      await admin?.end();
      await server?.stop();
      for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    });

    let seq = 0;
    /** Where a new, empty database lives: its own Postgres database, or its own PGlite directory. */
    async function freshDatabase(): Promise<StoreOptions> {
      if (admin && server) {
        const name = `callflow_pd_${process.pid}_${seq++}`;
        await admin.query(`CREATE DATABASE ${name}`);
        const url = new URL(server.url);
        url.pathname = `/${name}`;
        return { databaseUrl: url.toString() };
      }
      const dir = mkdtempSync(join(tmpdir(), 'callflow-pd-'));
      tempDirs.push(dir);
      return { dataDir: join(dir, 'db') };
    }

    /** A database as the store left it before personal data was sealed, holding LEGACY_ROWS. */
    async function legacyDatabase(): Promise<StoreOptions> {
      const where = await freshDatabase();
      const before = migrations.filter((m) => m.id <= 5);
      if (where.databaseUrl) {
        const client = new pg.Client({ connectionString: where.databaseUrl });
        await client.connect();
        const conn: MigrationConnection = {
          query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
          exec: async (sql) => {
            await client.query(sql);
          },
        };
        await applyMigrations(conn, { advisoryLock: false }, before);
        await client.query(LEGACY_ROWS);
        await client.end();
      } else {
        const db = await PGlite.create(where.dataDir);
        const conn: MigrationConnection = {
          query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
          exec: async (sql) => {
            await db.exec(sql);
          },
        };
        await applyMigrations(conn, { advisoryLock: false }, before);
        await db.exec(LEGACY_ROWS);
        await db.close();
      }
      return where;
    }

    async function withStore<T>(opts: StoreOptions, fn: (store: Store) => Promise<T>): Promise<T> {
      const store = await openStore(opts);
      try {
        return await fn(store);
      } finally {
        await store.close();
      }
    }

    describe('with codec keys', () => {
      let store: Store;
      before(async () => {
        store = await openStore({ ...(await freshDatabase()), sealer: new RecordSealer(testCodec) });
        await writeEach(store, 'call-pd-1');
      });
      after(async () => store?.close());

      it('keeps no phone number, name or email in clear text in the opt-outs, calendar or side effects', async () => {
        const text = await dump(store);
        assertNothingPersonal(text);
        const [optOut] = await store.query<{ phone: string | null; phone_hash: string }>(
          'SELECT phone, phone_hash FROM sms_opt_outs',
        );
        assert.equal(optOut.phone, null);
        assert.match(optOut.phone_hash, new RegExp(`^${testCodec.keyId}:[0-9a-f]{64}$`));
      });

      it('still honours STOP and START for the number', async () => {
        const optOuts = new OptOutList(store);
        assert.equal(await optOuts.isOptedOut(OPTED_OUT), true);
        assert.equal(await optOuts.isOptedOut(CALLER), false);
        await optOuts.optOut(RECIPIENT, 'STOP');
        assert.equal(await optOuts.applyReply(RECIPIENT, 'START'), 'opted_in');
        assert.equal(await optOuts.isOptedOut(RECIPIENT), false);
      });

      it('still finds a booking by the caller number, with the attendee as booked', async () => {
        const [found] = await new BuiltinCalendar(store).findByPhone(
          'dr-lee',
          CALLER,
          '2031-03-01T00:00:00.000Z',
          '2031-03-10T00:00:00.000Z',
        );
        assert.deepEqual(found.attendee, { name: NAME, phone: CALLER, email: EMAIL });
        assert.equal(found.title, `Check-up: ${NAME}`);
      });

      it('returns the first event for a retried booking and refuses a second booking of the slot', async () => {
        const calendar = new BuiltinCalendar(store);
        const [first] = await calendar.events('dr-lee');
        assert.equal((await calendar.book(booking('call-pd-1/book/1'))).eventId, first.eventId);
        await assert.rejects(
          calendar.book(booking('call-pd-2/book/1')),
          (err) => err instanceof CalendarError && err.kind === 'conflict',
        );
      });

      it('publishes attendee names in the iCalendar feed, and no numbers', async () => {
        const ics = toICalendar('dr-lee', await new BuiltinCalendar(store).events('dr-lee'));
        assert.match(ics, /SUMMARY:Check-up: Ada Lovelace\r\n/);
        assert.ok(!ics.includes('4155550123'));
      });

      it('returns the SMS result to a retry as it was recorded', async () => {
        const ledger = new SideEffectLedger(store);
        assert.deepEqual(await ledger.claim('call-pd-1/thanks/1', 'sms', 60_000), {
          state: 'done',
          result: SMS_RECEIPT,
        });
        assert.deepEqual((await ledger.get('call-pd-1/thanks/1'))?.result, SMS_RECEIPT);
      });

      it('honours rows a process without keys writes in the plain form', async () => {
        const keyless: Store = { ...store, sealer: undefined, lookup: undefined };
        await new OptOutList(keyless).optOut('+14155550188', 'STOP');
        await new BuiltinCalendar(keyless).book({
          ...booking('call-pd-3/book/1', '2031-03-04T15:00:00.000Z'),
          attendee: { name: 'Plain', phone: '+14155550188' },
        });
        const optOuts = new OptOutList(store);
        assert.equal(await optOuts.isOptedOut('+14155550188'), true);
        const found = await new BuiltinCalendar(store).findByPhone(
          'dr-lee',
          '+14155550188',
          '2031-03-01T00:00:00.000Z',
          '2031-03-10T00:00:00.000Z',
        );
        assert.equal(found[0]?.attendee?.name, 'Plain');
        await optOuts.optIn('+14155550188');
        assert.equal(await new OptOutList(keyless).isOptedOut('+14155550188'), false);
      });
    });

    describe('key rotation', () => {
      it('finds an opt-out written under the old key by a worker that is now on the new key first', async () => {
        await withStore({ ...(await freshDatabase()), sealer: sealerWith(OLD_KEY) }, async (old) => {
          await writeEach(old, 'call-rot-1');
          // A second worker already rotated (new key first, old second), reading what this one wrote.
          const sealer = sealerWith(NEW_KEY, OLD_KEY);
          const rotated: Store = { ...old, sealer, lookup: await loadLookupKeys(old, sealer) };
          assert.equal(await new OptOutList(rotated).isOptedOut(OPTED_OUT), true);
          const found = await new BuiltinCalendar(rotated).findByPhone(
            'dr-lee',
            CALLER,
            '2031-03-01T00:00:00.000Z',
            '2031-03-10T00:00:00.000Z',
          );
          assert.equal(found.length, 1);
          assert.deepEqual(
            (await new SideEffectLedger(rotated).get('call-rot-1/thanks/1'))?.result,
            SMS_RECEIPT,
          );
        });
      });

      it('re-keys rows to the new key when it opens, so the old key can then be retired', async () => {
        const where = await freshDatabase();
        await withStore({ ...where, sealer: sealerWith(OLD_KEY) }, (old) => writeEach(old, 'call-rot-2'));
        await withStore({ ...where, sealer: sealerWith(NEW_KEY, OLD_KEY) }, async (rotated) => {
          const keyIds = await rotated.query<{ key_id: string }>(
            `SELECT split_part(phone_hash, ':', 1) AS key_id FROM sms_opt_outs
             UNION ALL SELECT personal->>'keyId' FROM calendar_events
             UNION ALL SELECT result->>'keyId' FROM side_effects`,
          );
          assert.deepEqual(
            keyIds.map((r) => r.key_id),
            ['new', 'new', 'new'],
          );
        });
        await withStore({ ...where, sealer: sealerWith(NEW_KEY) }, async (retired) => {
          assert.equal(await new OptOutList(retired).isOptedOut(OPTED_OUT), true);
          const [event] = await new BuiltinCalendar(retired).events('dr-lee');
          assert.deepEqual(event.attendee, { name: NAME, phone: CALLER, email: EMAIL });
          assert.deepEqual(
            (await new SideEffectLedger(retired).get('call-rot-2/thanks/1'))?.result,
            SMS_RECEIPT,
          );
        });
      });

      it('refuses to open when a key id is reused for different key material', async () => {
        const where = await freshDatabase();
        await withStore({ ...where, sealer: sealerWith(codecKey('k1', 1)) }, async () => {});
        await assert.rejects(openStore({ ...where, sealer: sealerWith(codecKey('k1', 3)) }), LookupKeyError);
      });
    });

    describe('rows written before personal data was sealed', () => {
      let where: StoreOptions;
      let firstOpen: string;
      before(async () => {
        where = await legacyDatabase();
      });

      it('are honoured and sealed when the store first opens with keys', async () => {
        await withStore({ ...where, sealer: new RecordSealer(testCodec) }, async (store) => {
          assert.equal(await new OptOutList(store).isOptedOut(OPTED_OUT), true);
          const calendar = new BuiltinCalendar(store);
          const [found] = await calendar.findByPhone(
            'dr-lee',
            CALLER,
            '2031-03-01T00:00:00.000Z',
            '2031-03-10T00:00:00.000Z',
          );
          assert.equal(found.eventId, 'cflegacy0001');
          assert.deepEqual(found.attendee, { name: NAME, phone: CALLER, email: EMAIL });
          assert.equal((await calendar.book(booking('call-legacy/book/1'))).eventId, 'cflegacy0001');
          assert.deepEqual(await new SideEffectLedger(store).claim('call-legacy/thanks/1', 'sms', 60_000), {
            state: 'done',
            result: SMS_RECEIPT,
          });
          firstOpen = await dump(store);
          assertNothingPersonal(firstOpen);
        });
      });

      it('are left as they are by later opens', async () => {
        await withStore({ ...where, sealer: new RecordSealer(testCodec) }, async (store) => {
          assert.equal(await dump(store), firstOpen);
          assert.equal(await new OptOutList(store).isOptedOut(OPTED_OUT), true);
        });
      });
    });
  });
}
