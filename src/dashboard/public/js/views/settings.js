// The Settings tab: forms generated from the agent's JSON Schema (GET /v1/agent-schema) for the general fields,
// phone numbers, transfer targets (hours, fallback chains), the calendar and the advanced settings, and what the
// After Call stage files in the CRM (its crm_log actions, edited on the Actions tab). Every edit is checked with
// POST /validate and each problem is shown beside the field it names; Save uses If-Match.
import { ApiError, api, q } from '../api.js';
import { clear, errorBox, h } from '../dom.js';
import { calendarFields } from '../forms/calendar.js';
import { crmSection } from '../forms/crm.js';
import { phoneNumbersFields } from '../forms/phone-numbers.js';
import { ProblemSlots } from '../forms/problems.js';
import { transferTargetsFields } from '../forms/transfer-targets.js';
import { objectFields, pick } from '../schema-form.js';
import { referencesFor } from '../template-complete.js';

const PLATFORM_LABELS = {
  retell: 'Retell',
  vapi: 'Vapi',
  justcall: 'JustCall',
  elevenlabs: 'ElevenLabs',
  twilio: 'Twilio',
};
const ADVANCED_KEYS = ['secrets', 'network', 'call', 'platforms'];

let agentSchemaCache = null;
async function agentSchema() {
  agentSchemaCache ??= (await api('GET', 'agent-schema')).body;
  return agentSchemaCache;
}

function advancedLabels(schema) {
  const labels = {
    secrets: 'Secrets (environment variable names)',
    network: 'Network',
    'network.allowPrivate': 'Private hosts http_request may reach',
    call: 'Call',
    'call.inactivityTimeoutSeconds': 'End a silent call after (seconds)',
    platforms: 'Voice platforms',
  };
  for (const p of Object.keys(schema.properties?.platforms?.properties ?? {})) {
    labels[`platforms.${p}`] = PLATFORM_LABELS[p] ?? p;
    labels[`platforms.${p}.secrets`] =
      `${PLATFORM_LABELS[p] ?? p} webhook secrets (environment variable names)`;
    labels[`platforms.${p}.apiKey`] = `${PLATFORM_LABELS[p] ?? p} API key (environment variable name)`;
    labels[`platforms.${p}.apiUrl`] = `${PLATFORM_LABELS[p] ?? p} API URL`;
    labels[`platforms.${p}.recoverAfterSeconds`] = 'Recover a call silent for (seconds)';
    labels[`platforms.${p}.awaitAnalysisSeconds`] = 'Wait for the post-call analysis (seconds)';
  }
  // Twilio signs its callbacks with the account's auth token: that is the secret these name.
  labels['platforms.twilio.secrets'] = 'Twilio auth tokens (environment variable names)';
  return labels;
}

export async function renderSettingsTab({ panel, stored, reload }) {
  let schema;
  try {
    schema = await agentSchema();
  } catch (err) {
    clear(panel, errorBox(`Could not load the agent schema: ${err.message}`, err.details));
    return;
  }
  const agent = structuredClone(stored.agent);
  const slots = new ProblemSlots();
  const text = (id, label, value, hint, attrs = {}) => {
    const el = h('input', {
      id,
      name: id,
      value: value ?? '',
      'aria-describedby': hint ? `${id}-hint` : undefined,
      ...attrs,
    });
    const field = h(
      'div',
      { class: 'field' },
      h('label', { for: id }, label),
      el,
      hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
    );
    return { el, field };
  };
  const name = text('s-name', 'Name', agent.name, null, { required: true });
  name.field.append(slots.add('name', name.el, 'Name'));
  const timezone = text('s-timezone', 'Time zone', agent.timezone, 'IANA name, e.g. America/New_York', {
    list: 'iana-time-zones',
    autocomplete: 'off',
  });
  timezone.field.append(slots.add('timezone', timezone.el, 'Time zone'));
  const agentTimezone = () => timezone.el.value.trim() || 'UTC';

  const telephony = phoneNumbersFields(schema.properties.telephony, agent.telephony, {
    slots,
    targets: agent.transferTargets,
  });
  const targets = transferTargetsFields(schema.properties.transferTargets, agent.transferTargets, {
    references: () => referencesFor(agent, 'duringCall', -1, {}),
    timezone: agentTimezone,
  });
  const calendar = calendarFields(schema.properties.scheduling, agent.scheduling, {
    timezone: agentTimezone,
  });
  const advanced = objectFields(pick(schema, ADVANCED_KEYS), agent, {
    slots,
    labels: advancedLabels(schema),
    templates: new Set(),
    collapsible: new Set(
      Object.keys(schema.properties?.platforms?.properties ?? {}).map((p) => `platforms.${p}`),
    ),
  });

  const problems = h('div', {});
  const status = h('div', { 'aria-live': 'polite' });

  const build = () => {
    const config = { ...agent, name: name.el.value.trim() };
    const local = [];
    if (!config.name) local.push({ field: 'name', message: 'required' });
    if (timezone.el.value.trim()) config.timezone = timezone.el.value.trim();
    else delete config.timezone;
    for (const k of ['telephony', 'transferTargets', 'scheduling', ...ADVANCED_KEYS]) delete config[k];
    const parts = [
      ['telephony', telephony],
      ['transferTargets', targets],
      ['scheduling', calendar],
    ];
    for (const [key, part] of parts) {
      const r = part.read();
      if (part === targets) telephony.showTargets(r.value);
      local.push(...r.problems);
      if (r.value !== undefined && (key !== 'transferTargets' || Object.keys(r.value).length))
        config[key] = r.value;
    }
    const rest = advanced.read();
    local.push(...rest.problems);
    Object.assign(config, rest.value);
    return { config, local };
  };

  const showProblems = (list) => {
    const unplaced = slots.show(calendar.show(targets.show(list)));
    clear(
      problems,
      list.length
        ? errorBox(
            `This configuration cannot be saved yet (${list.length} problem${list.length > 1 ? 's' : ''}${
              unplaced.length < list.length ? ', marked beside the fields' : ''
            }):`,
            list,
          )
        : null,
    );
  };

  let timer;
  let latest = 0;
  /** Validates what the form holds; resolves to the config when it may be saved. */
  const check = async () => {
    const run = ++latest;
    const { config, local } = build();
    if (local.length) {
      showProblems(local);
      return undefined;
    }
    try {
      await api('POST', `agents/${q(agent.id)}/validate`, config);
      if (run === latest) showProblems([]);
      return config;
    } catch (err) {
      if (run === latest)
        showProblems(
          err instanceof ApiError && err.details.length ? err.details : [{ field: '', message: err.message }],
        );
      return undefined;
    }
  };

  const form = h(
    'form',
    {
      class: 'settings',
      novalidate: true,
      oninput: () => {
        clearTimeout(timer);
        timer = setTimeout(check, 400);
      },
      onchange: () => {
        clearTimeout(timer);
        timer = setTimeout(check, 400);
      },
      onsubmit: async (e) => {
        e.preventDefault();
        clearTimeout(timer);
        clear(status);
        const config = await check();
        if (!config) {
          const invalid = form.querySelector('[aria-invalid="true"]');
          const focusable = 'input, select, textarea, button';
          (invalid?.matches(focusable) ? invalid : invalid?.querySelector(focusable))?.focus();
          return;
        }
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
          if (err.status === 400 && err.details.length) showProblems(err.details);
        }
      },
    },
    h(
      'fieldset',
      { class: 'card' },
      h('legend', {}, 'General'),
      h('div', { class: 'row' }, name.field, timezone.field),
    ),
    h(
      'fieldset',
      { class: 'card' },
      h('legend', {}, 'Phone numbers'),
      h(
        'p',
        { class: 'hint' },
        'Who dials the transfers and the number texts come from. The targets’ own numbers are edited under Transfer targets.',
      ),
      telephony.element,
    ),
    h(
      'fieldset',
      { class: 'card' },
      h('legend', {}, 'Transfer targets'),
      h(
        'p',
        { class: 'hint' },
        'Where the transfer action can send a caller. A target that does not answer, or is closed, hands the call to its fallback chain.',
      ),
      targets.element,
    ),
    h('fieldset', { class: 'card' }, h('legend', {}, 'Calendar'), calendar.element),
    h('fieldset', { class: 'card crm' }, h('legend', {}, 'CRM'), crmSection(stored.agent)),
    h('fieldset', { class: 'card' }, h('legend', {}, 'Advanced'), advanced.element),
    problems,
    h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'submit', class: 'primary' }, 'Save settings'),
      status,
    ),
  );
  clear(panel, form);
}
