import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseClusterConfig } from '../../src/service/cluster-config.ts';
import { createCertificateAuthority, writeThrowawayCa } from '../../src/service/throwaway-ca.ts';

/** The `tls` field of a node's configuration: files checked at start, each refusal naming the field. */
const dir = mkdtempSync(join(tmpdir(), 'unanimous-tls-config-'));
const base = { self: 'n1', dataDir: '/tmp/x', clusterSecret: 'a-secret-of-16-chars', nodes: [{ id: 'n1', host: '127.0.0.1', raftPort: 7000, httpPort: 7001 }], shards: [{ id: 's0', replicas: ['n1'] }] };
let files: { ca: string; cert: string; key: string };

beforeAll(async () => {
  const written = await writeThrowawayCa(join(dir, 'tls'), [
    { id: 'n1', host: '127.0.0.1' },
    { id: 'n2', host: 'node-2.internal' },
  ]);
  files = { ca: written.caFile, cert: written.nodes.get('n1')!.certFile, key: written.nodes.get('n1')!.keyFile };
  const other = await createCertificateAuthority({ name: 'another CA' });
  const stranger = await other.issue({ commonName: 'n1', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  writeFileSync(join(dir, 'stranger.pem'), stranger.cert);
  writeFileSync(join(dir, 'stranger.key'), stranger.key);
  writeFileSync(join(dir, 'garbage.pem'), 'not a certificate\n');
}, 30_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (tls: unknown): string => {
  try {
    parseClusterConfig({ ...base, tls });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('the tls configuration', () => {
  it('accepts a CA, a certificate it signed and that certificate\'s key', () => {
    expect(parseClusterConfig({ ...base, tls: files }).tls).toEqual(files);
  });

  it('names the field that is wrong, and why', () => {
    expect(refusal('yes')).toBe('tls must be an object');
    expect(refusal({ ...files, password: 'x' })).toBe('tls: unknown field "password"; tls takes ca, cert and key (paths of PEM files)');
    expect(refusal({ ca: files.ca, cert: files.cert })).toBe('tls.key must be a non-empty string');
    expect(refusal({ ...files, ca: join(dir, 'missing.pem') })).toMatch(/^tls\.ca: cannot read .*missing\.pem: ENOENT/);
    expect(refusal({ ...files, cert: join(dir, 'garbage.pem') })).toBe(`tls.cert: ${join(dir, 'garbage.pem')} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    expect(refusal({ ...files, key: files.cert })).toMatch(/^tls\.key: .* is not a PEM private key/);
    expect(refusal({ ...files, key: join(dir, 'stranger.key') })).toBe(`tls.key: ${join(dir, 'stranger.key')} is not the private key of the certificate in tls.cert (${files.cert})`);
    expect(refusal({ ...files, cert: join(dir, 'stranger.pem'), key: join(dir, 'stranger.key') })).toBe(`tls.cert: ${join(dir, 'stranger.pem')} (CN=n1) is not signed by the CA in tls.ca (${files.ca})`);
  });

  it('gives each node of a throwaway CA a certificate for TLS servers and clients, naming 127.0.0.1, localhost and its own host', () => {
    const ca = new X509Certificate(readFileSync(files.ca));
    const n2 = new X509Certificate(readFileSync(join(dir, 'tls', 'n2.pem')));
    expect(ca.ca).toBe(true);
    expect(n2.ca).toBe(false);
    expect(n2.checkIssued(ca) && n2.verify(ca.publicKey)).toBe(true);
    expect(n2.subjectAltName).toBe('DNS:localhost, DNS:node-2.internal, IP Address:127.0.0.1');
    expect(n2.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // serverAuth, clientAuth
    expect(new X509Certificate(readFileSync(files.cert)).subjectAltName).toBe('DNS:localhost, IP Address:127.0.0.1');
  });
});
