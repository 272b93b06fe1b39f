/**
 * The shopper-facing languages of the hosted pages (merchant-link-type.md, Method-selection screen):
 * Japanese, English, Simplified and Traditional Chinese, Korean, Thai, Indonesian, Malay, Filipino.
 * Error pages are Japanese and English together; everything else the shopper reads is here.
 */
export const LANGUAGES = ['ja', 'en', 'zh-CN', 'zh-TW', 'ko', 'th', 'id', 'ms', 'fil'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Each language's name in itself, for the language switch. */
export const LANGUAGE_NAMES: Record<Language, string> = {
  ja: '日本語',
  en: 'English',
  'zh-CN': '简体中文',
  'zh-TW': '繁體中文',
  ko: '한국어',
  th: 'ไทย',
  id: 'Bahasa Indonesia',
  ms: 'Bahasa Melayu',
  fil: 'Filipino',
};

export interface PageTexts {
  selectTitle: string;
  shop: string;
  orderId: string;
  /** The footer of the selection screen: whose page this is. */
  providedBy: string;
  item: string;
  amount: string;
  paymentMethod: string;
  alipayHint: string;
  /** While an outage incident is open (governance.md, 6). */
  disturbed: string;
  returnToShop: string;
  language: string;
  confirmingTitle: string;
  confirmingBody: string;
  cancelAndReturn: string;
  unavailableTitle: string;
  unavailableBody: string;
  tryAgain: string;
  errorCode: string;
}

export const TEXTS: Record<Language, PageTexts> = {
  ja: {
    selectTitle: 'お支払い方法の選択',
    shop: 'ショップ',
    orderId: '注文番号',
    providedBy: 'このページは決済代行 Kessai が提供しています。',
    item: '商品',
    amount: 'お支払い金額',
    paymentMethod: 'お支払い方法',
    alipayHint: 'Alipay+ に対応したウォレットアプリでお支払いいただけます。',
    disturbed:
      'ただいま Alipay+ のウォレットサービスに障害が発生しています。お支払いが完了しないことがあります。',
    returnToShop: 'ショップに戻る',
    language: '言語',
    confirmingTitle: 'お支払いを確認しています',
    confirmingBody: 'しばらくお待ちください。このページは自動的に更新されます。',
    cancelAndReturn: 'お支払いをやめてショップに戻る',
    unavailableTitle: 'Alipay+ から応答がありません',
    unavailableBody: 'お支払いはまだ完了していません。もう一度お試しいただくか、ショップにお戻りください。',
    tryAgain: 'もう一度試す',
    errorCode: 'エラーコード',
  },
  en: {
    selectTitle: 'Choose how to pay',
    shop: 'Shop',
    orderId: 'Order number',
    providedBy: "This payment page is provided by Kessai, the shop's payment service.",
    item: 'Item',
    amount: 'Amount',
    paymentMethod: 'Payment method',
    alipayHint: 'Pay with a wallet app that supports Alipay+.',
    disturbed: 'The Alipay+ wallet service is currently disturbed. Your payment may not go through.',
    returnToShop: 'Return to the shop',
    language: 'Language',
    confirmingTitle: 'Confirming your payment',
    confirmingBody: 'Please wait. This page refreshes automatically.',
    cancelAndReturn: 'Cancel and return to the shop',
    unavailableTitle: 'No answer from Alipay+',
    unavailableBody: 'Your payment is not complete yet. Please try again, or return to the shop.',
    tryAgain: 'Try again',
    errorCode: 'Error code',
  },
  'zh-CN': {
    selectTitle: '选择支付方式',
    shop: '商户',
    orderId: '订单号',
    providedBy: '此支付页面由店铺的支付服务商 Kessai 提供。',
    item: '商品',
    amount: '支付金额',
    paymentMethod: '支付方式',
    alipayHint: '使用支持 Alipay+ 的电子钱包应用付款。',
    disturbed: 'Alipay+ 钱包服务目前出现故障，付款可能无法完成。',
    returnToShop: '返回商户',
    language: '语言',
    confirmingTitle: '正在确认您的付款',
    confirmingBody: '请稍候，本页面将自动刷新。',
    cancelAndReturn: '取消并返回商户',
    unavailableTitle: 'Alipay+ 无响应',
    unavailableBody: '您的付款尚未完成。请重试，或返回商户。',
    tryAgain: '重试',
    errorCode: '错误代码',
  },
  'zh-TW': {
    selectTitle: '選擇付款方式',
    shop: '商店',
    orderId: '訂單編號',
    providedBy: '此付款頁面由商店的支付服務商 Kessai 提供。',
    item: '商品',
    amount: '付款金額',
    paymentMethod: '付款方式',
    alipayHint: '使用支援 Alipay+ 的電子錢包應用程式付款。',
    disturbed: 'Alipay+ 錢包服務目前發生故障，付款可能無法完成。',
    returnToShop: '返回商店',
    language: '語言',
    confirmingTitle: '正在確認您的付款',
    confirmingBody: '請稍候，本頁面將自動重新整理。',
    cancelAndReturn: '取消並返回商店',
    unavailableTitle: 'Alipay+ 沒有回應',
    unavailableBody: '您的付款尚未完成。請重試，或返回商店。',
    tryAgain: '重試',
    errorCode: '錯誤代碼',
  },
  ko: {
    selectTitle: '결제 수단 선택',
    shop: '상점',
    orderId: '주문 번호',
    providedBy: '이 결제 페이지는 상점의 결제 대행사 Kessai가 제공합니다.',
    item: '상품',
    amount: '결제 금액',
    paymentMethod: '결제 수단',
    alipayHint: 'Alipay+를 지원하는 지갑 앱으로 결제할 수 있습니다.',
    disturbed: '현재 Alipay+ 지갑 서비스에 장애가 발생했습니다. 결제가 완료되지 않을 수 있습니다.',
    returnToShop: '상점으로 돌아가기',
    language: '언어',
    confirmingTitle: '결제를 확인하고 있습니다',
    confirmingBody: '잠시 기다려 주세요. 이 페이지는 자동으로 새로 고쳐집니다.',
    cancelAndReturn: '결제를 취소하고 상점으로 돌아가기',
    unavailableTitle: 'Alipay+에서 응답이 없습니다',
    unavailableBody: '결제가 아직 완료되지 않았습니다. 다시 시도하거나 상점으로 돌아가세요.',
    tryAgain: '다시 시도',
    errorCode: '오류 코드',
  },
  th: {
    selectTitle: 'เลือกวิธีชำระเงิน',
    shop: 'ร้านค้า',
    orderId: 'หมายเลขคำสั่งซื้อ',
    providedBy: 'หน้าชำระเงินนี้ให้บริการโดย Kessai ผู้ให้บริการชำระเงินของร้านค้า',
    item: 'สินค้า',
    amount: 'ยอดชำระ',
    paymentMethod: 'วิธีชำระเงิน',
    alipayHint: 'ชำระเงินด้วยแอปวอลเล็ตที่รองรับ Alipay+',
    disturbed: 'บริการวอลเล็ต Alipay+ ขัดข้องในขณะนี้ การชำระเงินอาจไม่สำเร็จ',
    returnToShop: 'กลับไปที่ร้านค้า',
    language: 'ภาษา',
    confirmingTitle: 'กำลังยืนยันการชำระเงินของคุณ',
    confirmingBody: 'โปรดรอสักครู่ หน้านี้จะรีเฟรชโดยอัตโนมัติ',
    cancelAndReturn: 'ยกเลิกและกลับไปที่ร้านค้า',
    unavailableTitle: 'ไม่มีการตอบกลับจาก Alipay+',
    unavailableBody: 'การชำระเงินของคุณยังไม่เสร็จสมบูรณ์ โปรดลองอีกครั้ง หรือกลับไปที่ร้านค้า',
    tryAgain: 'ลองอีกครั้ง',
    errorCode: 'รหัสข้อผิดพลาด',
  },
  id: {
    selectTitle: 'Pilih metode pembayaran',
    shop: 'Toko',
    orderId: 'Nomor pesanan',
    providedBy: 'Halaman pembayaran ini disediakan oleh Kessai, layanan pembayaran toko.',
    item: 'Barang',
    amount: 'Jumlah pembayaran',
    paymentMethod: 'Metode pembayaran',
    alipayHint: 'Bayar dengan aplikasi dompet digital yang mendukung Alipay+.',
    disturbed: 'Layanan dompet Alipay+ sedang terganggu. Pembayaran Anda mungkin tidak berhasil.',
    returnToShop: 'Kembali ke toko',
    language: 'Bahasa',
    confirmingTitle: 'Mengonfirmasi pembayaran Anda',
    confirmingBody: 'Mohon tunggu. Halaman ini akan dimuat ulang secara otomatis.',
    cancelAndReturn: 'Batalkan dan kembali ke toko',
    unavailableTitle: 'Tidak ada respons dari Alipay+',
    unavailableBody: 'Pembayaran Anda belum selesai. Silakan coba lagi, atau kembali ke toko.',
    tryAgain: 'Coba lagi',
    errorCode: 'Kode kesalahan',
  },
  ms: {
    selectTitle: 'Pilih kaedah pembayaran',
    shop: 'Kedai',
    orderId: 'Nombor pesanan',
    providedBy: 'Halaman pembayaran ini disediakan oleh Kessai, perkhidmatan pembayaran kedai.',
    item: 'Item',
    amount: 'Jumlah bayaran',
    paymentMethod: 'Kaedah pembayaran',
    alipayHint: 'Bayar dengan aplikasi e-dompet yang menyokong Alipay+.',
    disturbed: 'Perkhidmatan e-dompet Alipay+ sedang terganggu. Pembayaran anda mungkin tidak berjaya.',
    returnToShop: 'Kembali ke kedai',
    language: 'Bahasa',
    confirmingTitle: 'Mengesahkan pembayaran anda',
    confirmingBody: 'Sila tunggu. Halaman ini akan dimuat semula secara automatik.',
    cancelAndReturn: 'Batalkan dan kembali ke kedai',
    unavailableTitle: 'Tiada jawapan daripada Alipay+',
    unavailableBody: 'Pembayaran anda belum selesai. Sila cuba lagi, atau kembali ke kedai.',
    tryAgain: 'Cuba lagi',
    errorCode: 'Kod ralat',
  },
  fil: {
    selectTitle: 'Pumili ng paraan ng pagbabayad',
    shop: 'Tindahan',
    orderId: 'Order number',
    providedBy: 'Ang pahinang ito ay mula sa Kessai, ang payment service ng tindahan.',
    item: 'Item',
    amount: 'Halagang babayaran',
    paymentMethod: 'Paraan ng pagbabayad',
    alipayHint: 'Magbayad gamit ang wallet app na sumusuporta sa Alipay+.',
    disturbed: 'May aberya ngayon sa wallet service ng Alipay+. Maaaring hindi matuloy ang iyong bayad.',
    returnToShop: 'Bumalik sa tindahan',
    language: 'Wika',
    confirmingTitle: 'Kinukumpirma ang iyong bayad',
    confirmingBody: 'Pakihintay. Awtomatikong magre-refresh ang pahinang ito.',
    cancelAndReturn: 'Kanselahin at bumalik sa tindahan',
    unavailableTitle: 'Walang sagot mula sa Alipay+',
    unavailableBody: 'Hindi pa kumpleto ang iyong bayad. Pakisubukang muli, o bumalik sa tindahan.',
    tryAgain: 'Subukang muli',
    errorCode: 'Error code',
  },
};

/** The supported language a BCP 47 tag asks for, if any (`zh-Hant`/`zh-HK` → zh-TW, `tl` → fil). */
function languageOf(tag: string): Language | null {
  const t = tag.trim().toLowerCase();
  const exact = LANGUAGES.find((language) => language.toLowerCase() === t);
  if (exact) return exact;
  const [primary, ...subtags] = t.split('-');
  if (primary === 'zh') {
    if (subtags.includes('hans')) return 'zh-CN';
    if (subtags.includes('hant') || subtags.some((s) => s === 'tw' || s === 'hk' || s === 'mo'))
      return 'zh-TW';
    return 'zh-CN';
  }
  if (primary === 'tl') return 'fil';
  if (primary === 'in') return 'id'; // the withdrawn code some older browsers still send
  return LANGUAGES.find((language) => language === primary) ?? null;
}

/**
 * The page language: an explicit choice (`?lang=`) when it is supported, else the best supported
 * entry of `Accept-Language` by q-value, else English — the shoppers are overseas wallet users.
 */
export function chooseLanguage(acceptLanguage: string | undefined, override?: string): Language {
  const chosen = override === undefined ? null : languageOf(override);
  if (chosen) return chosen;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .slice(0, 50)
    .map((entry, index) => {
      const [tag = '', ...params] = entry.split(';');
      const q = params.map((p) => /^\s*q\s*=(.*)$/i.exec(p)?.[1]).find((v) => v !== undefined);
      // A malformed q-value (NaN) drops the entry.
      return {
        tag: tag.trim(),
        q: q === undefined ? 1 : /^\s*[0-9.]+\s*$/.test(q) ? Number(q) : Number.NaN,
        index,
      };
    })
    .filter((entry) => entry.tag !== '' && entry.tag !== '*' && entry.q > 0 && entry.q <= 1)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    const language = languageOf(tag);
    if (language) return language;
  }
  return 'en';
}
