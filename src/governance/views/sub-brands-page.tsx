import type { VNode } from 'preact';
import { jstText } from '../../admin/format';
import { CsrfField, Layout, Notice, type PageContext } from '../../admin/views/layout';
import type { SubBrandStatus } from '../../db/database';
import { SUB_BRANDS } from '../../merchants/sub-brands';
import type { SubBrandEvent, SubBrandState } from '../sub-brand-review.repository';

const TEXTS = {
  ja: {
    title: 'サブブランド',
    rule: 'お申し込みのサブブランドのうち、審査(Alipay+ の加盟店登録)で承認されたものだけが決済画面に表示されます。否認されたサブブランドと新しいサブブランドは再度申し込めます。',
    merchant: '加盟店',
    show: '表示',
    subBrand: 'サブブランド',
    region: '地域',
    status: '状態',
    reason: '理由',
    changed: '更新日時 (JST)',
    statuses: {
      APPLIED: '申込済',
      PENDING: '審査中',
      APPROVED: '承認',
      REJECTED: '否認',
      WITHDRAWN: '取り下げ',
      NONE: '未申込',
    } as Record<SubBrandStatus | 'NONE', string>,
    apply: '選択したサブブランドを申し込む',
    withdraw: '取り下げ',
    withdrawReason: '取り下げ理由',
    history: '履歴',
    actor: '実行者',
    applied: '申し込みました。審査結果はお知らせで届きます。',
    withdrawn: '取り下げました。このサブブランドはただちに表示されなくなります。',
  },
  en: {
    title: 'Sub-brands',
    rule: 'Only the sub-brands approved at review (Alipay+ merchant registration) are offered to shoppers. A rejected or new sub-brand can be applied for again.',
    merchant: 'Merchant',
    show: 'Show',
    subBrand: 'Sub-brand',
    region: 'Region',
    status: 'Status',
    reason: 'Reason',
    changed: 'Changed (JST)',
    statuses: {
      APPLIED: 'Applied',
      PENDING: 'Under review',
      APPROVED: 'Approved',
      REJECTED: 'Rejected',
      WITHDRAWN: 'Withdrawn',
      NONE: 'Not applied',
    } as Record<SubBrandStatus | 'NONE', string>,
    apply: 'Apply for the selected sub-brands',
    withdraw: 'Withdraw',
    withdrawReason: 'Reason for withdrawal',
    history: 'History',
    actor: 'By',
    applied: 'Applied. The review results arrive as notices.',
    withdrawn: 'Withdrawn. The sub-brand stops being offered at once.',
  },
};

export type SubBrandMessage = { kind: 'ok' | 'error'; text: string } | null;

export function subBrandTexts(page: PageContext) {
  return TEXTS[page.lang];
}

/**
 * Sub-brand review (governance.md §1): a merchant's state per sub-brand with the time of each
 * change; merchant admins apply, operators withdraw, everyone in scope reads.
 */
export function SubBrandsPage(props: {
  page: PageContext;
  merchants: string[] | null;
  merchantId: string;
  states: SubBrandState[];
  events: SubBrandEvent[];
  canApply: boolean;
  canWithdraw: boolean;
  message: SubBrandMessage;
}): VNode {
  const { page, merchantId } = props;
  const s = TEXTS[page.lang];
  const byCode = new Map(props.states.map((st) => [st.subBrand, st]));
  const applicable = (code: string) => {
    const status = byCode.get(code)?.status;
    return status === undefined || status === 'REJECTED';
  };
  return (
    <Layout page={page} title={s.title} current="subBrands">
      {props.message && <Notice kind={props.message.kind}>{props.message.text}</Notice>}
      <p class="note">{s.rule}</p>
      {props.merchants && (
        <form method="get" action="/admin/sub-brands">
          <label for="merchant">{s.merchant}</label>{' '}
          <select id="merchant" name="merchant">
            {props.merchants.map((m) => (
              <option value={m} selected={m === merchantId}>
                {m}
              </option>
            ))}
          </select>{' '}
          <button type="submit">{s.show}</button>
        </form>
      )}
      <form method="post" action="/admin/sub-brands/apply" id="apply-form">
        <CsrfField page={page} />
        <input type="hidden" name="merchant" value={merchantId} />
      </form>
      <table id="sub-brands">
        <thead>
          <tr>
            <th />
            <th>{s.subBrand}</th>
            <th>{s.region}</th>
            <th>{s.status}</th>
            <th>{s.reason}</th>
            <th>{s.changed}</th>
            {props.canWithdraw && <th />}
          </tr>
        </thead>
        <tbody>
          {SUB_BRANDS.map((brand) => {
            const state = byCode.get(brand.code);
            return (
              <tr data-sub-brand={brand.code} data-status={state?.status ?? 'NONE'}>
                <td>
                  {props.canApply && applicable(brand.code) && (
                    <input
                      type="checkbox"
                      form="apply-form"
                      name="sub_brand"
                      value={brand.code}
                      aria-label={brand.name}
                    />
                  )}
                </td>
                <td>{brand.name}</td>
                <td>{brand.region}</td>
                <td>{s.statuses[state?.status ?? 'NONE']}</td>
                <td>{state?.reason ?? ''}</td>
                <td>{state ? jstText(state.updatedAt) : ''}</td>
                {props.canWithdraw && (
                  <td>
                    {state?.status === 'APPROVED' && (
                      <form method="post" action="/admin/sub-brands/withdraw">
                        <CsrfField page={page} />
                        <input type="hidden" name="merchant" value={merchantId} />
                        <input type="hidden" name="sub_brand" value={brand.code} />
                        <input
                          type="text"
                          name="reason"
                          required
                          maxLength={500}
                          aria-label={s.withdrawReason}
                          placeholder={s.withdrawReason}
                        />{' '}
                        <button type="submit">{s.withdraw}</button>
                      </form>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {props.canApply && SUB_BRANDS.some((b) => applicable(b.code)) && (
        <p>
          <button type="submit" form="apply-form">
            {s.apply}
          </button>
        </p>
      )}
      <h2>{s.history}</h2>
      <table id="sub-brand-history">
        <thead>
          <tr>
            <th>{s.changed}</th>
            <th>{s.subBrand}</th>
            <th>{s.status}</th>
            <th>{s.reason}</th>
            <th>{s.actor}</th>
          </tr>
        </thead>
        <tbody>
          {props.events.map((e) => (
            <tr>
              <td>{jstText(e.at)}</td>
              <td>{e.subBrand}</td>
              <td>{s.statuses[e.status]}</td>
              <td>{e.reason ?? ''}</td>
              <td>{e.actor}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
