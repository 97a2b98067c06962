import {
  test,
  expect,
  watchConsole,
  hydrated,
  setUp,
  rpc,
  createToken,
  whoami,
  addMember,
  OWNER,
  MEMBERS_URL,
  TOKENS_URL,
  Page,
} from './fixtures';

const memberRow = (page: Page, email: string) => page.locator(`[data-testid="member-row"][data-email="${email}"]`);

test.describe('members', () => {
  test('an owner invites a new email; the invitee creates an account and lands on the dashboard', async ({
    page,
    context,
    browser,
    tessera,
  }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const errors = watchConsole(page);
    await setUp(page);
    await page.goto(MEMBERS_URL);
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'Members', level: 1 })).toBeVisible();
    const invite = page.getByTestId('invite-form');
    await invite.getByLabel('Email').fill('new.person@example.com');
    await invite.getByLabel('Role').selectOption({ label: 'Admin' });
    await invite.getByRole('button', { name: 'Invite member' }).click();

    await expect(page.getByTestId('member-invited')).toContainText('new.person@example.com was invited as Admin.');
    const linkText = page.getByTestId('invitation-link');
    const link = (await linkText.textContent())!.trim();
    expect(link).toMatch(new RegExp(`^${tessera.url}/invite/[A-Za-z0-9_-]{43}$`));
    await hydrated(page);
    const copy = page.getByRole('button', { name: 'Copy invitation link' });
    await copy.click();
    await expect(copy).toHaveText('Copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    // Pending until accepted; not a member yet.
    const pending = page.getByTestId('invitation-row').filter({ hasText: 'new.person@example.com' });
    await expect(pending).toContainText('Admin');
    await expect(pending).toContainText('Pending');
    await expect(pending).toContainText(`Invited by ${OWNER}`);
    await expect(memberRow(page, 'new.person@example.com')).toHaveCount(0);

    // They open the link in their own browser and choose a password.
    const theirs = await browser.newContext({ baseURL: tessera.url });
    const them = await theirs.newPage();
    const theirErrors = watchConsole(them);
    await them.goto(link);
    await expect(them.getByRole('heading', { name: 'Join Acme', level: 1 })).toBeVisible();
    await expect(them.getByRole('main')).toContainText('Choose a password for new.person@example.com to create your account and join as Admin.');
    await hydrated(them);
    await them.getByLabel('Password').fill('their own password');
    await them.getByRole('button', { name: 'Create account and join' }).click();
    await expect(them).toHaveURL(new RegExp(`${TOKENS_URL}$`));
    await expect(them.getByRole('heading', { name: 'API Tokens', level: 1 })).toBeVisible();
    await expect(them.getByTestId('signed-in-as')).toHaveText('new.person@example.com');
    await expect(them.getByTestId('current-org')).toHaveText('Acme');
    // As an admin they see the audit log.
    await expect(them.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' })).toBeVisible();
    expect(theirErrors).toEqual([]);
    await theirs.close();

    // The link worked once.
    const again = await browser.newContext({ baseURL: tessera.url });
    const stranger = await again.newPage();
    await stranger.goto(link);
    await expect(stranger.getByRole('heading', { name: 'Invitation not valid' })).toBeVisible();
    await again.close();

    // (goto, not reload: reloading the page a form post answered would post the form again.)
    await page.goto(MEMBERS_URL);
    const row = memberRow(page, 'new.person@example.com');
    await expect(row).toContainText('Admin · joined');
    await expect(page.getByTestId('invitation-row')).toHaveCount(0);
    expect(errors).toEqual([]);
  });

  test('the header switches organizations, and the dashboard follows', async ({ page, tessera }) => {
    const errors = watchConsole(page);
    await setUp(page);
    await tessera.cli(['org', 'create', '--name', 'Beta', '--owner', OWNER]);
    const acmeToken = await createToken(page, 'Acme only');
    await page.goto(TOKENS_URL);
    await hydrated(page);
    const switcher = page.getByRole('combobox', { name: 'Organization' });
    await expect(switcher.locator('option:checked')).toHaveText('Acme');
    await expect(page.locator('.page-header')).toContainText('call the API for Acme');
    await expect(page.getByTestId('token-row')).toHaveCount(1);

    await switcher.selectOption({ label: 'Beta' });
    await page.getByRole('button', { name: 'Switch' }).click();
    await expect(page).toHaveURL(new RegExp(`${TOKENS_URL}$`));
    await expect(page.locator('.page-header')).toContainText('call the API for Beta');
    await expect(page.getByTestId('tokens-empty'), "Acme's tokens are not Beta's").toBeVisible();
    const betaToken = await createToken(page, 'Beta only');
    expect((await (await whoami(page, betaToken)).json()).organization.name).toBe('Beta');

    // The choice is the session's: it survives a reload and other pages.
    await page.goto(MEMBERS_URL);
    await expect(page.getByRole('combobox', { name: 'Organization' }).locator('option:checked')).toHaveText('Beta');
    await expect(page.getByRole('main')).toContainText('People in Beta');
    await page.reload();
    await expect(page.getByRole('combobox', { name: 'Organization' }).locator('option:checked')).toHaveText('Beta');

    await page.getByRole('combobox', { name: 'Organization' }).selectOption({ label: 'Acme' });
    await page.getByRole('button', { name: 'Switch' }).click();
    await expect(page).toHaveURL(new RegExp(`${MEMBERS_URL}$`));
    await page.goto(TOKENS_URL);
    await expect(page.locator(`[data-token-id="${acmeToken.id}"]`)).toBeVisible();
    await expect(page.locator(`[data-token-id="${betaToken.id}"]`)).toHaveCount(0);
    expect(errors).toEqual([]);
  });

  test("an owner revokes all of a member's tokens through the dialog; the tokens stop working", async ({
    page,
    browser,
    tessera,
  }) => {
    const errors = watchConsole(page);
    await setUp(page);
    const dev = await addMember(page, browser, tessera, 'dev@example.com', 'member');
    const devToken = await createToken(dev, 'Dev laptop');
    const ownToken = await createToken(page, 'Owner CI');
    expect((await whoami(dev, devToken)).status()).toBe(200);

    await page.goto(MEMBERS_URL);
    await hydrated(page);
    const row = memberRow(page, 'dev@example.com');
    await expect(row).toContainText('Member · joined');
    await expect(row).toContainText('1 active token');
    const revokeButton = row.getByRole('button', { name: 'Revoke tokens of dev@example.com', exact: true });
    await revokeButton.click();
    const dialog = page.getByRole('dialog', { name: 'Revoke all tokens of dev@example.com?' });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText('Their 1 active token stop working at once');
    expect(await page.evaluate(() => !!document.querySelector('dialog[open]')?.contains(document.activeElement))).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect(revokeButton).toBeFocused();
    expect((await whoami(dev, devToken)).status(), 'Cancel revokes nothing').toBe(200);

    await revokeButton.click();
    await dialog.getByRole('button', { name: 'Revoke tokens' }).click();
    await expect(page.getByTestId('member-tokens-revoked')).toHaveText('1 token of dev@example.com was revoked.');
    await expect(memberRow(page, 'dev@example.com')).toContainText('0 active tokens');
    await expect(memberRow(page, 'dev@example.com').getByRole('button', { name: /^Revoke tokens of / })).toHaveCount(0);
    expect((await whoami(dev, devToken)).status(), "the member's token stops working").toBe(401);
    expect((await whoami(page, ownToken)).status(), "others' tokens keep working").toBe(200);

    // The member still belongs, and sees why their token stopped.
    const theirs = await dev.newPage();
    await theirs.goto(TOKENS_URL);
    const revoked = theirs.getByTestId('revoked-tokens');
    await revoked.locator('summary').click();
    await expect(revoked.locator(`[data-token-id="${devToken.id}"]`)).toContainText("Revoked with all of its creator's tokens");
    await dev.close();
    expect(errors).toEqual([]);
  });

  test('an owner changes a role, then removes the member through the dialog', async ({ page, tessera }) => {
    const errors = watchConsole(page);
    await setUp(page);
    await tessera.cli(['user', 'create', '--email', 'dev@example.com'], 'dev password 123\n');
    await tessera.cli(['org', 'add-member', '--org', 'Acme', '--email', 'dev@example.com', '--role', 'member']);
    await page.goto(MEMBERS_URL);
    await hydrated(page);
    const row = memberRow(page, 'dev@example.com');
    await expect(row).toContainText('Member · joined');
    await row.getByRole('combobox', { name: 'Role of dev@example.com' }).selectOption({ label: 'Admin' });
    await row.getByRole('button', { name: 'Change role of dev@example.com', exact: true }).click();
    await expect(memberRow(page, 'dev@example.com')).toContainText('Admin · joined');
    await expect(memberRow(page, 'dev@example.com').getByRole('combobox')).toHaveValue('admin');

    const remove = memberRow(page, 'dev@example.com').getByRole('button', { name: 'Remove dev@example.com' });
    await remove.click();
    const dialog = page.getByRole('dialog', { name: 'Remove dev@example.com?' });
    await expect(dialog).toContainText('dev@example.com loses access at once');
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(remove).toBeFocused();
    await remove.click();
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await expect(memberRow(page, 'dev@example.com')).toHaveCount(0);
    await page.goto(MEMBERS_URL);
    await expect(memberRow(page, 'dev@example.com')).toHaveCount(0);
    await expect(memberRow(page, OWNER)).toBeVisible();

    // Removed means signed out of Acme: their password still works, but there is no organization.
    const login = await page.context().browser()!.newContext({ baseURL: tessera.url });
    await rpc(login, 'auth/login', { email: 'dev@example.com', password: 'dev password 123' });
    const theirs = await login.newPage();
    await theirs.goto(TOKENS_URL);
    await expect(theirs.getByRole('heading', { name: 'No organization' })).toBeVisible();
    await login.close();
    expect(errors).toEqual([]);
  });

  test('the only owner is not offered "Leave"; with a second owner, each may leave', async ({ page, tessera }) => {
    await setUp(page);
    await page.goto(MEMBERS_URL);
    await hydrated(page);
    const mine = memberRow(page, OWNER);
    await expect(mine).toContainText('You');
    // The server refuses to let the last owner go, so the button would only lead to an error.
    await expect(mine.getByRole('button', { name: 'Leave this organization' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: /^Leave/ })).toHaveCount(0);

    await tessera.cli(['user', 'create', '--email', 'second@example.com'], 'second owner password\n');
    await tessera.cli(['org', 'add-member', '--org', 'Acme', '--email', 'second@example.com', '--role', 'owner']);
    await page.goto(MEMBERS_URL);
    const leave = memberRow(page, OWNER).getByRole('button', { name: 'Leave this organization' });
    await expect(leave).toBeVisible();
    await hydrated(page);
    await leave.click();
    await expect(page.getByRole('dialog', { name: 'Leave this organization?' })).toBeVisible();
    await page.keyboard.press('Escape');
  });
});
