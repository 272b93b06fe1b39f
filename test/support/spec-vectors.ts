/** The A01-1 test vector of merchant-link-type.md (Hash), shared by the tests that use it. */
export const SPEC_HASH_KEY = '0123456789abcdef0123456789abcdef01234567';

export const SPEC_PURCHASE_FIELDS: Readonly<Record<string, string>> = {
  pay_method: 'alipay',
  merchant_id: '30000',
  service_id: '001',
  cust_code: 'CUST-0001',
  order_id: 'ORDER-20261127-0001',
  item_id: 'ITEM-01',
  item_name: '抹茶セット',
  amount: '1500',
  pay_type: '0',
  service_type: '0',
  terminal_type: '0',
  success_url: 'http://localhost:8082/shop/success',
  cancel_url: 'http://localhost:8082/shop/cancel',
  error_url: 'http://localhost:8082/shop/error',
  pagecon_url: 'http://localhost:8082/shop/pagecon',
  request_date: '20261127103000',
  limit_second: '600',
};

export const SPEC_PURCHASE_HASH = '2c58b0307325f8efc21a9c7725624631dd448dcd';
