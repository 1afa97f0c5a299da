// Element building without innerHTML, so text from the API is never parsed as markup.

/** h('button', { type: 'button', onclick }, 'Save') */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value' || key === 'checked') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let idCounter = 0;
export function uid(prefix = 'f') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

export function announce(text) {
  const el = document.getElementById('announcer');
  if (!el) return;
  el.textContent = '';
  // A fresh text node after a tick makes screen readers repeat the same message.
  setTimeout(() => {
    el.textContent = text;
  }, 30);
}

/** Phone numbers in pages show only their last four digits. */
export function maskPhone(value) {
  if (typeof value !== 'string') return value ?? '';
  const digits = value.replace(/\D/g, '');
  if (digits.length < 4) return value.includes('*') ? value : '****';
  return `***${digits.slice(-4)}`;
}

// A run of digits and separators standing on its own: not inside an id ("cf6a7b63f8676435…") or a time
// ("10:00:00.000-05:00").
const PHONE_LIKE = /(?<![\w+(./-])(?<!\d:)\+?\(?\d[\d\s().-]{6,}\d(?!\w|:\d)/g;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Masks anything that looks like a phone number inside free text or values; dates and ids stay readable. */
export function maskPhonesIn(text) {
  return String(text).replace(PHONE_LIKE, (m) =>
    ISO_DATE.test(m) || m.replace(/\D/g, '').length < 7 ? m : maskPhone(m),
  );
}

export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function formatDuration(seconds) {
  if (seconds === undefined || seconds === null || Number.isNaN(Number(seconds))) return '';
  const s = Math.round(Number(seconds));
  const m = Math.floor(s / 60);
  return m ? `${m} min ${s % 60} s` : `${s} s`;
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}

/** An errors box listing `{field, message}` details; role=alert so it is read out when it appears. */
export function errorBox(title, details = []) {
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('strong', {}, title),
    details.length
      ? h(
          'ul',
          {},
          details.map((d) =>
            h('li', {}, d.field ? h('code', {}, d.field) : null, d.field ? ': ' : '', d.message),
          ),
        )
      : null,
  );
}
