/**
 * CPU time and disk writes of a process (and its threads) from /proc, for where the time goes at the capacity
 * knee. Linux only; elsewhere the figures are absent.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcUsage {
  /** CPU seconds, user + system. */
  cpuSeconds: number;
  /** Bytes the process caused to be written to storage (/proc/<pid>/io write_bytes), when readable. */
  writeBytes?: number;
}

const TICKS_PER_SECOND = 100;

export function procUsage(pid: number | undefined): ProcUsage | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), counted from the state field (3rd).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    let writeBytes: number | undefined;
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      writeBytes = Number(/^write_bytes: (\d+)/m.exec(io)?.[1]);
    } catch {
      writeBytes = undefined;
    }
    return { cpuSeconds, writeBytes };
  } catch {
    return undefined;
  }
}

/** Seconds the CPU spent waiting on I/O, machine-wide (/proc/stat iowait), for the dev server's disk waits. */
export function machineIoWaitSeconds(): number | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    return Number(cpu[5]) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Machine-wide busy CPU seconds (everything but idle and iowait), to see what other processes took. */
export function machineBusySeconds(): number | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    return (total - cpu[3] - cpu[4]) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * A process and all its descendants, for PostgreSQL: a postmaster with a backend per connection. Dead
 * descendants count too, through their parents' reaped-children times (cutime, cstime); their disk writes do not.
 */
export function procTreeUsage(rootPid: number | undefined): ProcUsage | undefined {
  if (rootPid === undefined) return undefined;
  const children = new Map<number, number[]>();
  const times = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(entry);
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
      times.set(pid, fields.slice(11, 15).reduce((a, b) => a + Number(b), 0) / TICKS_PER_SECOND);
    } catch {
      // Gone while listed.
    }
  }
  if (!times.has(rootPid)) return undefined;
  let cpuSeconds = 0;
  let writeBytes = 0;
  const pending = [rootPid];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    cpuSeconds += times.get(pid) ?? 0;
    writeBytes += procUsage(pid)?.writeBytes ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return { cpuSeconds, writeBytes };
}
