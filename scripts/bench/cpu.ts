// CPU time per process from /proc, to show where a bench's work goes on this machine.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;
const BROKER = 'kafka (broker)';
/** The JVM's JIT compiler threads (`C1 CompilerThread0`, `C2 CompilerThread1`, …). */
const COMPILER_THREAD = /^C[12] CompilerThre/;

export type CpuSnapshot = Map<number, { name: string; ticks: number }>;

/** A short name for a process: the service directory of a Node service, else the program. */
function nameOf(pid: number, comm: string): string {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const service = args.map((a) => /(?:services|apps)\/([^/]+)\/dist\//.exec(a)?.[1]).find(Boolean);
    if (service) return service;
    if (args.some((a) => a.includes('kafka'))) return BROKER;
    if (args.some((a) => a.includes('bench/'))) return 'bench (load generator)';
  } catch {
    // the process ended
  }
  return comm;
}

/** A process's or thread's name and CPU ticks (user + system) from its `stat` file. */
function readStat(path: string): { comm: string; ticks: number } {
  const stat = readFileSync(path, 'utf8');
  // comm is in parentheses and may contain spaces; fields after it are space-separated.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** Ticks of a process's JIT compiler threads, from /proc/<pid>/task. */
function compilerTicks(pid: number): number {
  let ticks = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const thread = readStat(`/proc/${pid}/task/${task}/stat`);
      if (COMPILER_THREAD.test(thread.comm)) ticks += thread.ticks;
    } catch {
      // the thread ended
    }
  }
  return ticks;
}

/**
 * CPU ticks per process. The broker's JIT compiling is a row of its own: a broker that started
 * recently spends seconds of CPU compiling its hot paths, which a long-running one has done.
 */
export function cpuSnapshot(): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const { comm, ticks } = readStat(`/proc/${pid}/stat`);
      const name = nameOf(pid, comm);
      if (name === BROKER) {
        // Keyed by the negative pid: no process has one.
        const compiling = compilerTicks(pid);
        snapshot.set(-pid, { name: `${BROKER}, JIT compiling`, ticks: compiling });
        snapshot.set(pid, { name, ticks: ticks - compiling });
      } else {
        snapshot.set(pid, { name, ticks });
      }
    } catch {
      // the process ended between readdir and read
    }
  }
  return snapshot;
}

/** CPU seconds spent between two snapshots, per process name, largest first. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): { name: string; seconds: number }[] {
  const byName = new Map<string, number>();
  for (const [pid, { name, ticks }] of after) {
    const spent = ticks - (before.get(pid)?.ticks ?? 0);
    if (spent > 0) byName.set(name, (byName.get(name) ?? 0) + spent / TICKS_PER_SECOND);
  }
  return [...byName].map(([name, seconds]) => ({ name, seconds })).sort((a, b) => b.seconds - a.seconds);
}

/** Prints CPU per 1,000 events for the processes that did the work. */
export function printCpu(title: string, spent: { name: string; seconds: number }[], events: number): void {
  console.log(`\n${title}`);
  const total = spent.reduce((n, s) => n + s.seconds, 0);
  const rows = spent.filter((s) => s.seconds >= total * 0.01);
  const width = Math.max(...rows.map((r) => r.name.length), 7);
  console.log(`${'process'.padEnd(width)}  CPU s   ms per 1,000 events  share`);
  for (const r of rows)
    console.log(
      `${r.name.padEnd(width)}  ${r.seconds.toFixed(1).padStart(5)}   ${((r.seconds * 1e6) / events).toFixed(1).padStart(19)}  ${((r.seconds / total) * 100).toFixed(0).padStart(4)}%`,
    );
  console.log(
    `${'all'.padEnd(width)}  ${total.toFixed(1).padStart(5)}   ${((total * 1e6) / events).toFixed(1).padStart(19)}`,
  );
}
