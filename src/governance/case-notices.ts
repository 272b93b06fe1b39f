import type { KycCaseTable, ProhibitedCategoryTable, RefundStopTable } from '../db/database';
import { formatJstDisplay } from '../kernel/jst';
import type { FraudInvestigation } from './fraud';
import type { NewNotice } from './notice';

/** The notices of the KYC, fraud and prohibited-category steps, in Japanese and English. */
const at = (ms: number | null) => (ms === null ? '' : `${formatJstDisplay(new Date(ms))} JST`);

export function kycNotice(
  step: 'opened' | 'answered' | 'cleared' | 'suspended' | 'started' | 'ended' | 'lifted' | 'cancelled',
  c: Pick<
    KycCaseTable,
    | 'case_id'
    | 'merchant_id'
    | 'reason'
    | 'information_requested'
    | 'due_date'
    | 'outcome_note'
    | 'suspended_from'
    | 'suspended_until'
  >,
  /** Whether the merchant's refunds are stopped too: the suspension notice must not say they work. */
  refundsStopped = false,
): NewNotice {
  const link = {
    type: 'console' as const,
    path: `/admin/kyc/${c.case_id}`,
    label: { ja: 'KYC 審査を開く', en: 'Open the KYC case' },
  };
  const base = { kind: 'kyc' as const, merchants: [c.merchant_id], links: [link] };
  switch (step) {
    case 'opened':
      return {
        ...base,
        severity: 'warning',
        title: {
          ja: 'KYC 審査：追加情報のご提出のお願い',
          en: 'KYC review: additional information requested',
        },
        body: {
          ja: `理由：${c.reason}\nご提出いただきたい情報：${c.information_requested}\n期限：${c.due_date}\n管理ツールの KYC 審査画面からご回答ください。`,
          en: `Reason: ${c.reason}\nInformation requested: ${c.information_requested}\nDue: ${c.due_date}\nPlease answer on the KYC case page of the console.`,
        },
      };
    case 'answered':
      return {
        ...base,
        severity: 'info',
        title: { ja: 'KYC 審査：ご回答を受け付けました', en: 'KYC review: your answer was received' },
        body: {
          ja: '審査の結果は改めてお知らせします。',
          en: 'We will tell you the outcome of the review.',
        },
      };
    case 'cleared':
      return {
        ...base,
        severity: 'info',
        title: { ja: 'KYC 審査：問題はありませんでした', en: 'KYC review: cleared' },
        body: { ja: `結果：${c.outcome_note ?? ''}`, en: `Outcome: ${c.outcome_note ?? ''}` },
      };
    case 'suspended':
      return {
        ...base,
        severity: 'critical',
        title: { ja: 'KYC 審査：Alipay+ のご利用を停止します', en: 'KYC review: Alipay+ suspended' },
        body: {
          ja: `${at(c.suspended_from)} から${c.suspended_until === null ? '追って連絡するまで' : ` ${at(c.suspended_until)} まで`}、新しい決済をお受けできません（エラー 5111）。${refundsStopped ? '返金も停止されています（返金停止のお知らせをご覧ください）。' : '既存の決済の返金は引き続き可能です。'}\n理由：${c.outcome_note ?? ''}`,
          en: `From ${at(c.suspended_from)}${c.suspended_until === null ? ' until further notice' : ` until ${at(c.suspended_until)}`}, new purchases are refused (error 5111). ${refundsStopped ? 'Refunds are stopped too (see the refund stop notice).' : 'Refunds of existing payments keep working.'}\nReason: ${c.outcome_note ?? ''}`,
        },
      };
    case 'started':
      return {
        ...base,
        severity: 'critical',
        title: {
          ja: 'KYC 審査：Alipay+ の利用停止が始まりました',
          en: 'KYC review: the Alipay+ suspension has begun',
        },
        body: {
          ja: `${at(c.suspended_from)} から${c.suspended_until === null ? '追って連絡するまで' : ` ${at(c.suspended_until)} まで`}、新しい決済をお受けできません（エラー 5111）。\n理由：${c.outcome_note ?? ''}`,
          en: `From ${at(c.suspended_from)}${c.suspended_until === null ? ' until further notice' : ` until ${at(c.suspended_until)}`}, new purchases are refused (error 5111).\nReason: ${c.outcome_note ?? ''}`,
        },
      };
    case 'ended':
      return {
        ...base,
        severity: 'info',
        title: { ja: 'KYC 審査：利用停止の期間が終了しました', en: 'KYC review: the suspension has ended' },
        body: {
          // As for a lift: another case or a prohibited category may still refuse purchases.
          ja: `この利用停止は予定どおり ${at(c.suspended_until)} に終了しました。`,
          en: `This suspension ended as scheduled at ${at(c.suspended_until)}.`,
        },
      };
    case 'lifted':
      return {
        ...base,
        severity: 'info',
        title: { ja: 'KYC 審査：利用停止を解除しました', en: 'KYC review: suspension lifted' },
        body: {
          // Another case or a prohibited category may still refuse purchases: say only what ended.
          ja: `この利用停止は ${at(c.suspended_until)} に終了しました。`,
          en: `This suspension ended at ${at(c.suspended_until)}.`,
        },
      };
    case 'cancelled':
      return {
        ...base,
        severity: 'info',
        title: {
          ja: 'KYC 審査：予定の利用停止を取り消しました',
          en: 'KYC review: scheduled suspension cancelled',
        },
        body: {
          ja: 'この利用停止は始まる前に取り消されました。',
          en: 'This suspension was cancelled before it began.',
        },
      };
  }
}

export function refundStopNotice(
  step: 'stopped' | 'resumed',
  stop: Pick<RefundStopTable, 'merchant_id' | 'reason'>,
): NewNotice {
  const base = {
    kind: 'kyc' as const,
    merchants: [stop.merchant_id],
    links: [{ type: 'console' as const, path: '/admin/kyc', label: { ja: 'KYC 審査', en: 'KYC cases' } }],
  };
  return step === 'stopped'
    ? {
        ...base,
        severity: 'critical',
        title: { ja: '返金を停止しました', en: 'Refunds stopped' },
        body: {
          ja: `管理ツール・XML API からの返金はお受けできません。\n理由：${stop.reason}`,
          en: `Refunds from the console and the XML API are refused.\nReason: ${stop.reason}`,
        },
      }
    : {
        ...base,
        severity: 'info',
        title: { ja: '返金の停止を解除しました', en: 'Refunds resumed' },
        body: { ja: '返金を再びお受けできます。', en: 'Refunds are accepted again.' },
      };
}

export function fraudNotice(
  step: 'opened' | 'answered' | 'closed',
  inv: FraudInvestigation,
  trackingIds: readonly string[],
): NewNotice {
  const links = [
    {
      type: 'console' as const,
      path: `/admin/investigations/${inv.investigation_id}`,
      label: { ja: '不正利用調査を開く', en: 'Open the investigation' },
    },
    ...trackingIds.map((trackingId) => ({ type: 'payment' as const, trackingId })),
  ];
  const base = { kind: 'fraud' as const, merchants: [inv.merchant_id], links };
  const payments = trackingIds.join(', ');
  switch (step) {
    case 'opened':
      return {
        ...base,
        severity: 'warning',
        title: { ja: '不正利用の調査が開始されました', en: 'Fraud investigation opened' },
        body: {
          ja: `対象の決済：${payments}\n内容：${inv.allegation}\nお願いしたいこと：${inv.requested}\n期限：${inv.due_date}\n返金は引き続き可能です。`,
          en: `Payments: ${payments}\nAllegation: ${inv.allegation}\nWhat we ask: ${inv.requested}\nDue: ${inv.due_date}\nRefunds stay possible.`,
        },
      };
    case 'answered':
      return {
        ...base,
        severity: 'info',
        title: {
          ja: '不正利用の調査：ご回答を受け付けました',
          en: 'Fraud investigation: your answer was received',
        },
        body: { ja: '調査の結果は改めてお知らせします。', en: 'We will tell you the outcome.' },
      };
    case 'closed':
      return {
        ...base,
        severity: 'info',
        title: { ja: '不正利用の調査を終了しました', en: 'Fraud investigation closed' },
        body: { ja: `結果：${inv.outcome ?? ''}`, en: `Outcome: ${inv.outcome ?? ''}` },
      };
  }
}

export function prohibitedNotice(
  step: 'listed' | 'declared' | 'effective' | 'delisted' | 'undeclared',
  category: Pick<ProhibitedCategoryTable, 'category' | 'effective_from' | 'note'>,
  merchantId: string,
  services: readonly string[],
): NewNotice {
  const base = {
    kind: 'prohibited' as const,
    merchants: [merchantId],
    links: [
      {
        type: 'console' as const,
        path: '/admin/prohibited',
        label: { ja: '禁止商材', en: 'Prohibited products' },
      },
    ],
  };
  const list = services.join(', ');
  if (step === 'undeclared') {
    return {
      ...base,
      severity: 'info',
      title: {
        ja: `禁止商材の取り扱いをやめました：${category.category}`,
        en: `Prohibited category removed from a service: ${category.category}`,
      },
      body: {
        ja: `対象のサービス：${list}\nサービス設定からこの商材が外されました。この商材による決済の停止は解除されます（他の理由による停止は続きます）。`,
        en: `Services: ${list}\nThe service settings no longer declare this category; purchases are no longer refused for it (other reasons may still refuse them).`,
      },
    };
  }
  if (step === 'effective') {
    return {
      ...base,
      severity: 'critical',
      title: {
        ja: `禁止商材の指定が発効しました：${category.category}`,
        en: `Prohibited category now in effect: ${category.category}`,
      },
      body: {
        ja: `${category.effective_from}（日本時間 0:00）から、この商材を扱うサービスは新しい決済をお受けできません（エラー 5111）。サービス設定から商材を外すと再開します。\n対象のサービス：${list}`,
        en: `Since ${category.effective_from} (00:00 JST), services selling this category get error 5111 for new purchases, until the category is removed from the service settings.\nServices: ${list}`,
      },
    };
  }
  if (step === 'delisted') {
    return {
      ...base,
      severity: 'info',
      title: {
        ja: `禁止商材の指定を解除しました：${category.category}`,
        en: `No longer prohibited: ${category.category}`,
      },
      body: {
        ja: `対象のサービス：${list}\nこの商材による決済の停止は解除されました。`,
        en: `Services: ${list}\nPurchases are no longer refused for this category.`,
      },
    };
  }
  return {
    ...base,
    severity: 'critical',
    title: {
      ja: `禁止商材の指定：${category.category}`,
      en: `Prohibited product category: ${category.category}`,
    },
    body: {
      ja: `${category.effective_from}（日本時間 0:00）から、この商材を扱うサービスは新しい決済をお受けできません（エラー 5111）。サービス設定から商材を外すと再開します。\n対象のサービス：${list}\n備考：${category.note}`,
      en: `From ${category.effective_from} (00:00 JST), services selling this category get error 5111 for new purchases, until the category is removed from the service settings.\nServices: ${list}\nNote: ${category.note}`,
    },
  };
}
