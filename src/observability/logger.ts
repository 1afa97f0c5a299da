/**
 * A small structured logger that never prints phone numbers, emails or secrets in clear text: every line
 * passes through `redact`, which keeps only the last four digits of anything that looks like a phone number
 * and only the domain of an email address.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const PHONE = /\+?\d[\d\s().-]{6,}\d/g;
const EMAIL = /[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g;

export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  return digits.length >= 4 ? `***${digits.slice(-4)}` : '***';
}

export function redact(text: string, secrets: string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[secret]');
  // Emails first: a local part made of digits would otherwise be masked as a phone number and kept.
  out = out.replace(EMAIL, (_m, domain: string) => `***@${domain}`);
  return out.replace(PHONE, (m, at: number, all: string) => {
    const digits = m.replace(/\D/g, '').length;
    // Dates and times also look like digit runs; phone numbers have a "+" or at least ten digits.
    if (!((m.startsWith('+') && digits >= 7) || digits >= 10)) return m;
    return m.startsWith('+') || !partOfSomethingElse(m, all, at) ? maskPhone(m) : m;
  });
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Digit runs that aren't phone numbers: an IPv4 address, or digits inside an identifier (`call-1700000000000`,
 * `CA1234567890abcdef`). A number written with "+" is always masked.
 */
function partOfSomethingElse(match: string, text: string, at: number): boolean {
  if (IPV4.test(match)) return true;
  const before = text.slice(Math.max(0, at - 2), at);
  const after = text[at + match.length] ?? '';
  return /[A-Za-z_]$|[A-Za-z0-9][-_]$/.test(before) || /[A-Za-z_]/.test(after);
}

export type LogFormat = 'text' | 'json';

export function logFormatFromEnv(env: NodeJS.ProcessEnv = process.env): LogFormat {
  return env.CALLFLOW_LOG_FORMAT?.toLowerCase() === 'json' ? 'json' : 'text';
}

/**
 * One log line. JSON lines (`CALLFLOW_LOG_FORMAT=json`) are one object each: time, level, name, message, callId
 * when the fields carry one, then the other fields; every string in them is redacted before serialising.
 */
export function formatLogLine(
  format: LogFormat,
  entry: { level: string; name: string; message: string; fields?: Record<string, unknown>; time?: Date },
  secrets: string[] = [],
): string {
  const time = (entry.time ?? new Date()).toISOString();
  if (format === 'text') {
    const fields = entry.fields && Object.keys(entry.fields).length ? ` ${JSON.stringify(entry.fields)}` : '';
    return `${time} ${entry.level.padEnd(5)} [${entry.name}] ${redact(`${entry.message}${fields}`, secrets)}`;
  }
  const { callId, ...rest } = entry.fields ?? {};
  const line: Record<string, unknown> = {
    time,
    level: entry.level,
    name: entry.name,
    message: redact(entry.message, secrets),
  };
  if (callId !== undefined) line.callId = redactValue(callId, secrets);
  if (Object.keys(rest).length) line.fields = redactValue(rest, secrets);
  return JSON.stringify(line);
}

/** Redacts every string (and digit run long enough to be a phone number) inside a value, keeping its shape. */
function redactValue(value: unknown, secrets: string[], depth = 0): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (typeof value === 'number' || typeof value === 'bigint') {
    const masked = redact(String(value), secrets);
    return masked === String(value) ? (typeof value === 'bigint' ? masked : value) : masked;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[nested]';
  if (value instanceof Error) return redact(value.message, secrets);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, secrets, depth + 1)]));
}

export function createLogger(
  name: string,
  opts: { secrets?: string[]; write?: (line: string) => void; quiet?: boolean; format?: LogFormat } = {},
): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const format = opts.format ?? logFormatFromEnv();
  const emit = (level: string, message: string, fields?: Record<string, unknown>) => {
    if (opts.quiet && level === 'info') return;
    write(formatLogLine(format, { level, name, message, fields }, opts.secrets));
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
