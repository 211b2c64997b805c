// Prisma CLI configuration (`npm run generate`). Migrations are applied by libs/metadata's
// migrator, not by `prisma migrate`, so no datasource URL is needed here.
import { defineConfig } from 'prisma/config';

export default defineConfig({ schema: 'prisma/schema.prisma' });
