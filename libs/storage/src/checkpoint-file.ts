// Small text checkpoint files in Kafka's format:
//
//   <version>\n
//   <entry count>\n
//   <entry>\n ...        each entry: space-separated tokens
//
// written atomically (temp file, datasync, rename, directory sync) so a crash leaves the old or
// the new file. A file that does not parse is reported as undefined: the caller falls back to
// the safe default (recover more, rebuild from the log).
import { type FileSystem } from './file-system';

export const CHECKPOINT_VERSION = 0;

export async function readCheckpoint(
  fs: FileSystem,
  file: string,
  tokensPerEntry: number,
): Promise<string[][] | undefined> {
  const data = await fs.readFileIfExists(file);
  if (data === null) return undefined;
  const lines = data.toString('utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2 || lines[0] !== String(CHECKPOINT_VERSION)) return undefined;
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count < 0 || lines.length !== count + 2) return undefined;
  const entries = lines.slice(2).map((line) => line.split(' '));
  if (entries.some((tokens) => tokens.length !== tokensPerEntry)) return undefined;
  return entries;
}

export async function writeCheckpoint(
  fs: FileSystem,
  file: string,
  entries: readonly (readonly (string | number)[])[],
): Promise<void> {
  const text = [CHECKPOINT_VERSION, entries.length, ...entries.map((e) => e.join(' '))].join('\n');
  await fs.writeFileAtomic(file, Buffer.from(`${text}\n`, 'utf8'));
}

export function parseOffset(token: string | undefined): number | undefined {
  if (token === undefined || !/^-?\d+$/.test(token)) return undefined;
  const value = Number(token);
  return Number.isSafeInteger(value) ? value : undefined;
}
