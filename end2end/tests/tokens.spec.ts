import AxeBuilder from '@axe-core/playwright';
import { test, expect, watchConsole, hydrated, setUp, Page } from './fixtures';

/** Serious and critical accessibility violations on the page as it is now. */
async function axeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

test.describe('API tokens', () => {
  test('create, copy, list, reload and delete, as the user steps say', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const errors = watchConsole(page);
    await setUp(page);

    // Open Settings → API Tokens.
    await page.goto('/');
    await hydrated(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API Tokens' }).click();
    await expect(page).toHaveURL(/\/app\/settings\/api$/);
    await expect(page.getByRole('heading', { name: 'API Tokens', level: 1 })).toBeVisible();
    await expect(page.getByTestId('tokens-empty')).toBeVisible();

    // Create Token with a name and 7 days.
    await page.getByRole('button', { name: 'Create Token' }).first().click();
    await page.getByLabel('Name').fill('CI/CD Pipeline');
    await page.getByLabel('7 days').check();
    await expect(page.getByTestId('expiry-result')).toContainText('The token will expire on');
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    // Read the Token ID and Token Secret.
    const reveal = page.getByTestId('token-reveal');
    await expect(reveal).toContainText('shown only once');
    const id = (await reveal.getByTestId('token-id').textContent())!.trim();
    const secret = (await reveal.getByTestId('token-secret').textContent())!.trim();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(secret).toMatch(/^tsr_[0-9A-Za-z]{49}$/);
    await expect(reveal.getByTestId('token-example')).toContainText(`X-ZeroPath-API-Token-Id: ${id}`);
    await expect(reveal.getByTestId('token-example')).toContainText(`X-ZeroPath-API-Token-Secret: ${secret}`);

    // Copy the secret: the clipboard holds it.
    await reveal.getByRole('button', { name: 'Copy Token Secret' }).click();
    await expect(reveal.getByRole('button', { name: 'Copy Token Secret' })).toHaveText('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    // Close the panel: the row is there with name, creation date and expiration date.
    await page.getByTestId('close-reveal').click();
    await expect(page.getByTestId('token-reveal')).toHaveCount(0);
    expect(await page.content()).not.toContain(secret);
    const row = page.locator(`[data-testid="token-row"][data-token-id="${id}"]`);
    await expect(row.getByTestId('token-name')).toHaveText('CI/CD Pipeline');
    await expect(row.getByTestId('token-created')).toContainText('by owner@example.com');
    await expect(row.getByTestId('token-expires')).toContainText('expires in 7 days');
    await expect(row.getByTestId('expiry-warning')).toBeVisible();
    await expect(row.getByTestId('token-last-used')).toHaveText('Never');

    // Reload: the secret is nowhere on the page.
    await page.reload();
    await hydrated(page);
    await expect(row).toBeVisible();
    expect(await page.content()).not.toContain(secret);

    // Delete it, with confirmation; the row is gone.
    await row.getByRole('button', { name: 'Delete CI/CD Pipeline' }).click();
    const dialog = page.getByRole('alertdialog');
    await expect(dialog).toContainText('stop working immediately');
    await dialog.getByRole('link', { name: 'Cancel' }).click();
    await expect(page.getByRole('alertdialog')).toHaveCount(0);
    await expect(row).toBeVisible();
    await row.getByRole('button', { name: 'Delete CI/CD Pipeline' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await expect(row).toHaveCount(0);
    await expect(page.getByTestId('tokens-empty')).toBeVisible();
    expect(errors).toEqual([]);
  });

  test('the same flow with JavaScript disabled', async ({ browser, tessera }) => {
    const context = await browser.newContext({ javaScriptEnabled: false, baseURL: tessera.url });
    const page = await context.newPage();
    await setUp(page);
    await page.goto('/app/settings/api');
    await page.getByRole('button', { name: 'Create Token' }).first().click();
    await expect(page).toHaveURL(/\?new=1$/);

    // A bad value is explained by the server and nothing is created. (Out-of-range days are already
    // stopped by the browser's own validation of the number field.)
    await page.getByLabel('Name').fill('x'.repeat(101));
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.getByText('A token name has at most 100 characters; this one has 101.')).toBeVisible();
    await expect(page.getByTestId('tokens-empty')).toBeVisible();

    await page.getByLabel('Name').fill('Nightly build');
    await page.getByLabel('7 days').check();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const reveal = page.getByTestId('token-reveal');
    await expect(reveal).toContainText('shown only once');
    const id = (await reveal.getByTestId('token-id').textContent())!.trim();
    const secret = (await reveal.getByTestId('token-secret').textContent())!.trim();
    expect(secret).toMatch(/^tsr_/);

    await page.getByTestId('close-reveal').click();
    await expect(page.getByTestId('token-reveal')).toHaveCount(0);
    await expect(page).toHaveURL(/\/app\/settings\/api$/);
    expect(await page.content()).not.toContain(secret);
    const row = page.locator(`[data-testid="token-row"][data-token-id="${id}"]`);
    await expect(row.getByTestId('token-name')).toHaveText('Nightly build');
    await expect(row.getByTestId('token-expires')).toContainText('expires in 7 days');

    await row.getByRole('button', { name: 'Delete Nightly build' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await expect(page).toHaveURL(/\/app\/settings\/api$/);
    await expect(row).toHaveCount(0);
    await context.close();
  });

  test('a name with markup is shown as text', async ({ page }) => {
    await setUp(page);
    const response = await page.request.post('/rpc/tokens/create', {
      form: { name: '<script>alert(1)</script>', expires_in_days: '30' },
      headers: { accept: 'application/json' },
    });
    expect(response.status()).toBe(200);
    let dialogs = 0;
    page.on('dialog', () => dialogs++);
    await page.goto('/app/settings/api');
    await hydrated(page);
    await expect(page.getByTestId('token-name')).toHaveText('<script>alert(1)</script>');
    expect(dialogs).toBe(0);
  });

  test('accessibility: no serious violations, and everything by keyboard', async ({ page }) => {
    await setUp(page);
    await page.goto('/app/settings/api');
    await hydrated(page);
    expect(await axeViolations(page)).toEqual([]);

    // Keyboard only: reach "Create Token", open the form, fill it, create.
    await page.getByTestId('create-token-button').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('create-token-form')).toBeVisible();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Name').focus();
    await page.keyboard.type('Keyboard token');
    // Tab reaches the expiration choices (on the selected one); arrows move between them.
    await page.keyboard.press('Tab');
    await expect(page.getByLabel('30 days')).toBeFocused();
    await page.keyboard.press('ArrowLeft');
    await expect(page.getByLabel('7 days')).toBeChecked();
    for (let i = 0; i < 5 && !(await page.getByRole('button', { name: 'Create', exact: true }).evaluate((b) => b === document.activeElement)); i++) {
      await page.keyboard.press('Tab');
    }
    await expect(page.getByRole('button', { name: 'Create', exact: true })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('token-reveal')).toBeVisible();
    await expect(page.getByTestId('token-reveal')).toContainText('Keyboard token');
    expect(await axeViolations(page)).toEqual([]);

    // The copy buttons and the close link are reachable with Tab.
    const reached: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      reached.push(await page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? ''));
    }
    expect(reached).toEqual(expect.arrayContaining(['copy-token-id', 'copy-token-secret', 'close-reveal']));
    await page.getByTestId('close-reveal').focus();
    await page.keyboard.press('Enter');

    // Delete by keyboard: the confirmation focuses its button; Escape cancels.
    const row = page.getByTestId('token-row');
    await row.getByRole('button', { name: /^Delete/ }).focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('alertdialog')).toBeVisible();
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await expect(page.getByRole('alertdialog')).toHaveCount(0);
  });
});
