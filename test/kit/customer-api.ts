import http from 'node:http';
import { type FaultInjector, jsonErrorBody } from './fakes/faults';

export interface CustomerRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A loopback stand-in for a customer's API: `GET /orders/:id` answers the order's status, `POST /tickets`
 * opens a ticket, `/fail` answers 404, `/flaky/<status>/<key>` fails once, `/crm` fails during an outage and
 * waits while held.
 * Every request is recorded.
 */
export async function startCustomerApi(opts: { delayMs?: number; faults?: FaultInjector } = {}) {
  const requests: CustomerRequest[] = [];
  const state: { outage: boolean; crmHeld?: Promise<void> } = { outage: false };
  const server = http.createServer((req, res) => {
    if (!opts.faults) return serve(req, res);
    opts.faults.serve(req, res, () => serve(req, res), jsonErrorBody);
  });
  function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body, at: Date.now() });
      const respond = () => {
        const json = (status: number, value: unknown) =>
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        if (req.url?.startsWith('/fail')) return json(404, { error: 'nope' });
        if (req.url?.startsWith('/crm') && state.outage) return json(503, { error: 'down for maintenance' });
        if (req.url?.startsWith('/crm')) return json(201, { record: `R-${requests.length}` });
        // `/flaky/<status>/<key>`: the first request for a key answers <status>, later ones succeed.
        const flaky = req.url?.match(/^\/flaky\/(\d{3})\/(.+)$/);
        if (flaky) {
          const seen = requests.filter((r) => r.url === req.url).length;
          return seen === 1
            ? json(Number(flaky[1]), { error: 'try again' })
            : json(200, { ok: true, attempt: seen });
        }
        if (req.method === 'POST' && req.url === '/tickets')
          return json(201, { ticket: `T-${requests.length}` });
        const last = req.url?.split('/').pop() ?? '';
        let id = last;
        try {
          id = decodeURIComponent(last);
        } catch {} // a malformed escape stays as sent, as a real API would echo it
        json(200, { id, status: `status-of-${id}`, eta: '2 days' });
      };
      const held = req.url?.startsWith('/crm') ? state.crmHeld : undefined;
      if (held) held.then(respond);
      else if (opts.delayMs) setTimeout(respond, opts.delayMs);
      else respond();
    });
  }
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** While true, `/crm...` answers 503. */
    setOutage: (on: boolean) => {
      state.outage = on;
    },
    /** Holds `/crm...` answers until the returned function is called. */
    holdCrm: (): (() => void) => {
      let release = () => {};
      state.crmHeld = new Promise<void>((r) => {
        release = () => {
          state.crmHeld = undefined;
          r();
        };
      });
      return release;
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

/** The during-call action most tests use: `lookup` reads `/orders/<order_id>` and outputs its status. */
export function lookupOrderAction(apiUrl: string, extra: Record<string, unknown> = {}) {
  return {
    id: 'lookup',
    type: 'http_request',
    args: { order_id: { type: 'string', required: true } },
    url: `${apiUrl}/orders/{{args.order_id}}`,
    output: { order_status: 'body.status' },
    ...extra,
  };
}
