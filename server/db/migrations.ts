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

export async function migrateToLatest(db: Kysely<unknown>, schema: string): Promise<void> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider(), migrationTableSchema: schema });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`Migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
