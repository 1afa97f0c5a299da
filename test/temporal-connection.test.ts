import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { temporalConnectionOptions } from '../src/config/env';

describe('connecting to a Temporal cluster (TEMPORAL_* settings)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'callflow-tls-'));
  const file = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('uses plain gRPC when nothing asks for TLS (the dev server)', () => {
    assert.deepEqual(temporalConnectionOptions('127.0.0.1:7233', {}), {
      address: '127.0.0.1:7233',
      apiKey: undefined,
      tls: undefined,
    });
  });

  it('turns TLS on with an API key (Temporal Cloud) and sends the key', () => {
    const opts = temporalConnectionOptions('ns.acct.tmprl.cloud:7233', { TEMPORAL_API_KEY: 'key-123' });
    assert.equal(opts.apiKey, 'key-123');
    assert.deepEqual(opts.tls, {
      serverNameOverride: undefined,
      serverRootCACertificate: undefined,
      clientCertPair: undefined,
    });
  });

  it('reads the client certificate pair and CA for mTLS, with a server name override', () => {
    const opts = temporalConnectionOptions('temporal.internal:7233', {
      TEMPORAL_TLS_CERT: file('client.pem', 'CERT'),
      TEMPORAL_TLS_KEY: file('client.key', 'KEY'),
      TEMPORAL_TLS_CA: file('ca.pem', 'CA'),
      TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal',
    });
    assert.equal(opts.apiKey, undefined);
    assert.equal(opts.tls?.clientCertPair?.crt.toString(), 'CERT');
    assert.equal(opts.tls?.clientCertPair?.key.toString(), 'KEY');
    assert.equal(opts.tls?.serverRootCACertificate?.toString(), 'CA');
    assert.equal(opts.tls?.serverNameOverride, 'frontend.temporal');
  });

  it('turns TLS on alone with TEMPORAL_TLS=true (a server with a public certificate)', () => {
    assert.ok(temporalConnectionOptions('temporal.example.com:7233', { TEMPORAL_TLS: 'true' }).tls);
  });

  it('refuses a certificate without its key, and a file that is not there', () => {
    assert.throws(
      () => temporalConnectionOptions('x:7233', { TEMPORAL_TLS_CERT: file('only.pem', 'CERT') }),
      /TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together/,
    );
    assert.throws(
      () => temporalConnectionOptions('x:7233', { TEMPORAL_TLS_CA: path.join(dir, 'missing.pem') }),
      /TEMPORAL_TLS_CA: cannot read .*missing\.pem \(ENOENT\)/,
    );
  });
});
