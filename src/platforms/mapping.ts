/**
 * What every platform mapper returns besides its events, and the tolerant readers they share. A mapper never throws
 * for a payload's shape: a value it cannot read becomes a warning naming the field (never quoting the value, which
 * may be personal data), and a missing optional block is simply nothing.
 */
import { createHash } from 'node:crypto';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CallEvent } from '../shared/call-events';

/** Something in a delivery the mapper did not recognise or could not use. Plain data: it travels with the call. */
export interface MappingWarning {
  /** Dotted path of the field in the platform's payload, when there is one. */
  field?: string;
  message: string;
}

/** The call's facts as the platform states them; absent when the delivery does not say. */
export interface PlatformFacts {
  startedAt?: string;
  endedAt?: string;
  durationSeconds?: number;
  direction?: 'inbound' | 'outbound';
  from?: string;
  to?: string;
}

export interface MapOptions {
  /** Region for numbers sent without their country code ("+"): the agent's, else the US. */
  defaultRegion?: CountryCode;
}

export const DEFAULT_REGION: CountryCode = 'US';

/**
 * The facts as an event for the call's workflow, or nothing when the platform stated none. Its id derives from the
 * facts themselves: a resent delivery dedupes, a delivery that says more (the end, the duration) applies too.
 * `at` is the stated start or end; only a delivery stating neither is timed by its arrival.
 */
export function factsEvent(callId: string, facts: PlatformFacts, receivedAt: Date): CallEvent | undefined {
  const stated = Object.fromEntries(
    Object.entries(facts)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  ) as PlatformFacts;
  if (!Object.keys(stated).length) return undefined;
  const digest = createHash('sha256').update(JSON.stringify(stated)).digest('hex').slice(0, 24);
  const at = stated.startedAt ?? stated.endedAt ?? receivedAt.toISOString();
  return { id: `${callId}:facts:${digest}`, type: 'facts', at, facts: stated };
}

/** Collects warnings while a mapper reads a payload. */
export class Warnings {
  readonly list: MappingWarning[] = [];
  add(field: string | undefined, message: string): void {
    if (this.list.some((w) => w.field === field && w.message === message)) return;
    this.list.push(field === undefined ? { message } : { field, message });
  }
}

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function record(value: unknown, field: string, w: Warnings): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (isRecord(value)) return value;
  w.add(field, `expected an object, got ${kindOf(value)}`);
  return undefined;
}

export function list(value: unknown, field: string, w: Warnings): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value;
  w.add(field, `expected a list, got ${kindOf(value)}`);
  return undefined;
}

/** A string, or a number written as one; anything else is a warning. */
export function text(value: unknown, field: string, w: Warnings): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  w.add(field, `expected text, got ${kindOf(value)}`);
  return undefined;
}

/** A finite number, or a numeric string. */
export function num(value: unknown, field: string, w: Warnings): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  w.add(field, `expected a number, got ${kindOf(value)}`);
  return undefined;
}

export function bool(value: unknown, field: string, w: Warnings): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  w.add(field, `expected true or false, got ${kindOf(value)}`);
  return undefined;
}

/** Latest instant a Date can hold as an ISO string (end of year 9999). */
const MAX_MS = 253_402_300_799_999;

/** An ISO time from epoch milliseconds, if it is one a Date can hold. */
export function isoFromMs(ms: number | undefined, field: string, w: Warnings): string | undefined {
  if (ms === undefined) return undefined;
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_MS) {
    w.add(field, 'time is out of range');
    return undefined;
  }
  return new Date(Math.round(ms)).toISOString();
}

/**
 * A point in time given as epoch seconds or milliseconds (a number or numeric string; values below 1e11 are
 * seconds) or as a date string (ISO 8601, or "YYYY-MM-DD HH:mm:ss" read as UTC).
 */
export function instant(value: unknown, field: string, w: Warnings, unit?: 's' | 'ms'): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' || (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value))) {
    const n = Number(value);
    const ms = unit === 's' ? n * 1000 : unit === 'ms' ? n : n < 1e11 ? n * 1000 : n;
    return isoFromMs(ms, field, w);
  }
  if (typeof value === 'string') {
    const spaced = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value.trim());
    const parsed = Date.parse(spaced ? `${value.trim().replace(' ', 'T')}Z` : value);
    if (!Number.isNaN(parsed)) return isoFromMs(parsed, field, w);
  }
  w.add(field, `expected a time, got ${kindOf(value)}`);
  return undefined;
}

/** Seconds from a number, a numeric string or a clock string ("72", "01:12", "00:01:12", "1:02:03.5"). */
export function seconds(value: unknown, field: string, w: Warnings): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const s = value.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
    const clock = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(s);
    if (clock) return Number(clock[1] ?? 0) * 3600 + Number(clock[2]) * 60 + Number(clock[3]);
  }
  w.add(field, `expected seconds, got ${kindOf(value)}`);
  return undefined;
}

export function addSeconds(iso: string, secs: number): string | undefined {
  const ms = Date.parse(iso) + secs * 1000;
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_MS ? new Date(Math.round(ms)).toISOString() : undefined;
}

/**
 * A phone number in E.164. Numbers with "+" are kept as sent; digits without it (JustCall sends "14155550123") are
 * read in the default region, or as international when they already carry a country code. Anything else (a SIP
 * URI, "anonymous") is kept as sent, since it still identifies the party.
 */
export function e164(raw: string | undefined, region: CountryCode = DEFAULT_REGION): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  if (value.startsWith('+') || !/^[\d\s().-]{4,}$/.test(value)) return value;
  const digits = value.replace(/\D/g, '');
  const national = parsePhoneNumberFromString(digits, region);
  if (national?.isValid()) return national.number;
  const international = parsePhoneNumberFromString(`+${digits}`);
  if (international?.isValid()) return international.number;
  return national?.number ?? value;
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * The platform's call id as it can appear in our call id (letters, digits, ".", "_", ":", "-"; at most 100): an id
 * outside that is replaced by a digest of itself, so the same id always names the same call.
 */
export function safeProviderId(raw: unknown, field: string, w: Warnings): string | undefined {
  const id = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
  if (typeof id !== 'string' || id === '') return undefined;
  if (SAFE_ID.test(id)) return id;
  w.add(field, 'the id has characters a call id cannot hold: a digest of it names the call');
  return `h-${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}

/** Keys of `value` not in `known`, each reported once as unrecognised. */
export function unknownKeys(value: Json, known: readonly string[], prefix: string, w: Warnings): void {
  for (const key of Object.keys(value))
    if (!known.includes(key))
      w.add(`${prefix}.${key}`, 'field not recognised; kept in the raw delivery only');
}

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
