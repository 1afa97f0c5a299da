/**
 * The dev server's own account of where its time goes, from its Prometheus endpoint: how long its persistence
 * operations took (the SQLite store serves them on one connection, so their summed latency per second is how busy
 * that connection was, or how many waited on it), and how long its history shard's tasks waited in their queues.
 * The production topology's server (`--temporal cluster`) reports the same metrics, summed over its 4 shards; its
 * PostgreSQL store has a pool of connections, so there a summed latency above 1 s/s is not by itself a queue.
 */

/** Summed counters from one scrape, keyed `metric{operation}` (the other labels summed over). */
export type MetricsScrape = Map<string, number>;

const WANTED = [
  'persistence_latency_sum',
  'persistence_latency_count',
  'visibility_persistence_latency_sum',
  'visibility_persistence_latency_count',
  'semaphore_latency_sum',
  'semaphore_latency_count',
  'task_latency_queue_sum',
  'task_latency_queue_count',
];

export async function scrapeMetrics(url: string | undefined): Promise<MetricsScrape | undefined> {
  if (!url) return undefined;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const out: MetricsScrape = new Map();
    for (const line of (await res.text()).split('\n')) {
      const m = /^([a-z_]+)(?:\{(.*)\})? ([0-9.e+-]+)$/.exec(line);
      if (!m || !WANTED.includes(m[1])) continue;
      const operation = /(?:^|,)operation="([^"]*)"/.exec(m[2] ?? '')?.[1] ?? '';
      const key = `${m[1]}{${operation}}`;
      out.set(key, (out.get(key) ?? 0) + Number(m[3]));
    }
    return out;
  } catch {
    return undefined;
  }
}

export interface ServerFigures {
  /** Persistence operations a second (the main store; visibility separately). */
  persistenceOpsPerSecond: number;
  /** Summed persistence latency per second: ~1 means the one connection was never idle, above 1 that requests queued. */
  persistenceBusy: number;
  persistenceMeanMs: number;
  visibilityOpsPerSecond: number;
  visibilityBusy: number;
  /**
   * Time a second the history shard's writes spent waiting for its I/O semaphore (`history.shardIOConcurrency`, 1
   * by default: one persistence write of the shard at a time), and the mean wait per write.
   */
  shardIoWait: number;
  shardIoWaitMeanMs: number;
  /** Mean time a history task waited in its queue before it ran (transfer, timer, visibility, ... together). */
  taskQueueWaitMs: number;
  /** The operations with the most summed latency, in ms per second. */
  topOperations: { operation: string; opsPerSecond: number; busyMsPerSecond: number }[];
}

export function serverFigures(
  a: MetricsScrape | undefined,
  b: MetricsScrape | undefined,
  seconds: number,
): ServerFigures | undefined {
  if (!a || !b || seconds <= 0) return undefined;
  const delta = (key: string) => (b.get(key) ?? 0) - (a.get(key) ?? 0);
  const total = (metric: string) => {
    let sum = 0;
    for (const key of b.keys()) if (key.startsWith(`${metric}{`)) sum += delta(key);
    return sum;
  };
  const ops = total('persistence_latency_count');
  const busy = total('persistence_latency_sum');
  const queued = total('task_latency_queue_count');
  const topOperations: ServerFigures['topOperations'] = [];
  for (const key of b.keys()) {
    const m = /^persistence_latency_sum\{(.*)\}$/.exec(key);
    if (!m) continue;
    topOperations.push({
      operation: m[1],
      opsPerSecond: delta(`persistence_latency_count{${m[1]}}`) / seconds,
      busyMsPerSecond: (delta(key) * 1000) / seconds,
    });
  }
  topOperations.sort((x, y) => y.busyMsPerSecond - x.busyMsPerSecond);
  return {
    persistenceOpsPerSecond: ops / seconds,
    persistenceBusy: busy / seconds,
    persistenceMeanMs: ops > 0 ? (busy * 1000) / ops : 0,
    visibilityOpsPerSecond: total('visibility_persistence_latency_count') / seconds,
    visibilityBusy: total('visibility_persistence_latency_sum') / seconds,
    shardIoWait: total('semaphore_latency_sum') / seconds,
    shardIoWaitMeanMs:
      total('semaphore_latency_count') > 0
        ? (total('semaphore_latency_sum') * 1000) / total('semaphore_latency_count')
        : 0,
    taskQueueWaitMs: queued > 0 ? (total('task_latency_queue_sum') * 1000) / queued : 0,
    topOperations: topOperations.slice(0, 6),
  };
}
