/** The API's bearer-token check, shared by every route behind the token. */
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './http-error';

/** The credentials of an `Authorization: Bearer <token>` header; the scheme is case-insensitive (RFC 7235). */
export function bearerToken(header: string): string {
  return /^bearer +(\S+) *$/i.exec(header)?.[1] ?? '';
}

/** Passes a request carrying `Authorization: Bearer <token>` (compared in constant time); 401 otherwise. */
export function requireBearer(token: string | undefined) {
  const expected = token ? Buffer.from(token) : undefined;
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.get('authorization') ?? '';
    const given = Buffer.from(bearerToken(header));
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
