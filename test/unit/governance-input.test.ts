import { describe, expect, it } from 'vitest';
import { parseTrackingIds } from '../../src/governance/fraud';
import { dueDate, jstDateStart, jstLocalTime, requiredText } from '../../src/governance/governance-input';
import { parseCategories } from '../../src/governance/prohibited';

/** The governance forms' input rules (governance.md, 2-4). */
describe('governance input', () => {
  it('reads a JST date as its first instant and refuses impossible dates', () => {
    expect(jstDateStart('2026-12-06').toISOString()).toBe('2026-12-05T15:00:00.000Z');
    for (const bad of ['2026-02-30', '2026-12-6', '06/12/2026', '']) {
      expect(() => jstDateStart(bad)).toThrow(expect.objectContaining({ code: 'DATE_INVALID' }));
    }
  });

  it('accepts a due date of today (JST) and refuses yesterday', () => {
    const now = new Date('2026-12-05T15:30:00Z'); // 2026-12-06 00:30 JST
    expect(dueDate('2026-12-06', now)).toBe('2026-12-06');
    expect(() => dueDate('2026-12-05', now)).toThrow(expect.objectContaining({ code: 'DUE_DATE_PAST' }));
  });

  it('reads a datetime-local value as JST', () => {
    expect(jstLocalTime('2026-12-06T09:15').toISOString()).toBe('2026-12-06T00:15:00.000Z');
    expect(() => jstLocalTime('2026-12-06')).toThrow(expect.objectContaining({ code: 'TIME_INVALID' }));
  });

  it('requires text and bounds its length', () => {
    expect(requiredText('  answer  ', 'answer')).toBe('answer');
    expect(() => requiredText(' \n ', 'answer')).toThrow(expect.objectContaining({ code: 'TEXT_REQUIRED' }));
    expect(() => requiredText('x'.repeat(2001), 'answer')).toThrow(
      expect.objectContaining({ code: 'TEXT_TOO_LONG' }),
    );
  });

  it('reads categories as lower-case codes, without duplicates', () => {
    expect(parseCategories('Tobacco, tea\ntea、crypto-assets')).toEqual(['crypto-assets', 'tea', 'tobacco']);
    expect(parseCategories('  ')).toEqual([]);
    expect(() => parseCategories('tobacco; weapons')).toThrow(
      expect.objectContaining({ code: 'CATEGORY_INVALID' }),
    );
    expect(() => parseCategories('-tea')).toThrow(expect.objectContaining({ code: 'CATEGORY_INVALID' }));
  });

  it('reads tracking ids: 14 digits each, at least one', () => {
    expect(parseTrackingIds('12345678901234\n12345678901234, 22345678901234')).toEqual([
      '12345678901234',
      '22345678901234',
    ]);
    expect(() => parseTrackingIds(' ')).toThrow(expect.objectContaining({ code: 'TRACKING_IDS_REQUIRED' }));
    expect(() => parseTrackingIds('1234')).toThrow(expect.objectContaining({ code: 'TRACKING_ID_UNKNOWN' }));
  });
});
