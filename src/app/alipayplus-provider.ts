import { AlipayPlusClient, type CallGuard } from '../alipayplus/alipayplus-client';
import { AlipayPlusConnector } from '../alipayplus/alipayplus-connector';
import type { Clock } from '../kernel/clock';
import type { Config } from './config';
import type { GatewayKeys } from './keys';

/** The connector to Alipay+ (or the sandbox) as configured: one for the gateway, the worker and the CLI. */
export function createAlipayPlusConnector(
  config: Config,
  keys: GatewayKeys,
  clock: Clock,
  guard?: CallGuard,
): AlipayPlusConnector {
  const client = new AlipayPlusClient({
    baseUrl: config.alipayplus.baseUrl,
    clientId: config.alipayplus.clientId,
    privateKey: keys.privateKey,
    alipayPublicKey: keys.alipayPublicKey,
    clock,
    ...(guard ? { guard } : {}),
  });
  return new AlipayPlusConnector(client, {
    timeoutMs: config.alipayplus.timeoutMs,
    inquiryTimeoutMs: config.alipayplus.inquiryTimeoutMs,
  });
}
