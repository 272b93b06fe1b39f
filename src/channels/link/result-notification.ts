import { charsetLabel } from '../../kernel/charset';
import type { ResultNotificationFormat } from '../../notifications/notification.service';
import { encodeForm } from './link-form';
import { type LinkResult, linkResultOf, notificationPairs, resultCharset } from './result-form';

/**
 * A02-1, the result notification of the Link Type (merchant-link-type.md), as the notification
 * outbox writes it: it stores what the merchant is told of an ending, and builds each delivery.
 */
export const a02ResultNotification: ResultNotificationFormat = {
  outcome: (ended) => linkResultOf(ended.status),
  request(payment, service, notification) {
    const charset = resultCharset(service.encoding, payment.charset);
    // Every attempt sends the same A02-1: res_date is when the outcome's notification was written,
    // so a repeat is byte for byte a repeat (merchant-link-type.md: repeats are normal).
    const pairs = notificationPairs(
      payment,
      {
        result: notification.result as LinkResult,
        errCode: notification.errCode,
        resDate: notification.createdAt,
      },
      service.hash_key,
    );
    const echoed = JSON.parse(payment.request_fields) as Record<string, string>;
    return {
      url: echoed.pagecon_url ?? '',
      body: encodeForm(pairs, charset),
      contentType: `application/x-www-form-urlencoded; charset=${charsetLabel(charset)}`,
      charset,
    };
  },
};
