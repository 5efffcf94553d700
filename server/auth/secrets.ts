// The signing secret and admin token: from the environment, else generated once into the data
// directory (mode 0600) so restarts and other instances on the same directory agree.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface Secrets {
  readonly secret: string;
  readonly adminToken: string;
  /** Where a generated admin token was written, on the start that generated it. */
  readonly generatedAdminTokenFile: string | undefined;
}

async function readOrCreate(file: string): Promise<{ value: string; created: boolean }> {
  try {
    return { value: (await readFile(file, 'utf8')).trim(), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const value = randomBytes(32).toString('base64url');
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
  const secret = options.secret ?? (await readOrCreate(path.join(options.dataDir, 'secret'))).value;
  if (options.adminToken !== undefined) return { secret, adminToken: options.adminToken, generatedAdminTokenFile: undefined };
  const file = path.join(options.dataDir, 'admin-token');
  const admin = await readOrCreate(file);
  return { secret, adminToken: admin.value, generatedAdminTokenFile: admin.created ? path.resolve(file) : undefined };
}
