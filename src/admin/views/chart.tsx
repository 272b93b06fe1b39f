import type { VNode } from 'preact';
import { SUB_BRANDS } from '../../merchants/sub-brands';
import type { ChartData } from '../dashboard.service';
import { yenText } from '../format';
import type { AdminTexts } from '../i18n';
import { Scroll } from './layout';

/**
 * The dashboard's chart, drawn on the server as SVG (no script): stacked bars of the captured yen
 * per JST day, one colour per sub-brand, with a legend, a text alternative and the same figures
 * as a table for screen readers and exact reading.
 */
const WIDTH = 760;
const HEIGHT = 280;
const PAD = { left: 84, right: 8, top: 12, bottom: 36 };
/** Colour-blind-safe palette (Okabe–Ito and Tableau hues), in the sub-brand table's order. */
const COLOURS = [
  '#1f77b4',
  '#e69f00',
  '#009e73',
  '#d55e00',
  '#cc79a7',
  '#56b4e9',
  '#7f3c8d',
  '#8c564b',
  '#b8a000',
  '#17becf',
];
const UNKNOWN_COLOUR = '#9aa0a6';

interface Brand {
  code: string;
  name: string;
  colour: string;
}

function brandsOf(chart: ChartData, t: AdminTexts): Brand[] {
  const known: Brand[] = SUB_BRANDS.map((b, i) => ({
    code: b.code,
    name: b.name,
    colour: COLOURS[i] ?? UNKNOWN_COLOUR,
  }));
  const out = known.filter((b) => chart.series.has(b.code));
  for (const code of chart.series.keys()) {
    if (!known.some((b) => b.code === code)) {
      out.push({ code, name: code === '' ? t.dashboard.unknownBrand : code, colour: UNKNOWN_COLOUR });
    }
  }
  return out;
}

/** A round axis maximum (1, 2 or 5 × 10^n) at or above `max`. */
function niceMax(max: number): number {
  if (max <= 0) return 1000;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

export function CapturedChart(props: { chart: ChartData; t: AdminTexts }): VNode {
  const { chart, t } = props;
  const brands = brandsOf(chart, t);
  const totals = chart.days.map((_, i) =>
    brands.reduce((sum, b) => sum + (chart.series.get(b.code)?.[i] ?? 0), 0),
  );
  const top = niceMax(Math.max(0, ...totals));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / chart.days.length;
  const barW = Math.max(2, slot * 0.7);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => top * f);
  const first = chart.days[0] ?? '';
  const last = chart.days[chart.days.length - 1] ?? '';
  const grand = totals.reduce((a, b) => a + b, 0);

  return (
    <figure class="card">
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby="chart-title chart-desc"
        xmlns="http://www.w3.org/2000/svg"
      >
        <title id="chart-title">{t.dashboard.chartTitle}</title>
        <desc id="chart-desc">{t.dashboard.chartDesc(first, last, yenText(grand))}</desc>
        {ticks.map((v) => (
          <g>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(v)} y2={y(v)} stroke="#e4e6ea" />
            <text x={PAD.left - 6} y={y(v) + 4} text-anchor="end" font-size="11" fill="#50555e">
              {yenText(v)}
            </text>
          </g>
        ))}
        {chart.days.map((day, i) => {
          let base = 0;
          const x = PAD.left + i * slot + (slot - barW) / 2;
          return (
            <g>
              {brands.map((b) => {
                const v = chart.series.get(b.code)?.[i] ?? 0;
                if (v === 0) return null;
                const y0 = y(base);
                base += v;
                return (
                  <rect x={x} y={y(base)} width={barW} height={Math.max(0.5, y0 - y(base))} fill={b.colour}>
                    <title>{`${day} ${b.name} ${yenText(v)}`}</title>
                  </rect>
                );
              })}
              {(i % 5 === 4 || i === 0) && (
                <text
                  x={x + barW / 2}
                  y={HEIGHT - PAD.bottom + 16}
                  text-anchor="middle"
                  font-size="11"
                  fill="#50555e"
                >
                  {day.slice(5).replace('-', '/')}
                </text>
              )}
            </g>
          );
        })}
        <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(0)} y2={y(0)} stroke="#7b818c" />
      </svg>
      <figcaption>
        <ul class="legend">
          {brands.map((b) => (
            <li>
              <svg width="12" height="12" aria-hidden="true">
                <rect width="12" height="12" fill={b.colour} />
              </svg>
              {b.name}
            </li>
          ))}
        </ul>
        <details>
          <summary>{t.dashboard.chartTable}</summary>
          <Scroll label={t.dashboard.chartTable}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t.dashboard.day}</th>
                  {brands.map((b) => (
                    <th scope="col" class="num">
                      {b.name}
                    </th>
                  ))}
                  <th scope="col" class="num">
                    {t.dashboard.total}
                  </th>
                </tr>
              </thead>
              <tbody>
                {chart.days.map((day, i) => (
                  <tr>
                    <th scope="row">{day}</th>
                    {brands.map((b) => (
                      <td class="num">{yenText(chart.series.get(b.code)?.[i] ?? 0)}</td>
                    ))}
                    <td class="num">{yenText(totals[i] ?? 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        </details>
      </figcaption>
    </figure>
  );
}
