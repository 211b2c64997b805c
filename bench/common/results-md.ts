// bench/RESULTS.md holds one section per bench runner; each runner rewrites only its own.
import * as fs from 'node:fs';
import { assert } from '@tributary/common';

/**
 * Writes `section` (which starts with `heading`) into the markdown file, replacing the old
 * section of that heading up to the next `## ` heading, and leaving every other section as
 * it was. Creates the file when missing.
 */
export function replaceSection(file: string, heading: string, section: string): void {
  assert(section.startsWith(heading), 'the section must start with its heading');
  const body = section.endsWith('\n') ? section : `${section}\n`;
  if (!fs.existsSync(file)) {
    fs.writeFileSync(file, `# Benchmark results\n\n${body}`);
    return;
  }
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === heading);
  if (start === -1) {
    const text = lines.join('\n').replace(/\n*$/, '\n\n');
    fs.writeFileSync(file, text + body);
    return;
  }
  let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  if (end === -1) end = lines.length;
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  const text = (before === '' ? '' : `${before}\n`) + body + (after === '' ? '' : `\n${after}`);
  fs.writeFileSync(file, text);
}
