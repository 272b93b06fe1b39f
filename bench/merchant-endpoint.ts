import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The benchmark's merchant: answers each A02-1 at `/pagecon` with `OK,` and prints `A02 <order_id>`
 * so that the load generator knows when the receipt arrived; answers A03-1 result pages with 200.
 * The hash is not checked: the tests do that, and this process is measured for its CPU.
 */
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    if (request.url?.startsWith('/pagecon')) {
      // order_id is ASCII, so the Windows-31J form reads as Latin-1 for this one field.
      const orderId = new URLSearchParams(Buffer.concat(chunks).toString('latin1')).get('order_id');
      process.stdout.write(`A02 ${orderId}\n`);
    }
    response.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' }).end('OK,');
  });
});
// The benchmark holds our stdin: when it is gone, so are we.
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
