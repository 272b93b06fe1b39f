import { parseAlipayTime } from '../alipayplus/signing';

/**
 * Strict reading of ACQP request bodies (alipayplus.md, Data rules): every non-array field is a
 * JSON string, optional fields are omitted or `null` (never `""`), amounts are
 * `{currency, value}` with an integer value in minor units. Any breach is `PARAM_ILLEGAL` with a
 * message naming the field.
 */
export class ParamIllegal extends Error {
  override name = 'ParamIllegal';
}

export interface Amount {
  currency: string;
  value: number;
}

interface StringRule {
  max?: number;
  pattern?: RegExp;
  /** What the pattern means, for the message. */
  expected?: string;
}

const DEFAULT_MAX = 512;
const TEXT_DECODER = new TextDecoder('utf-8', { fatal: true });

/** Parses the body bytes into a fields reader, refusing non-UTF-8, non-JSON and non-objects. */
export function readBody(body: Buffer): Fields {
  let value: unknown;
  try {
    value = JSON.parse(TEXT_DECODER.decode(body));
  } catch {
    throw new ParamIllegal('the body is not UTF-8 JSON');
  }
  if (!isObject(value)) throw new ParamIllegal('the body is not a JSON object');
  checkScalars(value, '');
  return new Fields(value, '');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** The protocol's rule for every field, known or not: strings only, and no empty strings. */
function checkScalars(value: unknown, path: string): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      checkScalars(item, join(path, i));
    });
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) checkScalars(item, join(path, key));
  } else if (value === null) {
    return;
  } else if (typeof value !== 'string') {
    throw new ParamIllegal(`${path} must be a JSON string, got ${typeof value}`);
  } else if (value === '') {
    throw new ParamIllegal(`${path} must be omitted or null, not ""`);
  }
}

export class Fields {
  constructor(
    readonly value: Record<string, unknown>,
    private readonly path: string,
  ) {}

  has(name: string): boolean {
    return this.value[name] !== undefined && this.value[name] !== null;
  }

  string(name: string, rule: StringRule = {}): string {
    const text = this.optionalString(name, rule);
    if (text === undefined) throw new ParamIllegal(`${join(this.path, name)} is required`);
    return text;
  }

  optionalString(name: string, rule: StringRule = {}): string | undefined {
    const value = this.value[name];
    if (value === undefined || value === null) return undefined;
    const path = join(this.path, name);
    if (typeof value !== 'string') throw new ParamIllegal(`${path} must be a JSON string`);
    const max = rule.max ?? DEFAULT_MAX;
    if (value.length > max) throw new ParamIllegal(`${path} is longer than ${max} characters`);
    if (rule.pattern && !rule.pattern.test(value)) {
      throw new ParamIllegal(`${path} must be ${rule.expected ?? `like ${rule.pattern}`}`);
    }
    return value;
  }

  /** An Alipay+ Datetime: ISO-8601 with its offset (or `Z`, or epoch milliseconds). */
  optionalTime(name: string): Date | undefined {
    const text = this.optionalString(name, { max: 40 });
    if (text === undefined) return undefined;
    const time = parseAlipayTime(text);
    if (!time) throw new ParamIllegal(`${join(this.path, name)} must be an ISO-8601 date-time with offset`);
    return time;
  }

  object(name: string): Fields {
    const fields = this.optionalObject(name);
    if (!fields) throw new ParamIllegal(`${join(this.path, name)} is required`);
    return fields;
  }

  optionalObject(name: string): Fields | undefined {
    const value = this.value[name];
    if (value === undefined || value === null) return undefined;
    if (!isObject(value)) throw new ParamIllegal(`${join(this.path, name)} must be a JSON object`);
    return new Fields(value, join(this.path, name));
  }

  /** `{currency, value}`; the value is a positive integer in the currency's minor unit. */
  amount(name: string): Amount {
    const fields = this.object(name);
    const currency = fields.string('currency', { pattern: /^[A-Z]{3}$/, expected: 'an ISO 4217 code' });
    const value = fields.string('value', {
      max: 16,
      pattern: /^[1-9]\d{0,15}$/,
      expected: 'a positive integer in the minor unit, as a string',
    });
    const number = Number(value);
    if (!Number.isSafeInteger(number)) throw new ParamIllegal(`${join(fields.path, 'value')} is too large`);
    return { currency, value: number };
  }

  url(name: string): string {
    const text = this.string(name, { max: 2048 });
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ParamIllegal(`${join(this.path, name)} must be an absolute http(s) URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ParamIllegal(`${join(this.path, name)} must be an absolute http(s) URL`);
    }
    return text;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T {
    const text = this.string(name);
    if (!(values as readonly string[]).includes(text)) {
      throw new ParamIllegal(`${join(this.path, name)} must be one of ${values.join(', ')}`);
    }
    return text as T;
  }
}

/** A stable text of JSON values (sorted keys), to compare the idempotency-relevant fields. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined && value[k] !== null)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
