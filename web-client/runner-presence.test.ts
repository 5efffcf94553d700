import { describe, expect, it } from 'vitest';
import type { RunnerPresence } from '../protocol/wire-types.js';
import { describeRunner, formatQuiet, isNewerPresence } from './runner-presence.js';

const seenAt = Date.parse('2026-11-30T12:03:17.250Z');
const runner = (over: Partial<RunnerPresence> = {}): RunnerPresence => ({
  lastSeenAt: new Date(seenAt).toISOString(),
  backlog: { events: 0, bytes: 0 },
  state: 'online',
  host: 'ci-7',
  pid: 4242,
  version: '0.2.0',
  intervalMs: 5000,
  ...over,
});

describe('describeRunner', () => {
  it('says "runner live" while the runner reports within three intervals and holds nothing back', () => {
    expect(describeRunner({ complete: false, runner: runner() }, seenAt + 2_000)).toMatchObject({ kind: 'live', text: 'runner live', quietMs: 2_000 });
    expect(describeRunner({ complete: false, runner: runner() }, seenAt + 15_000).kind).toBe('live');
  });

  it('says how many events the runner is behind', () => {
    expect(describeRunner({ complete: false, runner: runner({ backlog: { events: 340, bytes: 9000 } }) }, seenAt + 1_000).text).toBe('runner 340 events behind');
    expect(describeRunner({ complete: false, runner: runner({ backlog: { events: 1, bytes: 20 } }) }, seenAt).text).toBe('runner 1 event behind');
    expect(describeRunner({ complete: false, runner: runner({ backlog: { events: 12_345, bytes: 20 } }) }, seenAt).text).toBe('runner 12,345 events behind');
  });

  it('says how long the runner has been silent, and when it was last seen, once three intervals passed without a word', () => {
    const text = describeRunner({ complete: false, runner: runner({ backlog: { events: 340, bytes: 1 } }) }, seenAt + 130_400).text;
    const clock = new Date(seenAt).toLocaleTimeString('en-GB', { hour12: false });
    expect(text).toBe(`no word from the runner for 2 min 10 s (last seen ${clock})`);
    expect(describeRunner({ complete: false, runner: runner() }, seenAt + 15_001).kind).toBe('silent');
    // The silence grows with the clock alone: no new report is needed.
    expect(describeRunner({ complete: false, runner: runner() }, seenAt + 16_000).text).toMatch(/^no word from the runner for 16 s /);
  });

  it('judges silence by the runner\u2019s own interval', () => {
    const fast = runner({ intervalMs: 200 });
    expect(describeRunner({ complete: false, runner: fast }, seenAt + 500).kind).toBe('live');
    expect(describeRunner({ complete: false, runner: fast }, seenAt + 700).kind).toBe('silent');
  });

  it('says "runner finished" for a complete build, whatever the runner last said', () => {
    expect(describeRunner({ complete: true, runner: runner({ backlog: { events: 3, bytes: 1 } }) }, seenAt + 3_600_000).text).toBe('runner finished');
    expect(describeRunner({ complete: true, runner: null }).kind).toBe('finished');
  });

  it('waits for the runner before its first contact, and never shows a negative silence', () => {
    expect(describeRunner({ complete: false, runner: null })).toMatchObject({ kind: 'waiting', text: 'no word from the runner yet' });
    expect(describeRunner({ complete: false, runner: runner() }, seenAt - 900)).toMatchObject({ kind: 'live', quietMs: 0 });
  });
});

describe('formatQuiet', () => {
  it('counts whole seconds, minutes, hours and days', () => {
    expect([0, 999, 15_000, 130_000, 3_725_000, 49 * 3_600_000].map(formatQuiet)).toEqual(['0 s', '0 s', '15 s', '2 min 10 s', '1 h 2 min', '2 d 1 h']);
  });
});

describe('isNewerPresence', () => {
  it('only lets a later report replace the one held', () => {
    const older = runner();
    const newer = runner({ lastSeenAt: new Date(seenAt + 1).toISOString() });
    expect(isNewerPresence(null, older)).toBe(true);
    expect(isNewerPresence(older, newer)).toBe(true);
    expect(isNewerPresence(newer, older)).toBe(false);
    expect(isNewerPresence(older, older)).toBe(false);
    expect(isNewerPresence(older, null)).toBe(false);
  });
});
