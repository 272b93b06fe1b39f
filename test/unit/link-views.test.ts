import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { chooseLanguage, LANGUAGES, TEXTS } from '../../src/channels/link/i18n';
import { renderAutoPostPage } from '../../src/channels/link/views/auto-post-page';
import { renderConfirmingPage } from '../../src/channels/link/views/confirming-page';
import { renderErrorPage } from '../../src/channels/link/views/error-page';
import { renderProviderUnavailablePage } from '../../src/channels/link/views/provider-unavailable-page';
import { renderSelectionPage } from '../../src/channels/link/views/selection-page';
import { yen } from '../../src/kernel/money';

const TOKEN = 'tok_AbC-123';

describe('page language', () => {
  it('follows Accept-Language by q-value', () => {
    expect(chooseLanguage('fr-FR,fr;q=0.9,ko;q=0.8,en;q=0.7')).toBe('ko');
    expect(chooseLanguage('en;q=0.5, th;q=0.9')).toBe('th');
    expect(chooseLanguage('ja')).toBe('ja');
    expect(chooseLanguage('ms-MY')).toBe('ms');
    expect(chooseLanguage('id-ID,id;q=0.9')).toBe('id');
    expect(chooseLanguage('fil-PH')).toBe('fil');
    expect(chooseLanguage('tl')).toBe('fil');
  });

  it('tells Simplified from Traditional Chinese', () => {
    expect(chooseLanguage('zh-CN,zh;q=0.9')).toBe('zh-CN');
    expect(chooseLanguage('zh')).toBe('zh-CN');
    expect(chooseLanguage('zh-Hans-HK')).toBe('zh-CN');
    expect(chooseLanguage('zh-TW')).toBe('zh-TW');
    expect(chooseLanguage('zh-HK,en;q=0.5')).toBe('zh-TW');
    expect(chooseLanguage('zh-Hant')).toBe('zh-TW');
  });

  it('falls back to English when nothing supported is asked for', () => {
    expect(chooseLanguage(undefined)).toBe('en');
    expect(chooseLanguage('')).toBe('en');
    expect(chooseLanguage('de-DE,fr;q=0.8,*;q=0.1')).toBe('en');
    expect(chooseLanguage('ko;q=0')).toBe('en');
    expect(chooseLanguage('ko;q=abc')).toBe('en');
  });

  it('lets the page switch override the header when the choice is supported', () => {
    expect(chooseLanguage('ja', 'zh-tw')).toBe('zh-TW');
    expect(chooseLanguage('ja', 'xx')).toBe('ja');
  });

  it('has every text in all nine languages', () => {
    expect(LANGUAGES).toHaveLength(9);
    const keys = Object.keys(TEXTS.en).sort();
    for (const language of LANGUAGES) {
      expect(Object.keys(TEXTS[language]).sort()).toEqual(keys);
      for (const text of Object.values(TEXTS[language])) expect(text.trim()).not.toBe('');
    }
  });
});

describe('hosted pages', () => {
  it('shows the order with its order id and one branded [Alipay+] method on the selection screen, escaping the item name', () => {
    const html = renderSelectionPage({
      token: TOKEN,
      merchantName: 'Kessai デモショップ',
      orderId: 'DEMO-20260101-ABC',
      itemName: '<script>alert(1)</script>抹茶',
      amount: yen(1500),
      lang: 'ja',
    });
    expect(html.startsWith('<!doctype html><html lang="ja">')).toBe(true);
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script>alert(1)&lt;/script>抹茶');
    expect(html).toContain('Kessai デモショップ');
    expect(html).toContain('¥1,500');
    expect(html).toContain(`<form method="post" action="/f01/payments/${TOKEN}/alipayplus">`);
    expect(html).toContain(`<form method="post" action="/f01/payments/${TOKEN}/cancel">`);
    expect(html.match(/<button/g)).toHaveLength(2);
    expect(html).toContain('[Alipay+]');
    expect(html).toContain('<dd class="code" id="order-id">DEMO-20260101-ABC</dd>');
    expect(html).toContain('<svg class="mark"');
    expect(html).not.toMatch(/ALIPAY_CN|GCash|Kakao/);
    for (const language of LANGUAGES) expect(html).toContain(`href="?lang=${language}"`);
    expect(html).toContain('aria-current="true"');
    expect(html).not.toMatch(/<script|\son[a-z]+=/i);
  });

  it('speaks the chosen language', () => {
    const html = renderSelectionPage({
      token: TOKEN,
      merchantName: 'S',
      orderId: 'O-1',
      itemName: '',
      amount: yen(1),
      lang: 'th',
    });
    expect(html).toContain('<html lang="th">');
    expect(html).toContain(TEXTS.th.selectTitle);
    expect(html).not.toContain(`<dt>${TEXTS.th.item}</dt>`);
  });

  it('refreshes the confirming page every 3 s and offers to cancel', () => {
    const html = renderConfirmingPage({ token: TOKEN, lang: 'en', nonce: 'n0nce' });
    expect(html).toContain('<meta http-equiv="refresh" content="3"/>');
    expect(html).toContain(TEXTS.en.confirmingTitle);
    expect(html).toContain(`action="/f01/payments/${TOKEN}/cancel"`);
    expect(html).toContain('<style nonce="n0nce">');
  });

  it('offers "try again" and "return to shop" when Alipay+ does not answer (4301)', () => {
    const html = renderProviderUnavailablePage({ token: TOKEN, lang: 'ko', requestId: '0123abcd' });
    expect(html).toContain('4301');
    expect(html).toContain(`${TEXTS.ko.reference}: <span class="code">0123abcd</span>`);
    expect(html).toContain(TEXTS.ko.tryAgain);
    expect(html).toContain(`action="/f01/payments/${TOKEN}/alipayplus"`);
    expect(html).toContain(`action="/f01/payments/${TOKEN}/cancel"`);
  });

  it('names the code and the field on the error page, in Japanese and English', () => {
    const html = renderErrorPage({ code: '5103', field: 'item_name', requestId: '0123abcd' });
    expect(html).toContain('エラー <span class="code">5103</span>');
    expect(html).toContain('Error 5103');
    expect(html).toContain('項目の形式が正しくないか');
    expect(html).toContain('A field has an invalid format');
    expect(html).toContain('<dd class="code">item_name</dd>');
    expect(html).toContain('<dd class="code">0123abcd</dd>');
    const noField = renderErrorPage({ code: '5112', requestId: '0123abcd' });
    expect(noField).not.toContain('Field');
    expect(noField).toContain('Reference for support');
  });

  it('escapes whatever field name it is given', () => {
    expect(renderErrorPage({ code: '5103', field: '"><img src=x>', requestId: 'r' })).not.toContain('<img');
  });
});

describe('A03-1 auto-post page', () => {
  const pairs: Array<[string, string]> = [
    ['order_id', 'ORDER-1'],
    ['item_name', '抹茶"><script>x</script>'],
    ['res_result', 'OK'],
  ];

  it('posts hidden fields to the merchant in the declared charset, with a button and a nonce script', () => {
    const { html } = renderAutoPostPage({
      action: 'http://localhost:8082/shop/success?a=1&b=2',
      pairs,
      acceptCharset: 'Shift_JIS',
      nonce: 'abc',
    });
    expect(html).toContain('<meta charset="Shift_JIS"/>');
    expect(html).toContain(
      '<form id="result" method="post" action="http://localhost:8082/shop/success?a=1&amp;b=2" accept-charset="Shift_JIS">',
    );
    expect(html).toContain('<input type="hidden" name="order_id" value="ORDER-1"/>');
    expect(html).toContain('value="抹茶&quot;>&lt;script>x&lt;/script>"');
    expect(html).toContain('<button type="submit" class="primary">');
    expect(html).toContain(`<script nonce="abc">document.getElementById('result').submit();</script>`);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  it('holds only text Shift_JIS can carry', () => {
    const { html } = renderAutoPostPage({ action: 'http://x/', pairs, acceptCharset: 'Shift_JIS' });
    expect(iconv.decode(iconv.encode(html, 'cp932'), 'cp932')).toBe(html);
  });

  it('declares UTF-8 for a UTF-8 service', () => {
    const { html } = renderAutoPostPage({ action: 'http://x/', pairs, acceptCharset: 'UTF-8' });
    expect(html).toContain('<meta charset="UTF-8"/>');
    expect(html).toContain('accept-charset="UTF-8"');
  });
});
