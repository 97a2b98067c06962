import { test, expect, hydrated, setUp } from './fixtures';

// Pictures of the main pages, light and dark, wide and narrow, for people to look at (end2end/screenshots/).
// The assertions only check that each page rendered; the pictures are the point.
const shots: { name: string; width: number; scheme: 'light' | 'dark' }[] = [
  { name: 'light', width: 1280, scheme: 'light' },
  { name: 'dark', width: 1280, scheme: 'dark' },
  { name: 'mobile', width: 390, scheme: 'light' },
];

for (const { name, width, scheme } of shots) {
  test(`screenshots (${name})`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await page.emulateMedia({ colorScheme: scheme });
    await setUp(page);
    const rpc = (path: string, form: Record<string, string>) =>
      page.request.post(path, { form, headers: { accept: 'application/json' } });
    await rpc('/rpc/orgs/members/add', { email: 'dev@example.com', role: 'member' });
    await rpc('/rpc/tokens/create', { name: 'VS Code Extension', expires_in_days: '90' });
    await rpc('/rpc/tokens/create', { name: '', expires_in_days: '3' });
    await rpc('/rpc/tokens/create', { name: 'CI/CD Pipeline', expires_in_days: '30' });

    const snap = async (file: string) => {
      await expect(page.locator('main')).toBeVisible();
      await page.screenshot({ path: `screenshots/${file}-${name}.png`, fullPage: true });
    };
    for (const [path, file] of [
      ['/', 'home'],
      ['/app/settings/members', 'members'],
      ['/app/settings/api', 'tokens'],
      ['/app/settings/api?new=1', 'tokens-create'],
    ]) {
      await page.goto(path);
      await hydrated(page);
      await snap(file);
    }
    await page.getByLabel('Name').fill('MCP Server');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.getByTestId('token-reveal')).toBeVisible();
    await snap('tokens-reveal');
    await page.getByTestId('close-reveal').click();
    await page.getByRole('button', { name: 'Delete CI/CD Pipeline' }).click();
    await expect(page.getByRole('alertdialog')).toBeVisible();
    await snap('tokens-delete');
  });
}
