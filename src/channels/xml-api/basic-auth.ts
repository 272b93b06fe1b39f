import type { ServiceRow } from '../../db/database';
import { verifyApiPassword } from '../../merchants/api-password';

/**
 * HTTP Basic authentication of the XML API (merchant-xml-api.md, Transport): user = merchant_id +
 * service_id (8 digits), password = the service's API password.
 */
export interface BasicCredentials {
  user: string;
  password: string;
}

export function parseBasicAuth(header: string | undefined): BasicCredentials | null {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The service the credentials belong to, or `null` for missing, unknown or wrong ones. */
export async function authenticateService(
  findService: (merchantId: string, serviceId: string) => Promise<ServiceRow | undefined>,
  header: string | undefined,
): Promise<ServiceRow | null> {
  const credentials = parseBasicAuth(header);
  if (!credentials) return null;
  const user = /^([0-9]{5})([0-9]{3})$/.exec(credentials.user);
  const service = user ? await findService(user[1]!, user[2]!) : undefined;
  // Verified even without a service, so that an unknown user costs the same as a wrong password.
  return verifyApiPassword(service, credentials.password) && service ? service : null;
}
