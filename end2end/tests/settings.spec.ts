import {
  test,
  expect,
  watchConsole,
  hydrated,
  setUp,
  rpc,
  createToken,
  addMember,
  expectSecretGone,
  startReceiver,
  addWebhook,
  OWNER,
  MEMBERS_URL,
  POLICY_URL,
  WEBHOOKS_URL,
  AUDIT_URL,
  Page,
} from './fixtures';

// The settings pages with JavaScript (members, token policy, webhooks, audit log): every action is a call
// to its server function (`/rpc/…`) from the page's island, and the page changes in place: no navigation,
// no form resubmission, and what was done is said in a status region.

/** Records every main-frame navigation and every POST the page makes, from now on. */
function record(page: Page) {
  const navigations: string[] = [];
  const posts: string[] = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations.push(frame.url());
  });
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(new URL(request.url()).pathname);
  });
  return { navigations, posts };
}

/** Holds the next request to `path` until the returned function is called (a delay only). */
async function hold(page: Page, path: string): Promise<() => void> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route(
    `**${path}`,
    async (route) => {
      await released;
      await route.continue();
    },
    { times: 1 },
  );
  return release;
}

const islandProps = (page: Page) =>
  page.locator('leptos-island').evaluateAll((els) => els.map((e) => e.getAttribute('data-props') ?? '').join('\n'));
const memberRow = (page: Page, email: string) => page.locator(`[data-testid="member-row"][data-email="${email}"]`);
const status = (page: Page, text: string) => page.getByRole('status').filter({ hasText: text });

test.describe('settings pages with JavaScript', () => {
  test('members: invite, change a role, revoke tokens and remove, in place, each saying it is pending', async ({ page, browser, tessera }) => {
    const errors = watchConsole(page, { allow: [/status of 422/] });
    await setUp(page);
    const dev = await addMember(page, browser, tessera, 'dev@example.com', 'member');
    await createToken(dev, 'Dev laptop');
    await page.goto(MEMBERS_URL);
    await hydrated(page);
    const { navigations, posts } = record(page);
    const historyLength = await page.evaluate(() => history.length);

    // A refused email: beside its field, what was typed kept, nobody invited.
    const invite = page.getByTestId('invite-form');
    const email = invite.getByLabel('Email');
    await email.evaluate((e) => e.setAttribute('type', 'text'));
    await email.fill('not-an-email');
    await invite.getByRole('button', { name: 'Invite member' }).click();
    await expect(invite.locator('#field-email-error')).toHaveText('“not-an-email” is not an email address, like name@example.com.');
    await expect(email).toHaveAttribute('aria-invalid', 'true');
    await expect(email).toHaveValue('not-an-email');
    await expect(email).toBeFocused();
    expect((await rpc<{ invitations: unknown[] }>(page, 'orgs/members')).invitations).toHaveLength(0);

    // Invite: "Inviting…", then who was invited and the one-time link, and the pending invitation listed.
    await email.fill('new.person@example.com');
    await invite.getByLabel('Role').selectOption({ label: 'Admin' });
    let release = await hold(page, '/rpc/orgs/members/add');
    await invite.getByTestId('invite-member').click();
    await expect(invite.getByRole('button', { name: 'Inviting…' })).toBeDisabled();
    release();
    const invited = page.getByTestId('member-invited');
    await expect(invited).toContainText('new.person@example.com was invited as Admin.');
    await expect(status(page, 'new.person@example.com was invited as Admin.')).toBeVisible();
    const link = (await page.getByTestId('invitation-link').textContent())!.trim();
    expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);
    await expect(email, 'the form is cleared for the next one').toHaveValue('');
    await expect(email).not.toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('invitation-row').filter({ hasText: 'new.person@example.com' })).toContainText('Pending');
    expect(page.url()).not.toContain(link);
    expect(await islandProps(page)).not.toContain(link);
    expect(await page.evaluate(() => history.length)).toBe(historyLength);

    // Change a role: "Saving…" on the row's button, then the row and the status say it.
    const row = memberRow(page, 'dev@example.com');
    await row.getByRole('combobox', { name: 'Role of dev@example.com' }).selectOption({ label: 'Admin' });
    release = await hold(page, '/rpc/orgs/members/role');
    const change = row.getByRole('button', { name: 'Change role of dev@example.com', exact: true });
    await change.click();
    await expect(change).toHaveText('Saving…');
    await expect(change).toBeDisabled();
    release();
    await expect(status(page, 'Role of dev@example.com changed to Admin.')).toBeVisible();
    await expect(page.getByTestId('member-role-changed')).toHaveText('Role of dev@example.com changed to Admin.');
    await expect(memberRow(page, 'dev@example.com')).toContainText('Admin · joined');

    // Revoke their tokens through the dialog.
    await memberRow(page, 'dev@example.com').getByRole('button', { name: 'Revoke tokens of dev@example.com', exact: true }).click();
    const revokeDialog = page.getByRole('dialog', { name: 'Revoke all tokens of dev@example.com?' });
    release = await hold(page, '/rpc/orgs/members/revoke-tokens');
    await revokeDialog.getByRole('button', { name: 'Revoke tokens' }).click();
    await expect(revokeDialog.getByRole('button', { name: 'Revoking…' })).toBeDisabled();
    release();
    await expect(revokeDialog).toBeHidden();
    await expect(page.getByTestId('member-tokens-revoked')).toHaveText('1 token of dev@example.com was revoked.');
    await expect(memberRow(page, 'dev@example.com')).toContainText('0 active tokens');

    // Remove them through the dialog.
    await memberRow(page, 'dev@example.com').getByRole('button', { name: 'Remove dev@example.com', exact: true }).click();
    const removeDialog = page.getByRole('dialog', { name: 'Remove dev@example.com?' });
    release = await hold(page, '/rpc/orgs/members/remove');
    await removeDialog.getByRole('button', { name: 'Remove' }).click();
    await expect(removeDialog.getByRole('button', { name: 'Removing…' })).toBeDisabled();
    release();
    await expect(memberRow(page, 'dev@example.com')).toHaveCount(0);
    await expect(status(page, 'Member dev@example.com removed.')).toBeVisible();

    // Revoke the invitation.
    await page.getByRole('button', { name: 'Revoke the invitation of new.person@example.com' }).click();
    await expect(page.getByTestId('invitation-row')).toHaveCount(0);
    await expect(page.getByTestId('invitation-revoked')).toHaveText('Invitation of new.person@example.com revoked. Its link no longer works.');

    expect(navigations, 'no action navigated the page').toEqual([]);
    expect(posts).toEqual(
      expect.arrayContaining(['/rpc/orgs/members/add', '/rpc/orgs/members/role', '/rpc/orgs/members/revoke-tokens', '/rpc/orgs/members/remove', '/rpc/orgs/invitations/revoke', '/rpc/orgs/members']),
    );
    expect(posts.filter((p) => !p.startsWith('/rpc/orgs/')), 'every call is a server function of the members page').toEqual([]);
    await dev.close();
    expect(errors).toEqual([]);
  });

  test('members: a reload right after inviting invites nobody again, and the link is gone', async ({ page }) => {
    await setUp(page);
    await page.goto(MEMBERS_URL);
    await hydrated(page);
    const invite = page.getByTestId('invite-form');
    await invite.getByLabel('Email').fill('once@example.com');
    await invite.getByRole('button', { name: 'Invite member' }).click();
    const link = (await page.getByTestId('invitation-link').textContent())!.trim();
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('invitation-row')).toHaveCount(1);
    await expect(page.getByTestId('invitation-link')).toHaveCount(0);
    await expectSecretGone(page, link.split('/').pop()!);
    await page.goBack().catch(() => undefined);
    await page.goForward().catch(() => undefined);
    await expectSecretGone(page, link.split('/').pop()!);
    expect((await rpc<{ invitations: unknown[] }>(page, 'orgs/members')).invitations).toHaveLength(1);
  });

  test('policy: saved in place ("Saving…"), a refused value explained beside its field; a reload saves nothing again', async ({ page }) => {
    const errors = watchConsole(page, { allow: [/status of 422/] });
    await setUp(page);
    await page.goto(POLICY_URL);
    await hydrated(page);
    const { navigations, posts } = record(page);

    // Refused: the default is above the maximum. The error is beside the field; what was typed stays.
    await page.getByLabel('Maximum lifetime (days)').fill('60');
    const fallback = page.getByLabel('Default lifetime (days)');
    await fallback.fill('90');
    await page.getByTestId('save-policy').click();
    await expect(fallback).toHaveAttribute('aria-invalid', 'true');
    await expect(page.locator('#default-lifetime-error')).toBeVisible();
    await expect(fallback).toHaveValue('90');
    await expect(page.getByLabel('Maximum lifetime (days)')).toHaveValue('60');
    await expect(page.getByTestId('policy-saved')).toHaveCount(0);

    await fallback.fill('14');
    const release = await hold(page, '/rpc/policy/set');
    await page.getByTestId('save-policy').click();
    await expect(page.getByRole('button', { name: 'Saving…' })).toBeDisabled();
    release();
    await expect(status(page, 'The policy was saved.')).toBeVisible();
    await expect(fallback).not.toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByRole('main')).toContainText('Last changed');
    expect(navigations).toEqual([]);
    expect(posts).toContain('/rpc/policy/set');
    expect(posts.filter((p) => !p.startsWith('/rpc/policy/')), 'every call is a server function of the policy page').toEqual([]);

    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('policy-saved')).toHaveCount(0);
    await expect(page.getByLabel('Maximum lifetime (days)')).toHaveValue('60');
    await expect(page.getByLabel('Default lifetime (days)')).toHaveValue('14');
    const audit = await rpc<{ events: { items: unknown[] } }>(page, 'audit/list', { type: 'org.policy_changed' });
    expect(audit.events.items, 'exactly one policy change').toHaveLength(1);
    expect(errors).toEqual([]);
  });

  test('webhooks: add (its secret once, in memory only), resend and remove, in place', async ({ page }) => {
    const errors = watchConsole(page, { allow: [/status of 422/] });
    const hooks = await startReceiver();
    await setUp(page);
    await page.goto(WEBHOOKS_URL);
    await hydrated(page);
    const { navigations, posts } = record(page);

    const form = page.getByTestId('add-webhook-form');
    const url = form.getByLabel('Endpoint URL');
    await url.fill('ftp://x');
    await form.getByRole('checkbox', { name: 'Member events member.*' }).check();
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(url).toHaveAttribute('aria-invalid', 'true');
    await expect(url).toHaveAccessibleDescription(/must start with/);
    await expect(url).toHaveValue('ftp://x');
    await expect(form.getByRole('checkbox', { name: 'Member events member.*' })).toBeChecked();

    await url.fill(hooks.url());
    const release = await hold(page, '/rpc/webhooks/add');
    await form.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(form.getByRole('button', { name: 'Adding…' })).toBeDisabled();
    release();
    const added = page.getByTestId('webhook-added');
    await expect(added).toContainText(`Endpoint added: ${hooks.url()}`);
    const secret = (await added.getByTestId('webhook-secret').textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    expect(page.url()).not.toContain(secret);
    expect(await islandProps(page)).not.toContain(secret);
    const row = page.getByTestId('webhook-row').filter({ hasText: hooks.url() });
    await expect(row.locator('.event-chip')).toHaveText(['token.*', 'member.*']);
    await expect(page.getByTestId('webhooks-empty')).toHaveCount(0);

    // A delivery, resent from the log.
    await createToken(page, 'CI');
    await expect.poll(() => hooks.received.length, { timeout: 10_000 }).toBe(1);
    expect(navigations, 'no action navigated the page').toEqual([]);
    // The log is read again when the page acts; here, open it afresh.
    await page.goto(WEBHOOKS_URL);
    await hydrated(page);
    const again = record(page);
    const resend = page.getByTestId('webhook-row').getByRole('button', { name: /^Resend token\.created delivery / });
    await resend.click();
    await expect(page.getByTestId('delivery-resent')).toContainText('delivery');
    await expect(page.getByTestId('delivery-resent')).toContainText('was queued again, with the same webhook-id.');
    await expect.poll(() => hooks.received.length, { timeout: 10_000 }).toBe(2);

    // Remove through the dialog.
    await page.getByRole('button', { name: `Remove the endpoint ${hooks.url()}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove this endpoint?' });
    await dialog.getByRole('button', { name: 'Remove endpoint' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByTestId('webhook-row')).toHaveCount(0);
    await expect(status(page, `Endpoint ${hooks.url()} removed.`)).toBeVisible();
    await expect(page.getByTestId('webhooks-empty')).toBeVisible();

    expect(again.navigations, 'no action navigated the page').toEqual([]);
    expect(posts).toContain('/rpc/webhooks/add');
    expect(again.posts).toEqual(expect.arrayContaining(['/rpc/webhooks/resend', '/rpc/webhooks/remove']));
    expect([...posts, ...again.posts].filter((p) => !p.startsWith('/rpc/webhooks/'))).toEqual([]);
    expect((await rpc<{ endpoints: unknown[] }>(page, 'webhooks/list')).endpoints).toEqual([]);
    await hooks.close();
    expect(errors).toEqual([]);
  });

  test('webhooks: an endpoint paused when its admin left is resumed in place', async ({ page, browser, tessera }) => {
    const errors = watchConsole(page);
    await setUp(page);
    const admin = await addMember(page, browser, tessera, 'admin@example.com', 'admin');
    await addWebhook(admin, 'http://127.0.0.1:9/theirs');
    const roster = await rpc<{ members: { email: string; user_id: string }[] }>(page, 'orgs/members');
    await rpc(page, 'orgs/members/remove', { user_id: roster.members.find((m) => m.email === 'admin@example.com')!.user_id });
    await admin.close();
    await page.goto(WEBHOOKS_URL);
    await hydrated(page);
    const { navigations, posts } = record(page);
    const row = page.getByTestId('webhook-row').filter({ hasText: '127.0.0.1:9/theirs' });
    await expect(row.getByTestId('webhook-paused')).toBeVisible();
    const resume = row.getByRole('button', { name: 'Resume http://127.0.0.1:9/theirs' });
    const release = await hold(page, '/rpc/webhooks/resume');
    await resume.click();
    await expect(resume).toHaveText('Resuming…');
    await expect(resume).toBeDisabled();
    release();
    await expect(status(page, 'Endpoint http://127.0.0.1:9/theirs resumed: new events are delivered to it again.')).toBeVisible();
    await expect(row.getByTestId('webhook-paused')).toHaveCount(0);
    expect(navigations).toEqual([]);
    expect(posts).toEqual(expect.arrayContaining(['/rpc/webhooks/resume', '/rpc/webhooks/list']));
    expect(errors).toEqual([]);
  });

  test('audit: the filters update the list in place and the address, so a reload keeps them', async ({ page }) => {
    const errors = watchConsole(page, { allow: [/status of 422/] });
    await setUp(page);
    await createToken(page, 'CI');
    await rpc(page, 'policy/set', { max_lifetime_days: '90', default_lifetime_days: '30', revoke_unused_after_days: '' });
    await page.goto(AUDIT_URL);
    await hydrated(page);
    const historyLength = await page.evaluate(() => history.length);
    const { navigations, posts } = record(page);
    // The address changes (history.replaceState, which Playwright reports as a same-document
    // `framenavigated`), the document does not: no load, and what the page held survives.
    const loads: string[] = [];
    page.on('load', () => loads.push(page.url()));
    await page.evaluate(() => ((window as unknown as { kept: number }).kept = 1));
    await expect(page.locator('[data-testid="audit-row"][data-event="token.created"]')).toHaveCount(1);
    await expect(page.locator('[data-testid="audit-row"][data-event="org.policy_changed"]')).toHaveCount(1);

    const filters = page.getByTestId('audit-filters');
    await filters.getByLabel('Event').selectOption('org.policy_changed');
    const release = await hold(page, '/rpc/audit/list');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await expect(filters.getByRole('button', { name: 'Filtering…' })).toBeDisabled();
    release();
    await expect(page.getByTestId('audit-row')).toHaveCount(1);
    await expect(page.getByTestId('audit-row')).toHaveAttribute('data-event', 'org.policy_changed');
    await expect(page.getByTestId('audit-filtered')).toHaveText('1 event shown for these filters.');
    await expect(page).toHaveURL(new RegExp(`${AUDIT_URL}\\?type=org\\.policy_changed$`));
    expect(navigations, 'only the address changed').toEqual([page.url()]);
    expect(loads).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { kept: number }).kept)).toBe(1);
    expect(await page.evaluate(() => history.length), 'no new history entry').toBe(historyLength);
    expect(posts).toEqual(['/rpc/audit/list']);

    // A token id that is not one: the error is beside its field.
    const token = filters.getByLabel('Token ID');
    await token.fill('nope');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await expect(token).toHaveAttribute('aria-invalid', 'true');
    await expect(token).toHaveAccessibleDescription(/Token ID/);
    await expect(page.getByTestId('audit-row')).toHaveCount(1);
    await token.fill('');

    // Reload: the same filter, from the address.
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('audit-filters').getByLabel('Event')).toHaveValue('org.policy_changed');
    await expect(page.getByTestId('audit-row')).toHaveCount(1);

    // Clear filters: everything again, and the address is plain.
    const after = record(page);
    await page.evaluate(() => ((window as unknown as { kept: number }).kept = 2));
    await page.getByTestId('audit-clear').click();
    await expect(page.locator('[data-testid="audit-row"][data-event="token.created"]')).toHaveCount(1);
    await expect(page).toHaveURL(new RegExp(`${AUDIT_URL}$`));
    await expect(page.getByTestId('audit-filters').getByLabel('Event')).toHaveValue('');
    expect(after.navigations).toEqual([page.url()]);
    expect(await page.evaluate(() => (window as unknown as { kept: number }).kept)).toBe(2);
    expect(errors).toEqual([]);
  });
});
