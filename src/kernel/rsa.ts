import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * Loads RSA keys in every form Alipay+ and operators hand them out: PEM (PKCS#1, PKCS#8, SPKI) or
 * bare base64 (PKCS#8 private key, X.509/SPKI public key) as the Alipay+ Developer Center shows them.
 */
export function loadPrivateKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return createPrivateKey(trimmed);
  return createPrivateKey({ key: Buffer.from(stripBase64(trimmed), 'base64'), format: 'der', type: 'pkcs8' });
}

export function loadPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return createPublicKey(trimmed);
  return createPublicKey({ key: Buffer.from(stripBase64(trimmed), 'base64'), format: 'der', type: 'spki' });
}

function stripBase64(text: string): string {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw new Error('key is neither PEM nor base64');
  return compact;
}

export interface PemKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

export function generateRsaKeyPair(): PemKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}
