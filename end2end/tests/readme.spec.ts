import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect, setUp, hydrated, addWebhook, addMember, TOKENS_URL, MEMBERS_URL, WEBHOOKS_URL } from './fixtures';

const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## For people testing against Tessera'));

// The README's snippet for people testing against Tessera, run as written (only the address is this
// test's server): if the page changes its names or test ids, the README must change with it.
test('the README snippet creates a token and reads its Token ID and Token Secret', async ({ page, tessera }) => {
  const snippet = section.match(/```ts\n([\s\S]*?)```/)?.[1];
  expect(snippet, 'the README has a TypeScript snippet in that section').toBeTruthy();
  const body = snippet!.match(/async \(\{ page \}\) => \{\n([\s\S]*)\n\}\);\s*$/)?.[1];
  expect(body, "the snippet is one test with a `page`").toBeTruthy();

  await setUp(page);
  await page.goto(TOKENS_URL);
  await hydrated(page);
  const run = new Function('page', 'expect', `return (async () => {\n${body!.replaceAll('http://127.0.0.1:3000', tessera.url)}\n})();`);
  await run(page, expect);
  await expect(page.getByTestId('token-row')).toHaveCount(1);
  await expect(page.getByTestId('token-row')).toContainText('CI/CD Pipeline');
  // The alternative the snippet's comment offers finds exactly one element, with the same value.
  const id = (await page.getByTestId('token-id').first().innerText()).trim();
  await expect(page.getByLabel('Token ID', { exact: true })).toHaveText(id);
});

// Every test id and accessible name the section promises exists on the pages, as written.
test('every test id and action name the README promises is on the pages', async ({ page }) => {
  const ids = section
    .slice(section.indexOf('stable `data-testid`'), section.indexOf('…)'))
    .match(/`[a-z-]+`/g)!
    .map((s) => s.slice(1, -1))
    .filter((s) => s !== 'data-testid');
  expect(ids).toEqual(expect.arrayContaining(['create-token-button', 'token-row', 'token-id', 'token-secret']));
  const seen = new Set<string>();
  const look = async () => {
    for (const id of ids) if ((await page.getByTestId(id).count()) > 0) seen.add(id);
  };

  await setUp(page);
  await addWebhook(page, 'https://hooks.example.com/tessera');
  await page.goto(TOKENS_URL);
  await hydrated(page);
  await look();
  await page.getByRole('button', { name: 'Create Token' }).click();
  await page.getByLabel('Name').fill('CI');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByTestId('token-reveal')).toBeVisible();
  await look();
  const short = (await page.getByTestId('token-reveal').getByTestId('token-id').innerText()).trim().slice(0, 8);
  await page.reload();
  await hydrated(page);
  // "Delete CI (1a2b3c4d)": the name and the short Token ID, as the README writes them.
  for (const name of [`Delete CI (${short})`, `Rotate CI (${short})`]) {
    await expect(page.getByRole('button', { name, exact: true })).toHaveCount(1);
  }
  await expect(page.getByRole('link', { name: `History of CI (${short})`, exact: true })).toHaveCount(1);
  await page.getByRole('button', { name: `Delete CI (${short})`, exact: true }).click();
  await expect(page.getByRole('dialog', { name: 'Delete “CI”?' })).toBeVisible();
  await look();
  for (const url of [MEMBERS_URL, WEBHOOKS_URL, '/app/orgs/new']) {
    await page.goto(url);
    await look();
  }
  expect(ids.filter((id) => !seen.has(id)), 'test ids the README names that no page has').toEqual([]);
});

// The other names the section promises, each once on its page: the frame's, the organization menu's and
// the members page's.
test('every other accessible name the README promises is on its page, once', async ({ page, browser, tessera }) => {
  for (const name of ['Skip to content', 'New organization', 'Organization name', 'Create organization', 'Revoke tokens of bob@example.com']) {
    expect(section, `the README names ${name}`).toContain(name);
  }
  await setUp(page);
  const bob = await addMember(page, browser, tessera, 'bob@example.com');
  await bob.request.post('/rpc/tokens/create', { form: { name: 'bob', expires_in_days: '30' }, headers: { accept: 'application/json' } });
  await page.goto(TOKENS_URL);
  await expect(page.getByRole('link', { name: 'Skip to content', exact: true })).toHaveCount(1);
  await page.getByTestId('org-switcher').locator('summary').click();
  await expect(page.getByRole('link', { name: 'New organization', exact: true })).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Create Token', exact: true })).toHaveCount(1);
  await page.goto(MEMBERS_URL);
  await expect(page.getByRole('button', { name: 'Revoke tokens of bob@example.com', exact: true })).toHaveCount(1);
  await page.goto('/app/orgs/new');
  await expect(page.getByRole('textbox', { name: 'Organization name', exact: true })).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Create organization', exact: true })).toHaveCount(1);
  await bob.close();
});
