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
  return out.replace(PHONE, (m) => {
    const digits = m.replace(/\D/g, '').length;
    // Dates and times also look like digit runs; phone numbers have a "+" or at least ten digits.
    return (m.startsWith('+') && digits >= 7) || digits >= 10 ? maskPhone(m) : m;
  });
}

export function createLogger(
  name: string,
  opts: { secrets?: string[]; write?: (line: string) => void; quiet?: boolean } = {},
): Logger {
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const emit = (level: string, message: string, fields?: Record<string, unknown>) => {
    if (opts.quiet && level === 'info') return;
    const extra = fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
    write(
      `${new Date().toISOString()} ${level.padEnd(5)} [${name}] ${redact(`${message}${extra}`, opts.secrets)}`,
    );
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
