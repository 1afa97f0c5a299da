import { isDeepStrictEqual } from 'node:util';
import type { ActionRun, CallRecord } from '../shared/types';
import type { Expectations, Matcher } from './test-cases';
import type { ProviderLedger } from './test-providers';

/** One checked expectation: what was expected where, what was there, and a line saying how they differ. */
export interface ExpectationResult {
  /** Where: `actions.lookup_order.output.order_status`, `disposition`, `order`. */
  path: string;
  passed: boolean;
  expected: unknown;
  actual: unknown;
  /** A readable diff when it failed. */
  diff?: string;
}

/** What a test call did, as its expectations read it. */
export interface TestObservation {
  record: CallRecord;
  ledger: ProviderLedger;
  /** Each action activity's rendered settings, by action id, one entry per invocation. */
  inputs: Record<string, Record<string, unknown>[]>;
}

/** `order_status`, `body.ticket`, `slots[0].start` or `$.slots[0].start` into a value. */
export function valueAt(value: unknown, path: string): unknown {
  const keys = path
    .replace(/^\$\.?/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((k) => k !== undefined && k !== '');
  let cur = value;
  for (const key of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  return JSON.stringify(value);
}

/** Whether `actual` satisfies the matcher, and if not, why. */
export function check(path: string, matcher: Matcher, actual: unknown): ExpectationResult {
  const m: { equals?: unknown; regex?: string; contains?: unknown; exists?: boolean } =
    matcher !== null && typeof matcher === 'object' ? matcher : { equals: matcher };
  const base = { path, actual };
  if ('exists' in m) {
    const passed = (actual !== undefined && actual !== null) === m.exists;
    return {
      ...base,
      passed,
      expected: { exists: m.exists },
      diff: passed ? undefined : `expected ${m.exists ? 'a value' : 'nothing'}, got ${show(actual)}`,
    };
  }
  if ('regex' in m) {
    const passed = typeof actual === 'string' && new RegExp(m.regex as string).test(actual);
    return {
      ...base,
      passed,
      expected: { regex: m.regex },
      diff: passed ? undefined : `expected to match /${m.regex}/, got ${show(actual)}`,
    };
  }
  if ('contains' in m) {
    const passed = contains(actual, m.contains);
    return {
      ...base,
      passed,
      expected: { contains: m.contains },
      diff: passed ? undefined : `expected to contain ${show(m.contains)}, got ${show(actual)}`,
    };
  }
  const passed = isDeepStrictEqual(actual, m.equals);
  return {
    ...base,
    passed,
    expected: m.equals,
    diff: passed ? undefined : `- expected ${show(m.equals)}\n+ actual   ${show(actual)}`,
  };
}

/** Text holds the substring; a list holds an equal item; an object holds the given fields with equal values. */
function contains(actual: unknown, part: unknown): boolean {
  if (typeof actual === 'string') return typeof part === 'string' && actual.includes(part);
  if (Array.isArray(actual))
    return actual.some((item) => isDeepStrictEqual(item, part) || contains(item, part));
  if (actual && typeof actual === 'object' && part && typeof part === 'object')
    return Object.entries(part).every(([k, v]) =>
      isDeepStrictEqual((actual as Record<string, unknown>)[k], v),
    );
  return false;
}

function runOf(record: CallRecord, id: string, invocation?: number): ActionRun | undefined {
  const runs = record.actions.filter((a) => a.actionId === id);
  return invocation === undefined ? runs.at(-1) : runs.find((r) => r.invocation === invocation);
}

/** Every expectation of a test, checked against what its call did. */
export function checkExpectations(expect: Expectations, seen: TestObservation): ExpectationResult[] {
  const { record, ledger, inputs } = seen;
  const results: ExpectationResult[] = [];
  for (const e of expect.actions) {
    const at = `actions.${e.id}${e.invocation ? `#${e.invocation}` : ''}`;
    const run = runOf(record, e.id, e.invocation);
    if (e.status) results.push(check(`${at}.status`, e.status, run?.status ?? 'not_run'));
    for (const [path, matcher] of Object.entries(e.output ?? {}))
      results.push(check(`${at}.output.${path}`, matcher, valueAt(run?.output, path)));
    const rendered = e.invocation ? inputs[e.id]?.[e.invocation - 1] : inputs[e.id]?.at(-1);
    for (const [path, matcher] of Object.entries(e.input ?? {}))
      results.push(check(`${at}.input.${path}`, matcher, valueAt(rendered, path)));
    if (e.error !== undefined)
      results.push(check(`${at}.error`, e.error, run?.error?.message ?? run?.reason));
  }
  if (expect.order) results.push(checkOrder(expect.order, record));
  if (expect.disposition !== undefined)
    results.push(check('disposition', expect.disposition, record.disposition));
  for (const [path, matcher] of Object.entries(expect.data ?? {}))
    results.push(check(`data.${path}`, matcher, valueAt(record.data, path)));
  if (expect.transfer) {
    const transfer = record.transfers.at(-1);
    const attempt = transfer?.attempts.at(-1);
    if (expect.transfer.outcome !== undefined)
      results.push(check('transfer.outcome', expect.transfer.outcome, attempt?.outcome));
    if (expect.transfer.target !== undefined)
      results.push(check('transfer.target', expect.transfer.target, attempt?.target ?? transfer?.requested));
  }
  if (expect.sms) {
    results.push(check('sms.count', expect.sms.length, ledger.sms.length));
    expect.sms.forEach((s, i) => {
      if (s.to !== undefined) results.push(check(`sms[${i}].to`, s.to, ledger.sms[i]?.to));
      if (s.body !== undefined) results.push(check(`sms[${i}].body`, s.body, ledger.sms[i]?.body));
    });
  }
  for (const [path, matcher] of Object.entries(expect.crm ?? {}))
    results.push(check(`crm.${path}`, matcher, valueAt(ledger.crm.at(-1), path)));
  return results;
}

/** The listed actions ran in this order (others may run in between). */
function checkOrder(expected: string[], record: CallRecord): ExpectationResult {
  const ran = record.actions.filter((a) => a.status !== 'skipped').map((a) => a.actionId);
  let from = 0;
  let passed = true;
  for (const id of expected) {
    const at = ran.indexOf(id, from);
    if (at === -1) {
      passed = false;
      break;
    }
    from = at + 1;
  }
  return {
    path: 'order',
    passed,
    expected,
    actual: ran,
    diff: passed
      ? undefined
      : `expected in order: ${expected.join(' -> ')}\nran:               ${ran.join(' -> ')}`,
  };
}
