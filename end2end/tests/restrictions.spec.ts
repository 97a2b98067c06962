import type { Locator } from '@playwright/test';
import { test, expect, watchConsole, hydrated, setUp, whoami, TOKENS_URL, Page } from './fixtures';

/** Presses Tab until `target` has focus (keyboard only: no clicks, no programmatic focus). */
async function tabTo(page: Page, target: Locator, limit = 80) {
  for (let i = 0; i < limit; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target}`);
}

test.describe('Token restrictions', () => {
  test('create a read-only token with an allowlist and a rate limit, keyboard only, and see its badges', async ({ page }) => {
    const errors = watchConsole(page);
    await setUp(page);
    await page.goto(TOKENS_URL);
    await hydrated(page);

    await tabTo(page, page.getByRole('button', { name: 'Create Token' }));
    await page.keyboard.press('Enter');
    const form = page.getByTestId('create-token-form');
    await expect(form.getByLabel('Name')).toBeFocused();
    await page.keyboard.type('CI runners');

    // The disclosure opens from the keyboard and says what each ceiling can and can't do.
    const details = form.getByTestId('restrictions');
    await expect(details).not.toHaveAttribute('open');
    await tabTo(page, form.getByText('Restrictions (optional)'));
    await page.keyboard.press('Enter');
    await expect(details).toHaveAttribute('open');
    await expect(form.getByTestId('ceiling-explanations')).toContainText("Viewer: can see members, see tokens");
    await expect(form.getByTestId('ceiling-explanations')).toContainText("can't delete anyone's tokens");

    const ceiling = form.getByLabel('Role ceiling');
    await tabTo(page, ceiling);
    for (let i = 0; i < 4 && (await ceiling.inputValue()) !== 'viewer'; i++) await page.keyboard.press('ArrowDown');
    await expect(ceiling).toHaveValue('viewer');

    await tabTo(page, form.getByLabel('IP allowlist'));
    await page.keyboard.type('127.0.0.1');
    await page.keyboard.press('Enter');
    await page.keyboard.type('10.0.0.0/8');
    await tabTo(page, form.getByLabel('Rate limit (requests per minute)'));
    await page.keyboard.type('60');
    await tabTo(page, form.getByRole('button', { name: 'Create', exact: true }));
    await page.keyboard.press('Enter');

    const reveal = page.getByTestId('token-reveal');
    await expect(reveal.getByRole('heading', { name: 'Token “CI runners” created' })).toBeVisible();
    const id = (await reveal.getByTestId('token-id').textContent())!.trim();
    const secret = (await reveal.getByTestId('token-secret').textContent())!.trim();

    // The list shows one badge per restriction.
    const row = page.locator(`[data-testid="token-row"][data-token-id="${id}"]`);
    const badges = row.getByTestId('restriction-badge');
    await expect(badges).toHaveCount(3);
    await expect(badges.nth(0)).toContainText('Read-only');
    await expect(badges.nth(1)).toContainText('IP: 2 networks');
    await expect(badges.nth(2)).toContainText('60/min');
    await page.reload();
    await hydrated(page);
    await expect(page.locator(`[data-testid="token-row"][data-token-id="${id}"]`).getByTestId('restriction-badge')).toHaveCount(3);

    // And the token works as chosen: read-only, from here (127.0.0.1), with its rate limit announced.
    const answer = await whoami(page, { id, secret });
    expect(answer.status()).toBe(200);
    const me = await answer.json();
    expect(me.role).toBe('viewer');
    expect(me.restrictions).toEqual({ ceiling: 'viewer', allowed_ips: ['127.0.0.1', '10.0.0.0/8'], rate_limit_per_minute: 60 });
    expect(answer.headers()['ratelimit-policy']).toBe('"token";q=60;w=60');
    expect(errors).toEqual([]);
  });

  test('a refused restriction keeps the disclosure open and says what to fix', async ({ page }) => {
    await setUp(page);
    await page.goto(TOKENS_URL);
    await hydrated(page);
    await tabTo(page, page.getByRole('button', { name: 'Create Token' }));
    await page.keyboard.press('Enter');
    const form = page.getByTestId('create-token-form');
    await tabTo(page, form.getByText('Restrictions (optional)'));
    await page.keyboard.press('Enter');
    await tabTo(page, form.getByLabel('IP allowlist'));
    await page.keyboard.type('10.0.0.0/40');
    await tabTo(page, form.getByRole('button', { name: 'Create', exact: true }));
    await page.keyboard.press('Enter');
    const field = form.getByLabel('IP allowlist');
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await expect(form).toContainText('an IPv4 prefix is 0 to 32');
    await expect(form.getByTestId('restrictions')).toHaveAttribute('open');
  });
});
