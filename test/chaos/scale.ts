// How big the chaos scenarios run: small enough for `npm test` on two cores by default,
// full size under `npm run test:chaos -- --full` (which sets RUNLOG_CHAOS_FULL=1).
export const FULL = process.env.RUNLOG_CHAOS_FULL === '1';

export const Scale = FULL
  ? {
      networkBuilds: 10,
      networkEvents: 20_000,
      slowReaders: 200,
      slowReaderPauseMs: 30_000,
      slowReaderEvents: 50_000,
      connectCycles: 2000,
      databaseOutageMs: 10_000,
      overloadRunners: 200,
      overloadEventsPerRunner: 100,
      testTimeoutMs: 900_000,
    }
  : {
      networkBuilds: 4,
      networkEvents: 2_000,
      slowReaders: 40,
      slowReaderPauseMs: 4_000,
      slowReaderEvents: 8_000,
      connectCycles: 300,
      databaseOutageMs: 3_000,
      overloadRunners: 60,
      overloadEventsPerRunner: 40,
      testTimeoutMs: 180_000,
    };

/** A seed from RUNLOG_CHAOS_SEED (to replay a failure) or fresh; printed by every scenario. */
export function chaosSeed(): number {
  const given = process.env.RUNLOG_CHAOS_SEED;
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}
