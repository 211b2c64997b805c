// The entry point of `npx tributary` (bin/tributary.js runs the compiled form of this file).
// Ctrl-C once stops a long command cleanly (a consumer leaves its group); twice exits at once.
import { runCli } from './cli';

const interrupted = new AbortController();
process.on('SIGINT', () => {
  if (interrupted.signal.aborted) process.exit(130);
  interrupted.abort();
});
// A closed stdout (`| head`) ends the command; it is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

void runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupted.signal,
}).then((code) => {
  // Leave once stdout is flushed; idle keep-alive sockets must not hold the process.
  process.stdout.write('', () => process.exit(code));
});
