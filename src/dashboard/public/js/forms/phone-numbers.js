// The agent's phone numbers: its telephony settings (who dials, the number texts are sent from, the TwiML and hold
// music a Twilio transfer uses) and, read-only, the destinations its transfer targets dial, masked as everywhere
// in the pages; those are edited under Transfer targets.
import { clear, h, maskPhone } from '../dom.js';
import { objectFields } from '../schema-form.js';

const LABELS = {
  'telephony.provider': 'Telephony provider',
  'telephony.smsFrom': 'SMS sending number',
  'telephony.agentTwimlUrl': 'Agent TwiML URL',
  'telephony.holdMusicUrl': 'Hold music URL',
};

/**
 * @param {object} schema JSON Schema of agent.telephony
 * @param {object|undefined} value the stored telephony settings
 * @param {{ slots: import('./problems.js').ProblemSlots, targets: Record<string, object> }} opts
 *   targets: the stored transfer targets; `showTargets(targets)` shows the form's as they are edited
 */
export function phoneNumbersFields(schema, value, { slots, targets }) {
  const telephony = objectFields(schema, value, { slots, labels: LABELS, templates: new Set() }, 'telephony');
  const dialled = h('div', {});
  const showTargets = (list) => clear(dialled, dialledTable(list));
  showTargets(targets);
  return {
    element: h(
      'div',
      {},
      telephony.element,
      h('h3', { id: 'dialled-title' }, 'Numbers the transfer targets dial'),
      dialled,
    ),
    read: () => telephony.read(),
    showTargets,
  };
}

function dialledTable(targets) {
  const entries = Object.entries(targets ?? {}).filter(([name]) => name);
  if (!entries.length) return h('p', { class: 'hint' }, 'No transfer targets yet.');
  return h(
    'table',
    { class: 'table compact', 'aria-labelledby': 'dialled-title' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Target', 'Dials', 'Caller ID', 'Mode'].map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h(
      'tbody',
      {},
      entries.map(([name, t]) =>
        h(
          'tr',
          { dataset: { target: name } },
          h('th', { scope: 'row' }, name),
          h('td', {}, t.number ? maskPhone(t.number) : (t.sip ?? '—')),
          h('td', {}, t.callerId ? maskPhone(t.callerId) : 'default (TWILIO_FROM_NUMBER)'),
          h('td', {}, t.mode ?? 'warm'),
        ),
      ),
    ),
  );
}
