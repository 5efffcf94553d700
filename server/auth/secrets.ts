// The signing secret and admin token: from the environment, else generated once into the data
// directory (mode 0600) so restarts and other instances on the same directory agree. A
// `memory://` data directory is no directory: its secrets live as long as its database.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isInMemoryDataDir } from '../config.js';

export interface Secrets {
  readonly secret: string;
  readonly adminToken: string;
  /** Set on the start that generated the admin token: the file it went to, or none in memory. */
  readonly generatedAdminToken: { readonly file: string | undefined } | undefined;
}

const generate = () => randomBytes(32).toString('base64url');

async function readOrCreate(file: string): Promise<{ value: string; created: boolean }> {
  try {
    return { value: (await readFile(file, 'utf8')).trim(), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const value = generate();
  try {
    // `wx`: when two processes start at once, one writes and the other reads the winner.
    await writeFile(file, value + '\n', { mode: 0o600, flag: 'wx' });
    return { value, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { value: (await readFile(file, 'utf8')).trim(), created: false };
  }
}

export async function loadSecrets(options: { dataDir: string; secret: string | undefined; adminToken: string | undefined }): Promise<Secrets> {
  if (isInMemoryDataDir(options.dataDir)) {
    return {
      secret: options.secret ?? generate(),
      adminToken: options.adminToken ?? generate(),
      generatedAdminToken: options.adminToken === undefined ? { file: undefined } : undefined,
    };
  }
  const secret = options.secret ?? (await readOrCreate(path.join(options.dataDir, 'secret'))).value;
  if (options.adminToken !== undefined) return { secret, adminToken: options.adminToken, generatedAdminToken: undefined };
  const file = path.join(options.dataDir, 'admin-token');
  const admin = await readOrCreate(file);
  return { secret, adminToken: admin.value, generatedAdminToken: admin.created ? { file: path.resolve(file) } : undefined };
}
