// The operator token: TRIBUTARY_ADMIN_TOKEN when set; otherwise the one in DATA_DIR/admin-token,
// generated on the first start (mode 0600, written atomically). The token itself is never logged.
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

export const ADMIN_TOKEN_FILE = 'admin-token';
export const DEFAULT_KEY_FILE = 'default-key';

export interface AdminToken {
  token: string;
  /** Where it came from: the file's path, or undefined for the environment. */
  file: string | undefined;
  generated: boolean;
}

export async function loadAdminToken(
  dataDir: string,
  configured: string | undefined,
): Promise<AdminToken> {
  if (configured !== undefined) return { token: configured, file: undefined, generated: false };
  const file = path.join(dataDir, ADMIN_TOKEN_FILE);
  try {
    const token = (await fsp.readFile(file, 'utf8')).trim();
    if (token.length >= 16) return { token, file, generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = 'trb_admin_' + randomBytes(32).toString('base64url');
  await writeSecretFile(file, token);
  return { token, file, generated: true };
}

/** Writes a secret readable by the owner only, atomically (temporary file, fsync, rename). */
export async function writeSecretFile(file: string, secret: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await fsp.open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(secret + '\n', 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(temporary, file);
}
