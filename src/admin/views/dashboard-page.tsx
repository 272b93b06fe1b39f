import type { VNode } from 'preact';
import type { Dashboard, PeriodFigures } from '../dashboard.service';
import { countText, jstText, percentText, yenText } from '../format';
import { CapturedChart } from './chart';
import { Layout, type PageContext, Scroll } from './layout';

function Period(props: { page: PageContext; title: string; figures: PeriodFigures }): VNode {
  const { t } = props.page;
  const f = props.figures;
  return (
    <section class="card" aria-labelledby={`period-${props.title}`}>
      <h2 id={`period-${props.title}`}>{props.title}</h2>
      <dl class="kpi">
        <div>
          <dt>{t.dashboard.captured}</dt>
          <dd>
            {yenText(f.captured.amount)}
            <small>{t.dashboard.count(countText(f.captured.count))}</small>
          </dd>
        </div>
        <div>
          <dt>{t.dashboard.refunds}</dt>
          <dd>
            {yenText(f.refunds.amount)}
            <small>{t.dashboard.count(countText(f.refunds.count))}</small>
          </dd>
        </div>
        <div>
          <dt>{t.dashboard.conversion}</dt>
          <dd>
            {percentText(f.captured.count, f.sent) ?? t.dashboard.noData}
            <small>{t.dashboard.conversionHint}</small>
          </dd>
        </div>
        <div>
          <dt>{t.dashboard.expiredShare}</dt>
          <dd>
            {percentText(f.expiredOrCancelled, f.ended) ?? t.dashboard.noData}
            <small>{t.dashboard.expiredShareHint}</small>
          </dd>
        </div>
      </dl>
    </section>
  );
}

export function DashboardPage(props: { page: PageContext; dashboard: Dashboard }): VNode {
  const { page, dashboard } = props;
  const { t } = page;
  const { undelivered } = dashboard;
  return (
    <Layout page={page} title={t.dashboard.title} current="dashboard">
      <div class="grid">
        <Period page={page} title={t.dashboard.today} figures={dashboard.today} />
        <Period page={page} title={t.dashboard.thisMonth} figures={dashboard.month} />
      </div>
      <h2>{t.dashboard.chartTitle}</h2>
      <CapturedChart chart={dashboard.chart} t={t} />
      <h2>{t.dashboard.undelivered}</h2>
      {undelivered.count === 0 ? (
        <p>{t.dashboard.undeliveredNone}</p>
      ) : (
        <>
          <p class="notice warn">{t.dashboard.undeliveredCount(countText(undelivered.count))}</p>
          <Scroll label={t.dashboard.undelivered}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t.search.trackingId}</th>
                  <th scope="col">{t.search.orderId}</th>
                  {page.actor?.role === 'operator' && <th scope="col">{t.search.merchant}</th>}
                  <th scope="col" class="num">
                    {t.dashboard.attempts}
                  </th>
                  <th scope="col">{t.billing.at}</th>
                  <th scope="col" class="wrap">
                    {t.dashboard.lastAnswer}
                  </th>
                </tr>
              </thead>
              <tbody>
                {undelivered.latest.map((n) => (
                  <tr>
                    <td>
                      <a href={`/admin/payments/${encodeURIComponent(n.trackingId)}?tab=details`}>
                        {n.trackingId}
                      </a>
                    </td>
                    <td>{n.orderId}</td>
                    {page.actor?.role === 'operator' && <td>{n.merchantId}</td>}
                    <td class="num">{n.attempts}</td>
                    <td>{jstText(n.finishedAt)}</td>
                    <td class="wrap">{n.lastAnswer ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        </>
      )}
    </Layout>
  );
}
