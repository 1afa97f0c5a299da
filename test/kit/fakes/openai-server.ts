import http from 'node:http';

export interface ChatRequestRecord {
  path: string;
  authorization?: string;
  body: {
    model: string;
    messages: { role: string; content: string }[];
    max_completion_tokens?: number;
    response_format?: { type: string; json_schema?: { name: string; strict?: boolean; schema: unknown } };
  };
}

/**
 * An OpenAI-compatible chat-completions server on loopback: answers `POST /v1/chat/completions` with the
 * queued replies (message content strings, or an HTTP error), in OpenAI's JSON shapes, and records requests.
 */
export async function startOpenAiFake(opts: { apiKey: string }) {
  const requests: ChatRequestRecord[] = [];
  const replies: ({ content: string; cutOff?: boolean } | { status: number; message: string })[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        return json(404, {
          error: { message: `Unknown request URL: ${req.method} ${req.url}`, type: 'invalid_request_error' },
        });
      }
      if (req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        return json(401, {
          error: {
            message: 'Incorrect API key provided',
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        });
      }
      const body = JSON.parse(raw) as ChatRequestRecord['body'];
      requests.push({ path: req.url, authorization: req.headers.authorization, body });
      const next = replies.shift();
      if (!next) return json(500, { error: { message: 'no reply queued', type: 'server_error' } });
      if ('status' in next)
        return json(next.status, { error: { message: next.message, type: 'server_error' } });
      json(200, {
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: next.content, refusal: null },
            // A reply that hit max_completion_tokens ends with "length", as OpenAI's does.
            finish_reason: next.cutOff ? 'length' : 'stop',
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    reply: (content: unknown) =>
      replies.push({ content: typeof content === 'string' ? content : JSON.stringify(content) }),
    fail: (status: number, message: string) => replies.push({ status, message }),
    /** A reply that ran into the request's max_completion_tokens: the content as far as it got. */
    cutOff: (partial: string) => replies.push({ content: partial, cutOff: true }),
    close: () => new Promise((r) => server.close(r)),
  };
}
