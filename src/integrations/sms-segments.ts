/** How Twilio will split a text: GSM-7 when every character fits, otherwise UCS-2. */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENDED = '^{}\\[~]|€\f';

/** Twilio refuses bodies longer than this (error 21617). */
export const MAX_BODY_CHARS = 1600;

export interface SegmentInfo {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
}

export function segmentInfo(body: string): SegmentInfo {
  let septets = 0;
  let gsm = true;
  for (const ch of body) {
    if (GSM7_BASIC.includes(ch)) septets += 1;
    else if (GSM7_EXTENDED.includes(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: 'GSM-7', segments: septets <= 160 ? 1 : Math.ceil(septets / 153) };
  // UCS-2 counts UTF-16 code units: characters outside the BMP (most emoji) take two.
  const units = body.length;
  return { encoding: 'UCS-2', segments: units <= 70 ? 1 : Math.ceil(units / 67) };
}

/** Splits a body over Twilio's limit into parts at word boundaries, numbered "(1/3)". */
export function splitBody(body: string, limit = MAX_BODY_CHARS): string[] {
  if (body.length <= limit) return [body];
  const room = limit - 8; // leaves space for the " (n/N)" suffix
  const parts: string[] = [];
  let rest = body.trim();
  while (rest.length > room) {
    let cut = rest.lastIndexOf(' ', room);
    if (cut < room / 2) cut = room;
    parts.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) parts.push(rest);
  return parts.map((p, i) => `${p} (${i + 1}/${parts.length})`);
}
