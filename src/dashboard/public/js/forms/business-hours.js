// Business hours (a transfer target's, the calendar's): a time zone, open intervals per weekday as pairs of
// time inputs, and closed dates. The weekdays and their order come from the schema; Monday is shown first.
import { announce, clear, h, uid } from '../dom.js';

const DAY_NAMES = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};
const SHOWN_ORDER = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WORKDAYS = ['tue', 'wed', 'thu', 'fri'];

/** One <datalist> of the browser's IANA zones for every time zone field; Intl has them offline. */
export function timeZoneList() {
  const id = 'iana-time-zones';
  if (!document.getElementById(id)) {
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    document.body.append(
      h(
        'datalist',
        { id },
        ['UTC', ...zones].map((z) => h('option', { value: z })),
      ),
    );
  }
  return id;
}

/**
 * @param {object} schema JSON Schema of the business hours object
 * @param {object|undefined} value
 * @param {{ slots: import('./problems.js').ProblemSlots, path: string, legend: string }} opts path: where the
 *   hours sit in the form's value ("hours"), for problem paths
 */
export function businessHoursFields(schema, value, { slots, path, legend }) {
  const props = schema.properties ?? {};
  const days = SHOWN_ORDER.filter((d) => props.weekly?.properties?.[d]);
  const tzId = uid('tz');
  const timezone = h('input', {
    id: tzId,
    name: `${path}.timezone`,
    value: value?.timezone ?? '',
    list: timeZoneList(),
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': `${tzId}-hint`,
  });
  const tzField = h(
    'div',
    { class: 'field' },
    h('label', { for: tzId }, 'Time zone', h('span', { class: 'req', 'aria-hidden': 'true' }, ' *')),
    timezone,
    h('p', { class: 'hint', id: `${tzId}-hint` }, props.timezone?.description ?? 'IANA time zone'),
    slots.add(`${path}.timezone`, timezone, 'Time zone'),
  );

  const weekly = Object.fromEntries(days.map((d) => [d, dayEditor(d, value?.weekly?.[d] ?? [])]));
  const copyButton = h(
    'button',
    {
      type: 'button',
      onclick: () => {
        const monday = weekly.mon.intervals();
        for (const d of WORKDAYS) weekly[d]?.set(monday);
        announce('Monday’s hours copied to Tuesday to Friday');
        copyButton.dispatchEvent(new Event('input', { bubbles: true }));
      },
    },
    'Copy Monday to Tuesday–Friday',
  );
  const closed = closedDatesEditor(value?.closedDates ?? [], `${path}.closedDates`, slots);

  const fieldset = h(
    'fieldset',
    { class: 'nested hours' },
    h('legend', {}, legend),
    tzField,
    h(
      'p',
      { class: 'hint' },
      'Open hours per weekday in this time zone. A day with no hours is closed; an end of 00:00 (12:00 AM) means midnight.',
    ),
    h(
      'div',
      { class: 'week' },
      days.map((d) => weekly[d].element),
    ),
    weekly.mon ? h('div', { class: 'toolbar' }, copyButton) : null,
    closed.element,
  );
  fieldset.append(slots.add(path, fieldset, legend));

  function dayEditor(day, stored) {
    const dayName = DAY_NAMES[day] ?? day;
    const headId = uid('day');
    const list = h('ul', { class: 'intervals' });
    const group = h(
      'div',
      { class: 'day', role: 'group', 'aria-labelledby': headId },
      h('span', { class: 'day-name', id: headId }, dayName),
      list,
    );
    const add = h(
      'button',
      {
        type: 'button',
        class: 'add',
        'aria-label': `Add hours on ${dayName}`,
        onclick: () => addInterval('', '', true),
      },
      '+ Hours',
    );
    group.append(add, slots.add(`${path}.weekly.${day}`, group, dayName));
    const rows = [];

    function addInterval(from, to, focus) {
      const fromInput = h('input', { type: 'time', id: uid('from'), value: from, step: 60 });
      const toInput = h('input', { type: 'time', id: uid('to'), value: to, step: 60 });
      const fromWhich = h('span', { class: 'visually-hidden' });
      const toWhich = h('span', { class: 'visually-hidden' });
      const remove = h('button', { type: 'button', class: 'danger' }, 'Remove');
      const row = {
        fromInput,
        toInput,
        li: h(
          'li',
          {},
          h('label', { for: fromInput.id, class: 'inline-label' }, fromWhich, 'from'),
          fromInput,
          h('label', { for: toInput.id, class: 'inline-label' }, toWhich, 'to'),
          toInput,
          remove,
        ),
        number(n) {
          fromWhich.textContent = `${dayName} hours ${n}, `;
          toWhich.textContent = `${dayName} hours ${n}, `;
          remove.setAttribute('aria-label', `Remove ${dayName} hours ${n}`);
        },
      };
      appendNumberedRow({
        rows,
        list,
        row,
        remove,
        add,
        focus: focus && fromInput,
        removed: `${dayName}: hours removed`,
      });
    }

    const set = (intervals) => {
      rows.splice(0);
      clear(list);
      for (const interval of intervals) {
        const [from, to] = String(interval).split('-');
        addInterval(from ?? '', to === '24:00' ? '00:00' : (to ?? ''), false);
      }
    };
    set(stored);

    return {
      element: group,
      set,
      intervals: () => rows.map((r) => `${r.fromInput.value}-${r.toInput.value || '00:00'}`),
      read(problems) {
        const out = [];
        for (const r of rows) {
          const from = r.fromInput.value;
          const to = r.toInput.value;
          if (!from && !to) continue;
          if (!from || !to) {
            problems.push({
              field: `${path}.weekly.${day}`,
              message: 'give both the opening and closing time',
            });
            continue;
          }
          out.push(`${from}-${to === '00:00' ? '24:00' : to}`);
        }
        return out;
      },
    };
  }

  return {
    element: fieldset,
    read() {
      const problems = [];
      const out = { timezone: timezone.value.trim() };
      if (!out.timezone) problems.push({ field: `${path}.timezone`, message: 'required' });
      out.weekly = {};
      for (const d of days) {
        const intervals = weekly[d].read(problems);
        if (intervals.length) out.weekly[d] = intervals;
      }
      const dates = closed.read();
      if (dates.length) out.closedDates = dates;
      return { value: out, problems };
    },
  };
}

/**
 * Adds `row` (`{ li, number(n) }`) to a list whose rows are numbered in their labels: its Remove button takes it
 * out, renumbers the rest and returns focus to the list's Add button; `focus` is the control to focus when added.
 * Both changes tell the form (an `input` event) so it validates again.
 */
function appendNumberedRow({ rows, list, row, remove, add, focus, removed }) {
  const changed = () => add.dispatchEvent(new Event('input', { bubbles: true }));
  remove.addEventListener('click', () => {
    rows.splice(rows.indexOf(row), 1);
    row.li.remove();
    for (const [i, r] of rows.entries()) r.number(i + 1);
    if (removed) announce(removed);
    add.focus();
    changed();
  });
  rows.push(row);
  row.number(rows.length);
  list.append(row.li);
  if (focus) {
    focus.focus();
    changed();
  }
}

function closedDatesEditor(stored, path, slots) {
  const headId = uid('closed');
  const list = h('ul', { class: 'intervals' });
  const rows = [];
  const add = h(
    'button',
    { type: 'button', class: 'add', onclick: () => addDate('', true) },
    '+ Closed date',
  );
  const element = h(
    'div',
    { class: 'day', role: 'group', 'aria-labelledby': headId },
    h('span', { class: 'day-name', id: headId }, 'Closed dates'),
    list,
    add,
  );
  element.append(slots.add(path, element, 'Closed dates'));

  function addDate(value, focus) {
    const input = h('input', { type: 'date', id: uid('date'), value });
    const label = h('label', { for: input.id, class: 'visually-hidden' });
    const remove = h('button', { type: 'button', class: 'danger' }, 'Remove');
    const row = {
      input,
      li: h('li', {}, label, input, remove),
      number(n) {
        label.textContent = `Closed date ${n}`;
        remove.setAttribute('aria-label', `Remove closed date ${n}`);
      },
    };
    appendNumberedRow({ rows, list, row, remove, add, focus: focus && input });
  }
  for (const d of stored) addDate(d, false);

  return { element, read: () => rows.map((r) => r.input.value).filter(Boolean) };
}
