// Two descriptions of the metadata schema in one shape, for the test that they agree: what
// schema.prisma declares (read with Prisma's naming conventions: @@map/@map names, <table>_pkey,
// <table>_<columns>_key / _idx / _fkey) and what a migrated database holds (information_schema
// and the catalogs, in the current schema). Test support only.
import { type Database } from './database';

interface Column {
  type: string;
  nullable: boolean;
  hasDefault: boolean;
}
interface Index {
  table: string;
  columns: string[];
  unique: boolean;
}
interface ForeignKey {
  table: string;
  columns: string[];
  references: string;
  referencedColumns: string[];
  onDelete: string;
}
export interface SchemaDescription {
  tables: Record<string, Record<string, Column>>;
  indexes: Record<string, Index>;
  foreignKeys: Record<string, ForeignKey>;
}

// ---- what schema.prisma declares, with Prisma's naming conventions ----

interface Field {
  name: string;
  type: string;
  list: boolean;
  optional: boolean;
  attributes: string;
}

export function describePrismaSchema(source: string): SchemaDescription {
  const text = source.replace(/\/\/[^\n]*/g, '');
  const models = [...text.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)].map((m) => ({
    name: m[1]!,
    body: m[2]!,
  }));
  const modelNames = new Set(models.map((m) => m.name));
  const tableOf = new Map(
    models.map((m) => [m.name, /@@map\("([^"]+)"\)/.exec(m.body)?.[1] ?? m.name]),
  );
  const result: SchemaDescription = { tables: {}, indexes: {}, foreignKeys: {} };
  for (const model of models) {
    const table = tableOf.get(model.name)!;
    const fields: Field[] = model.body
      .split('\n')
      .map((line) => /^\s*(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({
        name: m[1]!,
        type: m[2]!,
        list: m[3] !== undefined,
        optional: m[4] !== undefined,
        attributes: m[5]!,
      }));
    const column = (field: string) => {
      const f = fields.find((x) => x.name === field);
      if (f === undefined) throw new Error(`${model.name}.${field} is not a field`);
      return /@map\("([^"]+)"\)/.exec(f.attributes)?.[1] ?? f.name;
    };
    const columns: Record<string, Column> = {};
    for (const f of fields) {
      if (modelNames.has(f.type)) {
        const relation = /@relation\(fields: \[([^\]]+)\], references: \[([^\]]+)\](.*)\)/.exec(
          f.attributes,
        );
        if (relation === null) continue; // the other side of a relation
        const cols = relation[1]!.split(',').map((x) => column(x.trim()));
        const refModel = models.find((m) => m.name === f.type)!;
        const refFields = relation[2]!.split(',').map((x) => x.trim());
        const refColumns = refFields.map(
          (x) => new RegExp(`^\\s*${x}\\s.*@map\\("([^"]+)"\\)`, 'm').exec(refModel.body)?.[1] ?? x,
        );
        result.foreignKeys[`${table}_${cols.join('_')}_fkey`] = {
          table,
          columns: cols,
          references: tableOf.get(f.type)!,
          referencedColumns: refColumns,
          onDelete: /onDelete: (\w+)/.exec(relation[3]!)?.[1]?.toUpperCase() ?? 'RESTRICT',
        };
        continue;
      }
      const defaultValue = /@default\(((?:[^()]|\([^)]*\))*)\)/.exec(f.attributes)?.[1];
      columns[column(f.name)] = {
        type: prismaColumnType(f),
        nullable: f.optional || f.list,
        hasDefault: defaultValue !== undefined && defaultValue !== 'uuid()',
      };
      if (/@id\b/.test(f.attributes)) {
        result.indexes[`${table}_pkey`] = { table, columns: [column(f.name)], unique: true };
      }
      if (/@unique\b/.test(f.attributes)) {
        const col = column(f.name);
        result.indexes[`${table}_${col}_key`] = { table, columns: [col], unique: true };
      }
    }
    result.tables[table] = columns;
    for (const m of model.body.matchAll(/@@(id|unique|index)\(\[([^\]]+)\]\)/g)) {
      const cols = m[2]!.split(',').map((x) => column(x.trim()));
      const suffix = { id: 'pkey', unique: 'key', index: 'idx' }[m[1] as 'id' | 'unique' | 'index'];
      const name = m[1] === 'id' ? `${table}_pkey` : `${table}_${cols.join('_')}_${suffix}`;
      result.indexes[name] = { table, columns: cols, unique: m[1] !== 'index' };
    }
  }
  return result;
}

function prismaColumnType(f: Field): string {
  const native = /@db\.(\w+)(?:\((\d+)\))?/.exec(f.attributes);
  const nativeType = native?.[1];
  const size = native?.[2];
  const base = (() => {
    switch (f.type) {
      case 'String':
        if (nativeType === 'Uuid') return 'uuid';
        if (nativeType === 'VarChar') return `character varying(${size})`;
        if (nativeType === 'Char') return `character(${size})`;
        return 'text';
      case 'Int':
        return 'int4';
      case 'BigInt':
        return 'int8';
      case 'Json':
        return 'jsonb';
      case 'Boolean':
        return 'boolean';
      case 'DateTime':
        return nativeType === 'Timestamptz'
          ? `timestamp with time zone(${size ?? 3})`
          : `timestamp without time zone(${size ?? 3})`;
      default:
        throw new Error(`no mapping for Prisma type ${f.type}`);
    }
  })();
  return f.list ? `${base}[]` : base;
}

// ---- what the migrated database holds ----

export async function describeDatabase(db: Database): Promise<SchemaDescription> {
  const columns = await db.prisma.$queryRawUnsafe<
    {
      table: string;
      column: string;
      data_type: string;
      udt_name: string;
      nullable: string;
      length: number | null;
      precision: number | null;
      has_default: boolean;
    }[]
  >(`
    SELECT c.table_name::text AS "table", c.column_name::text AS "column",
           c.data_type::text AS data_type, c.udt_name::text AS udt_name,
           c.is_nullable::text AS nullable, c.character_maximum_length::int AS length,
           c.datetime_precision::int AS precision, (c.column_default IS NOT NULL) AS has_default
    FROM information_schema.columns c
    JOIN information_schema.tables t
      ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
      AND c.table_name <> '_tributary_migrations'
    ORDER BY c.table_name, c.ordinal_position`);
  const indexes = await db.prisma.$queryRawUnsafe<
    { table: string; name: string; definition: string }[]
  >(`
    SELECT tablename::text AS "table", indexname::text AS name, indexdef AS definition
    FROM pg_indexes
    WHERE schemaname = current_schema() AND tablename <> '_tributary_migrations'`);
  const foreignKeys = await db.prisma.$queryRawUnsafe<
    { name: string; table: string; definition: string }[]
  >(`
    SELECT conname::text AS name, conrelid::regclass::text AS "table",
           pg_get_constraintdef(oid) AS definition
    FROM pg_constraint
    WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`);

  const result: SchemaDescription = { tables: {}, indexes: {}, foreignKeys: {} };
  for (const c of columns) {
    const type =
      c.data_type === 'ARRAY'
        ? `${c.udt_name.slice(1)}[]`
        : c.data_type === 'integer'
          ? 'int4'
          : c.data_type === 'bigint'
            ? 'int8'
            : c.data_type.startsWith('character')
              ? `${c.data_type}(${c.length})`
              : c.data_type.startsWith('timestamp')
                ? `${c.data_type}(${c.precision})`
                : c.data_type;
    (result.tables[c.table] ??= {})[c.column] = {
      type,
      nullable: c.nullable === 'YES',
      hasDefault: c.has_default,
    };
  }
  for (const i of indexes) {
    const cols = /\((.*)\)$/.exec(i.definition)![1]!.split(',').map(unquote);
    result.indexes[i.name] = {
      table: i.table,
      columns: cols,
      unique: i.definition.startsWith('CREATE UNIQUE INDEX'),
    };
  }
  for (const fk of foreignKeys) {
    const m = /^FOREIGN KEY \(([^)]+)\) REFERENCES ([^(]+)\(([^)]+)\)(.*)$/.exec(fk.definition)!;
    result.foreignKeys[fk.name] = {
      table: unquote(fk.table),
      columns: m[1]!.split(',').map(unquote),
      references: unquote(m[2]!),
      referencedColumns: m[3]!.split(',').map(unquote),
      onDelete: /ON DELETE (CASCADE|SET NULL|SET DEFAULT|RESTRICT)/.exec(m[4]!)?.[1] ?? 'NO ACTION',
    };
  }
  return result;
}

function unquote(identifier: string): string {
  return identifier.trim().replace(/^"(.*)"$/, '$1');
}
