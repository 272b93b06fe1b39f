import type { FastifyInstance } from 'fastify';

/**
 * `/favicon.ico` for the gateway, the sandbox and the demo shop: a 16×16 icon drawn here (a white
 * "K" on a rounded square of each listener's colour), so browsers stop asking in vain.
 */
const GLYPH = [
  '                ',
  '                ',
  '   ##     ##    ',
  '   ##    ##     ',
  '   ##   ##      ',
  '   ##  ##       ',
  '   ## ##        ',
  '   ####         ',
  '   #####        ',
  '   ##  ##       ',
  '   ##   ##      ',
  '   ##    ##     ',
  '   ##     ##    ',
  '   ##      ##   ',
  '                ',
  '                ',
];

const SIZE = 16;

/** A 32-bit ICO: header, one directory entry, a bottom-up BGRA bitmap and its (unused) AND mask. */
export function faviconIco(rgb: readonly [number, number, number]): Buffer {
  const pixels = Buffer.alloc(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const offset = ((SIZE - 1 - y) * SIZE + x) * 4;
      const corner = Math.min(x, SIZE - 1 - x) + Math.min(y, SIZE - 1 - y) < 2;
      if (corner) continue;
      const white = GLYPH[y]?.[x] === '#';
      pixels[offset] = white ? 255 : rgb[2];
      pixels[offset + 1] = white ? 255 : rgb[1];
      pixels[offset + 2] = white ? 255 : rgb[0];
      pixels[offset + 3] = 255;
    }
  }
  const mask = Buffer.alloc(SIZE * 4);
  const info = Buffer.alloc(40);
  info.writeUInt32LE(40, 0);
  info.writeInt32LE(SIZE, 4);
  info.writeInt32LE(SIZE * 2, 8);
  info.writeUInt16LE(1, 12);
  info.writeUInt16LE(32, 14);
  info.writeUInt32LE(pixels.length + mask.length, 20);
  const image = Buffer.concat([info, pixels, mask]);
  const header = Buffer.alloc(22);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(1, 4);
  header.writeUInt8(SIZE, 6);
  header.writeUInt8(SIZE, 7);
  header.writeUInt16LE(1, 10);
  header.writeUInt16LE(32, 12);
  header.writeUInt32LE(image.length, 14);
  header.writeUInt32LE(22, 18);
  return Buffer.concat([header, image]);
}

export function registerFavicon(app: FastifyInstance, rgb: readonly [number, number, number]): void {
  const icon = faviconIco(rgb);
  app.get('/favicon.ico', (_request, reply) =>
    reply.type('image/x-icon').header('Cache-Control', 'public, max-age=86400').send(icon),
  );
}
