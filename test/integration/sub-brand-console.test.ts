import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvedSubBrands, subBrandStates } from '../../src/governance/sub-brand-review.repository';
import { DEMO_MERCHANT_ID } from '../../src/merchants/demo-seed';
import { DIALECTS } from '../support/databases';
import { eventually, type Stack, startStack } from '../support/stack';
import { ConsoleClient, OTHER_MERCHANT, seedConsole, TEST_PASSWORD, type TestUsers } from './admin-client';

/** The sub-brand screens of the console and the public list of approved sub-brands (governance.md §1). */
for (const dialect of DIALECTS) {
  describe(`sub-brand console and public list (${dialect})`, () => {
    let stack: Stack;
    let users: TestUsers;
    const signedIn = async (email: string) => {
      const client = new ConsoleClient(stack.gatewayUrl);
      expect((await client.signIn(email, TEST_PASSWORD)).status).toBe(303);
      return client;
    };

    beforeAll(async () => {
      stack = await startStack(dialect);
      users = await seedConsole(stack.database.db, `sb-${dialect}`);
    });
    afterAll(async () => {
      await stack?.close();
    });

    it('publishes a service’s approved sub-brands as cacheable JSON, an HTML snippet and an SVG strip', async () => {
      const json = await fetch(`${stack.gatewayUrl}/f01/services/30000001/sub-brands.json`);
      expect(json.status).toBe(200);
      expect(json.headers.get('cache-control')).toBe('public, max-age=300');
      expect(json.headers.get('access-control-allow-origin')).toBe('*');
      const text = await json.text();
      const body = JSON.parse(text) as { subBrands: Array<Record<string, string>> };
      expect(body.subBrands).toHaveLength(10);
      expect(body.subBrands[0]).toEqual({
        code: 'ALIPAY_CN',
        name: 'Alipay',
        region: 'China',
        procedure: 'QR',
        logoUrl: `${stack.gatewayUrl}/f01/sub-brands/ALIPAY_CN/logo.svg`,
      });
      const hashKey = (
        await stack.database.db.selectFrom('services').select('hash_key').executeTakeFirstOrThrow()
      ).hash_key;
      expect(text).not.toContain(hashKey);

      const svg = await fetch(`${stack.gatewayUrl}/f01/services/30000001/sub-brands.svg`);
      expect(svg.headers.get('content-type')).toContain('image/svg+xml');
      expect((await svg.text()).match(/<g transform/g)).toHaveLength(10);
      const html = await fetch(`${stack.gatewayUrl}/f01/services/30000001/sub-brands.html`).then((r) =>
        r.text(),
      );
      expect(html).toContain('Touch&#39;n Go');
      const logo = await fetch(`${stack.gatewayUrl}/f01/sub-brands/GCASH/logo.svg`);
      expect(logo.status).toBe(200);

      for (const path of ['/f01/services/30000999/sub-brands.json', '/f01/services/x/sub-brands.svg']) {
        const missing = await fetch(stack.gatewayUrl + path);
        expect(missing.status).toBe(404);
        expect(await missing.text()).toContain('no such service');
      }
      expect((await fetch(`${stack.gatewayUrl}/f01/sub-brands/NOPE/logo.svg`)).status).toBe(404);
    });

    it('lets an operator withdraw an approved sub-brand with a reason: audited, noticed, gone from the list', async () => {
      const operator = await signedIn(users.operator);
      const page = await operator.page(`/admin/sub-brands?merchant=${DEMO_MERCHANT_ID}`);
      expect(page.status).toBe(200);
      expect(page.html).toContain('data-sub-brand="GCASH" data-status="APPROVED"');
      expect(page.html).toContain(`<option value="${OTHER_MERCHANT}"`);

      const noReason = await operator.post('/admin/sub-brands/withdraw', {
        merchant: DEMO_MERCHANT_ID,
        sub_brand: 'GCASH',
        reason: '',
      });
      expect(noReason.status).toBe(400);
      expect(await approvedSubBrands(stack.database.db, DEMO_MERCHANT_ID)).toContain('GCASH');

      const done = await operator.post('/admin/sub-brands/withdraw', {
        merchant: DEMO_MERCHANT_ID,
        sub_brand: 'GCASH',
        reason: 'asked by the Core Operator',
      });
      expect(done.status).toBe(303);
      expect(await approvedSubBrands(stack.database.db, DEMO_MERCHANT_ID)).not.toContain('GCASH');
      const list = await fetch(`${stack.gatewayUrl}/f01/services/30000001/sub-brands.json`).then((r) =>
        r.json(),
      );
      expect((list as { subBrands: Array<{ code: string }> }).subBrands.map((b) => b.code)).not.toContain(
        'GCASH',
      );

      const audit = await stack.database.db
        .selectFrom('admin_audit')
        .selectAll()
        .where('action', '=', 'subBrands.withdraw')
        .executeTakeFirstOrThrow();
      expect(audit).toMatchObject({
        actor_email: users.operator,
        merchant_id: DEMO_MERCHANT_ID,
        target: '30000/GCASH',
      });

      const admin = await signedIn(users.admin);
      const inbox = await admin.page('/admin/notices?kind=registration');
      expect(inbox.html).toContain('サブブランド審査の結果');
      const own = await admin.page('/admin/sub-brands');
      expect(own.html).toContain('data-sub-brand="GCASH" data-status="WITHDRAWN"');
      expect(own.html).toContain('asked by the Core Operator');
      expect(own.html).not.toContain('<select');
    });

    it('lets a merchant admin apply for its own merchant only; a viewer only reads', async () => {
      const other = await signedIn(users.otherAdmin);
      expect(
        (await other.post('/admin/sub-brands/apply', { merchant: DEMO_MERCHANT_ID, sub_brand: 'GCASH' }))
          .status,
      ).toBe(403);
      const viewer = await signedIn(users.viewer);
      expect((await viewer.page('/admin/sub-brands')).status).toBe(200);
      expect(
        (await viewer.post('/admin/sub-brands/apply', { merchant: DEMO_MERCHANT_ID, sub_brand: 'DANA' }))
          .status,
      ).toBe(403);
      const admin = await signedIn(users.admin);
      const withdrawn = await admin.post('/admin/sub-brands/apply', {
        merchant: DEMO_MERCHANT_ID,
        sub_brand: 'GCASH',
      });
      expect(withdrawn.status).toBe(400);
      expect(await withdrawn.text()).toContain('WITHDRAWN');
      expect(
        (
          await admin.post('/admin/sub-brands/withdraw', {
            merchant: DEMO_MERCHANT_ID,
            sub_brand: 'DANA',
            reason: 'x',
          })
        ).status,
      ).toBe(403);

      const applied = await other.post('/admin/sub-brands/apply', {
        merchant: OTHER_MERCHANT,
        sub_brand: 'DANA',
      });
      expect(applied.status).toBe(303);
      expect(applied.headers.get('location')).toContain('done=applied');
      await eventually(
        async () => (await approvedSubBrands(stack.database.db, OTHER_MERCHANT)).includes('DANA'),
        10_000,
      );
      expect((await subBrandStates(stack.database.db, OTHER_MERCHANT)).map((s) => s.subBrand)).toEqual([
        'DANA',
      ]);
      const audit = await stack.database.db
        .selectFrom('admin_audit')
        .selectAll()
        .where('action', '=', 'subBrands.apply')
        .executeTakeFirstOrThrow();
      expect(audit).toMatchObject({ actor_email: users.otherAdmin, merchant_id: OTHER_MERCHANT });
    });
  });
}
