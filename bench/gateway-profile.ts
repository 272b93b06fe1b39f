/**
 * A CPU profile of the gateway process alone (`kessai serve` on SQLite, the job worker
 * in-process), under the end-to-end purchase of `npm run bench` (bench/profile-process.ts).
 *
 *   npx tsx bench/gateway-profile.ts --dir /tmp/prof [--seconds 15] [--concurrency 16] [--kessai <checkout>]
 */
import { profileUnderPurchase } from './profile-process';

await profileUnderPurchase({
  name: 'gateway',
  restart: (system, nodeArgs) => system.restartGateway('serve', nodeArgs),
  process: (system) => system.gateway,
});
