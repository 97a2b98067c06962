import { createHmac } from 'node:crypto';
import { test, expect, setUp, OWNER, PASSWORD, TOKENS_URL, Page } from './fixtures';

const SECURITY_URL = '/app/account/security';

/** RFC 4648 base32 (no padding) to bytes. */
function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of `key` at `unixSeconds`: what an authenticator app shows. */
function totp(key: string, unixSeconds: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac('sha1', base32(key)).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, '0');
}

/** Focuses a control and types into it: keyboard only. */
async function typeInto(page: Page, label: string, text: string) {
  await page.getByLabel(label, { exact: true }).focus();
  await page.keyboard.type(text);
}

async function press(page: Page, name: string) {
  await page.getByRole('button', { name, exact: true }).focus();
  await page.keyboard.press('Enter');
}

test('enrol an authenticator app, sign out, and sign in with a code (keyboard only)', async ({ page }) => {
  await setUp(page);
  await page.goto(SECURITY_URL);
  await expect(page.getByTestId('two-factor-status')).toContainText('Two-factor authentication is off.');
  await press(page, 'Set up authenticator app');

  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await expect(page.getByTestId('totp-qr')).toBeVisible();
  const now = Date.now() / 1000;
  await typeInto(page, 'Authentication code', totp(secret, now));
  await page.keyboard.press('Enter');

  await expect(page.getByTestId('recovery-code')).toHaveCount(10);
  await expect(page.getByTestId('two-factor-status')).toContainText('Two-factor authentication is on.');

  await page.getByTestId('sign-out').focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/login/);

  await typeInto(page, 'Email', OWNER);
  await typeInto(page, 'Password', PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  // The password alone opened nothing.
  const tokens = await page.request.get(TOKENS_URL, { maxRedirects: 0 });
  expect(tokens.status()).toBe(307);

  // The next step's code (one step of drift is accepted; the code that confirmed enrolment is used up).
  await typeInto(page, 'Authentication code', totp(secret, now + 30));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`${TOKENS_URL}$`));
  await expect(page.getByTestId('signed-in-as')).toHaveText(OWNER);
});
