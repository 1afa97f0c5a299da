/**
 * The dashboard under /dashboard: static pages and scripts only. Every piece of data the pages show comes from
 * the authenticated /v1 API, called by the page with the bearer token the user pasted once at login (kept in
 * sessionStorage), so the dashboard adds no second way into the data.
 */
import path from 'node:path';
import express from 'express';
import { requireBearer } from '../ingress/bearer';

export interface DashboardOptions {
  apiToken?: string;
  /** The Temporal UI's base URL, for links from a call to its workflow run. */
  temporalUiUrl?: string;
  namespace: string;
}

const PUBLIC_DIR = path.join(__dirname, 'public');

/** Scripts and styles from this origin only: no inline code, nothing from elsewhere (works offline). */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function dashboardRoutes(opts: DashboardOptions): express.Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    next();
  });
  // What the pages need to know about this deployment; behind the token like the API.
  router.get('/settings.json', requireBearer(opts.apiToken), (_req, res) => {
    res.json({ temporalUiUrl: opts.temporalUiUrl ?? null, namespace: opts.namespace });
  });
  router.get('/', (req, res, next) => {
    // Relative asset URLs need the trailing slash.
    if (!req.originalUrl.split('?')[0].endsWith('/')) return res.redirect(301, `${req.baseUrl}/`);
    next();
  });
  router.use(express.static(PUBLIC_DIR, { index: 'index.html', fallthrough: true, maxAge: 0 }));
  return router;
}
