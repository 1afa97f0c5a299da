// The Settings tab: a form for the simple fields, validated JSON editors for transfer targets (hours and
// fallback chains), the calendar and the rest. Every edit is checked with POST /validate; Save uses If-Match.
import { ApiError, api, q } from '../api.js';
import { clear, errorBox, h, json, maskPhone } from '../dom.js';

const ADVANCED_KEYS = ['secrets', 'network', 'call', 'platforms'];

export async function renderSettingsTab({ panel, stored, reload }) {
  const agent = structuredClone(stored.agent);
  const input = (id, label, value, hint, attrs = {}) => {
    const el = h('input', { id, name: id, value: value ?? '', ...attrs });
    return {
      el,
      field: h(
        'div',
        { class: 'field' },
        h('label', { for: id }, label),
        el,
        hint ? h('p', { class: 'hint' }, hint) : null,
      ),
    };
  };
  const name = input('s-name', 'Name', agent.name, null, { required: true });
  const timezone = input('s-timezone', 'Time zone', agent.timezone, 'IANA name, e.g. America/New_York');
  const provider = h(
    'select',
    { id: 's-provider', name: 'provider' },
    ['platform', 'twilio'].map((p) =>
      h('option', { value: p, selected: (agent.telephony?.provider ?? 'platform') === p || undefined }, p),
    ),
  );
  const smsFrom = input(
    's-smsFrom',
    'SMS sending number',
    agent.telephony?.smsFrom,
    'E.164; defaults to TWILIO_FROM_NUMBER',
    { type: 'tel', autocomplete: 'off' },
  );
  const twiml = input(
    's-twiml',
    'Agent TwiML URL',
    agent.telephony?.agentTwimlUrl,
    'Twilio: where a caller goes back to the AI agent',
    { type: 'url' },
  );

  const editor = (id, label, value, hint) => {
    const el = h('textarea', {
      id,
      name: id,
      class: 'code',
      rows: 10,
      spellcheck: 'false',
      value: value === undefined ? '' : json(value),
    });
    const problem = h('p', { class: 'field-error', 'aria-live': 'polite' });
    el.setAttribute('aria-describedby', `${id}-hint`);
    return {
      el,
      problem,
      field: h(
        'div',
        { class: 'field' },
        h('label', { for: id }, label),
        el,
        h('p', { class: 'hint', id: `${id}-hint` }, hint),
        problem,
      ),
    };
  };
  const targets = editor(
    's-targets',
    'Transfer targets (JSON)',
    agent.transferTargets ?? {},
    'name → { number | sip, mode, ringTimeoutSeconds, hours: { timezone, weekly, closedDates }, fallback: [{ target } | { voicemail } | { agent }] }',
  );
  const scheduling = editor(
    's-scheduling',
    'Calendar (JSON)',
    agent.scheduling,
    'scheduling: { provider: builtin | google | outlook | calcom, calendarId, hours, durationMinutes, … }. CRM logging is the crm_log action’s settings.',
  );
  const advanced = editor(
    's-advanced',
    'Secrets, network, call and platforms (JSON)',
    Object.fromEntries(ADVANCED_KEYS.filter((k) => agent[k] !== undefined).map((k) => [k, agent[k]])),
    'secrets (env vars {{env.X}} may read), network.allowPrivate, call.inactivityTimeoutSeconds, platforms (webhook secrets by env var name)',
  );

  const problems = h('div', {});
  const status = h('div', { 'aria-live': 'polite' });
  const summary = h('div', {});

  const build = () => {
    const out = { ...agent, name: name.el.value.trim() };
    const local = [];
    if (timezone.el.value.trim()) out.timezone = timezone.el.value.trim();
    else delete out.timezone;
    out.telephony = { ...(agent.telephony ?? {}), provider: provider.value };
    for (const [key, f] of [
      ['smsFrom', smsFrom],
      ['agentTwimlUrl', twiml],
    ]) {
      if (f.el.value.trim()) out.telephony[key] = f.el.value.trim();
      else delete out.telephony[key];
    }
    for (const [key, ed] of [
      ['transferTargets', targets],
      ['scheduling', scheduling],
      ['(advanced)', advanced],
    ]) {
      clear(ed.problem);
      if (!ed.el.value.trim()) {
        if (key !== '(advanced)') delete out[key];
        continue;
      }
      try {
        const value = JSON.parse(ed.el.value);
        if (key === '(advanced)') {
          for (const k of ADVANCED_KEYS) delete out[k];
          Object.assign(out, value);
        } else out[key] = value;
      } catch (err) {
        clear(ed.problem, `Not valid JSON: ${err.message}`);
        local.push({ field: key, message: 'not valid JSON' });
      }
    }
    return { config: out, local };
  };

  let timer;
  const check = async () => {
    const { config, local } = build();
    renderTargets(summary, config.transferTargets);
    if (local.length) return showProblems(local);
    try {
      await api('POST', `agents/${q(agent.id)}/validate`, config);
      showProblems([]);
      return config;
    } catch (err) {
      showProblems(
        err instanceof ApiError && err.details.length ? err.details : [{ field: '', message: err.message }],
      );
    }
  };
  const showProblems = (list) => {
    clear(problems, list.length ? errorBox('This configuration cannot be saved yet:', list) : null);
    return undefined;
  };

  const form = h(
    'form',
    {
      class: 'settings',
      oninput: () => {
        clearTimeout(timer);
        timer = setTimeout(check, 400);
      },
      onsubmit: async (e) => {
        e.preventDefault();
        const config = await check();
        if (!config) return;
        try {
          const { body } = await api('PUT', `agents/${q(agent.id)}`, config, {
            'if-match': String(stored.version),
          });
          await reload(`Saved as version ${body?.version ?? ''}.`);
        } catch (err) {
          clear(
            status,
            errorBox(
              err.status === 409 || err.status === 412
                ? 'Someone else saved this agent meanwhile: reload to see their version.'
                : `Not saved: ${err.message}`,
              err.details,
            ),
          );
        }
      },
    },
    h(
      'fieldset',
      { class: 'card' },
      h('legend', {}, 'General'),
      h('div', { class: 'row' }, name.field, timezone.field),
      h(
        'div',
        { class: 'row' },
        h(
          'div',
          { class: 'field' },
          h('label', { for: 's-provider' }, 'Telephony'),
          provider,
          h(
            'p',
            { class: 'hint' },
            'platform: the voice platform transfers; twilio: callflow dials through Twilio',
          ),
        ),
        smsFrom.field,
      ),
      twiml.field,
    ),
    h('fieldset', { class: 'card' }, h('legend', {}, 'Transfer targets'), summary, targets.field),
    h('fieldset', { class: 'card' }, h('legend', {}, 'Calendar'), scheduling.field),
    h('fieldset', { class: 'card' }, h('legend', {}, 'Advanced'), advanced.field),
    problems,
    h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'submit', class: 'primary' }, 'Save settings'),
      status,
    ),
  );
  clear(panel, form);
  renderTargets(summary, agent.transferTargets);
}

function renderTargets(el, targets) {
  const entries = Object.entries(targets && typeof targets === 'object' ? targets : {});
  if (!entries.length) return clear(el, h('p', { class: 'hint' }, 'No transfer targets.'));
  clear(
    el,
    h(
      'table',
      { class: 'table compact' },
      h('caption', { class: 'visually-hidden' }, 'Transfer targets'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Target', 'Destination', 'Mode', 'Hours', 'Fallback chain'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        entries.map(([name, t]) =>
          h(
            'tr',
            {},
            h(
              'td',
              {},
              h('code', {}, name),
              t?.description ? h('div', { class: 'hint' }, t.description) : null,
            ),
            h('td', {}, t?.number ? maskPhone(t.number) : (t?.sip ?? '')),
            h('td', {}, t?.mode ?? 'warm'),
            h(
              'td',
              {},
              t?.hours
                ? `${t.hours.timezone ?? ''}: ${Object.entries(t.hours.weekly ?? {})
                    .map(([d, r]) => `${d} ${[].concat(r).join(', ')}`)
                    .join('; ')}`
                : 'always',
            ),
            h(
              'td',
              {},
              (t?.fallback ?? [])
                .map((s) =>
                  s.target
                    ? `→ ${s.target}`
                    : s.voicemail
                      ? '→ voicemail'
                      : s.agent
                        ? '→ back to the agent'
                        : '→ ?',
                )
                .join(' ') || '—',
            ),
          ),
        ),
      ),
    ),
  );
}
