// Running the README's snippets as written: its code blocks by section, bash commands, and
// commands that stream until their output shows what is expected.
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const README = path.join(__dirname, '..', '..', 'README.md');

/** The code blocks of a README section (up to the next heading), in order, with their language. */
export function readmeBlocks(heading: string): { lang: string; code: string }[] {
  const readme = fs.readFileSync(README, 'utf8');
  const start = readme.indexOf(heading);
  if (start === -1) throw new Error(`README has no ${heading}`);
  const next = readme.indexOf('\n#', start + heading.length);
  const section = readme.slice(start, next === -1 ? undefined : next);
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[1]!,
    code: m[2]!,
  }));
}

/**
 * Runs a streaming command until its output contains `expected` (or satisfies it, when it is a
 * function), then stops it.
 */
export function streamUntil(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  expected: string | ((out: string) => boolean),
): Promise<string> {
  const done = typeof expected === 'string' ? (out: string) => out.includes(expected) : expected;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (done(out)) {
        child.kill();
        resolve(out);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', () => reject(new Error(`ended without what was expected: ${out}${err}`)));
  });
}

/** Runs a command in bash; resolves with its stdout, rejects with its stderr. */
export function bash(command: string, cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', command],
      { cwd, ...(env === undefined ? {} : { env }) },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${command}\n${stderr}`)) : resolve(stdout),
    );
  });
}
