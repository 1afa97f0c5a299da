/**
 * The dev server's Temporal UI served through the ingress, under the path the UI was started with
 * (`--ui-public-path /temporal`). On the ingress's origin the UI's codec requests to `/codec` carry the codec
 * session cookie like any same-origin request, so call data decodes with no codec settings in the UI and no
 * cross-origin credentials. The UI shows every workflow and can terminate them, so only a browser signed in to the
 * codec gets through; others are sent to the sign-in form.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { CODEC_COOKIE } from './codec-server';
import { HttpError } from './http-error';

export interface TemporalUiProxyOptions {
  /** The UI's own address, with its public path: `http://127.0.0.1:8233/temporal`. */
  upstream: string;
  /** Whether the request comes from a signed-in browser. */
  signedIn(req: Request): boolean;
  /** The sign-in form a browser without a session is sent to, with `?next=` the page it asked for. */
  signInPath: string;
}

// Hop-by-hop headers (RFC 9110 7.6.1) describe one connection, not the message: never forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Middleware for the whole app: handles requests under the upstream's path, passes on the rest. */
export function temporalUiProxy(opts: TemporalUiProxyOptions): RequestHandler {
  const upstream = new URL(opts.upstream);
  const base = upstream.pathname.replace(/\/+$/, '');
  return (req: Request, res: Response, next: NextFunction) => {
    const path = req.originalUrl.split('?')[0];
    if (path !== base && !path.startsWith(`${base}/`)) return next();
    if (!opts.signedIn(req)) {
      if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html')
        return res.redirect(303, `${opts.signInPath}?next=${encodeURIComponent(req.originalUrl)}`);
      return next(
        HttpError.unauthorized('the Temporal UI needs a signed-in browser', [
          { field: 'cookie', message: `sign in at ${opts.signInPath}` },
        ]),
      );
    }
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.originalUrl,
        headers: upstreamHeaders(req),
      },
      (answer) => {
        // The UI sets its own policies; ours (`default-src 'none'`, no-store) would stop its scripts and caching.
        for (const name of ['Content-Security-Policy', 'Cache-Control']) res.removeHeader(name);
        res.status(answer.statusCode ?? 502);
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value === undefined || HOP_BY_HOP.has(name)) continue;
          res.setHeader(name, name === 'location' ? ownLocation(String(value), upstream) : value);
        }
        answer.pipe(res);
      },
    );
    forwarded.on('error', (err) => {
      if (res.headersSent) return res.destroy(err);
      next(HttpError.badGateway(`the Temporal UI did not answer: ${err.message}`));
    });
    req.pipe(forwarded);
  };
}

/** The browser's headers minus hop-by-hop ones and the codec session, which is ours and not the UI's business. */
function upstreamHeaders(req: Request): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    headers[name] = value;
  }
  const cookies = (req.get('cookie') ?? '')
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c && !c.startsWith(`${CODEC_COOKIE}=`));
  if (cookies.length) headers.cookie = cookies.join('; ');
  else delete headers.cookie;
  headers['x-forwarded-proto'] = req.protocol;
  headers['x-forwarded-host'] = req.get('host') ?? '';
  return headers;
}

/** A redirect the UI makes to its own address becomes one to the same path on the ingress. */
function ownLocation(location: string, upstream: URL): string {
  return location.startsWith(upstream.origin) ? location.slice(upstream.origin.length) || '/' : location;
}
