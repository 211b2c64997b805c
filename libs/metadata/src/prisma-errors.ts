// Recognising the Prisma errors that stand for expected conditions (a name taken, a parent
// row gone), so repositories can turn them into catalogue codes. Everything else propagates.
import { Prisma } from './generated/prisma/client';

function hasCode(error: unknown, code: string): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === code;
}

/** A unique constraint (or primary key) refused the row. */
export function isUniqueViolation(error: unknown): boolean {
  return hasCode(error, 'P2002');
}

/** A foreign key refused the row: the referenced tenant or topic does not exist. */
export function isForeignKeyViolation(error: unknown): boolean {
  return hasCode(error, 'P2003');
}
