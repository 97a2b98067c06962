import { statSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  test,
  expect,
  hydrated,
  setUp,
  rpc,
  createToken,
  addMember,
  startReceiver,
  addWebhook,
  PASSWORD,
  TOKENS_URL,
  MEMBERS_URL,
  AUDIT_URL,
  POLICY_URL,
  WEBHOOKS_URL,
  Page,
} from './fixtures';

// Pictures of the main pages for people to look at, in end2end/screenshots/ (gitignored). Nothing is
// compared with earlier pictures; each shot only has to show its page rendered and hydrated.
const DIR = path.resolve(__dirname, '../screenshots');

const COMBOS = [
  { scheme: 'light', viewport: 'desktop', width: 1280, height: 800 },
  { scheme: 'dark', viewport: 'desktop', width: 1280, height: 800 },
  { scheme: 'light', viewport: 'phone', width: 390, height: 844 },
  { scheme: 'dark', viewport: 'phone', width: 390, height: 844 },
] as const;

/** Who takes the picture: the owner of the busy organization, or someone alone in an empty one. */
type Pages = { owner: Page; solo: Page };

const SHOTS: {
  file: string;
  who?: keyof Pages;
  open: (page: Page) => Promise<unknown>;
  ready: (page: Page) => ReturnType<Page['getByTestId']>;
}[] = [
  { file: 'tokens', open: (p) => p.goto(TOKENS_URL), ready: (p) => p.getByTestId('token-row').first() },
  {
    file: 'tokens-reveal',
    open: async (p) => {
      await p.goto(`${TOKENS_URL}?new=1`);
      await hydrated(p);
      await p.getByLabel('Name').fill('MCP Server');
      await p.getByRole('button', { name: 'Create', exact: true }).click();
    },
    ready: (p) => p.getByTestId('token-reveal'),
  },
  { file: 'tokens-empty', who: 'solo', open: (p) => p.goto(TOKENS_URL), ready: (p) => p.getByTestId('tokens-empty') },
  {
    file: 'tokens-create',
    open: async (p) => {
      await p.goto(TOKENS_URL);
      await hydrated(p);
      await p.getByRole('button', { name: 'Create Token' }).click();
      await p.getByRole('radio', { name: 'Custom' }).check();
    },
    ready: (p) => p.getByTestId('create-token-form'),
  },
  {
    file: 'tokens-rotate',
    open: async (p) => {
      await p.goto(TOKENS_URL);
      await hydrated(p);
      await p.getByRole('button', { name: 'Rotate VS Code Extension' }).click();
    },
    ready: (p) => p.getByRole('dialog', { name: 'Rotate “VS Code Extension”' }),
  },
  {
    file: 'org-menu',
    open: async (p) => {
      await p.goto(TOKENS_URL);
      await p.getByTestId('org-switcher').locator('summary').click();
    },
    ready: (p) => p.getByTestId('new-org'),
  },
  { file: 'new-org', open: (p) => p.goto('/app/orgs/new'), ready: (p) => p.getByTestId('create-org-form') },
  { file: 'members', open: (p) => p.goto(MEMBERS_URL), ready: (p) => p.getByTestId('member-row').nth(1) },
  { file: 'audit', open: (p) => p.goto(AUDIT_URL), ready: (p) => p.getByTestId('audit-row').first() },
  { file: 'policy', open: (p) => p.goto(POLICY_URL), ready: (p) => p.getByTestId('policy-form') },
  { file: 'webhooks-empty', who: 'solo', open: (p) => p.goto(WEBHOOKS_URL), ready: (p) => p.getByTestId('webhooks-empty') },
  {
    file: 'webhooks',
    // Deliveries happen in the background: open the page until a success and a failure are both logged.
    open: (p) =>
      expect(async () => {
        await p.goto(WEBHOOKS_URL);
        await expect(p.getByTestId('delivery-status').filter({ hasText: 'Delivered' }).first()).toBeVisible({ timeout: 300 });
        await expect(p.getByTestId('delivery-status').filter({ hasText: 'Failed' }).first()).toBeVisible({ timeout: 300 });
      }).toPass({ timeout: 15_000 }),
    ready: (p) => p.getByTestId('deliveries').first(),
  },
  {
    file: 'webhooks-added',
    open: async (p) => {
      await p.goto(WEBHOOKS_URL);
      await p.getByLabel('Endpoint URL').fill('https://hooks.example.com/tessera/events');
      await p.getByRole('checkbox', { name: 'Member events member.*' }).check();
      await p.getByRole('button', { name: 'Add endpoint' }).click();
    },
    ready: (p) => p.getByTestId('webhook-added'),
  },
];

for (const combo of COMBOS) {
  test(`screenshots (${combo.scheme}, ${combo.viewport})`, async ({ page, browser, tessera }) => {
    mkdirSync(DIR, { recursive: true });
    const hooks = await startReceiver();
    const soloContext = await browser.newContext({ baseURL: tessera.url });
    const pages: Pages = { owner: page, solo: await soloContext.newPage() };
    for (const p of Object.values(pages)) {
      await p.setViewportSize({ width: combo.width, height: combo.height });
      await p.emulateMedia({ colorScheme: combo.scheme });
    }
    try {
      await setUp(page);
      // Endpoints first, so that what follows is delivered: one answering, one nobody listens on.
      await addWebhook(page, hooks.url('/hooks/tessera'));
      await addWebhook(page, 'http://127.0.0.1:9/nobody/listens/here', { member_events: 'on', events: 'token.expiring' });
      await createToken(page, 'VS Code Extension', 90);
      await createToken(page, '', 3);
      const ci = await createToken(page, 'CI/CD Pipeline', 30);
      await rpc(page, 'tokens/rotate', { id: ci.id, grace: '24h' });
      const dev = await addMember(page, browser, tessera, 'dev@example.com', 'admin');
      await createToken(dev, 'Dev laptop', 60);
      await dev.close();
      await rpc(page, 'orgs/members/invite', { email: 'pending@example.com', role: 'viewer' });
      await tessera.cli(['user', 'create', '--email', 'solo@example.com'], `${PASSWORD}\n`);
      await tessera.cli(['org', 'create', '--name', 'Solo', '--owner', 'solo@example.com']);
      await rpc(pages.solo, 'auth/login', { email: 'solo@example.com', password: PASSWORD });

      for (const shot of SHOTS) {
        const p = pages[shot.who ?? 'owner'];
        await shot.open(p);
        await expect(shot.ready(p)).toBeVisible();
        await hydrated(p);
        const file = path.join(DIR, `${shot.file}-${combo.scheme}-${combo.viewport}.png`);
        await p.screenshot({ path: file, fullPage: true });
        expect(statSync(file).size, file).toBeGreaterThan(10_000);
      }
    } finally {
      await soloContext.close();
      await hooks.close();
    }
  });
}
