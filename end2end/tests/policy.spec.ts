import {
  test,
  expect,
  watchConsole,
  hydrated,
  setUp,
  createToken,
  whoami,
  addMember,
  shownDate,
  POLICY_URL,
  TOKENS_URL,
} from './fixtures';

test.describe('token policy', () => {
  test('an owner sets max 90 / default 14 days, with a live preview; the create form follows it', async ({ page }) => {
    // Out of range (900 below), the preview's request is refused with a 422, which Chromium logs.
    const errors = watchConsole(page, { allow: [/status of 422/] });
    await setUp(page);
    await createToken(page, 'Month', 30);
    const year = await createToken(page, 'Year', 365);

    await page.goto(POLICY_URL);
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'Token policy', level: 1 })).toBeVisible();
    const max = page.getByLabel('Maximum lifetime (days)');
    const preview = page.getByTestId('policy-preview');
    await expect(max).toHaveValue('365');
    await expect(preview).toHaveText('No active token exceeds this maximum.');
    // The preview is announced: it is part of the field's description and a polite live region.
    await expect(preview).toHaveAttribute('aria-live', 'polite');
    await expect(max).toHaveAccessibleDescription(/No active token exceeds this maximum\./);

    // Typing asks the server how many live tokens each value would refuse.
    await max.fill('20');
    await expect(preview).toHaveText('2 active tokens exceed this maximum and would be refused.');
    await max.fill('90');
    await expect(preview).toHaveText('1 active token exceeds this maximum and would be refused.');
    await max.pressSequentially('0'); // 900: out of range, no count
    await expect(preview).not.toContainText('active token');
    await max.press('Backspace');
    await expect(preview).toHaveText('1 active token exceeds this maximum and would be refused.');

    await page.getByLabel('Default lifetime (days)').fill('14');
    await page.getByTestId('save-policy').click();
    const saved = page.getByTestId('policy-saved');
    await expect(saved).toContainText('The policy was saved.');
    await expect(saved).toContainText('refused from now on; rotate or replace it.');
    await expect(page.getByLabel('Maximum lifetime (days)')).toHaveValue('90');
    await expect(page.getByLabel('Default lifetime (days)')).toHaveValue('14');
    await expect(page.getByRole('main')).toContainText('Last changed');
    // The year-long token is refused from now on.
    expect((await whoami(page, year)).status()).toBe(401);

    // The create form offers at most 90 days, and proposes 14.
    await page.goto(`${TOKENS_URL}?new=1`);
    await hydrated(page);
    const form = page.getByTestId('create-token-form');
    const chips = form.getByRole('radiogroup', { name: 'Expiration' }).or(form.getByRole('group', { name: 'Expiration' }));
    const radios = chips.getByRole('radio');
    const offered = await radios.evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    expect(offered).toEqual(['7', '14', '30', '60', '90', 'custom']);
    await expect(form.getByRole('radio', { name: /^14 days/ })).toBeChecked();
    await expect(form.getByRole('radio', { name: /^365 days/ })).toHaveCount(0);
    await expect(form.getByTestId('expiry-result')).toHaveText(`The token will expire on ${shownDate(Date.now() + 14 * 86_400_000)}.`);
    const custom = form.getByLabel('Custom number of days');
    await expect(custom).toHaveAttribute('max', '90');
    await expect(custom).toHaveAttribute('placeholder', '1–90');
    // The custom number of days is there once "Custom" is chosen.
    await expect(custom).toBeHidden();
    await form.getByRole('radio', { name: 'Custom' }).check();
    await custom.fill('120');
    await expect(form.getByTestId('expiry-result')).toHaveText('Choose between 1 and 90 days.');
    await custom.fill('');
    await form.getByRole('radio', { name: /^14 days/ }).check();

    // Creating with the default gives a 14-day token.
    await form.getByLabel('Name').fill('Fortnight');
    await form.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.getByTestId('token-reveal')).toContainText(`Expires on ${shownDate(Date.now() + 14 * 86_400_000)}`);
    await page.getByRole('link', { name: "Done, I've copied it" }).click();
    await expect(page.getByTestId('token-row').filter({ hasText: 'Fortnight' }).getByTestId('token-expires')).toContainText('(expires in 14 days)');
    // The year-long token is flagged, and the banner says so.
    await expect(page.locator(`[data-token-id="${year.id}"]`).getByTestId('over-policy')).toHaveText('refused: exceeds policy');
    const banner = page.getByTestId('policy-banner');
    await expect(banner).toContainText("maximum lifetime of 90 days and is refused.");

    // The server holds the limit, whatever the form says.
    const tooLong = await page.request.post('/rpc/tokens/create', {
      form: { name: 'Too long', expires_in_days: '120' },
      headers: { accept: 'application/json' },
    });
    expect(tooLong.status()).toBe(422);
    expect((await tooLong.json()).field).toBe('expires_in_days');
    expect(errors).toEqual([]);
  });

  test('what the policy says about one refused token is grammatical', async ({ page }) => {
    await setUp(page);
    await createToken(page, 'Year', 365);
    await page.goto(POLICY_URL);
    await page.getByLabel('Maximum lifetime (days)').fill('90');
    await page.getByTestId('save-policy').click();
    // Both messages pluralize "token" but not the verb: "1 token outlive …".
    await expect.soft(page.getByTestId('policy-saved')).toHaveText(
      'The policy was saved. 1 token outlives the new maximum and is refused from now on; rotate or replace it.',
      { timeout: 2000 },
    );
    await page.goto(TOKENS_URL);
    await expect.soft(page.getByTestId('policy-banner')).toContainText(
      "1 token outlives the organization's maximum lifetime of 90 days and is refused.",
      { timeout: 2000 },
    );
  });

  test('an admin sees the policy but cannot change it', async ({ page, browser, tessera }) => {
    await setUp(page);
    const admin = await addMember(page, browser, tessera, 'admin@example.com', 'admin');
    const theirs = await admin.newPage();
    await theirs.goto(POLICY_URL);
    await hydrated(theirs);
    await expect(theirs.getByRole('status').filter({ hasText: 'Only owners can change the token policy.' })).toBeVisible();
    await expect(theirs.getByLabel('Maximum lifetime (days)')).toBeDisabled();
    await expect(theirs.getByTestId('save-policy')).toBeDisabled();
    const refused = await admin.request.post('/rpc/policy/set', {
      form: { max_lifetime_days: '7', default_lifetime_days: '7', revoke_unused_after_days: '' },
      headers: { accept: 'application/json' },
    });
    expect(refused.status()).toBe(403);
    await admin.close();
  });
});
