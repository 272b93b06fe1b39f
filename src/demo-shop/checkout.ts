import { randomBytes } from 'node:crypto';
import { type FormPairs, signedPurchaseForm } from '../channels/link/link-form';
import { formatJstCompact } from '../kernel/jst';
import { isPurchaseAmount, parseYenDigits, type Yen, yen } from '../kernel/money';
import type { ShopOrder } from './order-book';

/** What the shop sells, and the amounts that drive the sandbox's scenarios (sandbox.md, Magic amounts). */
export interface Product {
  id: string;
  name: string;
  englishName: string;
  amount: Yen;
}

export const PRODUCTS: readonly Product[] = [
  { id: 'MATCHA-SET', name: '抹茶セット', englishName: 'Matcha set', amount: yen(1500) },
  { id: 'SENCHA-100G', name: '静岡煎茶 100g', englishName: 'Shizuoka sencha, 100 g', amount: yen(800) },
  {
    id: 'WAGASHI-BOX',
    name: '季節の和菓子詰め合わせ',
    englishName: 'Seasonal wagashi box',
    amount: yen(3200),
  },
];

export const CUSTOM_ITEM = { id: 'CUSTOM', name: 'お試し決済', englishName: 'Trial payment' } as const;

export const MAGIC_AMOUNTS: ReadonlyArray<{ amount: Yen; scenario: string }> = [
  { amount: yen(4001), scenario: 'Payment refused (USER_BALANCE_NOT_ENOUGH)' },
  { amount: yen(5001), scenario: 'pay answers UNKNOWN_EXCEPTION once, then works on the re-send' },
  { amount: yen(5002), scenario: 'pay does not answer within 10 s once, then works' },
  { amount: yen(5003), scenario: 'No notification from Alipay+; only an inquiry reveals the result' },
  { amount: yen(5004), scenario: 'The Alipay+ notification is sent three times' },
  { amount: yen(5005), scenario: 'The Alipay+ notification arrives 2 minutes late' },
  { amount: yen(6001), scenario: 'Refunds (on the Orders page) stay pending twice, then succeed' },
  { amount: yen(6002), scenario: 'Refunds (on the Orders page) are refused by Alipay+ (PROCESS_FAIL)' },
];

/** The Link Type limit for `limit_second`: the form stays valid this long after `request_date`. */
const LIMIT_SECONDS = '600';
const CUSTOMER_CODE = 'DEMO-GUEST';

export interface ShopIdentity {
  publicUrl: string;
  merchantId: string;
  serviceId: string;
  hashKey: string;
}

export type CheckoutChoice = { ok: true; order: ShopOrder } | { ok: false; message: string };

/**
 * The shop's own checkout form (`POST /checkout`, UTF-8): a product, or a custom amount typed in or
 * picked from the sandbox's magic amounts.
 */
export function chooseOrder(body: Record<string, string>, now: Date): CheckoutChoice {
  const skipSelection = body.skip_selection === '1';
  const typed = body.magic_amount || (body.product === CUSTOM_ITEM.id ? body.custom_amount : undefined);
  let item: { id: string; name: string; amount: Yen };
  if (typed !== undefined) {
    const amount = parseYenDigits(typed.trim());
    if (amount === null || !isPurchaseAmount(amount)) {
      return { ok: false, message: 'Enter an amount from 1 to 9,999,999 yen (digits only).' };
    }
    item = { ...CUSTOM_ITEM, amount };
  } else {
    const product = PRODUCTS.find((p) => p.id === body.product);
    if (!product) return { ok: false, message: 'Choose a product.' };
    item = product;
  }
  return {
    ok: true,
    order: {
      orderId: newOrderId(now),
      itemId: item.id,
      itemName: item.name,
      amount: item.amount,
      skipSelection,
      placedAt: now,
    },
  };
}

/** `DEMO-<JST date>-<random>`: unique for ever per service, as A01-1 requires (5107). */
export function newOrderId(now: Date): string {
  return `DEMO-${formatJstCompact(now).slice(0, 8)}-${randomBytes(6).toString('hex').toUpperCase()}`;
}

/** The A01-1 fields for an order, in protocol order, hashed (merchant-link-type.md, A01-1). */
export function purchaseForm(order: ShopOrder, shop: ShopIdentity, now: Date): FormPairs {
  const base = shop.publicUrl.replace(/\/+$/, '');
  const fields: Record<string, string> = {
    // Empty lets the gateway show its method-selection screen; exactly `alipay` skips it.
    pay_method: order.skipSelection ? 'alipay' : '',
    merchant_id: shop.merchantId,
    service_id: shop.serviceId,
    cust_code: CUSTOMER_CODE,
    order_id: order.orderId,
    item_id: order.itemId,
    item_name: order.itemName,
    amount: String(order.amount),
    pay_type: '0',
    service_type: '0',
    terminal_type: '0',
    success_url: `${base}/success`,
    cancel_url: `${base}/cancel`,
    error_url: `${base}/error`,
    pagecon_url: `${base}/pagecon`,
    free1: 'kessai-demo-shop',
    request_date: formatJstCompact(now),
    limit_second: LIMIT_SECONDS,
  };
  const details = [
    {
      dtl_rowno: '1',
      dtl_item_id: order.itemId,
      dtl_item_name: order.itemName,
      dtl_item_count: '1',
      dtl_amount: String(order.amount),
    },
  ];
  return signedPurchaseForm(fields, shop.hashKey, details);
}
