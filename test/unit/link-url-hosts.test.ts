import { describe, expect, it } from 'vitest';
import {
  canonicalHost,
  isInternalHost,
  isRegisteredHost,
  isValidHostEntry,
} from '../../src/merchants/url-hosts';

describe('registered URL hosts', () => {
  it('puts hosts in the form URLs show them', () => {
    expect(canonicalHost('Shop.Example.JP.')).toBe('shop.example.jp');
    expect(canonicalHost('localhost:8082')).toBe('localhost');
    expect(canonicalHost('[0:0:0:0:0:0:0:1]')).toBe('::1');
    expect(canonicalHost('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalHost('例え.jp')).toBe('xn--r8jz45g.jp');
    expect(canonicalHost('user@host')).toBeNull();
    expect(canonicalHost('')).toBeNull();
  });

  it('matches exact entries, ignoring the port and case', () => {
    expect(
      isRegisteredHost(new URL('https://SHOP.example.jp:8443/x'), ['shop.example.jp'], 'production'),
    ).toBe(true);
    expect(
      isRegisteredHost(new URL('https://shop.example.jp.evil/x'), ['shop.example.jp'], 'production'),
    ).toBe(false);
    expect(isRegisteredHost(new URL('http://[::1]:8082/'), ['::1'], 'production')).toBe(true);
  });

  it('matches wildcard entries against sub-domains only', () => {
    const hosts = ['*.example.jp'];
    expect(isRegisteredHost(new URL('https://a.b.example.jp/'), hosts, 'production')).toBe(true);
    expect(isRegisteredHost(new URL('https://example.jp/'), hosts, 'production')).toBe(false);
    expect(isRegisteredHost(new URL('https://badexample.jp/'), hosts, 'production')).toBe(false);
  });

  it('recognises loopback, private and link-local hosts, also in disguise', () => {
    for (const host of [
      'localhost',
      'api.localhost',
      '127.0.0.1',
      '10.1.2.3',
      '172.31.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '[::1]',
      '[fe80::1]',
      '[fd00::1]',
      '[::ffff:127.0.0.1]',
      new URL('http://2130706433/').hostname,
    ]) {
      expect(isInternalHost(host), host).toBe(true);
    }
    for (const host of ['203.0.113.7', '172.32.0.1', 'example.jp', '[2001:db8::1]']) {
      expect(isInternalHost(host), host).toBe(false);
    }
  });

  it('admits internal hosts in production only through exact entries', () => {
    const url = new URL('http://hooks.localhost/p');
    expect(isRegisteredHost(url, ['*.localhost'], 'demo')).toBe(true);
    expect(isRegisteredHost(url, ['*.localhost'], 'production')).toBe(false);
    expect(isRegisteredHost(url, ['hooks.localhost'], 'production')).toBe(true);
  });

  it('tells valid entries from invalid ones', () => {
    for (const entry of [
      'shop.example.jp',
      '*.example.jp',
      '127.0.0.1',
      '::1',
      'localhost',
      'localhost:8082',
    ]) {
      expect(isValidHostEntry(entry), entry).toBe(true);
    }
    for (const entry of ['', '*', 'a.*.jp', 'http://x/', 'exa mple.jp', '-bad.jp', 'user@host']) {
      expect(isValidHostEntry(entry), entry).toBe(false);
    }
  });
});
