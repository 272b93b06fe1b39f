import { describe, expect, it } from 'vitest';
import { parseBasicAuth } from '../../src/channels/xml-api/basic-auth';
import { apiPasswordDigest, generateApiPassword, verifyApiPassword } from '../../src/merchants/api-password';
import { SPEC_HASH_KEY } from '../support/spec-vectors';

const HASH_KEY = SPEC_HASH_KEY;
const service = (password: string | null, isHashKey = 0) => ({
  api_password_digest: password === null ? null : apiPasswordDigest(password),
  api_password_is_hash_key: isHashKey,
  hash_key: HASH_KEY,
});

describe('XML API passwords', () => {
  it('generates distinct printable secrets of at least 128 bits', () => {
    const passwords = new Set(Array.from({ length: 200 }, generateApiPassword));
    expect(passwords.size).toBe(200);
    for (const password of passwords) {
      expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
      // 32 base64url characters carry 192 bits.
      expect(password.length * 6).toBeGreaterThanOrEqual(128);
    }
  });

  it('stores a SHA-256 digest, never the secret', () => {
    expect(apiPasswordDigest('secret')).toBe(
      '2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b',
    );
  });

  it('accepts the password and refuses anything else', () => {
    const password = generateApiPassword();
    expect(verifyApiPassword(service(password), password)).toBe(true);
    expect(verifyApiPassword(service(password), `${password} `)).toBe(false);
    expect(verifyApiPassword(service(password), '')).toBe(false);
    expect(verifyApiPassword(service(password), HASH_KEY)).toBe(false);
  });

  it('refuses everything for a service without a password, and for no service', () => {
    expect(verifyApiPassword(service(null), '')).toBe(false);
    expect(verifyApiPassword(service(null), 'x')).toBe(false);
    expect(verifyApiPassword(undefined, '')).toBe(false);
  });

  it('accepts the hash key only when the service’s compatibility switch is on', () => {
    expect(verifyApiPassword(service(null, 1), HASH_KEY)).toBe(true);
    expect(verifyApiPassword(service('pw', 1), HASH_KEY)).toBe(true);
    expect(verifyApiPassword(service('pw', 1), 'pw')).toBe(true);
    expect(verifyApiPassword(service('pw', 0), HASH_KEY)).toBe(false);
    expect(verifyApiPassword({ ...service(null, 1), hash_key: '' }, '')).toBe(false);
  });
});

describe('Basic credentials', () => {
  const header = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

  it('reads user and password, the password keeping any colon', () => {
    expect(parseBasicAuth(header('30000001:a:b'))).toEqual({ user: '30000001', password: 'a:b' });
    expect(parseBasicAuth(header('30000001:'))?.password).toBe('');
    expect(parseBasicAuth(`basic ${Buffer.from('u:p').toString('base64')}`)).toEqual({
      user: 'u',
      password: 'p',
    });
  });

  it('reads nothing from a missing or malformed header', () => {
    expect(parseBasicAuth(undefined)).toBeNull();
    expect(parseBasicAuth('Bearer abc')).toBeNull();
    expect(parseBasicAuth('Basic')).toBeNull();
    expect(parseBasicAuth('Basic !!!')).toBeNull();
    expect(parseBasicAuth(header('no-colon'))).toBeNull();
  });
});
