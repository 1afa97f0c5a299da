/** The API's bearer-token check, shared by every route behind the token. */
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './http-error';

/** Passes a request carrying `Authorization: Bearer <token>` (compared in constant time); 401 otherwise. */
export function requireBearer(token: string | undefined) {
  const expected = token ? Buffer.from(token) : undefined;
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (!expected || (given.length === expected.length && timingSafeEqual(given, expected))) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Bearer');
    next(
      HttpError.unauthorized('missing or wrong bearer token', [
        { field: 'authorization', message: 'Bearer <token> required' },
      ]),
    );
  };
}
