// Adapts one PGlite instance to the `pg.Pool` shape kysely's PostgresDialect expects.
// PGlite is a single database session, so the "pool" hands it to one holder at a time:
// otherwise two transactions' statements would interleave on the same session.
import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { withPlainArrays } from './column-arrays.js';

type Command = PostgresQueryResult<unknown>['command'];

function commandOf(sql: string): Command {
  const word = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase();
  switch (word) {
    case 'INSERT':
    case 'UPDATE':
    case 'DELETE':
    case 'MERGE':
    case 'COMMIT':
    case 'ROLLBACK':
      return word;
    default:
      return 'SELECT';
  }
}

export class PGlitePool implements PostgresPool {
  readonly #pglite: PGlite;
  #tail: Promise<void> = Promise.resolve();
  #ended = false;

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  connect(): Promise<PostgresPoolClient> {
    if (this.#ended) return Promise.reject(new Error('PGlite pool has ended'));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const turn = this.#tail;
    this.#tail = turn.then(() => released);
    const pglite = this.#pglite;
    const client: PostgresPoolClient = {
      async query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
        const result = await pglite.query<R>(sql, withPlainArrays(parameters));
        return { command: commandOf(sql), rowCount: result.affectedRows ?? result.rows.length, rows: result.rows };
      },
      release: () => release(),
    } as PostgresPoolClient;
    return turn.then(() => client);
  }

  async end(): Promise<void> {
    this.#ended = true;
    await this.#tail;
  }
}
