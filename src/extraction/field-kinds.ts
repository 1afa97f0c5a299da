import type { FieldSpec } from './fields';

/** What a field holds, as the extractors and the accuracy report see it (from its type, name and description). */
export type FieldKind =
  | 'name'
  | 'company'
  | 'pet'
  | 'email'
  | 'phone'
  | 'identifier'
  | 'other text'
  | 'money'
  | 'number'
  | 'boolean'
  | 'enum'
  | 'date';

export function splitIdentifier(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .map((w) => w.toLowerCase())
    .filter(Boolean);
}

export function fieldText(field: FieldSpec): string {
  return `${splitIdentifier(field.name).join(' ')} ${field.description ?? ''}`.toLowerCase();
}

const nameWords = (f: FieldSpec) => splitIdentifier(f.name).join(' ');

/** A person named by their tie to a thing: "the pet owner", "the company contact" (a person's name). */
const PERSON_OF = /\b(?:pet|dog|cat|company|business) (?:owner|parent|contact|manager|representative)\b/g;

export function isNameField(field: FieldSpec): boolean {
  const n = fieldText(field).replace(PERSON_OF, 'person');
  return /\bname\b/.test(n) && !/\b(company|business|organi[sz]ation|employer|pet|dog|cat|product)\b/.test(n);
}
/** An organisation named by its kind right before "name": funeral_home_name, clinic_name, firm_name. */
const ORG_NAME =
  /\b(home|firm|agency|clinic|practice|shop|store|restaurant|hotel|venue|church|hospital|dealership|brokerage) name\b/;
export const isCompanyField = (f: FieldSpec) =>
  /\b(company|business|organi[sz]ation|employer|insurer|insurance (?:provider|carrier))\b/.test(
    fieldText(f),
  ) || ORG_NAME.test(nameWords(f));
export const isPetField = (f: FieldSpec) => /\b(pet|dog|cat)\b/.test(nameWords(f));
export const isEmailField = (f: FieldSpec) => /\be-?mail\b/.test(fieldText(f));
/** A text field meant for a phone number (by its name, or its description without order/account words). */
export const isPhoneField = (f: FieldSpec) =>
  /\b(phone|mobile|cell|telephone)\b/.test(nameWords(f)) ||
  // Not a name field described by where the person is ("Name of the person on the phone").
  (/\b(phone|mobile|cell)\b/.test(fieldText(f)) &&
    !/\b(order|account|reference)\b/.test(fieldText(f)) &&
    !/\bname\b/.test(nameWords(f))) ||
  // "callback_number": "Number to call the caller back on", "number to reach them at".
  (/\bnumber\b/.test(nameWords(f)) && /\b(call\w* (?:\w+ ){0,2}back|callback|reach)\b/.test(fieldText(f)));
export const isIdentifierField = (f: FieldSpec) =>
  /\b(number|id|code|reference|confirmation|no|serial|last four|digits|vin|zip|postcode)\b/.test(
    nameWords(f),
  );
export const isMoneyField = (f: FieldSpec) =>
  /\b(budget|price|cost|bill|amount|dollars?|spend|revenue|income|salary|fee|payment|rent|value|deal|quote|invoice)\b/.test(
    fieldText(f),
  );
export const isBirthField = (f: FieldSpec) => /\b(birth|dob|born|birthday)\b/.test(fieldText(f));

export function fieldKind(field: FieldSpec): FieldKind {
  switch (field.type) {
    case 'number':
      return isMoneyField(field) ? 'money' : 'number';
    case 'boolean':
    case 'enum':
    case 'date':
      return field.type;
    default:
      if (isEmailField(field)) return 'email';
      if (isPhoneField(field)) return 'phone';
      if (isCompanyField(field)) return 'company';
      if (isPetField(field)) return 'pet';
      if (isNameField(field)) return 'name';
      if (isIdentifierField(field)) return 'identifier';
      return 'other text';
  }
}
