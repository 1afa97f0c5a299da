// The agent's calendar (agent.scheduling): which provider books the appointments, what that provider calls
// the calendar, the bookable hours and the appointment settings the schema lists. A provider's credentials are
// the service's environment variables, never part of the agent: the form names them and stores none.
import { h, uid } from '../dom.js';
import { objectFields, pick } from '../schema-form.js';
import { businessHoursFields } from './business-hours.js';
import { inside, ProblemSlots, within } from './problems.js';

const PROVIDERS = {
  builtin: {
    label: 'Built-in (stored by callflow)',
    calendarId: 'Calendar name',
    hint: 'Optional; the agent id when empty. Its events are an iCalendar feed at /v1/calendars/<name>.ics.',
    env: null,
  },
  google: {
    label: 'Google Calendar',
    calendarId: 'Calendar ID',
    hint: 'e.g. primary, or the id ending in @group.calendar.google.com from the calendar’s settings.',
    env: 'GOOGLE_SERVICE_ACCOUNT_JSON (with GOOGLE_SERVICE_ACCOUNT_SUBJECT for domain-wide delegation), or GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN',
  },
  outlook: {
    label: 'Microsoft Outlook (Microsoft 365)',
    calendarId: 'Mailbox',
    hint: 'The user whose calendar is booked: their id or user principal name (e.g. bookings@example.com).',
    env: 'MS_TENANT_ID, MS_CLIENT_ID and MS_CLIENT_SECRET',
  },
  calcom: {
    label: 'Cal.com',
    calendarId: 'Event type ID',
    hint: 'The number in the event type’s URL in Cal.com.',
    env: 'CALCOM_API_KEY (and CALCOM_API_URL for a self-hosted Cal.com)',
  },
};
const LABELS = {
  checkCalendars: 'Also check these calendars',
  durationMinutes: 'Appointment length (minutes)',
  bufferMinutes: 'Buffer between appointments (minutes)',
  minNoticeMinutes: 'Minimum notice (minutes)',
  horizonDays: 'Bookable days ahead',
  granularityMinutes: 'Start times every (minutes)',
  maxOptions: 'Slots offered at once',
  title: 'Appointment title',
  location: 'Location',
};
const OWN_CONTROLS = new Set(['provider', 'calendarId', 'hours']);

/**
 * @param {object} schema JSON Schema of agent.scheduling
 * @param {object|undefined} value the stored calendar settings, if any
 * @param {{ timezone: () => string }} opts the agent's time zone, the first guess for new hours
 */
export function calendarFields(schema, value, opts) {
  const slots = new ProblemSlots();
  const props = schema.properties ?? {};
  const providers = props.provider?.enum ?? Object.keys(PROVIDERS);

  const providerId = uid('calendar-provider');
  const provider = h(
    'select',
    { id: providerId, onchange: () => showProvider() },
    h('option', { value: '' }, 'No calendar'),
    providers.map((p) =>
      h(
        'option',
        { value: p, selected: (value && (value.provider ?? props.provider?.default)) === p || undefined },
        PROVIDERS[p]?.label ?? p,
      ),
    ),
  );

  const calendarIdInput = h('input', {
    id: uid('calendar-id'),
    value: value?.calendarId ?? '',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const calendarIdLabel = h('label', { for: calendarIdInput.id });
  const calendarIdHint = h('p', { class: 'hint', id: `${calendarIdInput.id}-hint` });
  calendarIdInput.setAttribute('aria-describedby', calendarIdHint.id);
  const credentials = h('p', { class: 'hint credentials' });

  const settings = objectFields(
    pick(
      schema,
      Object.keys(props).filter((n) => !OWN_CONTROLS.has(n)),
    ),
    value,
    { slots, labels: LABELS, templates: new Set() },
  );
  const hours = businessHoursFields(
    props.hours ?? { properties: {} },
    value?.hours ?? {
      timezone: opts.timezone(),
      weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, ['09:00-17:00']])),
    },
    { slots, path: 'hours', legend: 'Bookable hours' },
  );

  const details = h(
    'div',
    {},
    h(
      'div',
      { class: 'field' },
      calendarIdLabel,
      calendarIdInput,
      calendarIdHint,
      slots.add('calendarId', calendarIdInput, () => PROVIDERS[provider.value]?.calendarId ?? 'Calendar'),
    ),
    credentials,
    hours.element,
    settings.element,
  );

  function showProvider() {
    const chosen = PROVIDERS[provider.value];
    details.hidden = !provider.value;
    if (!provider.value) return;
    const required = provider.value !== 'builtin';
    calendarIdLabel.replaceChildren(
      chosen?.calendarId ?? 'Calendar',
      required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : '',
    );
    calendarIdInput.required = required;
    calendarIdHint.textContent = chosen?.hint ?? props.calendarId?.description ?? '';
    credentials.textContent = chosen?.env
      ? `Credentials: the service reads ${chosen.env} from its environment; none are stored with the agent.`
      : 'No credentials needed.';
  }
  showProvider();

  const element = h(
    'div',
    {},
    h(
      'div',
      { class: 'field' },
      h('label', { for: providerId }, 'Calendar provider'),
      provider,
      h(
        'p',
        { class: 'hint' },
        'Where check_availability and book_appointment look and book, unless an action names its own calendar.',
      ),
      slots.add('provider', provider, 'Calendar provider'),
      slots.add('', provider, 'Calendar'),
    ),
    details,
  );

  return {
    element,
    read() {
      if (!provider.value) return { value: undefined, problems: [] };
      const out = { provider: provider.value };
      const problems = [];
      if (calendarIdInput.value.trim()) out.calendarId = calendarIdInput.value.trim();
      for (const part of [hours, settings]) {
        const r = part.read();
        if (part === hours) out.hours = r.value;
        else Object.assign(out, r.value);
        problems.push(...r.problems);
      }
      return { value: out, problems: problems.map((p) => ({ ...p, field: `scheduling.${p.field}` })) };
    },
    show(problems) {
      const mine = problems.filter((p) => inside(p.field ?? '', 'scheduling'));
      const left = slots.show(mine.map((p) => ({ ...p, field: within(p.field, 'scheduling') })));
      return [
        ...problems.filter((p) => !mine.includes(p)),
        ...left.map((p) => ({ ...p, field: `scheduling${p.field ? `.${p.field}` : ''}` })),
      ];
    },
  };
}
