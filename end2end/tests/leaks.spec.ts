import { createHmac } from 'node:crypto';
import {
  test,
  expect,
  watchConsole,
  hydrated,
  setUp,
  createToken,
  whoami,
  addWebhook,
  startReceiver,
  startSmtpSink,
  SmtpSink,
  TOKENS_URL,
  OWNER,
  Page,
} from './fixtures';

// "Report as leaked" on a token row: the token is revoked at once (its secret stops working) and kept
// under Revoked, marked Exposed, with where it was found and through which intake it was reported.

const row = (page: Page, id: string) => page.locator(`[data-testid="token-row"][data-token-id="${id}"]`);
const activeRow = (page: Page, id: string) => page.getByTestId('tokens-list').locator(`[data-testid="token-row"][data-token-id="${id}"]`);
const revokedRow = (page: Page, id: string) => page.getByTestId('revoked-list').locator(`[data-testid="token-row"][data-token-id="${id}"]`);
const LEAK_URL = 'https://github.com/acme/app/blob/main/.env#L3';

/** Opens the collapsed revoked list. */
async function openRevoked(page: Page) {
  const revoked = page.getByTestId('revoked-tokens');
  await expect(revoked).toBeVisible();
  if ((await revoked.getAttribute('open')) === null) await revoked.locator('summary').click();
}

test('with JavaScript: a token reported as leaked leaves the active list in place and shows as Exposed', async ({ page }) => {
  const errors = watchConsole(page);
  await setUp(page);
  const token = await createToken(page, 'CI');
  const other = await createToken(page, 'Deploy');
  await page.goto(TOKENS_URL);
  await hydrated(page);
  const navigations: string[] = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations.push(frame.url());
  });

  const short = token.id.slice(0, 8);
  const button = row(page, token.id).getByRole('button', { name: `Report CI (${short}) as leaked` });
  await expect(button).toHaveAttribute('data-testid', 'report-leaked');
  await button.click();
  const dialog = page.getByRole('dialog', { name: 'Report “CI” as leaked?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('revoked at once');
  await expect(dialog).toContainText('creator');
  await dialog.getByLabel('Where was it found?').fill(LEAK_URL);
  await dialog.getByLabel('What kind of place?').fill('public repository');

  // Pending: the button says so while the call is on its way.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route(
    '**/rpc/tokens/leaked',
    async (route) => {
      await released;
      await route.continue();
    },
    { times: 1 },
  );
  await dialog.getByTestId('confirm-report-leaked').click();
  await expect(dialog.getByRole('button', { name: 'Reporting…' })).toBeDisabled();
  release();

  await expect(dialog).toBeHidden();
  await expect(activeRow(page, token.id)).toHaveCount(0);
  await expect(activeRow(page, other.id)).toHaveCount(1);
  await expect(page.getByRole('status').filter({ hasText: 'Token “CI” reported as leaked and revoked' })).toBeVisible();
  await openRevoked(page);
  const revoked = revokedRow(page, token.id);
  await expect(revoked.getByTestId('exposed-badge')).toHaveText('Exposed');
  await expect(revoked.getByTestId('exposed-url')).toHaveText(LEAK_URL);
  await expect(revoked.getByTestId('exposed-source')).toHaveText('public repository');
  await expect(revoked.getByTestId('exposed-intake')).toHaveText('a member, in the dashboard');
  // The URL came from outside: it is text, not a link.
  await expect(revoked.getByRole('link', { name: LEAK_URL })).toHaveCount(0);
  await expect(revoked.getByTestId('report-leaked')).toHaveCount(0);

  // The dialog opened for another token starts empty: where the first was found says nothing of it.
  await activeRow(page, other.id).getByTestId('report-leaked').click();
  const next = page.getByRole('dialog', { name: 'Report “Deploy” as leaked?' });
  await expect(next).toBeVisible();
  await expect(next.getByLabel('Where was it found?')).toHaveValue('');
  await expect(next.getByLabel('What kind of place?')).toHaveValue('');
  await next.getByRole('button', { name: 'Cancel' }).click();
  await expect(next).toBeHidden();

  expect((await whoami(page, token)).status(), 'the reported secret no longer works').toBe(401);
  expect((await whoami(page, other)).status(), 'other tokens keep working').toBe(200);
  expect(navigations, 'the report did not navigate the page').toEqual([]);
  expect(errors).toEqual([]);
});

test('without JavaScript: the report posts through the ?leaked= dialog and comes back 303', async ({ browser, tessera }) => {
  const context = await browser.newContext({ baseURL: tessera.url, javaScriptEnabled: false });
  const page = await context.newPage();
  await setUp(page);
  const token = await createToken(page, 'Nightly');
  const statuses: number[] = [];
  page.on('response', (r) => {
    if (r.request().method() === 'POST') statuses.push(r.status());
  });
  await page.goto(TOKENS_URL);
  const short = token.id.slice(0, 8);
  await row(page, token.id).getByRole('button', { name: `Report Nightly (${short}) as leaked` }).click();
  await expect(page).toHaveURL(new RegExp(`\\?leaked=${token.id}$`));
  const dialog = page.getByRole('dialog', { name: 'Report “Nightly” as leaked?' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Where was it found?').fill(LEAK_URL);
  await dialog.getByTestId('confirm-report-leaked').click();

  await expect(page).toHaveURL(new RegExp(`${TOKENS_URL}$`));
  expect(statuses).toEqual([303]);
  await expect(page.getByTestId('token-reported')).toBeVisible();
  await expect(activeRow(page, token.id)).toHaveCount(0);
  await openRevoked(page);
  await expect(revokedRow(page, token.id).getByTestId('exposed-badge')).toBeVisible();
  await expect(revokedRow(page, token.id).getByTestId('exposed-url')).toHaveText(LEAK_URL);
  expect((await whoami(page, token)).status()).toBe(401);
  await context.close();
});

test('a token revoked by possession (POST /api/v1/credentials/revoke) shows its intake under Revoked', async ({ page }) => {
  await setUp(page);
  const token = await createToken(page, 'Laptop');
  const answer = await page.request.post('/api/v1/credentials/revoke', { data: { credentials: [token.secret] } });
  expect(answer.status()).toBe(202);
  expect((await whoami(page, token)).status()).toBe(401);

  await page.goto(TOKENS_URL);
  await openRevoked(page);
  const revoked = revokedRow(page, token.id);
  await expect(revoked.getByTestId('exposed-badge')).toBeVisible();
  await expect(revoked.getByTestId('exposed-intake')).toHaveText('someone holding the secret');
  await expect(revoked.getByTestId('exposed-url')).toHaveCount(0);
  await expect(revoked.getByTestId('token-revoked')).toContainText('Exposed');
});

// The alert: the creator and the organization's admins get an email (through a real SMTP server), and
// endpoints subscribed to token events get the signed `token.exposed` webhook; neither holds the secret.
const alerted = test.extend<{ smtp: SmtpSink }>({
  smtp: async ({}, use) => {
    const smtp = await startSmtpSink();
    await use(smtp);
    await smtp.close();
  },
  tesseraEnv: async ({ smtp }, use) =>
    use({ TESSERA_SMTP_URL: smtp.url, TESSERA_SMTP_FROM: 'tessera@example.com', TESSERA_DELIVERY_RETRY_BASE_MS: '500' }),
});

alerted('a report from the dashboard emails the owner and sends the token.exposed webhook, without the secret', async ({ page, smtp }) => {
  const receiver = await startReceiver();
  try {
    await setUp(page);
    const hook = await addWebhook(page, receiver.url());
    const token = await createToken(page, 'Billing');
    await page.goto(TOKENS_URL);
    await hydrated(page);
    await row(page, token.id).getByTestId('report-leaked').click();
    const dialog = page.getByRole('dialog', { name: 'Report “Billing” as leaked?' });
    await dialog.getByLabel('Where was it found?').fill(LEAK_URL);
    await dialog.getByTestId('confirm-report-leaked').click();
    await expect(dialog).toBeHidden();

    const subject = 'Security alert: an API token of Acme leaked and was revoked';
    await expect.poll(() => smtp.messages().filter((m) => m.subject === subject).length, { timeout: 15_000 }).toBe(1);
    const mail = smtp.messages().find((m) => m.subject === subject)!;
    expect(mail.to).toEqual([OWNER]);
    expect(mail.body).toContain(token.id);
    expect(mail.body).toContain(LEAK_URL);
    expect(mail.body).toContain('revoked it at once');
    expect(mail.body).not.toContain(token.secret);

    await expect
      .poll(() => receiver.received.map((r) => JSON.parse(r.body).type), { timeout: 15_000 })
      .toContain('token.exposed');
    const delivery = receiver.received.find((r) => JSON.parse(r.body).type === 'token.exposed')!;
    const key = Buffer.from(hook.secret.slice('whsec_'.length), 'base64');
    const signed = `${delivery.headers['webhook-id']}.${delivery.headers['webhook-timestamp']}.${delivery.body}`;
    const signature = `v1,${createHmac('sha256', key).update(signed).digest('base64')}`;
    expect(String(delivery.headers['webhook-signature']).split(' '), 'signed with the endpoint secret').toContain(signature);
    const event = JSON.parse(delivery.body);
    expect(JSON.stringify(event.data)).toContain(token.id);
    expect(JSON.stringify(event.data)).toContain(LEAK_URL);
    expect(delivery.body, 'the webhook never carries the secret').not.toContain(token.secret);

    // A second report of the same (now revoked) secret is recorded but alerts nobody again.
    const again = await page.request.post('/api/v1/credentials/revoke', { data: { credentials: [token.secret] } });
    expect(again.status()).toBe(202);
    await page.waitForTimeout(1_500);
    expect(smtp.messages().filter((m) => m.subject === subject)).toHaveLength(1);
    expect(receiver.received.filter((r) => JSON.parse(r.body).type === 'token.exposed')).toHaveLength(1);
  } finally {
    await receiver.close();
  }
});
