import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads a whole number and one of ms, s, m, h, d', () => {
    expect(parseDuration('30d')).toEqual({ ok: true, ms: 30 * 86_400_000 });
    expect(parseDuration('12h')).toEqual({ ok: true, ms: 12 * 3_600_000 });
    expect(parseDuration('10m')).toEqual({ ok: true, ms: 600_000 });
    expect(parseDuration('90s')).toEqual({ ok: true, ms: 90_000 });
    expect(parseDuration('250ms')).toEqual({ ok: true, ms: 250 });
  });

  it('refuses an unknown unit, a missing unit, zero and anything that is not a number', () => {
    expect(parseDuration('1w')).toMatchObject({ ok: false, problem: expect.stringContaining('unknown unit "w"') });
    expect(parseDuration('30D')).toMatchObject({ ok: false, problem: expect.stringContaining('unknown unit "D"') });
    expect(parseDuration('30')).toMatchObject({ ok: false, problem: expect.stringContaining('no unit') });
    expect(parseDuration('0s')).toMatchObject({ ok: false });
    expect(parseDuration('-5m')).toMatchObject({ ok: false });
    expect(parseDuration('1.5h')).toMatchObject({ ok: false });
  });

  it('formats back with the largest unit that divides', () => {
    expect(formatDuration(30 * 86_400_000)).toBe('30d');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});
