/** How late a process's event loop ran: what any request or timer in it waited before its turn. */
export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** An event-loop delay histogram's figures (`monitorEventLoopDelay`), in milliseconds. */
export function loopDelay(h: { percentile(p: number): number; max: number; count: number }): LoopDelay {
  return h.count
    ? { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 }
    : { p50: 0, p99: 0, max: 0 };
}
