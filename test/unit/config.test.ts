import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireAlipayPlusSettings } from '../../src/app/config';

describe('configuration from the environment', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({}, 'demo');
    expect(config).toMatchObject({
      mode: 'demo',
      host: '127.0.0.1',
      gateway: { port: 8080, publicUrl: 'http://localhost:8080' },
      sandbox: { port: 8081, publicUrl: 'http://localhost:8081', timeFactor: 1 },
      shop: { port: 8082, publicUrl: 'http://localhost:8082' },
      alipayplus: {
        baseUrl: 'http://localhost:8081',
        clientId: 'SANDBOX_KESSAI',
        timeoutMs: 8000,
        inquiryTimeoutMs: 5000,
      },
      logLevel: 'info',
      trustProxy: [],
    });
    expect(config.databaseUrl).toMatch(/^sqlite:.*\/data\/kessai\.sqlite$/);
    expect(config.sandbox.controlToken).toBeUndefined();
    const token = 'x'.repeat(32);
    expect(loadConfig({ KESSAI_SANDBOX_CONTROL_TOKEN: token }, 'demo').sandbox.controlToken).toBe(token);
    expect(loadConfig({}, 'production').mode).toBe('production');
  });

  it('stops at an unknown KESSAI_ variable, suggesting the near one', () => {
    expect(() => loadConfig({ KESSAI_GATEWAY_PROT: '1' }, 'demo')).toThrow(
      /KESSAI_GATEWAY_PROT \(did you mean KESSAI_GATEWAY_PORT\?\)/,
    );
    expect(() => loadConfig({ KESSAI_NOTHING_LIKE_IT: '1' }, 'demo')).toThrow(ConfigError);
  });

  it.each([
    ['KESSAI_GATEWAY_PORT', '70000'],
    ['KESSAI_MODE', 'staging'],
    ['KESSAI_GATEWAY_PUBLIC_URL', 'ftp://x'],
    ['KESSAI_ALIPAYPLUS_TIMEOUT_MS', '0'],
    ['KESSAI_ALIPAYPLUS_TIMEOUT_MS', '600000'],
    ['KESSAI_DEMO_HASH_KEY', 'short'],
    ['KESSAI_TRUST_PROXY', 'everyone'],
    ['KESSAI_SANDBOX_CONTROL_TOKEN', 'too-short-to-guard-anything'],
    ['KESSAI_LOG_LEVEL', 'loud'],
    ['KESSAI_PAYOUT_ORIGINATOR', '0000012345/決済/0005/ﾐﾂﾋﾞｼ/001/ﾎﾝﾃﾝ/ORDINARY/1234567'],
    ['KESSAI_PAYOUT_ORIGINATOR', 'only/three/fields'],
    ['KESSAI_ALIPAYPLUS_FEE_BPS', '-1'],
    ['KESSAI_ALIPAYPLUS_FEE_BPS', '2.5'],
  ])('names %s when its value (%s) is invalid', (name, value) => {
    expect(() => loadConfig({ [name]: value }, 'demo')).toThrow(new RegExp(`^${name}:`));
  });

  it('reads a database URL, trusted proxies and a shorter timeout', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'postgres://kessai@db:5432/kessai',
        KESSAI_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
        KESSAI_ALIPAYPLUS_TIMEOUT_MS: '1000',
      },
      'demo',
    );
    expect(config.databaseUrl).toBe('postgres://kessai@db:5432/kessai');
    expect(config.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(config.alipayplus.timeoutMs).toBe(1000);
  });

  it('reads the payout originator, with a made-up one in the demo only', () => {
    expect(loadConfig({}, 'production').payoutOriginator).toBeUndefined();
    expect(loadConfig({}, 'demo').payoutOriginator).toMatchObject({
      companyCode: '0000012345',
      bankCode: '0005',
    });
    const set = 'KESSAI_PAYOUT_ORIGINATOR';
    expect(
      loadConfig({ [set]: '1234567890/ケッサイ/0001/ミズホ/100/ホンテン/CURRENT/42' }, 'production')
        .payoutOriginator,
    ).toEqual({
      companyCode: '1234567890',
      name: 'ｹﾂｻｲ',
      holderName: 'ｹﾂｻｲ',
      bankCode: '0001',
      bankName: 'ﾐｽﾞﾎ',
      branchCode: '100',
      branchName: 'ﾎﾝﾃﾝ',
      accountType: 'CURRENT',
      accountNumber: '0000042',
    });
  });

  it('expects the sandbox’s report fee in the demo, and the report settings all together in production', () => {
    expect(loadConfig({}, 'demo').alipayplus.reports?.feeBps).toBe(30);
    expect(loadConfig({ KESSAI_SANDBOX_REPORT_FEE_BPS: '45' }, 'demo').alipayplus.reports?.feeBps).toBe(45);
    expect(loadConfig({}, 'production').alipayplus.reports).toBeUndefined();
    const reports = {
      KESSAI_ALIPAYPLUS_SFTP_HOST: 'sftp.example.com',
      KESSAI_ALIPAYPLUS_SFTP_PORT: '22',
      KESSAI_ALIPAYPLUS_SFTP_USER: 'acqp',
      KESSAI_ALIPAYPLUS_SFTP_PASSWORD: 'secret',
      KESSAI_ALIPAYPLUS_PARTICIPANT_ID: '1022188000000000001',
      KESSAI_ALIPAYPLUS_SFTP_HOST_KEY: `SHA256:${'A'.repeat(43)}`,
    };
    expect(() => loadConfig(reports, 'production')).toThrow(/KESSAI_ALIPAYPLUS_FEE_BPS go together/);
    expect(
      loadConfig({ ...reports, KESSAI_ALIPAYPLUS_FEE_BPS: '25' }, 'production').alipayplus.reports?.feeBps,
    ).toBe(25);
  });

  it('requires every Alipay+ connection setting in production', () => {
    expect(() => requireAlipayPlusSettings(loadConfig({}, 'production'))).toThrow(
      /KESSAI_ALIPAYPLUS_BASE_URL, KESSAI_ALIPAYPLUS_CLIENT_ID, KESSAI_ALIPAYPLUS_PRIVATE_KEY, KESSAI_ALIPAYPLUS_PUBLIC_KEY/,
    );
    expect(() => requireAlipayPlusSettings(loadConfig({}, 'demo'))).not.toThrow();
  });
});
