import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database';
import { logoStripSvg, walletLogoSvg } from '../merchants/sub-brand-logo';
import { SUB_BRANDS, type SubBrand, subBrandByCode } from '../merchants/sub-brands';
import { approvedSubBrands } from './sub-brand-review.repository';

/**
 * The public list of a service's approved sub-brands (governance.md §1), so that merchants can show
 * them beside [Alipay+] on their own checkout page: JSON, an HTML snippet and an SVG badge strip.
 * Nothing in it is secret; it is cacheable and readable from any origin.
 */
const CACHE = 'public, max-age=300';
/** `{merchant_id}{service_id}`: five and three digits (merchant-link-type.md). */
const SERVICE_KEY = /^(\d{5})(\d{3})$/;

export interface SubBrandPublicOptions {
  db: Kysely<Database>;
  gatewayPublicUrl: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function subBrandPublicRoutes(
  app: FastifyInstance,
  options: SubBrandPublicOptions,
): Promise<void> {
  const { db, gatewayPublicUrl } = options;
  const logoUrl = (brand: SubBrand) => `${gatewayPublicUrl}/f01/sub-brands/${brand.code}/logo.svg`;

  /** The service's approved sub-brands, or null (answered 404) when there is no such service. */
  async function approvedOf(key: string, reply: FastifyReply): Promise<SubBrand[] | null> {
    const match = SERVICE_KEY.exec(key);
    const service = match
      ? await db
          .selectFrom('services')
          .select(['merchant_id', 'service_id'])
          .where('merchant_id', '=', match[1]!)
          .where('service_id', '=', match[2]!)
          .executeTakeFirst()
      : undefined;
    if (!service) {
      await reply
        .code(404)
        .type('application/json; charset=utf-8')
        .send({ error: 'no such service: expected /f01/services/{merchant_id}{service_id}/…' });
      return null;
    }
    const approved = await approvedSubBrands(db, service.merchant_id);
    reply.header('Cache-Control', CACHE).header('Access-Control-Allow-Origin', '*');
    return SUB_BRANDS.filter((b) => approved.includes(b.code));
  }

  app.get<{ Params: { key: string } }>('/f01/services/:key/sub-brands.json', async (request, reply) => {
    const brands = await approvedOf(request.params.key, reply);
    if (!brands) return reply;
    return reply.type('application/json; charset=utf-8').send({
      subBrands: brands.map((b) => ({
        code: b.code,
        name: b.name,
        region: b.region,
        procedure: b.procedure,
        logoUrl: logoUrl(b),
      })),
    });
  });

  app.get<{ Params: { key: string } }>('/f01/services/:key/sub-brands.svg', async (request, reply) => {
    const brands = await approvedOf(request.params.key, reply);
    if (!brands) return reply;
    return reply.type('image/svg+xml; charset=utf-8').send(logoStripSvg(brands.map((b) => b.code)));
  });

  app.get<{ Params: { key: string } }>('/f01/services/:key/sub-brands.html', async (request, reply) => {
    const brands = await approvedOf(request.params.key, reply);
    if (!brands) return reply;
    const items = brands
      .map(
        (b) =>
          `<li><img src="${escapeHtml(logoUrl(b))}" alt="" width="32" height="32"> ${escapeHtml(b.name)}</li>`,
      )
      .join('');
    return reply
      .type('text/html; charset=utf-8')
      .send(`<ul class="kessai-sub-brands" aria-label="Alipay+">${items}</ul>\n`);
  });

  app.get<{ Params: { code: string } }>('/f01/sub-brands/:code/logo.svg', async (request, reply) => {
    const brand = subBrandByCode(request.params.code);
    if (!brand) return reply.code(404).type('text/plain; charset=utf-8').send('no such sub-brand');
    return reply
      .header('Cache-Control', 'public, max-age=86400')
      .type('image/svg+xml; charset=utf-8')
      .send(walletLogoSvg(brand.code));
  });
}
