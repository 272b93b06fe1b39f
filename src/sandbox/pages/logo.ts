import type { WalletId } from '../wallets';

const LOOK: Readonly<Record<WalletId, [label: string, background: string, text: string]>> = {
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

/** A plain stand-in logo per wallet (the sandbox ships no third-party artwork). */
export function walletLogoSvg(id: WalletId): string {
  const [label, background, text] = LOOK[id];
  const size = label.length > 2 ? 18 : 26;
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">' +
    `<rect width="64" height="64" rx="14" fill="${background}"/>` +
    `<text x="32" y="${32 + size * 0.36}" font-family="sans-serif" font-size="${size}" font-weight="700" ` +
    `text-anchor="middle" fill="${text}">${label}</text></svg>`
  );
}
