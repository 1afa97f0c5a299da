// The agent's CRM: what each crm_log action of the After Call stage files, shown from the saved agent. The actions
// are edited on the Actions tab, so each has a button that opens its editor there; credentials are the service's
// environment variables, named here and never stored with the agent.
import { q } from '../api.js';
import { h } from '../dom.js';

const PROVIDERS = {
  hubspot: { label: 'HubSpot', env: 'HUBSPOT_ACCESS_TOKEN' },
  salesforce: { label: 'Salesforce', env: 'SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN' },
  auto: {
    label: 'Auto: HubSpot or Salesforce, whichever has credentials, else dry run',
    env: 'HUBSPOT_ACCESS_TOKEN, or SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN',
  },
  'dry-run': { label: 'Dry run: recorded in the call record, sent nowhere', env: null },
};
// The action type's default, for actions saved without it.
const DEFAULT_CONTACT = { phone: '{{call.customer}}' };
const CONTACT_LABELS = { phone: 'Phone', email: 'Email', firstName: 'First name', lastName: 'Last name' };

/** The CRM card's content for `agent` (as saved). */
export function crmSection(agent) {
  const logs = (agent.actions?.afterCall ?? []).filter((a) => a.type === 'crm_log');
  const actionsTab = `#/agents/${q(agent.id)}/actions`;
  if (!logs.length)
    return h(
      'div',
      {},
      h(
        'p',
        { class: 'hint' },
        'Calls are not filed in a CRM: no crm_log action in the After Call stage. Add one to log each call (summary, transcript, disposition, collected data) to HubSpot or Salesforce.',
      ),
      h(
        'button',
        {
          type: 'button',
          onclick: () => {
            location.hash = `${actionsTab}?add=afterCall&type=crm_log`;
          },
        },
        '+ Add a CRM log to After Call',
      ),
    );
  return h(
    'div',
    {},
    h('p', { class: 'hint' }, 'Each call is filed by these After Call actions, edited on the Actions tab.'),
    logs.map((action) => crmLogSummary(action, actionsTab)),
  );
}

function crmLogSummary(action, actionsTab) {
  const titleId = `crm-${action.id}`;
  const provider = PROVIDERS[action.provider ?? 'auto'] ?? { label: action.provider, env: null };
  const contact = Object.entries({ ...DEFAULT_CONTACT, ...action.contact }).filter(([, v]) => v);
  const properties = Object.entries(action.properties ?? {});
  return h(
    'section',
    { class: 'crm-log', 'aria-labelledby': titleId, dataset: { actionId: action.id } },
    h('h3', { id: titleId }, action.id, ' ', h('span', { class: 'badge' }, 'crm_log')),
    h(
      'dl',
      { class: 'facts' },
      h('div', {}, h('dt', {}, 'Provider'), h('dd', {}, provider.label)),
      provider.env
        ? h('div', {}, h('dt', {}, 'Credentials'), h('dd', {}, `the service reads ${provider.env}`))
        : null,
      action.when ? h('div', {}, h('dt', {}, 'Runs when'), h('dd', {}, h('code', {}, action.when))) : null,
    ),
    mappingTable(
      `Contact mapping of ${action.id}`,
      ['Contact field', 'Value'],
      contact.map(([k, v]) => [CONTACT_LABELS[k] ?? k, v]),
      'No contact fields: the call is logged without a contact.',
    ),
    mappingTable(
      `Property mapping of ${action.id}`,
      ['CRM property', 'Value'],
      properties.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
      'No properties mapped: only the call record is written.',
    ),
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          location.hash = `${actionsTab}?edit=${q(action.id)}`;
        },
      },
      `Edit ${action.id} in Actions`,
    ),
  );
}

function mappingTable(label, columns, rows, empty) {
  return h(
    'figure',
    { class: 'mapping' },
    h('figcaption', {}, label),
    rows.length
      ? h(
          'table',
          { class: 'table compact', 'aria-label': label },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              columns.map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          h(
            'tbody',
            {},
            rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, h('code', {}, v)))),
          ),
        )
      : h('p', { class: 'hint' }, empty),
  );
}
