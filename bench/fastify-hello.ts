import Fastify from 'fastify';

/** The HTTP floor: a bare Fastify hello on a free port, in a process of its own. */
const app = Fastify({ logger: false });
app.get('/', async () => 'hello');
// The benchmark holds our stdin: when it is gone, so are we.
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`listening ${new URL(address).port}\n`);
