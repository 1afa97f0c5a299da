export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/**
 * Append only: never edit or reorder an entry once it has shipped, since databases that already
 * recorded its id will not run it again.
 */
export const migrations: readonly Migration[] = [
  {
    id: 1,
    name: 'side_effects',
    sql: `
      CREATE TABLE side_effects (
        key         text PRIMARY KEY,
        kind        text NOT NULL,
        status      text NOT NULL CHECK (status IN ('pending', 'done')),
        attempt     integer NOT NULL,
        lease_until timestamptz,
        result      jsonb,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: 2,
    name: 'sms_opt_outs',
    sql: `
      CREATE TABLE sms_opt_outs (
        phone         text PRIMARY KEY,
        keyword       text NOT NULL,
        opted_out_at  timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    id: 3,
    name: 'builtin_calendar',
    sql: `
      CREATE TABLE calendars (
        calendar_id text PRIMARY KEY
      );
      CREATE TABLE calendar_events (
        event_id     text PRIMARY KEY,
        calendar_id  text NOT NULL REFERENCES calendars (calendar_id),
        booking_key  text NOT NULL UNIQUE,
        starts_at    timestamptz NOT NULL,
        ends_at      timestamptz NOT NULL,
        timezone     text NOT NULL,
        title        text NOT NULL,
        description  text,
        attendee     jsonb NOT NULL,
        phone        text,
        location     text,
        status       text NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'cancelled')),
        created_at   timestamptz NOT NULL DEFAULT now(),
        CHECK (ends_at > starts_at)
      );
      CREATE INDEX calendar_events_span ON calendar_events (calendar_id, starts_at, ends_at);
      CREATE INDEX calendar_events_phone ON calendar_events (phone);
    `,
  },
  {
    id: 4,
    name: 'agent_store',
    // config is json, not jsonb: it keeps the author's key order, so an export reads like the file it came from.
    sql: `
      CREATE TABLE agents (
        agent_id       text PRIMARY KEY,
        latest_version integer NOT NULL,
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE agent_versions (
        agent_id    text NOT NULL REFERENCES agents (agent_id),
        version     integer NOT NULL CHECK (version > 0),
        config      json NOT NULL,
        author      text NOT NULL,
        note        text,
        source      text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agent_id, version)
      );
    `,
  },
  {
    id: 5,
    name: 'call_log',
    sql: `
      CREATE TABLE call_log (
        call_id          text PRIMARY KEY,
        agent_id         text NOT NULL,
        agent_version    integer,
        direction        text NOT NULL,
        customer         text,
        started_at       timestamptz NOT NULL,
        ended_at         timestamptz,
        duration_seconds integer,
        disposition      text,
        status           text NOT NULL,
        data             jsonb NOT NULL,
        actions          jsonb NOT NULL,
        record           jsonb NOT NULL,
        recorded_at      timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX call_log_agent_started ON call_log (agent_id, started_at DESC, call_id DESC);
      CREATE INDEX call_log_started ON call_log (started_at DESC, call_id DESC);
    `,
  },
  {
    id: 6,
    name: 'personal_data_at_rest',
    // Numbers looked up by equality move to keyed hashes (./lookup-keys.ts) and what is read back to sealed
    // columns; the plain columns stay for rows written without keys (./personal-data.ts).
    sql: `
      CREATE TABLE lookup_keys (
        key_id     text PRIMARY KEY,
        secret     jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      ALTER TABLE sms_opt_outs DROP CONSTRAINT sms_opt_outs_pkey;
      ALTER TABLE sms_opt_outs ALTER COLUMN phone DROP NOT NULL;
      ALTER TABLE sms_opt_outs ADD COLUMN phone_hash text, ADD COLUMN phone_sealed jsonb;
      ALTER TABLE sms_opt_outs ADD CONSTRAINT sms_opt_outs_one_form CHECK ((phone IS NULL) <> (phone_hash IS NULL));
      CREATE UNIQUE INDEX sms_opt_outs_phone ON sms_opt_outs (phone);
      CREATE UNIQUE INDEX sms_opt_outs_phone_hash ON sms_opt_outs (phone_hash);
      ALTER TABLE calendar_events ALTER COLUMN title DROP NOT NULL, ALTER COLUMN attendee DROP NOT NULL;
      ALTER TABLE calendar_events ADD COLUMN phone_hash text, ADD COLUMN personal jsonb;
      CREATE INDEX calendar_events_phone_hash ON calendar_events (phone_hash);
    `,
  },
  {
    id: 7,
    name: 'transfer_legs',
    // Which Twilio leg each transfer attempt placed, from the legs' own status callbacks (./transfer-legs.ts).
    sql: `
      CREATE TABLE transfer_legs (
        call_id     text NOT NULL,
        attempt_id  text NOT NULL,
        leg_id      text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (call_id, attempt_id, leg_id)
      );
      CREATE INDEX transfer_legs_leg ON transfer_legs (leg_id);
    `,
  },
  {
    id: 8,
    name: 'replay_guard',
    // Ids of one-time things already seen (inbound texts, signed webhook requests, codec login tickets), so a
    // replay is a no-op across restarts and replicas (./replay-guard.ts).
    sql: `
      CREATE TABLE replay_guard (
        scope      text NOT NULL,
        id         text NOT NULL,
        expires_at timestamptz NOT NULL,
        seen_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, id)
      );
      CREATE INDEX replay_guard_expiry ON replay_guard (expires_at);
    `,
  },
  {
    id: 9,
    name: 'raw_deliveries',
    // Every verified platform webhook as it was sent, sealed like the call log, kept for the retention setting
    // (./raw-deliveries.ts). `call_id` is null until (or unless) the delivery names a call.
    sql: `
      CREATE TABLE raw_deliveries (
        platform    text NOT NULL,
        delivery_id text NOT NULL,
        agent_id    text NOT NULL,
        call_id     text,
        received_at timestamptz NOT NULL DEFAULT now(),
        body        jsonb NOT NULL,
        warnings    jsonb NOT NULL DEFAULT '[]'::jsonb,
        PRIMARY KEY (platform, delivery_id)
      );
      CREATE INDEX raw_deliveries_call ON raw_deliveries (call_id, received_at);
      CREATE INDEX raw_deliveries_received ON raw_deliveries (received_at);
    `,
  },
  {
    id: 10,
    name: 'payload_claims',
    // Parts of a call too large for a Temporal payload (long transcripts, big collected fields), sealed; the workflow
    // holds only their refs (./payload-claims.ts).
    sql: `
      CREATE TABLE payload_claims (
        call_id    text NOT NULL,
        ref        text NOT NULL,
        bytes      integer NOT NULL,
        body       jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (call_id, ref)
      );
    `,
  },
];

/** What the runner needs: parameterised queries plus multi-statement scripts, all on one transaction. */
export interface MigrationConnection {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

// Arbitrary constant shared by every process using this schema; only has to be stable.
const MIGRATION_LOCK_KEY = 7_214_003_117;

/**
 * Must be called inside a transaction. With `advisoryLock`, workers starting together queue on the
 * lock, so only the first applies anything and the rest see the recorded ids.
 */
export async function applyMigrations(
  conn: MigrationConnection,
  opts: { advisoryLock: boolean },
  list: readonly Migration[] = migrations,
): Promise<number[]> {
  if (opts.advisoryLock) {
    await conn.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
  }
  await conn.exec(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      id         integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )
  `);
  const rows = await conn.query<{ id: number }>('SELECT id FROM schema_migrations');
  const done = new Set(rows.map((r) => Number(r.id)));
  const applied: number[] = [];
  for (const m of [...list].sort((a, b) => a.id - b.id)) {
    if (done.has(m.id)) continue;
    await conn.exec(m.sql);
    await conn.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
    applied.push(m.id);
  }
  return applied;
}
