import { createHash } from 'node:crypto';
import express from 'express';

const DEMO_CUSTOMERS: Record<string, { name: string; first_name: string; tier: string }> = {
  '+14155550142': { name: 'Grace Hopper', first_name: 'Grace', tier: 'gold' },
};

/**
 * A stand-in for a customer's API, served by `npm start` so the example agent's http_request actions have
 * something to call on a machine with no other services. Not mounted in production use.
 */
export function demoApi(): express.Router {
  const router = express.Router();
  router.get('/demo/orders/:orderId', (req, res) => {
    const id = req.params.orderId;
    if (!/^[A-Za-z0-9-]{1,32}$/.test(id)) {
      res.status(404).json({ error: 'no such order' });
      return;
    }
    const n = Number.parseInt(createHash('sha256').update(id).digest('hex').slice(0, 6), 16);
    const statuses = ['processing', 'shipped', 'out for delivery', 'delivered'];
    res.json({ id, status: statuses[n % statuses.length], eta: `${1 + (n % 5)} business days` });
  });
  // The example agent's before-call lookup: one known caller, so a call from that number is greeted by name.
  router.get('/demo/customers/:phone', (req, res) => {
    const customer = DEMO_CUSTOMERS[req.params.phone];
    res.json(customer ? { known: true, ...customer } : { known: false });
  });
  router.post('/demo/tickets', express.json(), (req, res) => {
    const key = req.get('idempotency-key') ?? JSON.stringify(req.body);
    const ticket = `T-${createHash('sha256').update(key).digest('hex').slice(0, 6).toUpperCase()}`;
    res.status(201).json({ ticket });
  });
  return router;
}
