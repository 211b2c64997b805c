// Splits a migration script into single statements, because a prepared statement (what
// $executeRawUnsafe sends, on Postgres and PGlite alike) holds exactly one. The grammar it
// understands, enough for hand-written DDL:
//   script    = { statement ";" } [ statement ]
//   statement = { token }, where a ";" inside one of these does not end it:
//     'single-quoted' (with '' escapes), "double-quoted", -- line comments, /* block
//     comments */ (not nested) and $tag$ dollar-quoted $tag$ bodies.
// Statements that hold only comments and whitespace are dropped.

export function splitSqlStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < script.length) {
    const c = script[i];
    const next = script[i + 1];
    if (c === "'" || c === '"') {
      i = skipQuoted(script, i, c);
    } else if (c === '-' && next === '-') {
      const end = script.indexOf('\n', i);
      i = end === -1 ? script.length : end + 1;
    } else if (c === '/' && next === '*') {
      const end = script.indexOf('*/', i + 2);
      if (end === -1) throw new Error('unterminated /* comment in SQL script');
      i = end + 2;
    } else if (c === '$') {
      i = skipDollarQuoted(script, i);
    } else if (c === ';') {
      push(statements, script.slice(start, i));
      start = i + 1;
      i += 1;
    } else {
      i += 1;
    }
  }
  push(statements, script.slice(start));
  return statements;
}

function skipQuoted(script: string, at: number, quote: string): number {
  let i = at + 1;
  for (;;) {
    const end = script.indexOf(quote, i);
    if (end === -1) throw new Error(`unterminated ${quote} quote in SQL script`);
    if (script[end + 1] === quote) {
      i = end + 2; // a doubled quote is an escaped one
    } else {
      return end + 1;
    }
  }
}

function skipDollarQuoted(script: string, at: number): number {
  const tag = /^\$[A-Za-z_]*\$/.exec(script.slice(at, at + 64));
  if (tag === null) return at + 1; // a positional parameter such as $1, not a quote
  const end = script.indexOf(tag[0], at + tag[0].length);
  if (end === -1) throw new Error(`unterminated ${tag[0]} quote in SQL script`);
  return end + tag[0].length;
}

function push(statements: string[], text: string): void {
  const withoutComments = text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
  if (withoutComments.trim().length > 0) statements.push(text.trim());
}
