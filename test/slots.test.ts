import assert from 'node:assert/strict';
import { freeSlots, type SlotRules } from '../src/scheduling/slots';

const rules = (over: Partial<SlotRules> = {}): SlotRules => ({
  hours: {
    timezone: 'America/New_York',
    weekly: { mon: ['09:00-12:00', '13:00-17:00'], tue: ['09:00-17:00'] },
  },
  durationMinutes: 30,
  bufferMinutes: 0,
  minNoticeMinutes: 0,
  horizonDays: 14,
  granularityMinutes: 30,
  maxOptions: 3,
  ...over,
});
const starts = (slots: { start: string }[]) => slots.map((s) => s.start);

describe('free appointment slots', () => {
  // Friday 2026-03-06 12:00 UTC; New York switches to EDT on Sunday 2026-03-08.
  const friday = new Date('2026-03-06T12:00:00Z');

  it('offers the first times inside business hours, in the business zone, with a phrase in the caller zone', () => {
    const slots = freeSlots(rules(), [], friday, { timezone: 'America/Los_Angeles' });
    assert.deepEqual(starts(slots), [
      '2026-03-09T09:00:00.000-04:00',
      '2026-03-09T09:30:00.000-04:00',
      '2026-03-09T10:00:00.000-04:00',
    ]);
    assert.equal(slots[0].end, '2026-03-09T09:30:00.000-04:00');
    assert.equal(slots[0].spoken, 'Monday, March 9 at 6:00 AM');
  });

  it('keeps clear of existing events by the buffer, and honours minimum notice', () => {
    const busy = [{ start: '2026-03-09T13:30:00Z', end: '2026-03-09T14:00:00Z' }]; // 9:30-10:00 EDT
    const slots = freeSlots(rules({ bufferMinutes: 15 }), busy, friday);
    assert.deepEqual(starts(slots), [
      '2026-03-09T10:30:00.000-04:00',
      '2026-03-09T11:00:00.000-04:00',
      '2026-03-09T11:30:00.000-04:00',
    ]);
    const soon = freeSlots(rules({ minNoticeMinutes: 120 }), [], new Date('2026-03-09T13:10:00Z'));
    assert.equal(soon[0].start, '2026-03-09T11:30:00.000-04:00');
  });

  it('respects an all-day busy block, a preferred day and part of day', () => {
    const allDayMonday = [{ start: '2026-03-09T04:00:00Z', end: '2026-03-10T04:00:00Z' }];
    const slots = freeSlots(rules(), allDayMonday, friday, {
      from: '2026-03-09',
      to: '2026-03-10',
      partOfDay: 'afternoon',
    });
    assert.deepEqual(starts(slots), [
      '2026-03-10T12:00:00.000-04:00',
      '2026-03-10T12:30:00.000-04:00',
      '2026-03-10T13:00:00.000-04:00',
    ]);
  });

  it('never offers a start inside the spring-forward gap (America/New_York)', () => {
    const night = rules({
      hours: { timezone: 'America/New_York', weekly: { sun: ['01:00-04:00'] } },
      maxOptions: 10,
    });
    const slots = freeSlots(night, [], friday);
    assert.deepEqual(starts(slots).slice(0, 4), [
      '2026-03-08T01:00:00.000-05:00',
      '2026-03-08T01:30:00.000-05:00',
      '2026-03-08T03:00:00.000-04:00',
      '2026-03-08T03:30:00.000-04:00',
    ]);
  });

  it('never repeats an instant in the autumn overlap (Europe/Berlin)', () => {
    const berlin = rules({
      hours: { timezone: 'Europe/Berlin', weekly: { sun: ['01:30-04:00'] } },
      maxOptions: 6,
    });
    const slots = freeSlots(berlin, [], new Date('2026-10-20T12:00:00Z'));
    const instants = slots.map((s) => Date.parse(s.start));
    assert.equal(new Set(instants).size, instants.length);
    assert.deepEqual(starts(slots).slice(0, 5), [
      '2026-10-25T01:30:00.000+02:00',
      '2026-10-25T02:00:00.000+02:00',
      '2026-10-25T02:30:00.000+02:00',
      '2026-10-25T03:00:00.000+01:00',
      '2026-10-25T03:30:00.000+01:00',
    ]);
  });

  it('stops at the booking horizon and honours closed dates', () => {
    const r = rules({ horizonDays: 3, hours: { ...rules().hours, closedDates: ['2026-03-09'] } });
    assert.deepEqual(freeSlots(r, [], friday), []);
  });
});
