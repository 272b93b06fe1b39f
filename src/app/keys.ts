import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// ssh2 is CommonJS: under Node's ESM loader only its default export carries `utils`.
import ssh2 from 'ssh2';
import { generateRsaKeyPair, loadPrivateKey, loadPublicKey, type PemKeyPair } from '../kernel/rsa';
import type { Config } from './config';

/**
 * Key pairs (configuration.md, Keys). Each side owns its pair. In demo mode, the gateway's and the
 * sandbox's pairs are generated into `<data dir>/keys/` on first start and each side is given the
 * other's public key; configured keys always win. Keys are read once, at start.
 */
export interface GatewayKeys {
  privateKey: KeyObject;
  publicKeyPem: string;
  alipayPublicKey: KeyObject;
}

/** Reads `<dir>/<name>-private.pem` and `-public.pem`, generating them the first time. */
export function loadOrCreatePair(dir: string, name: string): PemKeyPair {
  const privatePath = join(dir, `${name}-private.pem`);
  const publicPath = join(dir, `${name}-public.pem`);
  if (existsSync(privatePath) && existsSync(publicPath)) {
    return {
      privateKeyPem: readFileSync(privatePath, 'utf8'),
      publicKeyPem: readFileSync(publicPath, 'utf8'),
    };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pair = generateRsaKeyPair();
  writeFileSync(privatePath, pair.privateKeyPem, { mode: 0o600 });
  writeFileSync(publicPath, pair.publicKeyPem, { mode: 0o644 });
  return pair;
}

export function keysDir(config: Config): string {
  return join(config.dataDir, 'keys');
}

/** The sandbox's own pair (always from the data folder: it is a local stand-in). */
export function sandboxKeyPair(config: Config): PemKeyPair {
  return loadOrCreatePair(keysDir(config), 'sandbox');
}

export function gatewayKeys(config: Config): GatewayKeys {
  const { privateKey, publicKey } = config.alipayplus;
  const key = loadPrivateKey(privateKey ?? loadOrCreatePair(keysDir(config), 'gateway').privateKeyPem);
  return {
    privateKey: key,
    publicKeyPem: createPublicKey(key).export({ format: 'pem', type: 'spki' }).toString(),
    alipayPublicKey: loadPublicKey(publicKey ?? sandboxKeyPair(config).publicKeyPem),
  };
}

/**
 * The sandbox SFTP server's host key, generated once like the other demo keys. ECDSA P-256: ssh2
 * cannot read back about 1 in 250 of the ed25519 keys it generates.
 */
export function sandboxSftpHostKey(config: Config): string {
  const dir = keysDir(config);
  const path = join(dir, 'sandbox-sftp-host-key');
  if (existsSync(path)) return readFileSync(path, 'utf8');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }).private;
  writeFileSync(path, key, { mode: 0o600 });
  return key;
}

/** An SSH host key's fingerprint as OpenSSH prints it (`SHA256:<base64>`), from its private or public key. */
export function sshHostKeyFingerprint(key: string): string {
  const parsed = ssh2.utils.parseKey(key);
  if (parsed instanceof Error) throw new Error(`not an SSH key: ${parsed.message}`);
  const blob = parsed.getPublicSSH();
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
