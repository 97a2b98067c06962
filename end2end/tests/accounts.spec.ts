import { test, expect, watchConsole, hydrated, OWNER, PASSWORD, setUp } from './fixtures';

test.describe('accounts', () => {
  test('first-run setup, then sign out and sign in again', async ({ page }) => {
    const errors = watchConsole(page);
    await page.goto('/');
    await expect(page).toHaveURL(/\/setup$/);
    await hydrated(page);
    await page.getByLabel('Email').fill(OWNER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Organization name').fill('Acme');
    await page.getByRole('button', { name: 'Create account' }).click();

    await expect(page).toHaveURL(/\/app\/settings\/api$/);
    await expect(page.getByTestId('signed-in-as')).toHaveText(OWNER);
    await expect(page.getByTestId('current-org')).toHaveText('Acme');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login$/);
    await expect(page.getByRole('heading', { name: 'Sign in to Tessera' })).toBeVisible();

    await page.getByLabel('Email').fill(OWNER);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('form-error')).toHaveText('Incorrect email or password.');
    // The browser logs the refused sign-in (422) as a failed request; it is the expected answer.
    errors.splice(0, errors.length, ...errors.filter((e) => !e.includes('status of 422')));

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/app\/settings\/api$/);
    await expect(page.getByTestId('signed-in-as')).toHaveText(OWNER);
    expect(errors).toEqual([]);
  });

  test('the same setup flow with JavaScript disabled', async ({ browser, tessera }) => {
    const context = await browser.newContext({ javaScriptEnabled: false, baseURL: tessera.url });
    const page = await context.newPage();
    await page.goto('/');
    await expect(page).toHaveURL(/\/setup$/);
    // A mistake is explained, and the form can be sent again.
    await page.getByLabel('Email').fill(OWNER);
    await page.getByLabel('Password').fill('short');
    await page.getByLabel('Organization name').fill('Acme');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByText('Use a password of at least 8 characters.')).toBeVisible();

    await page.getByLabel('Email').fill(OWNER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Organization name').fill('Acme');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page).toHaveURL(/\/app\/settings\/api$/);
    await expect(page.getByTestId('signed-in-as')).toHaveText(OWNER);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login$/);
    await page.getByLabel('Email').fill(OWNER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/app\/settings\/api$/);
    await context.close();
  });

  test('an admin adds a member, who accepts the invitation', async ({ page, browser, tessera }) => {
    const errors = watchConsole(page);
    await setUp(page);
    await page.goto('/app/settings/members');
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'Members', level: 1 })).toBeVisible();
    await page.getByLabel('Email').fill('new.person@example.com');
    await page.getByLabel('Role', { exact: true }).selectOption('admin');
    await page.getByRole('button', { name: 'Add member' }).click();

    await expect(page.getByTestId('member-added')).toContainText('new.person@example.com was added as Admin.');
    const link = (await page.getByTestId('invitation-link').textContent())!;
    expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
    const row = page.locator('[data-testid="member-row"][data-email="new.person@example.com"]');
    await expect(row.getByTestId('member-role')).toHaveText('Admin');
    await expect(row).toContainText('Invitation pending');

    // The invited person opens the link in their own browser and sets a password.
    const theirs = await browser.newContext({ baseURL: tessera.url });
    const them = await theirs.newPage();
    await them.goto(link);
    await expect(them.getByRole('heading', { name: 'Join Acme' })).toBeVisible();
    await hydrated(them);
    await them.getByLabel('Password').fill('their own password');
    await them.getByRole('button', { name: 'Set password and sign in' }).click();
    await expect(them).toHaveURL(/\/app\/settings\/api$/);
    await expect(them.getByTestId('signed-in-as')).toHaveText('new.person@example.com');
    await theirs.close();

    await page.reload();
    await expect(row).not.toContainText('Invitation pending');
    expect(errors).toEqual([]);
  });
});
