import type { VNode } from 'preact';
import type { PageContext } from './layout';

/** Operators see every merchant: a GET form choosing which one a screen shows. */
export function MerchantPicker(props: {
  page: PageContext;
  action: string;
  merchants: string[];
  selected: string;
}): VNode {
  const { t } = props.page;
  return (
    <form method="get" action={props.action} class="actions card">
      <label for="merchant-pick">{t.search.merchant}</label>
      <select id="merchant-pick" name="merchant">
        {props.merchants.map((m) => (
          <option value={m} selected={m === props.selected}>
            {m}
          </option>
        ))}
      </select>
      <button type="submit" class="secondary">
        {t.settings.open}
      </button>
    </form>
  );
}
