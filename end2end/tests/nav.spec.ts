import AxeBuilder from '@axe-core/playwright';
import {
  test,
  expect,
  hydrated,
  setUp,
  createToken,
  addMember,
  rpc,
  TOKENS_URL,
  MEMBERS_URL,
  AUDIT_URL,
  POLICY_URL,
  WEBHOOKS_URL,
  Page,
} from './fixtures';

const SETTINGS = [TOKENS_URL, MEMBERS_URL, POLICY_URL, WEBHOOKS_URL, AUDIT_URL];

/** Presses Tab until `target` has the focus, using the skip link on the way (Enter); answers how many Tabs. */
async function tabsTo(page: Page, target: string, most: number): Promise<number> {
  for (let tabs = 1; tabs <= most; tabs++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? '');
    if (focused === target) return tabs;
    if (focused === 'skip-link') await page.keyboard.press('Enter');
  }
  return Infinity;
}

test.describe('the settings frame', () => {
  test('one settings navigation, a sidebar beside the page on a wide screen', async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await setUp(page);
    for (const url of SETTINGS) {
      await page.goto(url);
      // One navigation on the page: the settings one (the top bar has none of its own).
      await expect(page.getByRole('navigation')).toHaveCount(1);
      const nav = page.getByRole('navigation', { name: 'Settings' });
      await expect(nav.getByRole('link')).toHaveText(['API Tokens', 'Members', 'Token policy', 'Webhooks', 'Audit log']);
      await expect(nav.locator('[aria-current="page"]')).toHaveAttribute('href', url);
      const side = (await nav.boundingBox())!;
      const title = (await page.getByRole('heading', { level: 1 }).boundingBox())!;
      expect(side.x + side.width, `${url}: the navigation is left of the title`).toBeLessThanOrEqual(title.x);
    }
  });

  test('the keyboard reaches "Create Token" in at most 5 Tab presses from the top, through the skip link', async ({ page }) => {
    await setUp(page);
    // From the start of the page: the first Tab is the skip link, which skips the top bar and the navigation.
    await page.goto(TOKENS_URL);
    await hydrated(page);
    const tabs = await tabsTo(page, 'create-token-button', 5);
    expect(tabs, 'Tab presses from the start of the page to Create Token').toBeLessThanOrEqual(5);
    // Skip link, then the page's first control: what the README says.
    expect(tabs).toBe(2);
    await expect(page.getByRole('button', { name: 'Create Token' })).toBeFocused();
  });

  test('on a 390 px phone the navigation is one row and every settings title starts within 150 px', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await setUp(page);
    for (const url of SETTINGS) {
      await page.goto(url);
      await hydrated(page);
      const title = (await page.getByRole('heading', { level: 1 }).boundingBox())!;
      expect(title.y, `${url}: the title's top`).toBeLessThanOrEqual(150);
      const nav = page.getByRole('navigation', { name: 'Settings' });
      const box = (await nav.boundingBox())!;
      expect(box.height, `${url}: the navigation is one row`).toBeLessThanOrEqual(48);
      // Links out of view scroll in: the page itself never scrolls sideways.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await nav.getByRole('link', { name: 'Audit log' }).focus();
      await expect(nav.getByRole('link', { name: 'Audit log' })).toBeInViewport();
    }
  });
});

test.describe('organizations', () => {
  test('the menu switches with one click on an organization, and creates one (its creator owns it)', async ({ page }) => {
    await setUp(page);
    await page.goto(MEMBERS_URL);
    const menu = page.getByTestId('org-switcher');
    await expect(page.getByTestId('current-org')).toHaveText('Acme');
    await menu.locator('summary').click();
    await menu.getByRole('link', { name: 'New organization' }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Create an organization');

    // A name of spaces: the error beside the field, what was typed kept, nothing created.
    await page.getByLabel('Organization name').fill('   ');
    await page.getByRole('button', { name: 'Create organization' }).click();
    const field = page.getByLabel('Organization name');
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await expect(page.locator('#field-name-error')).toHaveText('Enter an organization name.');
    await expect(field).toHaveAccessibleDescription('Enter an organization name.');
    await expect(field).toBeInViewport();

    await field.fill('Beta');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await expect(page).toHaveURL(new RegExp(`${TOKENS_URL}$`));
    await expect(page.getByTestId('current-org')).toHaveText('Beta');
    await page.goto(MEMBERS_URL);
    await expect(page.getByTestId('member-row')).toHaveCount(1);
    await expect(page.getByTestId('member-row')).toContainText('Owner');

    // One click on an organization switches to it, on the same page.
    await menu.locator('summary').click();
    await expect(menu.getByRole('button', { name: 'Beta' })).toHaveAttribute('aria-current', 'true');
    await menu.getByRole('button', { name: 'Acme' }).click();
    await expect(page.getByTestId('current-org')).toHaveText('Acme');
    await expect(page).toHaveURL(new RegExp(`${MEMBERS_URL}$`));
  });

  test('someone removed from their only organization lands on a page with a way out, and no link back to it', async ({ page, browser, tessera }) => {
    await setUp(page);
    const bob = await addMember(page, browser, tessera, 'bob@example.com');
    const roster = await rpc<{ members: { user_id: string; email: string }[] }>(page, 'orgs/members');
    const id = roster.members.find((m) => m.email === 'bob@example.com')!.user_id;
    await rpc(page, 'orgs/members/remove', { user_id: id });

    const theirs = await bob.newPage();
    await theirs.goto(TOKENS_URL);
    await expect(theirs).toHaveURL(/\/app\/orgs\/new$/);
    await expect(theirs.getByRole('heading', { level: 1 })).toHaveText('You are not a member of any organization');
    await expect(theirs.getByTestId('no-organization')).toContainText('Ask an administrator');
    await expect(theirs.getByRole('button', { name: 'Sign out' })).toBeVisible();
    // Every link leaves the page (the skip link stays in it, by design).
    const here = theirs.url();
    for (const href of await theirs.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!))) {
      if (href.startsWith('#')) continue;
      const other = await bob.newPage();
      await other.goto(href);
      expect(other.url(), `${href} leads back to ${here}`).not.toBe(here);
      await other.close();
    }
    // Readable by everyone: no serious axe violation, light and dark, phone and desktop.
    for (const width of [1280, 390]) {
      for (const colorScheme of ['light', 'dark'] as const) {
        await theirs.setViewportSize({ width, height: 800 });
        await theirs.emulateMedia({ colorScheme });
        const { violations } = await new AxeBuilder({ page: theirs }).analyze();
        expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id), `${width} ${colorScheme}`).toEqual([]);
        await theirs.screenshot({ path: test.info().outputPath(`no-organization-${width}-${colorScheme}.png`), fullPage: true });
      }
    }
    await theirs.getByLabel('Organization name').fill('Bob Labs');
    await theirs.getByRole('button', { name: 'Create organization' }).click();
    await expect(theirs).toHaveURL(new RegExp(`${TOKENS_URL}$`));
    await expect(theirs.getByTestId('current-org')).toHaveText('Bob Labs');
    await bob.close();
  });
});

test.describe('times and clients', () => {
  test.use({ timezoneId: 'Asia/Tokyo' });

  test('times are in the browser’s zone once hydrated, UTC with the zone named before; the client is shown as text', async ({ page, browser, tessera }) => {
    await setUp(page);
    const token = await createToken(page, 'CI');
    const used = await page.request.get('/api/v1/whoami', {
      headers: { 'X-ZeroPath-API-Token-Id': token.id, 'X-ZeroPath-API-Token-Secret': token.secret, 'User-Agent': 'deploy-bot/2.1 (linux)' },
    });
    expect(used.status()).toBe(200);

    // The audit log's times: "Dec 8, 2026, 20:14 GMT+9" in Tokyo.
    await page.goto(AUDIT_URL);
    await hydrated(page);
    const time = page.getByTestId('audit-row').first().locator('time');
    const at = new Date((await time.getAttribute('datetime'))!);
    const tokyo = new Intl.DateTimeFormat('en-US', {
      timeZone: 'Asia/Tokyo', month: 'short', day: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
    }).format(at);
    await expect(time).toHaveText(tokyo);
    await expect(time).toHaveText(/GMT\+9$/);

    // Without JavaScript the server's UTC, saying so.
    const context = await browser.newContext({ javaScriptEnabled: false, baseURL: tessera.url, timezoneId: 'Asia/Tokyo' });
    await context.addCookies(await page.context().cookies());
    const plain = await context.newPage();
    await plain.goto(AUDIT_URL);
    await expect(plain.getByTestId('audit-row').first().locator('time')).toHaveText(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{2}:\d{2} UTC$/);

    // The client that last used the token is text in the row (no hover needed), with and without JavaScript.
    for (const p of [page, plain]) {
      await p.goto(TOKENS_URL);
      await expect(p.getByTestId('token-row').getByTestId('token-last-used-agent')).toHaveText('deploy-bot/2.1 (linux)');
    }
    await context.close();
  });
});
