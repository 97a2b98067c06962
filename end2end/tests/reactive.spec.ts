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
  UUID_V4,
  SECRET,
  TOKENS_URL,
  Page,
} from './fixtures';

// The tokens page with JavaScript: every action is a call to its server function (`/rpc/tokens/…`) from
// the hydrated island, and the page changes in place: no navigation, no reload, no form resubmission.

const row = (page: Page, id: string) => page.locator(`[data-testid="token-row"][data-token-id="${id}"]`);
/** The token's row among the active tokens (a deleted one moves to the collapsed revoked list). */
const activeRow = (page: Page, id: string) => page.getByTestId('tokens-list').locator(`[data-testid="token-row"][data-token-id="${id}"]`);

type Overview = { active: { items: { token: { id: string; name: string | null } }[] } };
const activeIds = async (page: Page) => (await rpc<Overview>(page, 'tokens/overview')).active.items.map((l) => l.token.id);

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

/** Holds the next request to `path` until the returned function is called: only a delay, the real
 * server answers it. */
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

test.describe('tokens page with JavaScript', () => {
  test('create, rotate and delete run in place through the server functions, each saying it is pending', async ({ page }) => {
    const errors = watchConsole(page);
    await setUp(page);
    await page.goto(TOKENS_URL);
    await hydrated(page);
    const { navigations, posts } = record(page);
    const historyLength = await page.evaluate(() => history.length);

    // Create: the form opens in place, the button says "Creating…" while the call is on its way.
    await page.getByRole('button', { name: 'Create Token' }).click();
    const form = page.getByTestId('create-token-form');
    await form.getByLabel('Name').fill('CI');
    let release = await hold(page, '/rpc/tokens/create');
    await form.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(form.getByRole('button', { name: 'Creating…' })).toBeDisabled();
    release();
    const reveal = page.getByTestId('token-reveal');
    await expect(reveal.getByRole('heading', { name: 'Token “CI” created' })).toBeVisible();
    await expect(page.getByTestId('create-token-form')).toHaveCount(0);
    const id = (await reveal.getByTestId('token-id').textContent())!.trim();
    const secret = (await reveal.getByTestId('token-secret').textContent())!.trim();
    expect(id).toMatch(UUID_V4);
    expect(secret).toMatch(SECRET);
    await expect(reveal.getByTestId('token-secret')).toBeFocused();
    // The new token is at the top of the list, under its reveal.
    await expect(page.getByTestId('token-row').first()).toHaveAttribute('data-token-id', id);
    // The secret is in the island's memory and the panel only: not in the address, the history, the
    // storage, or the island's serialised props.
    expect(page.url()).not.toContain(secret);
    expect(await page.evaluate(() => history.length)).toBe(historyLength);
    const props = await page.locator('leptos-island').evaluateAll((els) => els.map((e) => e.getAttribute('data-props') ?? '').join('\n'));
    expect(props).not.toContain(secret);
    const storage = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(storage).not.toContain(secret);
    expect((await whoami(page, { id, secret })).status()).toBe(200);
    await reveal.getByRole('link', { name: "Done, I've copied it" }).click();
    await expect(page.getByTestId('token-reveal')).toHaveCount(0);
    await expectSecretGone(page, secret);
    await expect(page.getByRole('button', { name: 'Create Token' })).toBeFocused();

    // Rotate: "Rotating…", then the successor's reveal, the old row rotating, the successor listed.
    const short = id.slice(0, 8);
    await row(page, id).getByRole('button', { name: `Rotate CI (${short})` }).click();
    const rotateDialog = page.getByRole('dialog', { name: 'Rotate “CI”' });
    await rotateDialog.getByRole('radio', { name: '1 hour' }).check();
    release = await hold(page, '/rpc/tokens/rotate');
    await rotateDialog.getByRole('button', { name: 'Rotate token' }).click();
    await expect(rotateDialog.getByRole('button', { name: 'Rotating…' })).toBeDisabled();
    release();
    await expect(reveal.getByRole('heading', { name: 'Token “CI” rotated' })).toBeVisible();
    await expect(rotateDialog).toBeHidden();
    const successor = (await reveal.getByTestId('token-id').textContent())!.trim();
    expect(successor).not.toBe(id);
    await expect(reveal.getByTestId('token-secret')).toBeFocused();
    await expect(row(page, id).getByTestId('rotating')).toBeVisible();
    await expect(row(page, id).getByRole('button', { name: /^Rotate/ })).toHaveCount(0);
    await expect(page.getByTestId('token-row').first()).toHaveAttribute('data-token-id', successor);
    await reveal.getByRole('link', { name: "Done, I've copied it" }).click();

    // Delete the successor: "Deleting…", then its row is gone and the page says what was done.
    const successorShort = successor.slice(0, 8);
    await row(page, successor).getByRole('button', { name: `Delete CI (${successorShort})` }).click();
    const deleteDialog = page.getByRole('dialog', { name: 'Delete “CI”?' });
    release = await hold(page, '/rpc/tokens/delete');
    await deleteDialog.getByRole('button', { name: 'Delete token' }).click();
    await expect(deleteDialog.getByRole('button', { name: 'Deleting…' })).toBeDisabled();
    release();
    await expect(activeRow(page, successor)).toHaveCount(0);
    await expect(page.getByRole('status').filter({ hasText: 'Token “CI” deleted. It no longer works.' })).toBeVisible();
    await expect(page.getByTestId('token-deleted')).toHaveText('Token “CI” deleted. It no longer works.');
    expect(await activeIds(page)).not.toContain(successor);

    expect(navigations, 'no action navigated the page').toEqual([]);
    expect(posts).toEqual(expect.arrayContaining(['/rpc/tokens/create', '/rpc/tokens/rotate', '/rpc/tokens/delete', '/rpc/tokens/overview']));
    expect(posts.filter((p) => !p.startsWith('/rpc/tokens/')), 'every call is a server function of the tokens page').toEqual([]);
    expect(errors).toEqual([]);
  });

  test('a refused name is explained beside its field, keeps what was typed, and creates nothing', async ({ page }) => {
    await setUp(page);
    await page.goto(TOKENS_URL);
    await hydrated(page);
    const { navigations } = record(page);
    await page.getByRole('button', { name: 'Create Token' }).click();
    const form = page.getByTestId('create-token-form');
    const name = form.getByLabel('Name');
    // A plain text field: no placeholder posing as a value.
    expect(await name.getAttribute('placeholder')).toBeNull();
    // The custom number of days appears only with "Custom", and takes the focus then.
    await expect(form.getByLabel('Custom number of days')).toBeHidden();
    await form.getByRole('radio', { name: 'Custom' }).check();
    await expect(form.getByLabel('Custom number of days')).toBeFocused();
    await form.getByRole('radio', { name: /^30 days/ }).check();
    await expect(form.getByLabel('Custom number of days')).toBeHidden();

    // The field holds at most 100 characters; a longer name (the limit taken off) is refused by the server.
    const long = 'x'.repeat(101);
    await name.evaluate((e) => e.removeAttribute('maxlength'));
    await name.fill(long);
    await form.getByRole('button', { name: 'Create', exact: true }).click();
    const message = 'A token name has at most 100 characters; this one has 101. Shorten it.';
    await expect(form.locator('#token-name-error')).toHaveText(message);
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    await expect(name).toHaveAccessibleDescription(new RegExp(message.replace(/[.;]/g, '\\$&')));
    await expect(name).toHaveValue(long);
    await expect(name).toBeFocused();
    await expect(form.getByRole('radio', { name: /^30 days/ })).toBeChecked();
    await expect(page.getByTestId('token-reveal')).toHaveCount(0);
    expect(await activeIds(page)).toEqual([]);

    // Corrected, it goes through, and the error is gone with the form.
    await name.fill('Nightly build');
    await form.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.getByTestId('token-reveal').getByRole('heading', { name: 'Token “Nightly build” created' })).toBeVisible();
    await expect(page.locator('#token-name-error')).toHaveCount(0);
    expect(await activeIds(page)).toHaveLength(1);
    expect(navigations).toEqual([]);
  });

  test('a reload right after creating creates nothing more, and the secret is gone', async ({ page }) => {
    await setUp(page);
    await page.goto(TOKENS_URL);
    await hydrated(page);
    await page.getByRole('button', { name: 'Create Token' }).click();
    await page.getByTestId('create-token-form').getByLabel('Name').fill('Deploy script');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const reveal = page.getByTestId('token-reveal');
    await expect(reveal).toBeVisible();
    const secret = (await reveal.getByTestId('token-secret').textContent())!.trim();
    expect(await activeIds(page)).toHaveLength(1);

    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('token-row')).toHaveCount(1);
    expect(await activeIds(page), 'the reload posted nothing').toHaveLength(1);
    await expect(page.getByTestId('token-reveal')).toHaveCount(0);
    await expectSecretGone(page, secret);
    // Back and forth through the history: no entry holds it either.
    await page.goBack().catch(() => undefined);
    await page.goForward().catch(() => undefined);
    await expectSecretGone(page, secret);
    expect(await activeIds(page)).toHaveLength(1);
  });

  test('a form posted before the page hydrated: the secret shows once, then leaves the page and the island\'s props', async ({ page }) => {
    // Needs the forms' Post/Redirect/Get (h-prg): the post answers 303 to the page, which shows the outcome once.
    await setUp(page);
    // The first page's WebAssembly is held back (a delay, never a fake answer), so the form posts natively.
    const release = await hold(page, '/pkg/*.wasm');
    await page.goto(`${TOKENS_URL}?new=1`);
    await page.getByTestId('create-token-form').getByLabel('Name').fill('Before hydration');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`${TOKENS_URL}$`));
    release();
    const reveal = page.getByTestId('token-reveal');
    await expect(reveal.getByRole('heading', { name: 'Token “Before hydration” created' })).toBeVisible();
    await hydrated(page);
    const secret = (await reveal.getByTestId('token-secret').textContent())!.trim();
    expect(secret).toMatch(SECRET);
    // Hydrated from props that held the secret: once read, they are gone from the document.
    const props = await page.locator('leptos-island').evaluateAll((els) => els.map((e) => e.getAttribute('data-props') ?? '').join('\n'));
    expect(props).not.toContain(secret);
    await reveal.getByRole('link', { name: "Done, I've copied it" }).click();
    await expectSecretGone(page, secret);
    expect(await activeIds(page)).toHaveLength(1);
  });

  test("a token deleted in another tab leaves this tab's list when it is shown again", async ({ page, context }) => {
    await setUp(page);
    const gone = await createToken(page, 'CI/CD Pipeline');
    const kept = await createToken(page, 'MCP Server');
    await page.goto(TOKENS_URL);
    await hydrated(page);
    await expect(row(page, gone.id)).toBeVisible();

    const other = await context.newPage();
    await other.goto(TOKENS_URL);
    await hydrated(other);
    await row(other, gone.id).getByRole('button', { name: /^Delete CI\/CD Pipeline/ }).click();
    await other.getByRole('dialog', { name: 'Delete “CI/CD Pipeline”?' }).getByRole('button', { name: 'Delete token' }).click();
    await expect(activeRow(other, gone.id)).toHaveCount(0);

    // The first tab has not looked since.
    await expect(row(page, gone.id)).toBeVisible();
    // Back to it: the browser says the document is visible again (headless Chromium keeps every page
    // "visible", so the event is sent by hand, as the browser sends it).
    await page.bringToFront();
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange', { bubbles: true })));
    await expect(activeRow(page, gone.id)).toHaveCount(0);
    await expect(activeRow(page, kept.id)).toBeVisible();

    // Focusing the window again does the same.
    await rpc(other, 'tokens/delete', { id: kept.id });
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await expect(activeRow(page, kept.id)).toHaveCount(0);
    await expect(page.getByTestId('tokens-empty')).toBeVisible();
    await other.close();
  });
});
