/**
 * A CPU profile of the Alipay+ sandbox process alone (`kessai sandbox`, its own SQLite store at
 * `synchronous=NORMAL`), under the end-to-end purchase of `npm run bench`
 * (bench/profile-process.ts): per payment it serves `pay`, the cashier page, the shopper's
 * simulate/pay, sends notifyPayment and answers the gateway's inquiryPayment.
 *
 *   npx tsx bench/sandbox-profile.ts --dir /tmp/prof [--seconds 15] [--concurrency 16] [--kessai <checkout>]
 */
import { profileUnderPurchase } from './profile-process';

await profileUnderPurchase({
  name: 'sandbox',
  restart: (system, nodeArgs) => system.restartSandbox(nodeArgs),
  process: (system) => {
    if (!system.sandbox) throw new Error('the sandbox runs in its own process only outside `start`');
    return system.sandbox;
  },
});
