// Statements the server runs many times a second (a commit group's write) are prepared once per
// PostgreSQL connection: parsing and planning the write took 0.9 of its 1.6 ms in PostgreSQL at
// the live edge. Only statements that opt in with the marker are named, so the number of
// prepared statements per connection stays bounded by the variants of those statements.
import { createHash } from 'node:crypto';
import pg from 'pg';

/** A statement's text starts with this to be prepared once per connection. */
export const PREPARED_MARKER = '/* runlog:prepared */';

const names = new Map<string, string>();
/** A statement text varies with its shape (which parts a group has), never with its rows. */
const MAX_NAMES = 256;

/** The statement's name: a digest of its text, so two texts never share a name. */
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `runlog_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    if (names.size < MAX_NAMES) names.set(text, name);
  }
  return name;
}

/** A `pg` client that runs marked statements as named (prepared) ones. */
export class PreparingClient extends pg.Client {
  // pg's query() has a dozen overloads; this one forwards every call, changing only marked texts.
  override query(...args: unknown[]): never {
    const [config, values, callback] = args;
    if (typeof config === 'string' && config.startsWith(PREPARED_MARKER) && Array.isArray(values)) {
      const named = { name: statementName(config), text: config, values };
      return (callback === undefined ? super.query(named) : super.query(named, callback as never)) as never;
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}
