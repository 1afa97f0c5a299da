import http from 'node:http';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type Response from 'twilio/lib/http/response';

export interface TwilioClientOptions {
  /** The account every request acts on (AC...). */
  accountSid: string;
  /** Auth token of `accountSid`; used when no API key is given. */
  authToken?: string;
  /** API key (SK...) and its secret; preferred over the auth token when both are set. */
  apiKeySid?: string;
  apiKeySecret?: string;
  /**
   * Send every request meant for `https://*.twilio.com` here instead (e.g. `http://127.0.0.1:4567`),
   * keeping path and query. Any path in the base URL is prefixed to the request path.
   */
  apiBaseUrl?: string;
}

/**
 * The SDK has no base-URL setting: every resource builds absolute `https://<product>.twilio.com/...`
 * URIs (list pages even follow `next_page_uri` through the same host), and everything funnels through
 * `httpClient.request()`. Rewriting the URI at that single point redirects all of it.
 */
class RedirectingRequestClient extends twilio.RequestClient {
  private readonly base: URL;

  constructor(base: URL, opts: RequestClient.RequestClientOptions) {
    super(opts);
    this.base = base;
    // The SDK only configures an https agent; give plain-http targets an agent of their own with the
    // same keep-alive choice instead of sharing Node's global agent with unrelated code.
    this.axios.defaults.httpAgent = new http.Agent({ keepAlive: this.keepAlive });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    return super.request({ ...opts, uri: redirectUri(opts.uri, this.base) });
  }
}

function redirectUri(uri: string, base: URL): string {
  const target = new URL(uri);
  if (target.protocol !== 'https:' || !/(^|\.)twilio\.com$/i.test(target.hostname)) return uri;
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.origin}${prefix}${target.pathname}${target.search}`;
}

export function createTwilioClient(opts: TwilioClientOptions): twilio.Twilio {
  if (!/^AC[0-9a-fA-F]{32}$/.test(opts.accountSid)) {
    throw new Error('accountSid must be an account SID (AC followed by 32 hex digits)');
  }
  const useApiKey = opts.apiKeySid !== undefined || opts.apiKeySecret !== undefined;
  if (useApiKey && !(opts.apiKeySid && opts.apiKeySecret)) {
    throw new Error('apiKeySid and apiKeySecret must be given together');
  }
  if (!useApiKey && !opts.authToken) {
    throw new Error('either authToken or apiKeySid/apiKeySecret is required');
  }

  const clientOpts: twilio.ClientOpts = {
    // Always explicit: otherwise the SDK silently falls back to TWILIO_* environment variables.
    accountSid: opts.accountSid,
    // 429 retries are already off by default; pinned so responses map 1:1 to requests.
    autoRetry: false,
  };
  if (opts.apiBaseUrl !== undefined) {
    const base = new URL(opts.apiBaseUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new Error(`apiBaseUrl must be an http(s) URL, got ${opts.apiBaseUrl}`);
    }
    clientOpts.httpClient = new RedirectingRequestClient(base, { autoRetry: false });
  }

  return useApiKey
    ? new twilio.Twilio(opts.apiKeySid, opts.apiKeySecret, clientOpts)
    : new twilio.Twilio(opts.accountSid, opts.authToken, clientOpts);
}
