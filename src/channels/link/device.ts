/**
 * What kind of device a shopper's browser runs on, from its User-Agent (payment-lifecycle.md,
 * Devices; merchant-link-type.md, terminal_type). Feature phones are refused; PCs get Alipay+
 * `terminalType` `WEB` (QR code or wallet login page); smartphones get `WAP` with `osType`, so the
 * wallet app can be opened directly.
 */
export type OsType = 'IOS' | 'ANDROID';

export type DeviceClass =
  | { device: 'FEATURE_PHONE'; osType: null }
  | { device: 'PC'; osType: null }
  | { device: 'SMARTPHONE'; osType: OsType };

/**
 * Japanese feature-phone browsers: i-mode (`DoCoMo/`), EZweb (`KDDI-`, `UP.Browser`), Yahoo!Keitai
 * and its predecessors (`SoftBank/`, `Vodafone/`, `J-PHONE/`, `MOT-`), WILLCOM/DDI Pocket, EMOBILE
 * and the ASTEL/PDX gateways. Their smartphones announce themselves as Mozilla/5.0 with iPhone or
 * Android and are not caught here.
 */
const FEATURE_PHONE =
  /^(?:DoCoMo\/|KDDI-|J-PHONE\/|Vodafone\/|SoftBank\/|MOT-|emobile\/|ASTEL\/|PDXGW\/)|UP\.Browser|\(DDIPOCKET;|\(WILLCOM;/i;

/**
 * Windows Phone and a few other mobile browsers claim "Android" or "like iPhone" for compatibility;
 * without an iOS or Android `osType` Alipay+ cannot open a wallet app, so they are served as PCs.
 */
const NOT_IOS_OR_ANDROID = /Windows Phone|IEMobile|Windows Mobile|KAIOS|BlackBerry|BB10/i;

// iPadOS 13+ sends a desktop (Macintosh) User-Agent by default, so such iPads are PCs here.
const IOS = /\b(?:iPhone|iPod|iPad)\b/;
const ANDROID = /\bAndroid\b/i;

export function classifyUserAgent(userAgent: string): DeviceClass {
  if (FEATURE_PHONE.test(userAgent)) return { device: 'FEATURE_PHONE', osType: null };
  if (NOT_IOS_OR_ANDROID.test(userAgent)) return { device: 'PC', osType: null };
  if (IOS.test(userAgent)) return { device: 'SMARTPHONE', osType: 'IOS' };
  // Android tablets (no "Mobile" token) are mobile-OS browsers where the wallet app opens too.
  if (ANDROID.test(userAgent)) return { device: 'SMARTPHONE', osType: 'ANDROID' };
  return { device: 'PC', osType: null };
}
