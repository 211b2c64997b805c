// What a run leaves behind: result.json (parameters, faults by kind, records, throughput,
// unavailability, violations with the operations that show each), timeline.html, and the
// lines printed to the terminal.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { type Violation, VIOLATION_KINDS } from './checker';
import { type ChaosOptions } from './cli';
import { type PlannedFault } from './faults';
import { type FaultRecord, type History, type Op } from './history';
import {
  leaderChanges,
  perSecond,
  recordCounts,
  unavailability,
  type UnavailabilitySummary,
} from './summary';
import { timelineHtml } from './timeline-html';

export const RESULT_SCHEMA = 'tributary-chaos/1';
const VIOLATIONS_LISTED_MAX = 1_000;

export interface ChaosResult {
  schema: string;
  parameters: ChaosOptions & Record<string, unknown>;
  startedAt: string;
  runMs: number;
  totalMs: number;
  faults: {
    injected: number;
    byKind: Record<string, number>;
    errors: { id: number; kind: string; error: string }[];
    skipped: { kind: string; reason: string }[];
    list: FaultRecord[];
  };
  records: ReturnType<typeof recordCounts> & { ackedPerSecond: number };
  unavailability: UnavailabilitySummary;
  healed: boolean;
  healMs: number;
  clientsDone: boolean;
  /** Nodes that would not start again after a fault. */
  lostNodes: number[];
  violations: {
    total: number;
    byKind: Record<string, number>;
    list: (Violation & { operations: Op[] })[];
  };
}

export interface ResultInput {
  options: ChaosOptions;
  startedAt: Date;
  runMs: number;
  faultsEndMs: number;
  endMs: number;
  history: History;
  plan: readonly PlannedFault[];
  skipped: { kind: string; reason: string }[];
  kinds: readonly string[];
  violations: Violation[];
  healed: boolean;
  healMs: number;
  clientsDone: boolean;
  lostNodes: number[];
  setup: Record<string, unknown>;
}

export function buildResult(input: ResultInput): ChaosResult {
  const { history, violations, options } = input;
  // A fault whose healing went wrong was injected all the same; its error is listed too.
  const injected = history.faults;
  const byKind = Object.fromEntries(input.kinds.map((k) => [k, 0]));
  for (const f of injected) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  const counts = recordCounts(history.ops);
  const violationsByKind = Object.fromEntries(VIOLATION_KINDS.map((k) => [k, 0]));
  for (const v of violations) violationsByKind[v.kind] = (violationsByKind[v.kind] ?? 0) + 1;
  return {
    schema: RESULT_SCHEMA,
    parameters: { ...options, ...input.setup, faultsScheduled: input.plan.length },
    startedAt: input.startedAt.toISOString(),
    runMs: input.runMs,
    totalMs: Math.round(input.endMs),
    faults: {
      injected: injected.length,
      byKind,
      errors: history.faults
        .filter((f) => f.error !== undefined)
        .map((f) => ({ id: f.id, kind: f.kind, error: f.error! })),
      skipped: input.skipped,
      list: history.faults,
    },
    records: {
      ...counts,
      ackedPerSecond: Math.round((counts.acknowledged / (input.faultsEndMs / 1000)) * 10) / 10,
    },
    unavailability: unavailability(history.ops, history.faults, options.sessionMs + 2_000),
    healed: input.healed,
    healMs: Math.round(input.healMs),
    clientsDone: input.clientsDone,
    lostNodes: input.lostNodes,
    violations: {
      total: violations.length,
      byKind: violationsByKind,
      list: violations.slice(0, VIOLATIONS_LISTED_MAX).map((v) => ({
        ...v,
        operations: v.ops.slice(0, 4).map((id) => trimmed(history.ops[id]!)),
      })),
    },
  };
}

/** An operation as shown beside a violation: a final read's records are not all repeated. */
function trimmed(op: Op): Op {
  if (op.kind !== 'final' || op.records.length <= 20) return op;
  return { ...op, records: op.records.slice(0, 20) };
}

export async function writeOutputs(
  result: ChaosResult,
  history: History,
  outDir: string,
): Promise<void> {
  await fsp.writeFile(path.join(outDir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  const html = timelineHtml({
    title: `Tributary chaos run, seed ${result.parameters.seed}, ${result.parameters.nodes} nodes`,
    summaryRows: summaryRows(result),
    runMs: result.totalMs,
    faults: history.faults,
    kinds: Object.keys(result.faults.byKind),
    seconds: perSecond(history.ops, result.totalMs),
    leaders: leaderChanges(history.ops),
    partitions: Number(result.parameters.partitions ?? 0),
    unavailability: result.unavailability,
    violations: result.violations.list,
  });
  await fsp.writeFile(path.join(outDir, 'timeline.html'), html);
}

function summaryRows(result: ChaosResult): [string, string][] {
  const u = result.unavailability;
  const ms = (v: number | null) => (v === null ? '-' : `${v} ms`);
  return [
    ['started', result.startedAt],
    [
      'run',
      `${result.parameters.minutes} min of faults, ${result.parameters.nodes} nodes, seed ${result.parameters.seed}, broker session ${result.parameters.sessionMs} ms, replica lag ${result.parameters.replicaLagMs} ms`,
    ],
    [
      'faults injected',
      `${result.faults.injected} (${Object.entries(result.faults.byKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')})`,
    ],
    ['fault errors / skipped', `${result.faults.errors.length} / ${result.faults.skipped.length}`],
    [
      'records',
      `${result.records.acknowledged} acknowledged (${result.records.ackedPerSecond}/s), ${result.records.indeterminate} indeterminate, ${result.records.failed} failed; ${result.records.attemptErrors} of ${result.records.attempts} attempts failed`,
    ],
    ['reads / consumed records', `${result.records.reads} / ${result.records.consumed}`],
    [
      'unavailability after leader kills',
      `${u.perFault.length} kills: p50 ${ms(u.p50Ms)}, p99 ${ms(u.p99Ms)}, max ${ms(u.maxMs)}; the ${u.isolated.count} no other fault overlapped: p50 ${ms(u.isolated.p50Ms)}, p99 ${ms(u.isolated.p99Ms)}, max ${ms(u.isolated.maxMs)} (target p99 <= ${u.targetMs} ms: ${u.withinTarget ? 'met' : 'MISSED'})`,
    ],
    ['healed at the end', result.healed ? `yes, in ${result.healMs} ms` : 'NO'],
    ['nodes that would not start again', result.lostNodes.join(', ') || 'none'],
    ['violations', String(result.violations.total)],
  ];
}

export function terminalReport(result: ChaosResult, outDir: string): string {
  const lines = summaryRows(result).map(([k, v]) => `${k.padEnd(34)} ${v}`);
  for (const e of result.faults.errors) lines.push(`fault error: #${e.id} ${e.kind}: ${e.error}`);
  if (result.violations.total > 0) {
    lines.push('', `VIOLATIONS (${result.violations.total}):`);
    for (const [kind, n] of Object.entries(result.violations.byKind)) {
      if (n > 0) lines.push(`  ${kind}: ${n}`);
    }
    for (const v of result.violations.list.slice(0, 50)) {
      lines.push(`  [${v.kind}] ${v.message} (ops ${v.ops.join(', ')})`);
    }
    if (result.violations.total > 50) lines.push(`  … and more in result.json`);
  }
  lines.push(
    '',
    `wrote ${path.join(outDir, 'result.json')} and ${path.join(outDir, 'timeline.html')}`,
  );
  return lines.join('\n');
}
