import http from 'node:http';

export interface PlatformApiRequest {
  method: string;
  path: string;
  authorization?: string;
}

type Platform = 'retell' | 'vapi' | 'justcall';

const ROUTES: Record<Platform, RegExp> = {
  retell: /^\/v2\/get-call\/([^/?]+)$/,
  vapi: /^\/call\/([^/?]+)$/,
  justcall: /^\/v2\.1\/calls\/([^/?]+)\/voice-agent$/,
};

/**
 * The read side of the voice platforms' REST APIs on loopback: Retell `GET /v2/get-call/{call_id}` and Vapi
 * `GET /call/{id}`, both with `Authorization: Bearer <api key>`, answering the stored call object (the same
 * object their webhooks carry); JustCall `GET /v2.1/calls/{id}/voice-agent` with `Authorization:
 * <api_key>:<api_secret>` (its public API's scheme; `apiKey` is that pair), answering `{ status: "success", data }`
 * as JustCall's v2.1 API does, `data` being the stored voice-agent data. 401 for a wrong key, 404 for an unknown
 * call, or a queued failure.
 */
export async function startPlatformApiFake(opts: { platform: Platform; apiKey: string }) {
  const requests: PlatformApiRequest[] = [];
  const calls = new Map<string, unknown>();
  const failures: number[] = [];
  const route = ROUTES[opts.platform];
  const authorization = opts.platform === 'justcall' ? opts.apiKey : `Bearer ${opts.apiKey}`;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      const path = req.url ?? '';
      requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization });
      const m = route.exec(path);
      if (req.method !== 'GET' || !m)
        return json(404, error(opts.platform, 404, `Cannot ${req.method} ${path}`));
      if (req.headers.authorization !== authorization)
        return json(401, error(opts.platform, 401, 'Unauthorized'));
      const failure = failures.shift();
      if (failure) return json(failure, error(opts.platform, failure, 'Internal server error'));
      const call = calls.get(decodeURIComponent(m[1]));
      if (!call) return json(404, error(opts.platform, 404, 'Call not found'));
      json(200, opts.platform === 'justcall' ? { status: 'success', data: call } : call);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Sets what the API answers for a call id (its current state on the platform). */
    setCall(id: string, call: unknown) {
      calls.set(id, call);
    },
    /** The next request for a call gets this HTTP status instead. */
    failNext(status: number) {
      failures.push(status);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Retell and JustCall answer errors as `{ status, message }`; Vapi (NestJS) as `{ message, error, statusCode }`.
function error(platform: Platform, status: number, message: string): unknown {
  return platform !== 'vapi'
    ? { status: 'error', message }
    : { message, error: http.STATUS_CODES[status], statusCode: status };
}
