import { describe, expect, it } from 'vitest';
import { startBanner } from '../../src/app/banner';
import { loadConfig } from '../../src/app/config';

const config = loadConfig(
  { KESSAI_DATA_DIR: '/srv/kessai', KESSAI_SANDBOX_DATABASE: 'postgres://sandbox:secret@db/sandbox' },
  'production',
);
const none = { gateway: false, jobs: false, sandbox: false, shop: false };

describe('start banner', () => {
  it('names the sandbox its own store, not the gateway database, when it runs alone', () => {
    const banner = startBanner(config, { ...none, sandbox: true }, undefined);
    expect(banner).toContain('sandbox store');
    expect(banner).toContain('db/sandbox');
    expect(banner).not.toContain('secret');
    expect(banner).not.toContain('kessai.sqlite');
    expect(banner).not.toMatch(/^\s+database\s/m);
  });

  it('names the gateway database for the gateway and worker', () => {
    const banner = startBanner(config, { ...none, gateway: true, jobs: true }, undefined);
    expect(banner).toMatch(/^\s+database\s+sqlite:\/srv\/kessai\/kessai\.sqlite$/m);
    expect(banner).not.toContain('sandbox store');
  });
});
