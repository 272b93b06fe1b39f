import type { SubBrandCode } from './sub-brands';

const LOOK: Readonly<Record<SubBrandCode, [label: string, background: string, text: string]>> = {
  ALIPAY_CN: ['A', '#1677ff', '#fff'],
  ALIPAY_HK: ['HK', '#0e9ee8', '#fff'],
  TNG: ['TnG', '#005abb', '#fff'],
  BOOST: ['B', '#ee2e24', '#fff'],
  DANA: ['D', '#118eea', '#fff'],
  BPI: ['BPI', '#b11116', '#fff'],
  KAKAOPAY: ['K', '#ffcd00', '#1b1b1b'],
  GCASH: ['G', '#0070e0', '#fff'],
  TRUEMONEY: ['TM', '#ff8300', '#fff'],
  RABBIT_LINE_PAY: ['RL', '#00c300', '#fff'],
};

const LOGO_SIZE = 64;

/** The shapes of a sub-brand's plain stand-in logo in a 64×64 box (no third-party artwork). */
function logoShapes(code: SubBrandCode): string {
  const [label, background, text] = LOOK[code];
  const size = label.length > 2 ? 18 : 26;
  return (
    `<rect width="64" height="64" rx="14" fill="${background}"/>` +
    `<text x="32" y="${32 + size * 0.36}" font-family="sans-serif" font-size="${size}" font-weight="700" ` +
    `text-anchor="middle" fill="${text}">${label}</text>`
  );
}

/** One sub-brand's logo (the sandbox's wallet pages and the gateway's public list). */
export function walletLogoSvg(code: SubBrandCode): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">${logoShapes(code)}</svg>`;
}

/** The logos side by side, 8 px apart, at `height` px: a badge strip to embed beside [Alipay+]. */
export function logoStripSvg(codes: readonly SubBrandCode[], height = 32): string {
  const gap = 8;
  const width = Math.max(codes.length * (LOGO_SIZE + gap) - gap, 1);
  const shapes = codes.map(
    (code, i) => `<g transform="translate(${i * (LOGO_SIZE + gap)},0)">${logoShapes(code)}</g>`,
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${LOGO_SIZE}" ` +
    `height="${height}" width="${Math.round((width * height) / LOGO_SIZE)}">${shapes.join('')}</svg>`
  );
}
