/**
 * How the built-in calendar's events keep personal data at rest (./personal-data.ts): with keys, the title
 * (it names the caller), description, attendee and phone are sealed together in `personal`, and the phone is
 * also a keyed hash for `findByPhone`; the plain columns are then empty. Times, status and location (the
 * calendar's own) stay plain: reservations and double-booking checks run on them in SQL.
 */
import type { Attendee } from '../shared/attendee';
import { eachRow, RESEAL_BATCH, storeKeys } from './personal-data';
import { openSealed } from './sealing';
import type { Store } from './store';

const PURPOSE = 'calendar_events.phone';

export interface EventPersonal {
  title: string;
  description: string | null;
  attendee: Attendee;
  phone: string | null;
}

/** The personal columns of a stored event, as selected with `SELECT *`. */
export interface PersonalColumns {
  title: string | null;
  description: string | null;
  attendee: unknown;
  phone: string | null;
  personal: unknown;
}

/** What an event's personal columns are written with; the two JSON columns as text (cast with ::text::jsonb). */
export interface PersonalColumnValues {
  title: string | null;
  description: string | null;
  attendee: string | null;
  phone: string | null;
  phone_hash: string | null;
  personal: string | null;
}

export async function personalColumnValues(
  store: Pick<Store, 'sealer' | 'lookup'>,
  fields: EventPersonal,
): Promise<PersonalColumnValues> {
  const keys = storeKeys(store);
  if (!keys)
    return {
      title: fields.title,
      description: fields.description,
      attendee: JSON.stringify(fields.attendee),
      phone: fields.phone,
      phone_hash: null,
      personal: null,
    };
  return {
    title: null,
    description: null,
    attendee: null,
    phone: null,
    phone_hash: fields.phone ? keys.lookup.hash(PURPOSE, fields.phone) : null,
    personal: JSON.stringify(await keys.sealer.seal(fields)),
  };
}

/** An event's personal fields, whichever form the row is in. */
export async function personalFields(
  store: Pick<Store, 'sealer'>,
  row: PersonalColumns,
): Promise<EventPersonal> {
  if (row.personal !== null && row.personal !== undefined)
    return openSealed<EventPersonal>(store.sealer, row.personal);
  const attendee = typeof row.attendee === 'string' ? JSON.parse(row.attendee) : row.attendee;
  return {
    title: row.title ?? '',
    description: row.description,
    attendee: attendee as Attendee,
    phone: row.phone,
  };
}

/** A condition matching events booked for `phone` in either form, its parameters numbered from `first`. */
export function phoneMatch(
  store: Pick<Store, 'sealer' | 'lookup'>,
  phone: string,
  first: number,
): { sql: string; params: unknown[] } {
  const keys = storeKeys(store);
  if (!keys) return { sql: `phone = $${first}`, params: [phone] };
  return {
    sql: `(phone = $${first} OR phone_hash = ANY($${first + 1}::text[]))`,
    params: [phone, keys.lookup.hashes(PURPOSE, phone)],
  };
}

/** Seals plain events, and re-seals those under an older key, with the current key. */
export async function resealCalendarEvents(store: Store): Promise<void> {
  const keys = storeKeys(store);
  if (!keys) return;
  await eachRow(
    (after) =>
      store.query<PersonalColumns & { event_id: string; personal_text: string | null }>(
        `SELECT event_id, title, description, attendee, phone, personal, personal::text AS personal_text
           FROM calendar_events
          WHERE (personal IS NULL OR personal->>'keyId' = ANY($1::text[])) AND ($2::text IS NULL OR event_id > $2)
          ORDER BY event_id LIMIT ${RESEAL_BATCH}`,
        [keys.lookup.olderKeyIds, after],
      ),
    (row) => row.event_id,
    async (row) => {
      const v = await personalColumnValues(store, await personalFields(store, row));
      // Only if unchanged since it was read: another process opening the store may have rewritten it.
      await store.query(
        `UPDATE calendar_events SET title = $2, description = $3, attendee = $4::text::jsonb, phone = $5,
           phone_hash = $6, personal = $7::text::jsonb
          WHERE event_id = $1 AND personal IS NOT DISTINCT FROM $8::text::jsonb`,
        [
          row.event_id,
          v.title,
          v.description,
          v.attendee,
          v.phone,
          v.phone_hash,
          v.personal,
          row.personal_text,
        ],
      );
    },
  );
}
