import {
  test,
  expect,
  watchConsole,
  hydrated,
  setUp,
  OWNER,
  PASSWORD,
  TOKENS_URL,
  MEMBERS_URL,
  AUDIT_URL,
  POLICY_URL,
  WEBHOOKS_URL,
  Page,
} from './fixtures';

/** The home page is for people not signed in (the signed-in are sent to their tokens). */
async function setUpThenSignOut(page: Page) {
  await setUp(page);
  await page.context().clearCookies();
}

test.describe('home page', () => {
  test('signed in, / leads to the tokens; before setup, nothing offers to sign in', async ({ page, tessera }) => {
    const before = await page.request.get('/', { maxRedirects: 0 });
    expect(before.headers()['location']).toBe('/setup');
    await page.goto('/');
    await expect(page).toHaveURL(/\/setup$/);
    await expect(page.getByRole('link', { name: 'Sign in' })).toHaveCount(0);
    await setUp(page);
    const home = await page.request.get('/', { maxRedirects: 0 });
    expect(home.status()).toBe(303);
    expect(home.headers()['location']).toBe(TOKENS_URL);
    await page.goto('/');
    await expect(page).toHaveURL(`${tessera.url}${TOKENS_URL}`);
  });

  test('the quick-start tabs switch with a click and with the arrow keys, after hydration', async ({ page, tessera }) => {
    const errors = watchConsole(page);
    await setUpThenSignOut(page);
    await page.goto('/');
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('API tokens for your organization');
    await hydrated(page);
    const tablist = page.getByRole('tablist', { name: 'Client' });
    await expect(tablist).toBeVisible();
    const tab = (name: string) => tablist.getByRole('tab', { name, exact: true });
    const panel = (name: string) => page.getByRole('tabpanel', { name, exact: true });
    await expect(tablist.getByRole('tab')).toHaveText(['curl', 'Python', 'Node.js']);

    const selectedIs = async (name: string) => {
      for (const other of ['curl', 'Python', 'Node.js']) {
        await expect(tab(other)).toHaveAttribute('aria-selected', String(other === name));
        // Roving tabindex: only the selected tab is in the Tab order.
        await expect(tab(other)).toHaveAttribute('tabindex', other === name ? '0' : '-1');
      }
      // Only the selected tab's panel shows (hidden panels leave the accessibility tree).
      await expect(page.getByRole('tabpanel')).toHaveCount(1);
      await expect(panel(name)).toBeVisible();
    };
    await selectedIs('curl');
    // This server's address and the variables `tessera api` reads.
    await expect(panel('curl')).toContainText(`curl ${tessera.url}/api/v1/whoami`);
    await expect(panel('curl')).toContainText('-H "X-ZeroPath-API-Token-Id: $TESSERA_TOKEN_ID"');

    // Click.
    await tab('Python').click();
    await selectedIs('Python');
    await expect(panel('Python')).toContainText('import os, requests');
    await expect(panel('Python')).toContainText('"X-ZeroPath-API-Token-Secret": os.environ["TESSERA_TOKEN_SECRET"]');

    // Arrow keys, wrapping around at both ends (whether the focus follows: the next test).
    await tab('Python').focus();
    await page.keyboard.press('ArrowRight');
    await selectedIs('Node.js');
    await expect(panel('Node.js')).toContainText('process.env.TESSERA_TOKEN_ID');
    await page.keyboard.press('ArrowRight');
    await selectedIs('curl');
    await page.keyboard.press('ArrowLeft');
    await selectedIs('Node.js');
    await page.keyboard.press('ArrowLeft');
    await selectedIs('Python');
    await tab('Python').focus();
    // Tab leaves the tab list for the panel, which is focusable so its code can be scrolled by keyboard.
    await page.keyboard.press('Tab');
    await expect(panel('Python')).toBeFocused();
    expect(errors).toEqual([]);
  });

  test('the arrow keys move the focus along with the selection (APG tabs pattern)', async ({ page }) => {
    await setUpThenSignOut(page);
    await page.goto('/');
    await hydrated(page);
    const tab = (name: string) => page.getByRole('tab', { name, exact: true });
    await tab('curl').focus();
    await page.keyboard.press('ArrowRight');
    await expect(tab('Python')).toHaveAttribute('aria-selected', 'true');
    // CodeTabs only changes the selection: the focus stays on "curl", now tabindex=-1, so the focused tab
    // is not the selected one and a screen reader announces nothing. Fix: focus the new tab on keydown.
    await expect(tab('Python'), 'the focus stays on the tab that was left').toBeFocused({ timeout: 1000 });
  });

  test('without JavaScript every quick-start panel is shown, one after the other', async ({ browser, tessera }) => {
    const context = await browser.newContext({ javaScriptEnabled: false, baseURL: tessera.url });
    const page = await context.newPage();
    await setUpThenSignOut(page);
    const response = await page.goto('/');
    expect(response?.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('API tokens for your organization');
    for (const [name, code] of [
      ['curl', `curl ${tessera.url}/api/v1/whoami`],
      ['Python', 'import os, requests'],
      ['Node.js', 'process.env.TESSERA_TOKEN_SECRET'],
    ]) {
      await expect(page.getByRole('heading', { name, exact: true, level: 3 })).toBeVisible();
      await expect(page.getByTestId(`quickstart-code-${name === 'Node.js' ? 'node' : name.toLowerCase()}`)).toContainText(code);
    }
    await expect(page.locator('html')).not.toHaveAttribute('data-hydrated', 'true');
    // The tab list can't work without JavaScript: it carries `hidden` (whether it really hides is checked in
    // nojs.spec.ts), and no panel is a tabpanel.
    await expect(page.locator('.tabs')).toHaveAttribute('hidden', '');
    await expect(page.locator('[role="tabpanel"]')).toHaveCount(0);
    await context.close();
  });

  test('no console errors or warnings on any page', async ({ page, browser, tessera }) => {
    // A refused sign-in is answered 422, which Chromium logs as a failed load; it is the expected answer.
    const allow = [/status of 422/];
    const errors = watchConsole(page, { warnings: true, allow });
    const visit = async (p: Page, url: string) => {
      const response = await p.goto(url);
      expect(response?.status(), url).toBe(200);
      await hydrated(p);
    };

    // First-run setup, through its form.
    await visit(page, '/setup');
    await page.getByLabel('Email').fill(OWNER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Organization name').fill('Acme');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page).toHaveURL(new RegExp(`${TOKENS_URL}$`));
    await hydrated(page);

    await visit(page, `${TOKENS_URL}?new=1`);
    await page.getByLabel('Name').fill('CI/CD Pipeline');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.getByTestId('token-reveal')).toBeVisible();
    await hydrated(page);
    await visit(page, TOKENS_URL);
    await page.getByRole('button', { name: 'Rotate CI/CD Pipeline' }).click();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Delete CI/CD Pipeline' }).click();
    await page.keyboard.press('Escape');
    await visit(page, MEMBERS_URL);
    await page.getByLabel('Email').fill('new.person@example.com');
    await page.getByRole('button', { name: 'Invite member' }).click();
    const link = (await page.getByTestId('invitation-link').textContent())!.trim();
    await hydrated(page);
    await visit(page, AUDIT_URL);
    await visit(page, POLICY_URL);
    await page.getByLabel('Maximum lifetime (days)').fill('30');
    await expect(page.getByTestId('policy-preview')).toHaveText('No active token exceeds this maximum.');
    await visit(page, WEBHOOKS_URL);
    await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/hooks');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await expect(page.getByTestId('webhook-added')).toBeVisible();
    await hydrated(page);
    await page.getByRole('button', { name: 'Remove the endpoint http://127.0.0.1:9/hooks' }).click();
    await page.keyboard.press('Escape');

    // Signed out: the invitation and the sign-in pages.
    const other = await browser.newContext({ baseURL: tessera.url });
    const anonymous = await other.newPage();
    const theirErrors = watchConsole(anonymous, { warnings: true, allow });
    await visit(anonymous, new URL(link).pathname);
    await expect(anonymous.getByRole('heading', { name: 'Join Acme' })).toBeVisible();
    await visit(anonymous, '/');
    await anonymous.getByRole('tab', { name: 'Python' }).click();
    await visit(anonymous, '/login');
    await anonymous.getByLabel('Email').fill(OWNER);
    await anonymous.getByLabel('Password').fill('wrong password');
    await anonymous.getByRole('button', { name: 'Sign in' }).click();
    await expect(anonymous.getByRole('alert')).toHaveText('Incorrect email or password.');
    await hydrated(anonymous);
    await other.close();

    // A page that does not exist is the app's own 404, also without errors.
    const missing = await page.goto('/no/such/page');
    expect(missing?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
    await hydrated(page);
    const withoutThe404 = errors.filter((e) => !/status of 404/.test(e));
    expect([...withoutThe404, ...theirErrors]).toEqual([]);
  });
});
