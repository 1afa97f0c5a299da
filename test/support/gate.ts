import http from 'node:http';

/**
 * An HTTP endpoint that holds every request open until released: an after-call `http_request` to it keeps the call's
 * workflow open after the end, so a late webhook lands while the call is still live in Temporal.
 */
export async function startGate() {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    void released.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    /** How many requests are being held (or were). */
    requests: () => requests,
    release,
    close: () => new Promise((r) => server.close(r)),
  };
}
