import fc from 'fast-check';
import { fromWire, parseIsoTime, WireFormatError } from '@agentsudo/core';

describe('parseIsoTime reads RFC 3339 / ISO 8601 date-times only', () => {
  it.each([
    ['2026-01-01T12:00:00Z', '2026-01-01T12:00:00.000Z'],
    ['2026-01-01t12:00:00z', '2026-01-01T12:00:00.000Z'],
    ['2026-01-01T12:00:00', '2026-01-01T12:00:00.000Z'],
    ['2026-01-01T12:00', '2026-01-01T12:00:00.000Z'],
    ['2026-11-26T12:53:24.156322Z', '2026-11-26T12:53:24.156Z'],
    ['2026-11-26T12:53:24.1Z', '2026-11-26T12:53:24.100Z'],
    ['2026-11-26T12:53:24.123456789Z', '2026-11-26T12:53:24.123Z'],
    ['2026-01-01T12:00:00+02:00', '2026-01-01T10:00:00.000Z'],
    ['2026-01-01T00:30:00-05:30', '2026-01-01T06:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['0099-06-01T00:00:00Z', '0099-06-01T00:00:00.000Z'],
    ['0000-01-01T00:00:00Z', '0000-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999999Z', '9999-12-31T23:59:59.999Z'],
    ['9999-12-31T22:30:00-01:00', '9999-12-31T23:30:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(new Date(parseIsoTime(text)).toISOString()).toBe(iso);
  });

  it.each([
    '2026-01-01 12:00:00',
    'Jan 1 2026 12:00',
    'x 2026-01-01T00:00:00Z',
    '2026-01-01T00:00:00Z x',
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T12:60:00Z',
    '2026-01-01T12:00:60Z',
    '2026-01-01T12:00:00+24:00',
    '2026-01-01T12:00:00+0200',
    '2026-01-01T12:00:00.Z',
    '2026-1-1T12:00:00Z',
    '1767225600000',
    '2026-01-01',
    '',
    // Past 9999 or before 0000 once the offset is applied: no four-digit year writes them.
    '9999-12-31T23:30:00-01:00',
    '0000-01-01T00:30:00+01:00',
  ])('%j is not a time (NaN)', (text) => {
    expect(parseIsoTime(text)).toBeNaN();
  });

  it('reads a date alone as its midnight UTC only when asked to', () => {
    expect(parseIsoTime('2026-01-01', { dateOnly: true })).toBe(Date.UTC(2026, 0, 1));
    expect(parseIsoTime('2026-02-30', { dateOnly: true })).toBeNaN();
    expect(parseIsoTime('2026-01-01')).toBeNaN();
  });

  it('reads back every time that toISOString writes, in any zone offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (ms, offset) => {
          const iso = new Date(ms).toISOString();
          expect(parseIsoTime(iso)).toBe(ms);
          // The same instant written with an offset: local wall time, then ±HH:MM.
          const wall = new Date(ms + offset * 60_000).toISOString().slice(0, -1);
          const sign = offset < 0 ? '-' : '+';
          const abs = Math.abs(offset);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(parseIsoTime(`${wall}${zone}`)).toBe(ms);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects an event timestamp that is not a date-time, naming the value and showing a good one', () => {
    let caught: unknown;
    try {
      fromWire({
        timestamp: '2026-01-01 12:00:00',
        agent_name: 'Bot',
        action: 'permission_check',
        allowed: true,
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WireFormatError);
    expect((caught as Error).message).toContain('"2026-01-01 12:00:00"');
    expect((caught as Error).message).toContain('2026-01-01T12:00:00.000Z');
  });
});
