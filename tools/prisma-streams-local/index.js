// The Prisma CLI loads this only for `prisma dev` (its local Prisma Postgres with durable
// streams), which this project does not use: it runs on PGlite or Postgres and applies its own
// migrations. The real package requires Node 22, and installing it warned on every `npm install`.
throw new Error('`prisma dev` is not part of this project; `npm start` runs a node on PGlite');
