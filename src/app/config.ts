import { resolve } from 'node:path';
import { z } from 'zod';
import { DomainError } from '../kernel/errors';
import { parseOriginator } from '../settlement/payout.repository';
import type { ZenginOriginator } from '../settlement/zengin';

/**
 * Configuration from the environment (configuration.md, Environment). An unknown `KESSAI_*`
 * variable or an invalid value stops start-up with a message naming it.
 */
export type Mode = 'demo' | 'production';

export interface Config {
  mode: Mode;
  dataDir: string;
  databaseUrl: string;
  host: string;
  gateway: { port: number; publicUrl: string };
  sandbox: {
    port: number;
    publicUrl: string;
    databaseUrl: string;
    timeFactor: number;
    /** How long the sandbox's automatic merchant review takes (governance.md §1). */
    reviewSeconds: number;
    /** Lets non-loopback callers use the sandbox's control API and console with this token. */
    controlToken: string | undefined;
    /** The clearing and settlement reports and the SFTP server that serves them (settlement.md). */
    reports: {
      sftpPort: number;
      sftpUser: string;
      sftpPassword: string;
      participantId: string;
      feeBps: number;
      settlementLagDays: number;
    };
  };
  shop: { port: number; publicUrl: string };
  /** Where `/metrics` is served to Prometheus; without a port, only the demo serves it (on the gateway). */
  metrics: { host: string; port: number | undefined };
  alipayplus: {
    baseUrl: string;
    baseUrlConfigured: boolean;
    clientId: string;
    clientIdConfigured: boolean;
    /** PEM or bare base64; `undefined` means "generate in the data folder" (demo only). */
    privateKey: string | undefined;
    publicKey: string | undefined;
    timeoutMs: number;
    inquiryTimeoutMs: number;
    /**
     * Where the gateway fetches Alipay+'s reports; `undefined` in production until configured. In
     * demo mode each part defaults to the sandbox's (the port once the sandbox listens).
     */
    reports: ReportSftpSettings | undefined;
  };
  demo: { hashKey: string | undefined; apiPassword: string | undefined };
  logLevel: string;
  /**
   * Addresses or CIDRs of the load balancers in front of the gateway, whose X-Forwarded-For is
   * believed (the shopper's address feeds the refusal limit and Alipay+'s `clientIp`); empty: none.
   */
  trustProxy: string[];
  /** Notice e-mail (governance.md, Notices); without a URL, notice e-mails are recorded as skipped. */
  smtp: { url: string | undefined; from: string };
  /** Our side of the payouts' Zengin transfer files; undefined: payout files cannot be made. */
  payoutOriginator: ZenginOriginator | undefined;
}

export interface ReportSftpSettings {
  host: string;
  /** `undefined`: the sandbox's port, known once it listens (demo). */
  port: number | undefined;
  user: string;
  password: string;
  participantId: string;
  /** The server's host key fingerprint (`SHA256:…`); `undefined`: the sandbox's (demo). */
  hostKeyFingerprint: string | undefined;
  /** Alipay+'s contracted fee on each payment, in basis points: what its fee items are checked against. */
  feeBps: number;
}

/** The gateway's report server and Alipay+'s fee: given all together, or none. */
const REPORT_SETTINGS = [
  'KESSAI_ALIPAYPLUS_SFTP_HOST',
  'KESSAI_ALIPAYPLUS_SFTP_PORT',
  'KESSAI_ALIPAYPLUS_SFTP_USER',
  'KESSAI_ALIPAYPLUS_SFTP_PASSWORD',
  'KESSAI_ALIPAYPLUS_PARTICIPANT_ID',
  'KESSAI_ALIPAYPLUS_SFTP_HOST_KEY',
  'KESSAI_ALIPAYPLUS_FEE_BPS',
] as const;

const KNOWN = [
  'KESSAI_MODE',
  'KESSAI_DATA_DIR',
  'KESSAI_HOST',
  'KESSAI_METRICS_HOST',
  'KESSAI_METRICS_PORT',
  'KESSAI_GATEWAY_PORT',
  'KESSAI_SANDBOX_PORT',
  'KESSAI_SHOP_PORT',
  'KESSAI_GATEWAY_PUBLIC_URL',
  'KESSAI_SANDBOX_PUBLIC_URL',
  'KESSAI_SHOP_PUBLIC_URL',
  'KESSAI_ALIPAYPLUS_BASE_URL',
  'KESSAI_ALIPAYPLUS_CLIENT_ID',
  'KESSAI_ALIPAYPLUS_PRIVATE_KEY',
  'KESSAI_ALIPAYPLUS_PUBLIC_KEY',
  'KESSAI_ALIPAYPLUS_TIMEOUT_MS',
  'KESSAI_ALIPAYPLUS_INQUIRY_TIMEOUT_MS',
  'KESSAI_SANDBOX_DATABASE',
  'KESSAI_SANDBOX_TIME_FACTOR',
  'KESSAI_SANDBOX_REVIEW_SECONDS',
  'KESSAI_SANDBOX_CONTROL_TOKEN',
  'KESSAI_SANDBOX_SFTP_PORT',
  'KESSAI_SANDBOX_SFTP_USER',
  'KESSAI_SANDBOX_SFTP_PASSWORD',
  'KESSAI_SANDBOX_PARTICIPANT_ID',
  'KESSAI_SANDBOX_REPORT_FEE_BPS',
  'KESSAI_SANDBOX_SETTLEMENT_LAG_DAYS',
  ...REPORT_SETTINGS,
  'KESSAI_DEMO_HASH_KEY',
  'KESSAI_DEMO_API_PASSWORD',
  'KESSAI_LOG_LEVEL',
  'KESSAI_TRUST_PROXY',
  'KESSAI_PAYOUT_ORIGINATOR',
  'KESSAI_TEST_DATABASE_URL',
  'KESSAI_SMTP_URL',
  'KESSAI_SMTP_FROM',
] as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The gateway talks to the real Alipay+ only with all of its connection settings given. */
export function requireAlipayPlusSettings(config: Config): void {
  if (config.mode !== 'production') return;
  const missing = [
    ['KESSAI_ALIPAYPLUS_BASE_URL', config.alipayplus.baseUrlConfigured],
    ['KESSAI_ALIPAYPLUS_CLIENT_ID', config.alipayplus.clientIdConfigured],
    ['KESSAI_ALIPAYPLUS_PRIVATE_KEY', config.alipayplus.privateKey !== undefined],
    ['KESSAI_ALIPAYPLUS_PUBLIC_KEY', config.alipayplus.publicKey !== undefined],
  ].filter(([, given]) => !given);
  if (missing.length)
    throw new ConfigError(`required in production mode: ${missing.map(([n]) => n).join(', ')}`);
}

const port = z.coerce.number().int().min(0).max(65535);
// Capped well below the job lease (120 s): a deadline run makes several calls in a row.
const positiveMs = z.coerce.number().int().min(1).max(60_000);
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
  .transform((u) => u.replace(/\/+$/, ''));
const participantId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be 1–64 letters, digits or "-"');
const sftpText = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1–128 printable ASCII characters without spaces');
const fingerprint = z
  .string()
  .regex(
    /^SHA256:[A-Za-z0-9+/]{43}$/,
    'must be an OpenSSH host key fingerprint, SHA256:<43 base64 characters>',
  );
/** The demo pays its merchant from a made-up account, so its transfer files can be made and read. */
const DEMO_PAYOUT_ORIGINATOR = '0000012345/ｹｯｻｲ ﾃﾞﾓ/0005/ﾐﾂﾋﾞｼUFJ/001/ﾎﾝﾃﾝ/ORDINARY/1234567';

function payoutOriginator(value: string | undefined, mode: Mode): ZenginOriginator | undefined {
  const text = value ?? (mode === 'demo' ? DEMO_PAYOUT_ORIGINATOR : undefined);
  if (text === undefined) return undefined;
  try {
    return parseOriginator(text);
  } catch (error) {
    if (error instanceof DomainError) throw new ConfigError(`KESSAI_PAYOUT_ORIGINATOR: ${error.message}`);
    throw error;
  }
}

const demoSecret = z
  .string()
  .regex(/^[\x21-\x7e]{16,64}$/, 'must be 16–64 printable ASCII characters without spaces');

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function parse<T>(schema: z.ZodType<T>, name: string, value: string | undefined): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new ConfigError(`${name}: ${result.error.issues[0]?.message ?? 'invalid value'}`);
  }
  return result.data;
}

export function loadConfig(env: NodeJS.ProcessEnv, defaultMode: Mode): Config {
  for (const name of Object.keys(env)) {
    if (!name.startsWith('KESSAI_') || (KNOWN as readonly string[]).includes(name)) continue;
    const near = KNOWN.filter((k) => levenshtein(k, name) <= 3);
    throw new ConfigError(
      `unknown environment variable ${name}${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}`,
    );
  }
  const get = (name: (typeof KNOWN)[number]): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };

  const mode = parse(z.enum(['demo', 'production']), 'KESSAI_MODE', get('KESSAI_MODE') ?? defaultMode);
  const dataDir = resolve(get('KESSAI_DATA_DIR') ?? './data');
  const host = get('KESSAI_HOST') ?? '127.0.0.1';
  const gatewayPort = parse(port, 'KESSAI_GATEWAY_PORT', get('KESSAI_GATEWAY_PORT') ?? '8080');
  const sandboxPort = parse(port, 'KESSAI_SANDBOX_PORT', get('KESSAI_SANDBOX_PORT') ?? '8081');
  const shopPort = parse(port, 'KESSAI_SHOP_PORT', get('KESSAI_SHOP_PORT') ?? '8082');
  const publicUrl = (name: (typeof KNOWN)[number], p: number) =>
    parse(httpUrl, name, get(name) ?? `http://localhost:${p}`);
  const sandboxPublicUrl = publicUrl('KESSAI_SANDBOX_PUBLIC_URL', sandboxPort);

  const databaseUrl = env.DATABASE_URL || `sqlite:${resolve(dataDir, 'kessai.sqlite')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL: expected sqlite:<file> or postgres://…');
  }
  const sandboxDb = get('KESSAI_SANDBOX_DATABASE') ?? `sqlite:${resolve(dataDir, 'sandbox.sqlite')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(sandboxDb)) {
    throw new ConfigError('KESSAI_SANDBOX_DATABASE: expected sqlite:<file>, sqlite::memory: or postgres://…');
  }

  const setting = <T>(schema: z.ZodType<T>, name: (typeof KNOWN)[number], fallback: string): T =>
    parse(schema, name, get(name) ?? fallback);
  const basisPoints = z.coerce.number().int().min(0).max(10_000);
  const sandboxReports = {
    sftpPort: setting(port, 'KESSAI_SANDBOX_SFTP_PORT', '8022'),
    sftpUser: setting(sftpText, 'KESSAI_SANDBOX_SFTP_USER', 'acqp'),
    sftpPassword: setting(sftpText, 'KESSAI_SANDBOX_SFTP_PASSWORD', 'sandbox-reports'),
    participantId: setting(participantId, 'KESSAI_SANDBOX_PARTICIPANT_ID', '1022188000000000001'),
    feeBps: setting(basisPoints, 'KESSAI_SANDBOX_REPORT_FEE_BPS', '30'),
    settlementLagDays: setting(
      z.coerce.number().int().min(1).max(10),
      'KESSAI_SANDBOX_SETTLEMENT_LAG_DAYS',
      '1',
    ),
  };
  // The gateway's report server and Alipay+'s fee: all seven settings or none in production; the
  // sandbox's in the demo.
  const given = REPORT_SETTINGS.filter((name) => get(name) !== undefined);
  if (mode === 'production' && given.length > 0 && given.length < REPORT_SETTINGS.length) {
    throw new ConfigError(`${REPORT_SETTINGS.join(', ')} go together`);
  }
  const reportPort = get('KESSAI_ALIPAYPLUS_SFTP_PORT');
  const hostKey = get('KESSAI_ALIPAYPLUS_SFTP_HOST_KEY');
  const reports: ReportSftpSettings | undefined =
    mode === 'demo' || given.length > 0
      ? {
          host: get('KESSAI_ALIPAYPLUS_SFTP_HOST') ?? host,
          port:
            reportPort === undefined
              ? undefined
              : parse(port.min(1), 'KESSAI_ALIPAYPLUS_SFTP_PORT', reportPort),
          user: setting(sftpText, 'KESSAI_ALIPAYPLUS_SFTP_USER', sandboxReports.sftpUser),
          password: setting(sftpText, 'KESSAI_ALIPAYPLUS_SFTP_PASSWORD', sandboxReports.sftpPassword),
          participantId: setting(
            participantId,
            'KESSAI_ALIPAYPLUS_PARTICIPANT_ID',
            sandboxReports.participantId,
          ),
          hostKeyFingerprint: hostKey && parse(fingerprint, 'KESSAI_ALIPAYPLUS_SFTP_HOST_KEY', hostKey),
          feeBps: setting(basisPoints, 'KESSAI_ALIPAYPLUS_FEE_BPS', String(sandboxReports.feeBps)),
        }
      : undefined;

  const baseUrl = get('KESSAI_ALIPAYPLUS_BASE_URL');
  const clientId = get('KESSAI_ALIPAYPLUS_CLIENT_ID');
  const privateKey = get('KESSAI_ALIPAYPLUS_PRIVATE_KEY');
  const publicKey = get('KESSAI_ALIPAYPLUS_PUBLIC_KEY');
  return {
    mode,
    dataDir,
    databaseUrl,
    host,
    gateway: { port: gatewayPort, publicUrl: publicUrl('KESSAI_GATEWAY_PUBLIC_URL', gatewayPort) },
    sandbox: {
      port: sandboxPort,
      publicUrl: sandboxPublicUrl,
      databaseUrl: sandboxDb,
      timeFactor: parse(
        z.coerce.number().positive().max(1000),
        'KESSAI_SANDBOX_TIME_FACTOR',
        get('KESSAI_SANDBOX_TIME_FACTOR') ?? '1',
      ),
      reviewSeconds: parse(
        z.coerce
          .number()
          .int()
          .min(0)
          .max(30 * 24 * 3600),
        'KESSAI_SANDBOX_REVIEW_SECONDS',
        get('KESSAI_SANDBOX_REVIEW_SECONDS') ?? '3',
      ),
      controlToken:
        get('KESSAI_SANDBOX_CONTROL_TOKEN') &&
        parse(
          z
            .string()
            .regex(/^[\x21-\x7e]{32,256}$/, 'must be 32–256 printable ASCII characters without spaces'),
          'KESSAI_SANDBOX_CONTROL_TOKEN',
          get('KESSAI_SANDBOX_CONTROL_TOKEN'),
        ),
      reports: sandboxReports,
    },
    shop: { port: shopPort, publicUrl: publicUrl('KESSAI_SHOP_PUBLIC_URL', shopPort) },
    metrics: {
      host: get('KESSAI_METRICS_HOST') ?? '127.0.0.1',
      port:
        get('KESSAI_METRICS_PORT') === undefined
          ? undefined
          : parse(port, 'KESSAI_METRICS_PORT', get('KESSAI_METRICS_PORT')),
    },
    alipayplus: {
      baseUrl: baseUrl ? parse(httpUrl, 'KESSAI_ALIPAYPLUS_BASE_URL', baseUrl) : sandboxPublicUrl,
      baseUrlConfigured: baseUrl !== undefined,
      clientId: clientId ?? 'SANDBOX_KESSAI',
      clientIdConfigured: clientId !== undefined,
      privateKey,
      publicKey,
      timeoutMs: parse(
        positiveMs,
        'KESSAI_ALIPAYPLUS_TIMEOUT_MS',
        get('KESSAI_ALIPAYPLUS_TIMEOUT_MS') ?? '8000',
      ),
      inquiryTimeoutMs: parse(
        positiveMs,
        'KESSAI_ALIPAYPLUS_INQUIRY_TIMEOUT_MS',
        get('KESSAI_ALIPAYPLUS_INQUIRY_TIMEOUT_MS') ?? '5000',
      ),
      reports,
    },
    demo: {
      hashKey:
        get('KESSAI_DEMO_HASH_KEY') && parse(demoSecret, 'KESSAI_DEMO_HASH_KEY', get('KESSAI_DEMO_HASH_KEY')),
      apiPassword:
        get('KESSAI_DEMO_API_PASSWORD') &&
        parse(demoSecret, 'KESSAI_DEMO_API_PASSWORD', get('KESSAI_DEMO_API_PASSWORD')),
    },
    trustProxy: parse(
      z
        .string()
        .transform((v) =>
          v
            .split(',')
            .map((e) => e.trim())
            .filter((e) => e !== ''),
        )
        .refine(
          (list) => list.every((e) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(e)),
          'expected IP addresses or CIDRs, comma-separated',
        ),
      'KESSAI_TRUST_PROXY',
      get('KESSAI_TRUST_PROXY') ?? '',
    ),
    smtp: {
      url:
        get('KESSAI_SMTP_URL') &&
        parse(
          z.string().regex(/^smtps?:\/\/[^\s]+$/, 'expected smtp://[user:password@]host[:port] or smtps://…'),
          'KESSAI_SMTP_URL',
          get('KESSAI_SMTP_URL'),
        ),
      from: parse(
        z
          .string()
          .min(3)
          .max(200)
          .regex(/^[^\r\n]+$/, 'must be one line'),
        'KESSAI_SMTP_FROM',
        get('KESSAI_SMTP_FROM') ?? 'Kessai <no-reply@kessai.invalid>',
      ),
    },
    payoutOriginator: payoutOriginator(get('KESSAI_PAYOUT_ORIGINATOR'), mode),
    logLevel: parse(
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
      'KESSAI_LOG_LEVEL',
      get('KESSAI_LOG_LEVEL') ?? 'info',
    ),
  };
}
