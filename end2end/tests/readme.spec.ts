import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect, setUp, hydrated, TOKENS_URL } from './fixtures';

// The README's snippet for people testing against Tessera, run as written (only the address is this
// test's server): if the page changes its names or test ids, the README must change with it.
test('the README snippet creates a token and reads its Token ID and Token Secret', async ({ page, tessera }) => {
  const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## For people testing against Tessera'));
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
});
