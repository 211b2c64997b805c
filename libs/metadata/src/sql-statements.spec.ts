import { splitSqlStatements } from './sql-statements';

describe('splitSqlStatements', () => {
  it.each([
    ['one statement without a semicolon', 'SELECT 1', ['SELECT 1']],
    ['two statements', 'SELECT 1;\nSELECT 2;\n', ['SELECT 1', 'SELECT 2']],
    ['comment-only pieces are dropped', '-- CreateTable\n;\n/* x */;SELECT 1;', ['SELECT 1']],
    ['a semicolon in a string', "SELECT 'a;b''c;';", ["SELECT 'a;b''c;'"]],
    [
      'a semicolon in an identifier',
      'CREATE TABLE "a;b" ("x" INT);',
      ['CREATE TABLE "a;b" ("x" INT)'],
    ],
    ['a semicolon in a line comment', 'SELECT 1 -- a; b\n;', ['SELECT 1 -- a; b']],
    ['a semicolon in a block comment', 'SELECT /* ; */ 1;', ['SELECT /* ; */ 1']],
    [
      'a dollar-quoted body',
      'CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql; SELECT 2',
      [
        'CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql',
        'SELECT 2',
      ],
    ],
    [
      'an anonymous dollar quote',
      'DO $$ BEGIN PERFORM 1; END $$;',
      ['DO $$ BEGIN PERFORM 1; END $$'],
    ],
    ['a positional parameter is not a quote', 'SELECT $1; SELECT $2', ['SELECT $1', 'SELECT $2']],
  ])('%s', (_name, script, expected) => {
    expect(splitSqlStatements(script)).toEqual(expected);
  });

  it.each([
    ["SELECT 'open", "'"],
    ['SELECT "open', '"'],
    ['SELECT /* open', '/*'],
    ['DO $$ BEGIN', '$$'],
  ])('refuses an unterminated quote or comment: %s', (script, token) => {
    expect(() => splitSqlStatements(script)).toThrow(`unterminated ${token}`);
  });
});
