import {
  test,
  expect,
  watchConsole,
  hydrated,
  setUp,
  rpc,
  createToken,
  whoami,
  expectSecretGone,
  shownDate,
  parseShownDateTime,
  OWNER,
  UUID_V4,
  SECRET,
  TOKENS_URL,
  MEMBERS_URL,
  Page,
} from './fixtures';

const row = (page: Page, id: string) => page.locator(`[data-testid="token-row"][data-token-id="${id}"]`);

/** Is the focused element inside the open modal dialog? `body` means the browser's own UI (Chromium lets
 * Tab leave a modal dialog for the address bar), which is allowed; anything else in the page is not. */
async function focusInDialog(page: Page): Promise<'dialog' | 'browser' | string> {
  return page.evaluate(() => {
    const active = document.activeElement;
    const dialog = document.querySelector('dialog[open]');
    if (dialog && active && dialog.contains(active)) return 'dialog';
    if (!active || active === document.body) return 'browser';
    return active.outerHTML.slice(0, 120);
  });
}

test.describe('API tokens', () => {
  test('create, copy, list, reload and delete a token', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const errors = watchConsole(page);
    await setUp(page);

    // Settings → API Tokens, from the settings navigation (signed in, `/` leads to the tokens already).
    await page.goto(MEMBERS_URL);
    await hydrated(page);
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'API Tokens' }).click();
    await expect(page).toHaveURL(new RegExp(`${TOKENS_URL}$`));
    await expect(page.getByRole('heading', { name: 'API Tokens', level: 1 })).toBeVisible();
    await expect(page.getByTestId('tokens-empty')).toBeVisible();

    // Create Token opens the form in place (without JavaScript it is a GET to ?new=1); the name field has focus.
    await page.getByRole('button', { name: 'Create Token' }).click();
    await expect(page).toHaveURL(new RegExp(`${TOKENS_URL}$`));
    const form = page.getByTestId('create-token-form');
    await expect(form).toBeVisible();
    await hydrated(page);
    await expect(form.getByLabel('Name')).toBeFocused();
    await form.getByLabel('Name').fill('CI/CD Pipeline');
    const sevenDays = form.getByRole('radio', { name: /^7 days/ });
    await sevenDays.check();
    // The chip's accessible name carries the date ("7 days, until Dec 8, 2026"); the live text agrees.
    const inSevenDays = shownDate(Date.now() + 7 * 86_400_000);
    await expect(sevenDays).toHaveAccessibleName(new RegExp(`^7 days\\s?, until ${inSevenDays}$`));
    await expect(form.getByTestId('expiry-result')).toHaveText(`The token will expire on ${inSevenDays}.`);
    await form.getByRole('button', { name: 'Create', exact: true }).click();

    // The reveal panel: Token ID and Token Secret, the secret focused, a ready-to-paste example.
    const reveal = page.getByTestId('token-reveal');
    await expect(reveal.getByRole('heading', { name: 'Token “CI/CD Pipeline” created' })).toBeVisible();
    await expect(reveal).toContainText('Copy the Token Secret now. It is shown only once.');
    const id = (await reveal.getByTestId('token-id').textContent())!.trim();
    const secret = (await reveal.getByTestId('token-secret').textContent())!.trim();
    expect(id).toMatch(UUID_V4);
    expect(secret).toMatch(SECRET);
    await expect(reveal.getByTestId('token-secret')).toBeFocused();
    expect(page.url(), 'the secret must never be in a URL').not.toContain(secret);
    await expect(reveal.getByTestId('token-example')).toContainText(`X-ZeroPath-API-Token-Id: ${id}`);
    await expect(reveal.getByTestId('token-example')).toContainText(`X-ZeroPath-API-Token-Secret: ${secret}`);
    await expect(page.getByRole('button', { name: 'Create Token' }), 'no second form while the secret shows').toHaveCount(0);

    // Copy buttons, by their accessible names; the clipboard holds exactly the value.
    await hydrated(page);
    const copyId = reveal.getByRole('button', { name: 'Copy Token ID' });
    await expect(copyId).toHaveAttribute('data-testid', 'copy-token-id');
    await copyId.click();
    await expect(copyId).toHaveText('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(id);
    const copySecret = reveal.getByRole('button', { name: 'Copy Token Secret' });
    await expect(copySecret).toHaveAttribute('data-testid', 'copy-token-secret');
    await copySecret.click();
    await expect(copySecret).toHaveText('Copied');
    await expect(reveal.getByRole('status').filter({ hasText: 'Token Secret copied to the clipboard' })).toBeAttached();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    // And the secret works.
    expect((await whoami(page, { id, secret })).status()).toBe(200);

    // Close the panel: the row has the name, the creation and the expiration.
    await reveal.getByRole('link', { name: "Done, I've copied it" }).click();
    await expect(page).toHaveURL(new RegExp(`${TOKENS_URL}$`));
    await expect(page.getByTestId('token-reveal')).toHaveCount(0);
    await expectSecretGone(page, secret);
    const token = row(page, id);
    await expect(token.getByTestId('token-name')).toHaveText('CI/CD Pipeline');
    await expect(token.getByTestId('token-created')).toHaveText(`${shownDate(Date.now())} by ${OWNER}`);
    await expect(token.getByTestId('token-expires')).toHaveText(`${inSevenDays} (expires in 7 days)`);
    await expect(token.getByTestId('expiry-warning')).toHaveText('expires in 7 days');
    // whoami above used it.
    await expect(token.getByTestId('token-last-used')).toHaveText('just now from 127.0.0.1');
    await expect(page.getByTestId('expiring-banner')).toContainText('1 token expires within 7 days.');
    await expect(page.getByTestId('expiring-banner')).toContainText('CI/CD Pipeline (expires in 7 days)');

    // Reload: the secret is nowhere.
    await page.reload();
    await hydrated(page);
    await expect(token).toBeVisible();
    await expectSecretGone(page, secret);

    // Delete: a modal dialog takes focus and keeps it; Escape and Cancel close it and focus returns.
    const deleteButton = token.getByRole('button', { name: 'Delete CI/CD Pipeline' });
    const dialog = page.getByRole('dialog', { name: 'Delete “CI/CD Pipeline”?' });
    await deleteButton.click();
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText('Programs using this token stop working immediately.');
    await expect(dialog).toContainText(id);
    expect(await focusInDialog(page), 'focus moves into the dialog').toBe('dialog');
    const visited = new Set<string>();
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      const where = await focusInDialog(page);
      expect(where, `Tab ${i + 1} left the dialog for an element behind it`).toMatch(/^(dialog|browser)$/);
      if (where === 'dialog') visited.add(await page.evaluate(() => document.activeElement!.textContent!.trim()));
    }
    expect([...visited].sort(), 'Tab reaches both dialog buttons').toEqual(['Cancel', 'Delete token']);
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(deleteButton).toBeFocused();

    await deleteButton.click();
    await expect(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(deleteButton).toBeFocused();
    await expect(token).toBeVisible();
    expect((await whoami(page, { id, secret })).status(), 'Cancel deletes nothing').toBe(200);

    await deleteButton.click();
    await dialog.getByRole('button', { name: 'Delete token' }).click();
    await expect(page.getByTestId('token-deleted')).toHaveText('Token “CI/CD Pipeline” deleted. It no longer works.');
    // Gone from the active tokens; kept, collapsed, under "Revoked tokens", saying why.
    await expect(page.getByTestId('tokens-list')).toHaveCount(0);
    await expect(page.getByTestId('tokens-empty')).toBeVisible();
    await expect(page.getByTestId('expiring-banner')).toHaveCount(0);
    const revoked = page.getByTestId('revoked-tokens');
    await expect(revoked.locator('summary')).toHaveText('Revoked tokens (1)');
    await expect(row(page, id)).toBeHidden();
    await revoked.locator('summary').click();
    await expect(row(page, id).getByTestId('token-revoked')).toHaveText(`${shownDate(Date.now())} — Deleted`);
    await expect(row(page, id).getByRole('button')).toHaveCount(0);
    expect((await whoami(page, { id, secret })).status(), 'a deleted token stops working at once').toBe(401);
    expect(errors).toEqual([]);
  });

  test('the page has exactly one "Create Token" control, empty or not', async ({ page }) => {
    await setUp(page);
    await page.goto(TOKENS_URL);
    await hydrated(page);
    await expect(page.getByTestId('tokens-empty')).toBeVisible();
    // Strict: fails if the empty state offered a second button (as the old page did).
    await expect(page.getByRole('button', { name: 'Create Token' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Create Token' })).toHaveCount(0);
    await expect(page.getByTestId('create-token-button')).toHaveCount(1);

    await createToken(page, 'Deploy script');
    await page.reload();
    await expect(page.getByTestId('token-row')).toHaveCount(1);
    await expect(page.getByRole('button', { name: 'Create Token' })).toBeVisible();

    // With the form open, the form's own "Create" is the only way on.
    await page.getByRole('button', { name: 'Create Token' }).click();
    await expect(page.getByTestId('create-token-form')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create Token' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Create', exact: true })).toHaveCount(1);
  });

  test('rotate in the dashboard: both secrets work during the grace period; the audit log has it', async ({
    page,
    context,
  }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const errors = watchConsole(page);
    await setUp(page);
    const old = await createToken(page, 'Deploy script', 30);
    const before = await whoami(page, old);
    expect(before.status()).toBe(200);
    expect((await before.json()).token.id).toBe(old.id);

    await page.goto(TOKENS_URL);
    await hydrated(page);
    const rotateButton = row(page, old.id).getByRole('button', { name: 'Rotate Deploy script' });
    await rotateButton.click();
    const dialog = page.getByRole('dialog', { name: 'Rotate “Deploy script”' });
    await expect(dialog).toBeVisible();
    expect(await focusInDialog(page), 'focus moves into the dialog').toBe('dialog');
    await expect(dialog.getByRole('radio', { name: '24 hours' }), 'the default grace period').toBeChecked();
    await dialog.getByRole('radio', { name: '1 hour' }).check();
    const rotatedAt = Date.now();
    await dialog.getByRole('button', { name: 'Rotate token' }).click();

    // The successor's secret, shown once in the same panel, with the old secret's deadline.
    const reveal = page.getByTestId('token-reveal');
    await expect(reveal.getByRole('heading', { name: 'Token “Deploy script” rotated' })).toBeVisible();
    const grace = reveal.getByTestId('rotation-grace');
    await expect(grace).toContainText('The old secret keeps working until');
    const graceText = (await grace.textContent())!;
    const deadline = graceText.match(/until (.+? UTC)/)![1];
    const validUntil = parseShownDateTime(deadline);
    // Shown to the minute: one hour from the rotation, give or take that minute.
    expect(validUntil).toBeGreaterThan(rotatedAt + 58 * 60_000);
    expect(validUntil).toBeLessThan(rotatedAt + 61 * 60_000);
    const fresh = {
      id: (await reveal.getByTestId('token-id').textContent())!.trim(),
      secret: (await reveal.getByTestId('token-secret').textContent())!.trim(),
    };
    expect(fresh.id).toMatch(UUID_V4);
    expect(fresh.secret).toMatch(SECRET);
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.secret).not.toBe(old.secret);
    await expect(reveal.getByTestId('token-secret')).toBeFocused();

    await hydrated(page);
    await reveal.getByRole('button', { name: 'Copy Token Secret' }).click();
    await expect(reveal.getByRole('button', { name: 'Copy Token Secret' })).toHaveText('Copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(fresh.secret);

    // Both secrets authenticate now: the new one as the successor, the old one until its grace ends.
    const asNew = await whoami(page, { id: fresh.id, secret: copied });
    expect(asNew.status()).toBe(200);
    expect((await asNew.json()).token).toMatchObject({ id: fresh.id, name: 'Deploy script' });
    const asOld = await whoami(page, old);
    expect(asOld.status(), 'the old secret works during its grace period').toBe(200);
    expect((await asOld.json()).token.id).toBe(old.id);
    expect((await whoami(page, { id: fresh.id, secret: old.secret })).status(), 'secrets are not interchangeable').toBe(401);

    // The list: the successor, and the old token marked as rotating (and not rotatable again).
    await reveal.getByRole('link', { name: "Done, I've copied it" }).click();
    await expectSecretGone(page, fresh.secret);
    await expect(row(page, fresh.id).getByTestId('token-name')).toHaveText('Deploy script');
    const oldRow = row(page, old.id);
    // The badge names the same minute as the reveal panel did.
    await expect(oldRow.getByTestId('rotating')).toHaveText(`rotating — old secret valid until ${deadline}`);
    await expect(oldRow.getByRole('button', { name: /^Rotate/ })).toHaveCount(0);
    // The two rows share a name: each control's name ends with its token's short id, so it is unique.
    const [oldShort, freshShort] = [old.id.slice(0, 8), fresh.id.slice(0, 8)];
    await expect(oldRow.getByRole('button', { name: `Delete Deploy script (${oldShort})`, exact: true })).toBeVisible();
    await expect(row(page, fresh.id).getByRole('button', { name: `Delete Deploy script (${freshShort})`, exact: true })).toBeVisible();
    await expect(row(page, fresh.id).getByRole('button', { name: `Rotate Deploy script (${freshShort})`, exact: true })).toBeVisible();
    await expect(row(page, fresh.id).getByRole('link', { name: `History of Deploy script (${freshShort})`, exact: true })).toBeVisible();

    // Its History link: the audit log filtered to this token, with its creation and its rotation.
    await oldRow.getByRole('link', { name: `History of Deploy script (${oldShort})`, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`/app/settings/audit\\?token_id=${old.id}$`));
    await expect(page.getByRole('heading', { name: 'Audit log', level: 1 })).toBeVisible();
    await expect(page.getByRole('textbox', { name: 'Token ID' })).toHaveValue(old.id);
    const rows = page.getByTestId('audit-row');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toHaveAttribute('data-event', 'token.rotated');
    await expect(rows.nth(1)).toHaveAttribute('data-event', 'token.created');
    const rotatedRow = page.locator('[data-testid="audit-row"][data-event="token.rotated"]');
    await expect(rotatedRow).toContainText('Token rotated');
    await expect(rotatedRow).toContainText(`by ${OWNER}`);
    await expect(rotatedRow).toContainText('grace_period: 1h');
    await expect(rotatedRow).toContainText(`successor: ${fresh.id}`);
    await expect(page.locator('[data-testid="audit-row"][data-event="token.created"]')).toContainText('lifetime_days: 30');
    // The filter form does the same.
    await page.getByLabel('Event', { exact: true }).selectOption('token.rotated');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page).toHaveURL(/type=token\.rotated/);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute('data-event', 'token.rotated');
    expect(errors).toEqual([]);
  });

  test('the rotate dialog does not open with focus on an unchecked grace period', async ({ page }) => {
    await setUp(page);
    await createToken(page, 'Deploy script');
    await page.goto(TOKENS_URL);
    await hydrated(page);
    await page.getByRole('button', { name: 'Rotate Deploy script' }).click();
    await expect(page.getByRole('dialog', { name: 'Rotate “Deploy script”' })).toBeVisible();
    // showModal focuses the first focusable element: the "None: the old secret stops now" radio, not the
    // checked "24 hours". Space there picks the destructive choice. Autofocus the checked radio instead.
    const focused = await page.evaluate(() => {
      const a = document.activeElement as HTMLInputElement;
      return { radio: a.type === 'radio', checked: a.checked, label: a.labels?.[0]?.textContent?.trim() };
    });
    expect(focused.radio && !focused.checked, `focus starts on the unchecked radio "${focused.label}"`).toBe(false);
  });

  test("a rotation's successor has an audit history of its own", async ({ page }) => {
    await setUp(page);
    const old = await createToken(page, 'Deploy script', 30);
    const rotated = await rpc<{ successor: { id: string } }>(page, 'tokens/rotate', { id: old.id, grace: '1h' });
    await page.goto(TOKENS_URL);
    // The successor is the token programs use from now on; its History must say where it came from.
    await row(page, rotated.successor.id).getByRole('link', { name: `History of Deploy script (${rotated.successor.id.slice(0, 8)})`, exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`token_id=${rotated.successor.id}$`));
    await expect(page.getByTestId('audit-empty'), 'the successor\'s History shows "No events"').toHaveCount(0, { timeout: 2000 });
    // Its creation, by the rotation: token.created with the token it replaced.
    const created = page.locator('[data-testid="audit-row"][data-event="token.created"]');
    await expect(created).toHaveCount(1);
    await expect(created).toContainText(`rotated_from: ${old.id}`);
    await expect(created).toContainText(`by ${OWNER}`);
    // And the old token's History still has its own creation and the rotation, not the successor's creation.
    await page.goto(`/app/settings/audit?token_id=${old.id}`);
    await expect(page.getByTestId('audit-row')).toHaveCount(2);
    await expect(page.locator('[data-testid="audit-row"][data-event="token.rotated"]')).toContainText(`successor: ${rotated.successor.id}`);

    // Each control has one name on the page, though both rows are "Deploy script".
    await page.goto(TOKENS_URL);
    await hydrated(page);
    const names = await page.getByTestId('token-row').locator(':is(a, button):not(dialog *)').evaluateAll((els) =>
      els.map((e) => e.getAttribute('aria-label') ?? e.textContent!.trim()),
    );
    expect(names.filter((n, i) => names.indexOf(n) !== i), `the same name twice among ${names.join(', ')}`).toEqual([]);
    const [oldShort, freshShort] = [old.id.slice(0, 8), rotated.successor.id.slice(0, 8)];
    expect(names).toEqual(
      expect.arrayContaining([
        `Delete Deploy script (${oldShort})`,
        `History of Deploy script (${oldShort})`,
        `Delete Deploy script (${freshShort})`,
        `Rotate Deploy script (${freshShort})`,
      ]),
    );
  });

  test('"Custom" without a number of days is refused, not turned into the default', async ({ page }) => {
    await setUp(page);
    await page.goto(`${TOKENS_URL}?new=1`);
    await hydrated(page);
    const form = page.getByTestId('create-token-form');
    await form.getByLabel('Name').fill('No lifetime');
    await form.getByRole('radio', { name: 'Custom' }).check();
    await expect(form.getByTestId('expiry-result')).toHaveText('Choose between 1 and 365 days.');
    await form.getByRole('button', { name: 'Create', exact: true }).click();
    await page.waitForLoadState();
    // The page itself said the choice is invalid: creating a 30-day token anyway is wrong.
    await expect(page.getByTestId('token-reveal'), 'a token was created with the default lifetime').toHaveCount(0, { timeout: 2000 });
    await expect(page.getByTestId('create-token-form').locator('.error-text')).toBeVisible();
    await expect(page.getByLabel('Custom number of days')).toHaveAttribute('aria-invalid', 'true');
    expect((await rpc<{ active: { items: unknown[] } }>(page, 'tokens/overview')).active.items).toHaveLength(0);
  });

  test('owners revoke every token at once in the danger zone, with a typed confirmation', async ({ page }) => {
    await setUp(page);
    const a = await createToken(page, 'CI/CD Pipeline');
    const b = await createToken(page, 'MCP Server');
    await page.goto(TOKENS_URL);
    await hydrated(page);
    const zone = page.getByTestId('danger-zone');
    await expect(zone.getByRole('heading', { name: 'Danger zone' })).toBeVisible();
    await zone.getByLabel('Type Acme to confirm').fill('acme inc');
    await zone.getByRole('button', { name: 'Revoke all tokens' }).click();
    await expect(page.getByTestId('danger-zone')).toContainText("Type the organization's name, Acme, to confirm.");
    await expect(page.getByLabel('Type Acme to confirm')).toHaveAttribute('aria-invalid', 'true');
    expect((await whoami(page, a)).status()).toBe(200);

    await page.getByLabel('Type Acme to confirm').fill('Acme');
    await page.getByRole('button', { name: 'Revoke all tokens' }).click();
    await expect(page.getByTestId('revoked-all')).toHaveText('2 tokens were revoked. Every program using them stopped working.');
    await expect(page.getByTestId('tokens-empty')).toBeVisible();
    const revoked = page.getByTestId('revoked-tokens');
    await expect(revoked.locator('summary')).toHaveText('Revoked tokens (2)');
    await expect(revoked.getByTestId('token-revoked').first()).toContainText('Revoked with every token in the organization');
    await revoked.locator('summary').click();
    await expect(revoked.getByTestId('token-row')).toHaveCount(2);
    expect((await whoami(page, a)).status()).toBe(401);
    expect((await whoami(page, b)).status()).toBe(401);
  });

  test('a name with markup is shown as text', async ({ page }) => {
    await setUp(page);
    await createToken(page, '<img src=x onerror=alert(1)><script>alert(2)</script>');
    let dialogs = 0;
    page.on('dialog', async (d) => {
      dialogs++;
      await d.dismiss();
    });
    await page.goto(TOKENS_URL);
    await hydrated(page);
    await expect(page.getByTestId('token-name')).toHaveText('<img src=x onerror=alert(1)><script>alert(2)</script>');
    await expect(page.locator('.settings-content img')).toHaveCount(0);
    expect(dialogs).toBe(0);
  });
});
