import assert from 'node:assert/strict';
import { openState, validateBusinessHours } from '../src/shared/business-hours';
import type { BusinessHours } from '../src/shared/common-schemas';

const weekdays = ['09:00-17:00'];
const newYork: BusinessHours = {
  timezone: 'America/New_York',
  weekly: { mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays, sun: ['02:30-04:00'] },
  closedDates: ['2026-12-25'],
};

describe('business hours', () => {
  it('is open inside an interval in the zone of the target, whatever the UTC offset', () => {
    // Monday 2026-03-02 09:30 EST is 14:30 UTC.
    assert.equal(openState(newYork, new Date('2026-03-02T14:30:00Z')).open, true);
    assert.equal(openState(newYork, new Date('2026-03-02T13:59:00Z')).open, false);
  });

  it('opens at 9:00 local on both sides of the spring DST change (14:00 UTC before, 13:00 UTC after)', () => {
    const friday = openState(newYork, new Date('2026-03-06T13:30:00Z'));
    assert.deepEqual([friday.open, friday.opensAt], [false, '2026-03-06T14:00:00.000Z']);
    const monday = openState(newYork, new Date('2026-03-09T12:30:00Z'));
    assert.deepEqual([monday.open, monday.opensAt], [false, '2026-03-09T13:00:00.000Z']);
    assert.equal(monday.opensAtSpoken, '9:00 AM EDT');
    assert.equal(openState(newYork, new Date('2026-03-09T13:00:00Z')).open, true);
  });

  it('opens at 9:00 local after the autumn DST change', () => {
    const state = openState(newYork, new Date('2026-11-02T13:30:00Z'));
    assert.deepEqual(
      [state.open, state.opensAt, state.opensAtSpoken],
      [false, '2026-11-02T14:00:00.000Z', '9:00 AM EST'],
    );
  });

  it('treats an opening inside the skipped spring-forward hour as the end of the gap', () => {
    // Sunday 2026-03-08: 02:00-03:00 does not exist in New York; 02:30 opens at 03:00 EDT (07:00 UTC).
    const state = openState(newYork, new Date('2026-03-08T06:45:00Z'));
    assert.deepEqual(
      [state.open, state.opensAt, state.opensAtSpoken],
      [false, '2026-03-08T07:00:00.000Z', '3:00 AM EDT'],
    );
    assert.equal(openState(newYork, new Date('2026-03-08T07:10:00Z')).open, true);
  });

  it('says when it opens next across a weekend and a closed date', () => {
    const saturday = openState(newYork, new Date('2026-03-07T15:00:00Z'));
    assert.equal(saturday.opensAt, '2026-03-08T07:00:00.000Z');
    assert.equal(saturday.opensAtSpoken, 'tomorrow at 3:00 AM EDT');
    const christmas = openState(newYork, new Date('2026-12-25T15:00:00Z'));
    assert.equal(christmas.open, false);
    // Friday the 25th is closed; the next interval is Sunday's early one.
    assert.equal(christmas.opensAt, '2026-12-27T07:30:00.000Z');
    assert.equal(christmas.opensAtSpoken, 'Sunday at 2:30 AM EST');
  });

  it('refuses unknown time zones and malformed intervals', () => {
    assert.deepEqual(
      validateBusinessHours({ timezone: 'Mars/Olympus', weekly: { mon: ['17:00-09:00', '9-5'] } }),
      [
        'timezone: "Mars/Olympus" is not an IANA time zone',
        'weekly.mon: "17:00-09:00" must start before it ends, within one day',
        'weekly.mon: "9-5" is not an interval like 09:00-17:00',
      ],
    );
  });
});
