import { test, expect, watchConsole, hydrated, setUp } from './fixtures';

test.describe('home page', () => {
  test('is server-rendered: content is there with JavaScript disabled', async ({ browser, tessera }) => {
    const context = await browser.newContext({ javaScriptEnabled: false, baseURL: tessera.url });
    const page = await context.newPage();
    await setUp(page);
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('API tokens for your organization');
    await expect(page.getByTestId('quickstart-code')).toContainText('X-ZeroPath-API-Token-Id');
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
    await context.close();
  });

  test('hydrates, with no console errors, and the client tabs work', async ({ page }) => {
    const errors = watchConsole(page);
    await setUp(page);
    await page.goto('/');
    await hydrated(page);
    const code = page.getByTestId('quickstart-code');
    await expect(code).toContainText('curl');
    await page.getByRole('tab', { name: 'Python' }).click();
    await expect(page.getByRole('tab', { name: 'Python' })).toHaveAttribute('aria-selected', 'true');
    await expect(code).toContainText('import os, requests');
    await page.getByRole('tab', { name: 'Node.js' }).click();
    await expect(code).toContainText('process.env.TOKEN_ID');
    expect(errors).toEqual([]);
  });
});
