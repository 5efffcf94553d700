// Applies sql/*.sql in name order with kysely's Migrator. The files are plain SQL, date-prefixed
// and frozen once released; a new change is a new file.
import { readdir, readFile } from 'node:fs/promises';
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { Resources } from '../resources.js';

const SQL_DIR = Resources.sqlDir;

/** Statements end with `;` at the end of a line; the migrations hold no dollar-quoted bodies. */
function statementsOf(text: string): string[] {
  return text
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

class SqlFileMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const names = (await readdir(SQL_DIR)).filter((n) => n.endsWith('.sql')).sort();
    const migrations: Record<string, Migration> = {};
    for (const name of names) {
      const statements = statementsOf(await readFile(SQL_DIR + name, 'utf8'));
      migrations[name.replace(/\.sql$/, '')] = {
        async up(db: Kysely<unknown>) {
          for (const statement of statements) await sql.raw(statement).execute(db);
        },
      };
    }
    return migrations;
  }
}

/** PostgreSQL's invalid_schema_name. */
const INVALID_SCHEMA_NAME = '3F000';
/** Tries of a migration that lost the race described below. */
const MIGRATION_TRIES = 5;

export async function migrateToLatest(db: Kysely<unknown>, schema: string): Promise<void> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider(), migrationTableSchema: schema });
  let outcome = await migrator.migrateToLatest();
  // Kysely's migrator first lists the tables of every schema in the database, calling
  // has_schema_privilege() by name; a schema another client drops meanwhile (another
  // deployment's, a test's) fails that query with "schema … does not exist". Nothing was
  // migrated yet, so it is tried again.
  for (let tries = 1; tries < MIGRATION_TRIES && isOtherSchemaGone(outcome.error, schema); tries++) outcome = await migrator.migrateToLatest();
  const { error, results } = outcome;
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function isOtherSchemaGone(error: unknown, schema: string): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === INVALID_SCHEMA_NAME && !(error as Error).message.includes(`"${schema}"`);
}
