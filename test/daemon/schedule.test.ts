/**
 * The schedule's interval, which /readyz measures staleness in: for an uneven schedule it is the
 * longest gap, so a daemon that ran at 01:00 is not called stale at 03:00 by `0 0,1 * * *`.
 */
import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../src/daemon/index.js';
import { ConfigError } from '../../src/errors.js';

const minute = 60_000;
const hour = 60 * minute;

describe('a --schedule', () => {
  it.each([
    ['*/10 * * * *', 10 * minute],
    ['*/1 * * * * *', 1000],
    ['*/30 * * * * *', 30_000],
    ['@hourly', hour],
    ['0 0,1 * * *', 23 * hour],
    ['0 9 * * 1-5', 72 * hour],
  ])('%j has an interval of its longest gap between firings', (expression, intervalMs) => {
    expect(parseSchedule(expression)).toEqual({ expression, intervalMs });
  });

  it('is refused as a ConfigError (exit 2) when it is no cron expression', () => {
    expect(() => parseSchedule('*/10 * * *')).toThrow(ConfigError);
    expect(() => parseSchedule('0 0 31 2 *')).toThrow(/impossible day of month/);
  });
});
