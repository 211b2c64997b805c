// What a command is, and what it runs with.
import { type Readable, type Writable } from 'node:stream';
import { type TributaryClient } from '@tributary/client';
import { type OptionSpecs, type Parsed } from './options';
import { type Output } from './output';

export interface Io {
  stdin: Readable;
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborted on the first Ctrl-C: long commands stop cleanly (a consumer leaves its group). */
  signal: AbortSignal;
}

export interface Context {
  client: TributaryClient;
  parsed: Parsed;
  out: Output;
  io: Io;
  /** Progress on stderr: a terminal, or --progress. */
  progress: boolean;
}

export interface Command {
  /** As typed: `topics create`. */
  name: string;
  /** The arguments after the name: `<topic> [options]`. */
  args: string;
  summary: string;
  /** The command's own options, one per line, for --help. */
  help: string;
  options: OptionSpecs;
  run(ctx: Context): Promise<void>;
}
