import { ConfigurationError, type SudoEvent } from '@agentsudo/core';
import { compileFilter } from '@agentsudo/transport-file';

const at = (timestamp: string) => ({ timestamp }) as SudoEvent;

describe('audit log filters read since/until as RFC 3339 times or dates (as agentsudo logs does)', () => {
  test.each(['Jan 1 2026 12:00', '2026-01-01 12:00:00', 'x 2026-01-01', '2026-02-30', 'yesterday'])(
    'since %j is refused, naming the value and showing good ones',
    (since) => {
      expect(() => compileFilter({ since })).toThrow(ConfigurationError);
      expect(() => compileFilter({ since })).toThrow(
        `'since': ${JSON.stringify(since)} is not a time; use an RFC 3339 time such as 2026-01-31T12:00:00Z`,
      );
    },
  );

  test('a date is its midnight UTC, a time without a zone is UTC', () => {
    const keep = compileFilter({ since: '2026-03-01', until: '2026-03-01T12:00:00' });
    expect(
      [
        '2026-02-28T23:59:59.999Z',
        '2026-03-01T00:00:00.000Z',
        '2026-03-01T11:59:59.999Z',
        '2026-03-01T12:00:00.000Z',
      ].map((ts) => keep(at(ts))),
    ).toEqual([false, true, true, false]);
  });
});
