import { type ChildProcess, spawn } from 'node:child_process';

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Resolves once the process serves (polled every 250 ms until it does or the process exits). */
  ready: () => Promise<boolean>;
  /** Start it again whenever it exits, as compose's `restart: unless-stopped` does. */
  restart: boolean;
  /** Asks it to stop (default SIGTERM to the process); SIGKILL follows if it is still there after the grace. */
  signalStop?: (child: ChildProcess) => void;
  /** Ends it at once when the supervisor exits (default SIGKILL to the process). */
  killOnExit?: (child: ChildProcess) => void;
  /** Where its output goes, line by line (default: kept only in `tail`). */
  output?: (line: string) => void;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One process of the topology: started, watched until it serves, restarted when it exits, killed on demand. */
export class Service {
  private child?: ChildProcess;
  private readyPromise?: Promise<void>;
  private stopping = false;
  starts = 0;
  kills = 0;
  /** The last lines it wrote (what a failed run is first asked about). */
  tail = '';

  constructor(readonly spec: ServiceSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    this.starts++;
    const { spec } = this;
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a terminal's Ctrl-C reaches only the supervisor, which stops everything in order.
      detached: true,
    });
    this.child = child;
    // If the supervisor itself exits, nothing it started may outlive it.
    const onExit = () => (spec.killOnExit ? spec.killOnExit(child) : child.kill('SIGKILL'));
    process.on('exit', onExit);
    let partial = '';
    const collect = (chunk: Buffer) => {
      const text = partial + chunk.toString();
      this.tail = (this.tail + chunk.toString()).slice(-4000);
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) spec.output?.(line);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      process.off('exit', onExit);
      if (this.stopping || this.child !== child) return;
      const last = this.tail.trim().split('\n').slice(-2).join(' / ').slice(0, 600);
      spec.log(
        `${spec.name} exited (${signal ?? code}); starting it again${code ? `. Last output: ${last}` : ''}`,
      );
      setTimeout(() => {
        if (!this.stopping && this.child === child && spec.restart) void this.start().catch(() => undefined);
      }, 500);
    });
    this.readyPromise = (async () => {
      let gone = false;
      void exited.then(() => {
        gone = true;
      });
      for (;;) {
        if (gone) throw new Error(`${spec.name} exited before it served:\n${this.tail.slice(-1500)}`);
        if (await spec.ready().catch(() => false)) return;
        await sleep(250);
      }
    })();
    this.readyPromise.catch(() => undefined);
    return this.readyPromise;
  }

  /** Resolves once the current process serves, following restarts. */
  async whenReady(timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        await this.readyPromise;
        return;
      } catch {
        await sleep(250);
      }
    }
    throw new Error(`${this.spec.name} did not come up:\n${this.tail.slice(-1500)}`);
  }

  /** SIGKILL: no draining. With `restart`, a new process is started half a second later. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.kills++;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM (SIGKILL after `graceMs`), then start again: a deliberate restart, not a crash. */
  async restart(downMs: number, graceMs = 10_000): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await terminate(child, graceMs, this.spec.signalStop);
    await sleep(downMs);
    await this.start();
  }

  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child) await terminate(child, graceMs, this.spec.signalStop);
  }
}

async function terminate(
  child: ChildProcess,
  graceMs: number,
  signalStop: (child: ChildProcess) => void = (c) => c.kill('SIGTERM'),
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  signalStop(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
