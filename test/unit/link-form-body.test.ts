import { describe, expect, it } from 'vitest';
import { formCharset, parseFormBytes } from '../../src/channels/link/form-body';

const text = (pairs: ReturnType<typeof parseFormBytes>) =>
  pairs?.map(([name, value]) => [name, Buffer.from(value).toString('latin1')]);

describe('form body bytes', () => {
  it('splits on & and =, turns + into a space and percent-escapes into bytes', () => {
    const pairs = parseFormBytes(Buffer.from('a=1&b=x+y&c=%96%95%20%2B&d=&e'));
    expect(text(pairs)).toEqual([
      ['a', '1'],
      ['b', 'x y'],
      ['c', '\x96\x95 +'],
      ['d', ''],
      ['e', ''],
    ]);
  });

  it('keeps the body order and repeated names', () => {
    expect(text(parseFormBytes(Buffer.from('x=2&&x=1&')))).toEqual([
      ['x', '2'],
      ['x', '1'],
    ]);
  });

  it('reads an empty body as no fields', () => {
    expect(parseFormBytes(Buffer.alloc(0))).toEqual([]);
  });

  it.each(['a=%', 'a=%4', 'a=%4G', '%zz=1', 'a=1&b=%%41'])('refuses the malformed escape in %j', (body) => {
    expect(parseFormBytes(Buffer.from(body))).toBeNull();
  });

  it('splits only on the first =', () => {
    expect(text(parseFormBytes(Buffer.from('url=http://h/?a=b')))).toEqual([['url', 'http://h/?a=b']]);
  });
});

describe('form charset', () => {
  const utf8 = new TextEncoder().encode('UTF-8');
  const sjis = new TextEncoder().encode('Shift_JIS');

  it('is Windows-31J when nothing says UTF-8', () => {
    expect(formCharset('application/x-www-form-urlencoded', undefined, 'Shift_JIS')).toBe('windows-31j');
    expect(formCharset(undefined, sjis, undefined)).toBe('windows-31j');
    expect(formCharset('application/x-www-form-urlencoded; charset=Shift_JIS', undefined, 'Shift_JIS')).toBe(
      'windows-31j',
    );
  });

  it('is UTF-8 when the Content-Type names it', () => {
    expect(formCharset('application/x-www-form-urlencoded; charset=UTF-8', undefined, 'Shift_JIS')).toBe(
      'utf-8',
    );
    expect(formCharset('application/x-www-form-urlencoded;Charset="utf8"', undefined, 'Shift_JIS')).toBe(
      'utf-8',
    );
  });

  it('is UTF-8 when the _charset_ field says so', () => {
    expect(formCharset('application/x-www-form-urlencoded', utf8, 'Shift_JIS')).toBe('utf-8');
  });

  it('is UTF-8 for a service configured for UTF-8', () => {
    expect(formCharset(undefined, undefined, 'UTF-8')).toBe('utf-8');
  });
});
