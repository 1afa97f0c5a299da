import express, { type Request } from 'express';
import { type CallLog, decodeCursor } from '../store/call-log';
import { HttpError } from './http-error';

/** The call log (GET /v1/calls), newest first, filtered by the query; mounted by the agents API. */
export function callsApi(opts: { callLog?: CallLog }): express.Router {
  const router = express.Router();

  router.get('/calls', async (req, res) => {
    if (!opts.callLog)
      throw HttpError.unavailable('the call log needs the store', [
        { field: '(store)', message: 'no store configured' },
      ]);
    res.json(await opts.callLog.list(callFilter(req)));
  });

  return router;
}

function callFilter(req: Request) {
  const q = req.query;
  const text = (name: string) => {
    const v = q[name];
    return typeof v === 'string' && v ? v : undefined;
  };
  const time = (name: string) => {
    const v = text(name);
    if (v === undefined) return undefined;
    if (Number.isNaN(Date.parse(v)))
      throw HttpError.badRequest(`"${name}" must be an ISO 8601 time`, [
        { field: name, message: 'not a time' },
      ]);
    return new Date(v);
  };
  const limitText = text('limit');
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw HttpError.badRequest('"limit" must be an integer from 1 to 200', [
      { field: 'limit', message: '1 to 200' },
    ]);
  const beforeText = text('before');
  let before: { startedAt: string; callId: string } | undefined;
  if (beforeText) {
    // A `next` cursor, or a plain time (calls that started before it).
    before =
      decodeCursor(beforeText) ??
      (Number.isNaN(Date.parse(beforeText))
        ? undefined
        : { startedAt: new Date(beforeText).toISOString(), callId: '' });
    if (!before)
      throw HttpError.badRequest('"before" must be a "next" cursor or an ISO 8601 time', [
        { field: 'before', message: 'not a cursor or a time' },
      ]);
  }
  return {
    agentId: text('agent'),
    disposition: text('disposition'),
    from: time('from'),
    to: time('to'),
    limit,
    before,
  };
}
