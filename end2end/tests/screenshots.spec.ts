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
    await page.request.post('/rpc/orgs/members/add', {
      form: { email: 'dev@example.com', role: 'member' },
      headers: { accept: 'application/json' },
    });
    for (const path of ['/', '/app/settings/members', '/app/settings/api']) {
      await page.goto(path);
      await hydrated(page);
      await expect(page.locator('main')).toBeVisible();
      const file = path === '/' ? 'home' : path.split('/').pop();
      await page.screenshot({ path: `screenshots/${file}-${name}.png`, fullPage: true });
    }
  });
}
