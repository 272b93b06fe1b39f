/**
 * Plain words for an XML API refusal (`res_err_code`, merchant-xml-api.md, Error codes), so that the
 * orders page says why a refund was refused and not only `510K1008`. The code is `MMM TT III`:
 * method, error type, field; the type decides what a person can do about it.
 */
const BY_TYPE: Record<string, { ja: string; en: string }> = {
  K1: {
    ja: '返金できる残額を超えています (または残額がありません)',
    en: 'More than what remains to refund was asked for, or nothing remains',
  },
  K2: { ja: 'Alipay+ が返金を拒否しました', en: 'Alipay+ refused the refund' },
  K3: { ja: 'オペレーターが返金を停止しています', en: 'The operator has stopped refunds for this merchant' },
  '13': { ja: 'この状態の支払いは返金できません', en: 'The payment is not in a state that can be refunded' },
  '31': { ja: '返金期間 (365日) を過ぎています', en: 'The refund period (365 days) has ended' },
  '12': { ja: '取引IDが見つかりません', en: 'The gateway does not know this tracking id' },
  '09': { ja: 'ハッシュ値が一致しません (ハッシュキーを確認)', en: 'Hash mismatch: check the hash key' },
  '10': {
    ja: '要求の有効期限切れ (時刻を確認)',
    en: 'The request expired: check the clock and request_date',
  },
  '14': {
    ja: 'マーチャントID・サービスIDが認証と異なります',
    en: 'merchant_id/service_id differ from the credentials',
  },
  '96': {
    ja: '照会で使われたハッシュ値です。時間をおいて再実行してください',
    en: 'An inquiry already used this hash; send the refund again a second later',
  },
  '90': {
    ja: '一時的なエラーです。同じ要求をもう一度送ってください',
    en: 'A temporary fault: send the same request again',
  },
  '07': { ja: '金額が正しくありません', en: 'The amount is not allowed' },
  '06': { ja: '項目の形式が正しくありません', en: 'A field has the wrong format' },
  '05': { ja: '項目が長すぎます', en: 'A field is too long' },
  '03': { ja: '必須項目がありません', en: 'A required field is missing' },
  '00': { ja: '要求を読み取れません', en: 'The request is not well-formed XML' },
  '02': { ja: '機能IDが不明です', en: 'Unknown function id' },
};

export function describeXmlError(code: string): { ja: string; en: string } {
  return (
    BY_TYPE[code.slice(3, 5)] ?? {
      ja: 'ゲートウェイが要求を拒否しました',
      en: 'The gateway refused the request',
    }
  );
}
