// The operating variables refuse a bad value at start with one line naming the variable and
// saying what is wrong (README §Deploying); the bin prints those lines and exits 2.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv } from './config.js';

const PG = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test' };

function problems(env: Record<string, string>): readonly string[] {
  try {
    configFromEnv(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** A self-signed certificate and its key, and a second key that belongs to no certificate. */
function certificates(dir: string) {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const otherKey = path.join(dir, 'other.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-days', '1'], { stdio: 'ignore' });
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', otherKey], { stdio: 'ignore' });
  return { cert, key, otherKey };
}

describe('operating configuration', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'runlog-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs two commit lanes on PostgreSQL and one on the embedded database unless RUNLOG_COMMIT_LANES says', () => {
    expect(configFromEnv(PG).commitLanes).toBe(2);
    expect(configFromEnv({}).commitLanes).toBe(1);
    expect(configFromEnv({ ...PG, RUNLOG_COMMIT_LANES: '3' }).commitLanes).toBe(3);
    expect(problems({ RUNLOG_COMMIT_LANES: '0' })).toEqual([expect.stringMatching(/^RUNLOG_COMMIT_LANES="0": /)]);
  });

  it('reads RUNLOG_WORKERS as a number or auto, and defaults to one process', () => {
    expect(configFromEnv({}).workers).toBe(1);
    expect(configFromEnv({ ...PG, RUNLOG_WORKERS: '3' }).workers).toBe(3);
    expect(configFromEnv({ ...PG, RUNLOG_WORKERS: 'auto' }).workers).toBe(availableParallelism());
  });

  it('refuses zero, negative or non-numeric workers, and several workers on the embedded database', () => {
    for (const value of ['0', '-1', 'two', '1.5']) {
      expect(problems({ ...PG, RUNLOG_WORKERS: value })).toEqual([`RUNLOG_WORKERS=${JSON.stringify(value)}: must be a whole number of worker processes from 1 to 9999, or auto (one per available core)`]);
    }
    expect(problems({ RUNLOG_WORKERS: '2' })).toEqual([
      'RUNLOG_WORKERS="2": several workers need PostgreSQL (DATABASE_URL): the embedded PGlite database lives in one process',
    ]);
  });

  it('refuses several workers on an in-memory data directory unless both secrets are given', () => {
    const inMemory = { ...PG, RUNLOG_WORKERS: '2', RUNLOG_DATA_DIR: 'memory://' };
    expect(problems(inMemory)).toEqual([
      'RUNLOG_DATA_DIR="memory://": several workers with an in-memory data directory need RUNLOG_SECRET and RUNLOG_ADMIN_TOKEN: each worker would generate its own',
    ]);
    expect(problems({ ...inMemory, RUNLOG_SECRET: 's'.repeat(32), RUNLOG_ADMIN_TOKEN: 'a'.repeat(16) })).toEqual([]);
  });

  it('reads the retention durations and refuses an unknown unit', () => {
    expect(configFromEnv({}).retentionMs).toBeUndefined();
    expect(configFromEnv({}).retentionSweepMs).toBe(600_000);
    expect(configFromEnv({ RUNLOG_RETENTION: '30d', RUNLOG_RETENTION_SWEEP: '90s' })).toMatchObject({ retentionMs: 30 * 86_400_000, retentionSweepMs: 90_000 });
    expect(problems({ RUNLOG_RETENTION: '30x' })).toEqual(['RUNLOG_RETENTION="30x": has an unknown unit "x": use ms, s, m, h or d']);
    expect(problems({ RUNLOG_RETENTION_SWEEP: '10' })).toEqual(['RUNLOG_RETENTION_SWEEP="10": has no unit: write ms, s, m, h or d after the number (30d, 12h, 90s)']);
  });

  it('reads a certificate and its key, and refuses a missing, unreadable or mismatched one', () => {
    const { cert, key, otherKey } = certificates(dir);
    expect(configFromEnv({ RUNLOG_TLS_CERT: cert, RUNLOG_TLS_KEY: key }).tls?.cert.toString()).toContain('BEGIN CERTIFICATE');
    expect(problems({ RUNLOG_TLS_CERT: cert })).toEqual([`RUNLOG_TLS_CERT=${JSON.stringify(cert)}: needs RUNLOG_TLS_KEY too (the private key, PEM)`]);
    expect(problems({ RUNLOG_TLS_CERT: '/no/such.pem', RUNLOG_TLS_KEY: key })).toEqual(['RUNLOG_TLS_CERT="/no/such.pem": cannot be read: ENOENT']);
    expect(problems({ RUNLOG_TLS_CERT: cert, RUNLOG_TLS_KEY: otherKey })).toEqual([`RUNLOG_TLS_KEY=${JSON.stringify(otherKey)}: does not match the certificate in RUNLOG_TLS_CERT`]);
    const garbage = path.join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    expect(problems({ RUNLOG_TLS_CERT: garbage, RUNLOG_TLS_KEY: key })).toEqual([`RUNLOG_TLS_CERT=${JSON.stringify(garbage)}: is not a PEM certificate`]);
    expect(problems({ RUNLOG_TLS_CERT: cert, RUNLOG_TLS_KEY: garbage })).toEqual([`RUNLOG_TLS_KEY=${JSON.stringify(garbage)}: is not a PEM private key (an unencrypted one)`]);
  });
});
