import { statSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { test, expect, hydrated, setUp, rpc, createToken, addMember, TOKENS_URL, MEMBERS_URL, AUDIT_URL, POLICY_URL, Page } from './fixtures';

// Pictures of the main pages for people to look at, in end2end/screenshots/ (gitignored). Nothing is
// compared with earlier pictures; each shot only has to show its page rendered and hydrated.
const DIR = path.resolve(__dirname, '../screenshots');

const COMBOS = [
  { scheme: 'light', viewport: 'desktop', width: 1280, height: 800 },
  { scheme: 'dark', viewport: 'desktop', width: 1280, height: 800 },
  { scheme: 'light', viewport: 'phone', width: 390, height: 844 },
  { scheme: 'dark', viewport: 'phone', width: 390, height: 844 },
] as const;

const SHOTS: { file: string; open: (page: Page) => Promise<unknown>; ready: (page: Page) => ReturnType<Page['getByTestId']> }[] = [
  { file: 'tokens', open: (p) => p.goto(TOKENS_URL), ready: (p) => p.getByTestId('token-row').first() },
  {
    file: 'tokens-reveal',
    open: async (p) => {
      await p.goto(`${TOKENS_URL}?new=1`);
      await p.getByLabel('Name').fill('MCP Server');
      await p.getByRole('button', { name: 'Create', exact: true }).click();
    },
    ready: (p) => p.getByTestId('token-reveal'),
  },
  { file: 'members', open: (p) => p.goto(MEMBERS_URL), ready: (p) => p.getByTestId('member-row').nth(1) },
  { file: 'audit', open: (p) => p.goto(AUDIT_URL), ready: (p) => p.getByTestId('audit-row').first() },
  { file: 'policy', open: (p) => p.goto(POLICY_URL), ready: (p) => p.getByTestId('policy-form') },
];

for (const combo of COMBOS) {
  test(`screenshots (${combo.scheme}, ${combo.viewport})`, async ({ page, browser, tessera }) => {
    mkdirSync(DIR, { recursive: true });
    await page.setViewportSize({ width: combo.width, height: combo.height });
    await page.emulateMedia({ colorScheme: combo.scheme });
    await setUp(page);
    await createToken(page, 'VS Code Extension', 90);
    await createToken(page, '', 3);
    const ci = await createToken(page, 'CI/CD Pipeline', 30);
    await rpc(page, 'tokens/rotate', { id: ci.id, grace: '24h' });
    const dev = await addMember(page, browser, tessera, 'dev@example.com', 'admin');
    await createToken(dev, 'Dev laptop', 60);
    await dev.close();
    await rpc(page, 'orgs/members/add', { email: 'pending@example.com', role: 'viewer' });

    for (const shot of SHOTS) {
      await shot.open(page);
      await expect(shot.ready(page)).toBeVisible();
      await hydrated(page);
      const file = path.join(DIR, `${shot.file}-${combo.scheme}-${combo.viewport}.png`);
      await page.screenshot({ path: file, fullPage: true });
      expect(statSync(file).size, file).toBeGreaterThan(10_000);
    }
  });
}
