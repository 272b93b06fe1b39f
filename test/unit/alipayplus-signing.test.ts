import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSignatureHeader, signedPath, signMessage, verifyMessage } from '../../src/alipayplus/signing';
import { loadPrivateKey } from '../../src/kernel/rsa';

/**
 * An independent vector for Alipay+ signing (alipayplus.md, Signing). The signature was made
 * outside this code base, with OpenSSL, over the content below written out by hand:
 *
 *   printf 'POST /aps/api/v1/payments/inquiryPayment\nSANDBOX_KESSAI.2026-11-27T10:30:00+09:00.{"paymentRequestId":"KS2026112700000001"}' > msg
 *   openssl dgst -sha256 -sign key.pem msg | base64 -w0     # then URL-encoded
 *
 * The gateway and the sandbox share `signing.ts`; pinning it to a signature neither of them made
 * keeps a shared mistake from passing both sides' tests.
 */
const KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIIEugIBADANBgkqhkiG9w0BAQEFAASCBKQwggSgAgEAAoIBAQDS7iXHYpaVUKBg
YH3fh1jefTyqGMssU7uqG+kELtFYH8JunP7F6wu/NRpAubFt8LcOhaDUTjQekwVb
OMbRd7axe+kMcG0spJVlBA38h3bLcn0S38+MpdH8JaXUSrjeQBh8VziILc/vTLPQ
sIylYULC946oUwIr+HQ+wz7fI86yif0IByp+uVIsrsOByY2DB348OfG1WJQIcDv6
zoAy+n17crdpmQkwV569JoBKeT+xbb+EJT7rnEfexY3m2xqM2rTCUvQP2pWDbcxd
mGUb57gfwpS35WBYA2Mbmupsts5D7SMHQsH5SbUhh860U18EcUPbXKpxEe8BPDA/
uphm1XlLAgMBAAECgf8n8PCLxLGy0XlD0ulYRedRLevtVekjJlZi7Aqhas5qKqWa
fUSclzrfKuXmHsmrFAJAjPTbPueTdNXX9lYRI10rxKx1A+Euku+ew4dQMfUPzjyj
6JkDFT6uBotgOgL4dGecSIZTjEDf0oHYuX1WNS0BdRwgqzW+EZcufBNrs6U/fqG0
JIBVxgk9alA6/m1PWY6cTQvs8hl/6eZoD2jqJma5D4J00ydJZlkgZ5VTzuCorLHs
gECGs+2xboBSJ1mDsKP+NqKHAFBrmwgmA4wrOvRK9xwy8WCUFqfLo5l7gw8QSl7y
y/keHz0qGrJimQddO2kPp8OSjZW9E2IloK8XMRECgYEA/WB7axIV29l5XezIkiO4
a3zQ84FblZNw3JYVOJTJ8dp0sgmUu88IHIDYfYaR/bOmLF9eKG1wYhS965j1YQ8e
bhZPd2Ktc63AItkvAPu4O3+yttenXNLM0932s+J4CUBwmU+2q8JkzogtTlNoQxmB
qV84oL+XJGE/pZ8Y7FHCQO0CgYEA1R0rm7UevGo5Q75iGXQaNinHWIsJ8AjLN/tQ
oYbdJfNMwwW7bHoNCUNk6wiAE8TL/iD59mmJjzQClYdLjPj/27WWDKGEukO+o0WN
syEbeRu1eKun28zwK0OhX2Qv1xkHUeKrbq6YlN2zwK+VLrpIDh+Av9B/PcS7xY22
bnNHtBcCgYAXb8s6tiuLcGxHgdVznxY56wuw2nBMP50a6k8AMtMTKe/NYBF/5cCM
Uma0BbSPUQS36gJdnvHcQKrolfdsiOd5q1qiYmBE6PdywcAVSTNbXY58VypF7cHA
fzGIphQQVwOTSspMzOhiKjp2mkR0oHFb51DnnZEvbkdi3HqDsXRUaQKBgALTaTGe
XDL5YZsBWkGmJXbUZP1Kkq4pH7C1V2Nc62/GYx0u5UZR8/xMdXkcWr5oXKAZBdd7
nMRWVzZuXdUXtCTQqpWuSplBrrRxhqh6ZufbMzPPauFiPUkFk401QeEjRtKSI93K
2OEYc3q5mUvOUohFaKqidB14j1jWQTYDt06vAoGAKNVwTQtuKJONKKey7NfUigTR
cAXVhlLc0z/aahRvz+GFyP+Dxvpk21fs5BStKi1AJOoEzqhKRu6U0/emUmWH/UmQ
l16nzQUfX4eZCjlUxBIpEAloR61SoI8qCrb9ujt+R7g+xWjK4z1Faz6i931o8riz
nWVMfN38trqbv9s3Wuc=
-----END PRIVATE KEY-----`;

const PATH = '/aps/api/v1/payments/inquiryPayment';
const CLIENT_ID = 'SANDBOX_KESSAI';
const TIME = '2026-11-27T10:30:00+09:00';
const BODY = Buffer.from('{"paymentRequestId":"KS2026112700000001"}', 'utf8');
const OPENSSL_SIGNATURE =
  'tN69pxT8q0U9Yo2WnY4nyKu3gygoNxYn%2BRGR2J8O6QjEYfcPDhx8V%2FQMnxysWpSHR6M6y3HYycpd6%2F9ofNso4wUCfk' +
  '1pOW75%2FTEnhfunlMawztHYl8ZpM9E7njoPOwzBG5DgoydzxDTPAupTPhJjE6VXqknpxK%2FjYnS%2F33ycNHGokzegfXYr' +
  'kuEDDNXzn%2FwzWzM3Zn5JfkFILYAcI0fxSTZ9MYGj8No3wdU%2FWRqRfzKmpKQncv1CoazGxckWnbT9ZfvUWizxx1C2Y8NM' +
  'd9tLM54g9c%2BgUUAFMT4qwom%2FlGJfiaFWaJCgknm1KPuqmSxCjOGRwwNCbQ0Yc5Pw8TgVRQ%3D%3D';
const HEADER = `algorithm=RSA256,keyVersion=1,signature=${OPENSSL_SIGNATURE}`;

describe('Alipay+ signing against an independent vector', () => {
  const privateKey = loadPrivateKey(KEY_PEM);
  const publicKey = createPublicKey(privateKey);

  it('signs exactly as OpenSSL did (RSASSA-PKCS1-v1_5 is deterministic)', () => {
    expect(signMessage(privateKey, PATH, CLIENT_ID, TIME, BODY)).toBe(HEADER);
  });

  it('verifies the OpenSSL signature, also with spaces after the commas', () => {
    expect(verifyMessage(publicKey, PATH, CLIENT_ID, TIME, BODY, HEADER)).toBe(true);
    expect(verifyMessage(publicKey, PATH, CLIENT_ID, TIME, BODY, HEADER.replaceAll(',', ', '))).toBe(true);
    expect(parseSignatureHeader(HEADER)?.keyVersion).toBe('1');
  });

  it('refuses it for any other path, Client-Id, time or body byte', () => {
    expect(verifyMessage(publicKey, `${PATH}/`, CLIENT_ID, TIME, BODY, HEADER)).toBe(false);
    expect(verifyMessage(publicKey, PATH, 'SANDBOX_KESSAJ', TIME, BODY, HEADER)).toBe(false);
    expect(verifyMessage(publicKey, PATH, CLIENT_ID, TIME.replace('30:00', '30:01'), BODY, HEADER)).toBe(
      false,
    );
    const changed = Buffer.from(BODY);
    changed[changed.length - 3] = 0x32;
    expect(verifyMessage(publicKey, PATH, CLIENT_ID, TIME, changed, HEADER)).toBe(false);
  });

  it('signs over the path only, whichever form the request-target takes', () => {
    for (const target of [
      PATH,
      `${PATH}?trace=1`,
      `https://open-sea-global.alipayplus.com${PATH}`,
      `HTTP://127.0.0.1:8081${PATH}?a=b#c`,
    ]) {
      expect(verifyMessage(publicKey, signedPath(target), CLIENT_ID, TIME, BODY, HEADER)).toBe(true);
    }
    expect(signedPath('https://host.example')).toBe('/');
  });
});
