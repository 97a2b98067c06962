import AxeBuilder from '@axe-core/playwright';
import {
  test,
  expect,
  hydrated,
  setUp,
  rpc,
  createToken,
  addMember,
  OWNER,
  PASSWORD,
  TOKENS_URL,
  MEMBERS_URL,
  AUDIT_URL,
  POLICY_URL,
  WEBHOOKS_URL,
  startReceiver,
  addWebhook,
  Page,
  BrowserContext,
} from './fixtures';
import type { Locator } from '@playwright/test';

type Scheme = 'light' | 'dark';
const SCHEMES: Scheme[] = ['light', 'dark'];
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** Who looks at a page: nobody signed in, the owner of a busy organization, a member of it, or the owner
 * of an empty one. */
type Who = 'anonymous' | 'owner' | 'member' | 'solo';

/** What the seeded server offers the states below. */
type World = { invitationPath: string; hooks: string };

type State = {
  name: string;
  who: Who;
  /** `setup` pages exist only before first-run setup, so they are looked at first. */
  phase?: 'before setup';
  /** Brings the page into the state (navigation, clicks); `run` differs per pass, for unique inputs. */
  open: (page: Page, world: World, run: number) => Promise<unknown>;
  /** What must be visible once it is there: the check is not run on a page that failed to get there. */
  ready: (page: Page) => Locator;
};

const go = (url: string) => async (page: Page) => {
  const response = await page.goto(url);
  expect(response?.status(), url).toBe(200);
};

/** Every page and state, once each. Adding a page is adding an entry. */
const STATES: State[] = [
  {
    name: 'setup',
    who: 'anonymous',
    phase: 'before setup',
    open: go('/setup'),
    ready: (p) => p.getByRole('heading', { name: 'Welcome to Tessera' }),
  },
  { name: 'sign-in', who: 'anonymous', open: go('/login'), ready: (p) => p.getByRole('heading', { name: 'Sign in to Tessera' }) },
  {
    name: 'sign-in with an error',
    who: 'anonymous',
    open: async (p) => {
      await go('/login')(p);
      await p.getByLabel('Email').fill(OWNER);
      await p.getByLabel('Password').fill('wrong password');
      await p.getByRole('button', { name: 'Sign in' }).click();
    },
    ready: (p) => p.getByRole('alert').filter({ hasText: 'Incorrect email or password.' }),
  },
  { name: 'home', who: 'owner', open: go('/'), ready: (p) => p.getByRole('tablist', { name: 'Client' }) },
  { name: 'tokens, empty', who: 'solo', open: go(TOKENS_URL), ready: (p) => p.getByTestId('tokens-empty') },
  { name: 'tokens with rows', who: 'owner', open: go(TOKENS_URL), ready: (p) => p.getByTestId('token-row').first() },
  {
    name: 'tokens, revoked list expanded',
    who: 'owner',
    open: async (p) => {
      await go(TOKENS_URL)(p);
      await p.getByTestId('revoked-tokens').locator('summary').click();
    },
    ready: (p) => p.getByTestId('revoked-tokens').getByTestId('token-row').first(),
  },
  { name: 'create form open', who: 'owner', open: go(`${TOKENS_URL}?new=1`), ready: (p) => p.getByTestId('create-token-form') },
  {
    name: 'reveal panel',
    who: 'owner',
    open: async (p, _, run) => {
      await go(`${TOKENS_URL}?new=1`)(p);
      await p.getByLabel('Name').fill(`Temporary ${run}`);
      await p.getByRole('button', { name: 'Create', exact: true }).click();
    },
    ready: (p) => p.getByTestId('token-reveal'),
  },
  {
    name: 'delete dialog open',
    who: 'owner',
    open: async (p) => {
      await go(TOKENS_URL)(p);
      await hydrated(p);
      await p.getByRole('button', { name: 'Delete CI/CD Pipeline' }).click();
    },
    ready: (p) => p.getByRole('dialog', { name: 'Delete “CI/CD Pipeline”?' }),
  },
  {
    name: 'rotate dialog open',
    who: 'owner',
    open: async (p) => {
      await go(TOKENS_URL)(p);
      await hydrated(p);
      await p.getByRole('button', { name: 'Rotate CI/CD Pipeline' }).click();
    },
    ready: (p) => p.getByRole('dialog', { name: 'Rotate “CI/CD Pipeline”' }),
  },
  {
    name: 'report-as-leaked dialog open',
    who: 'owner',
    open: async (p) => {
      await go(TOKENS_URL)(p);
      await hydrated(p);
      await p.getByRole('button', { name: /^Report CI\/CD Pipeline .* as leaked$/ }).click();
    },
    ready: (p) => p.getByRole('dialog', { name: 'Report “CI/CD Pipeline” as leaked?' }),
  },
  { name: 'members', who: 'owner', open: go(MEMBERS_URL), ready: (p) => p.getByTestId('member-row').nth(1) },
  {
    name: 'members, invitation link shown',
    who: 'owner',
    open: async (p, _, run) => {
      await go(MEMBERS_URL)(p);
      await p.getByTestId('invite-form').getByLabel('Email').fill(`invitee-${run}@example.com`);
      await p.getByRole('button', { name: 'Invite member' }).click();
    },
    ready: (p) => p.getByTestId('invitation-link'),
  },
  {
    name: 'invitation',
    who: 'anonymous',
    open: (p, world) => go(world.invitationPath)(p),
    ready: (p) => p.getByRole('button', { name: 'Create account and join' }),
  },
  { name: 'audit log', who: 'owner', open: go(AUDIT_URL), ready: (p) => p.getByTestId('audit-row').first() },
  { name: 'policy', who: 'owner', open: go(POLICY_URL), ready: (p) => p.getByTestId('save-policy') },
  {
    name: 'account security',
    who: 'solo',
    open: go('/app/account/security'),
    ready: (p) => p.getByRole('heading', { name: 'Account security', level: 1 }),
  },
  {
    name: 'confirm it is you',
    who: 'solo',
    open: go('/app/account/confirm'),
    ready: (p) => p.getByRole('heading', { name: 'Confirm it is you' }),
  },
  {
    name: 'sign-in second step',
    who: 'anonymous',
    open: go('/login/two-factor'),
    ready: (p) => p.getByRole('heading', { name: 'Two-factor authentication' }),
  },
  { name: 'webhooks, empty', who: 'solo', open: go(WEBHOOKS_URL), ready: (p) => p.getByTestId('webhooks-empty') },
  {
    name: 'webhooks with endpoints and deliveries',
    who: 'owner',
    // Deliveries happen in the background: open the page until both a success and a failure are logged.
    open: (p) =>
      expect(async () => {
        await go(WEBHOOKS_URL)(p);
        await expect(p.getByTestId('delivery-status').filter({ hasText: 'Delivered' }).first()).toBeVisible({ timeout: 300 });
        await expect(p.getByTestId('delivery-status').filter({ hasText: 'Failed' }).first()).toBeVisible({ timeout: 300 });
      }).toPass({ timeout: 15_000 }),
    ready: (p) => p.getByTestId('deliveries').first(),
  },
  {
    name: 'webhooks, secret shown',
    who: 'owner',
    open: async (p, world, run) => {
      await go(WEBHOOKS_URL)(p);
      await p.getByLabel('Endpoint URL').fill(`${world.hooks}/shown-${run}`);
      await p.getByRole('button', { name: 'Add endpoint' }).click();
    },
    ready: (p) => p.getByTestId('webhook-secret'),
  },
  {
    name: 'webhooks, add form with errors',
    who: 'owner',
    open: async (p) => {
      await go(WEBHOOKS_URL)(p);
      await p.getByLabel('Endpoint URL').fill('ftp://x');
      await p.getByRole('button', { name: 'Add endpoint' }).click();
    },
    ready: (p) => p.getByTestId('add-webhook-form').locator('.error-text'),
  },
  {
    name: 'webhooks, remove dialog open',
    who: 'owner',
    open: async (p) => {
      await go(WEBHOOKS_URL)(p);
      await hydrated(p);
      await p.getByTestId('webhook-row').first().getByRole('button', { name: /^Remove the endpoint / }).click();
    },
    ready: (p) => p.getByRole('dialog', { name: 'Remove this endpoint?' }),
  },
  { name: 'webhooks, not an admin', who: 'member', open: go(WEBHOOKS_URL), ready: (p) => p.getByTestId('webhooks-admins-only') },
];

/** Serious and critical axe violations, one line each with the elements concerned. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

/**
 * WCAG 1.4.10 (reflow) and content cut off: nothing may need horizontal scrolling of the page, and no text
 * may run past the edge of a box that clips it (overflow hidden) or past the viewport. Text inside
 * something that scrolls (a code block, a secret's field) is reachable, so it is fine.
 */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const describe = (e: Element) =>
      `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${[...e.classList].map((c) => `.${c}`).join('')}` +
      ` "${(e.textContent ?? '').trim().slice(0, 40)}"`;
    const problems: string[] = [];
    const cut = new Set<string>();
    for (const e of document.body.querySelectorAll('*')) {
      if (![...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim())) continue;
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || e.closest('.visually-hidden, [hidden], dialog:not([open])')) continue;
      if (e.closest('details:not([open])') && !e.closest('summary')) continue; // collapsed: not shown
      let reachable = false;
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        const overflow = getComputedStyle(a).overflowX;
        if (/auto|scroll/.test(overflow)) {
          reachable = true;
          break;
        }
        if (/hidden|clip/.test(overflow)) {
          const box = a.getBoundingClientRect();
          if (box.width > 2 && (r.right > box.right + 1 || r.left < box.left - 1)) cut.add(`${describe(e)} (cut off by ${describe(a).split(' ')[0]})`);
          break;
        }
      }
      if (!reachable && r.right > width + 1) cut.add(`${describe(e)} (past the viewport's edge)`);
    }
    if (document.documentElement.scrollWidth > width) {
      // What can't wrap and is wider than the viewport: it pushes the layout wide (its grid or flex
      // track keeps min-width: auto), even when it scrolls itself.
      const wide = [...document.body.querySelectorAll('*')].filter(
        (e) => /^(nowrap|pre)$/.test(getComputedStyle(e).whiteSpace) && e.scrollWidth > width && !e.closest('.visually-hidden'),
      );
      // Or what sticks out past the edge with no scrolling box around it to hold it: an absolutely positioned
      // element escapes every overflow box between it and its containing block (its nearest positioned
      // ancestor), so a visually hidden label inside a scrolling table can still widen the page.
      const escapes = (e: Element) => {
        let positioned = /absolute|fixed/.test(getComputedStyle(e).position);
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
          const style = getComputedStyle(a);
          const contains = !positioned || style.position !== 'static' || style.transform !== 'none';
          if (!contains) continue;
          if (/auto|scroll|hidden|clip/.test(style.overflowX)) return false;
          positioned = /absolute|fixed/.test(style.position);
        }
        return true;
      };
      const sticking = [...document.body.querySelectorAll('*')].filter(
        (e) => e.getBoundingClientRect().right > width + 1 && escapes(e) && ![...e.children].some((c) => c.getBoundingClientRect().right > width + 1 && escapes(c)),
      );
      problems.push(
        `reflow (WCAG 1.4.10): the page is ${document.documentElement.scrollWidth}px wide in a ${width}px viewport, ` +
          `pushed by ${[...new Set([...sticking, ...wide].map(describe))].slice(0, 4).join('; ') || 'unknown content'}`,
      );
      return problems; // everything else is merely stretched along
    }
    if (cut.size) problems.push(`content cut off or off-screen: ${[...cut].slice(0, 6).join('; ')}`);
    return problems;
  });
}

test.describe('accessibility', () => {
  test('no serious or critical axe violations on any page, in light and dark, on desktop and phone', async ({
    page,
    browser,
    tessera,
  }) => {
    test.setTimeout(300_000);
    const contexts: BrowserContext[] = [];
    const newPage = async () => {
      const context = await browser.newContext({ baseURL: tessera.url });
      contexts.push(context);
      return context.newPage();
    };
    const pages = { owner: page, anonymous: await newPage(), solo: await newPage() } as Record<Who, Page>;
    const world: World = { invitationPath: '', hooks: '' };
    const hooks = await startReceiver();
    world.hooks = hooks.url('');
    const problems: string[] = [];
    let run = 0;

    const seed = async () => {
      await setUp(page);
      // A busy organization: webhook endpoints (one answering, one nobody listens on), tokens (one
      // expiring soon, one rotating), a member with an active and a revoked token, a pending invitation,
      // and the audit events and deliveries of all that.
      await addWebhook(page, hooks.url('/hooks/tessera'));
      await addWebhook(page, 'http://127.0.0.1:9/nobody/listens/here', { member_events: 'on', events: 'token.expiring, token.exposed' });
      await createToken(page, 'CI/CD Pipeline', 30);
      await createToken(page, 'MCP Server', 3);
      const vscode = await createToken(page, 'VS Code Extension', 90);
      await rpc(page, 'tokens/rotate', { id: vscode.id, grace: '24h' });
      const dev = await addMember(page, browser, tessera, 'dev@example.com', 'member');
      contexts.push(dev);
      pages.member = await dev.newPage();
      await createToken(dev, 'Dev laptop', 30);
      const members = await rpc<{ members: { email: string; user_id: string }[] }>(page, 'orgs/members');
      await rpc(page, 'orgs/members/revoke-tokens', { user_id: members.members.find((m) => m.email === 'dev@example.com')!.user_id });
      await createToken(dev, 'Dev CLI', 60);
      const invited = await rpc<{ link: string }>(page, 'orgs/members/add', { email: 'pending@example.com', role: 'viewer' });
      world.invitationPath = new URL(invited.link).pathname;
      // Someone alone in an organization of their own, for the empty page.
      await tessera.cli(['user', 'create', '--email', 'solo@example.com'], `${PASSWORD}\n`);
      await tessera.cli(['org', 'create', '--name', 'Solo', '--owner', 'solo@example.com']);
      await rpc(pages.solo, 'auth/login', { email: 'solo@example.com', password: PASSWORD });
    };

    try {
      const phases = [STATES.filter((s) => s.phase === 'before setup'), STATES.filter((s) => s.phase !== 'before setup')];
      for (const [i, states] of phases.entries()) {
        if (i === 1) await seed();
        for (const state of states) {
          // Open the state once, then look at it in every viewport and scheme: both are CSS only here
          // (media queries follow emulateMedia and the viewport at once), so no reload is needed.
          const p = pages[state.who];
          await p.setViewportSize({ width: VIEWPORTS[0].width, height: VIEWPORTS[0].height });
          await p.emulateMedia({ colorScheme: SCHEMES[0] });
          await state.open(p, world, ++run);
          await expect(state.ready(p), `${state.name} did not render`).toBeVisible();
          await hydrated(p);
          for (const viewport of VIEWPORTS) {
            for (const scheme of SCHEMES) {
              const where = `${state.name} [${scheme}, ${viewport.name}]`;
              await p.setViewportSize({ width: viewport.width, height: viewport.height });
              await p.emulateMedia({ colorScheme: scheme });
              await p.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
              await expect(state.ready(p), `${where} is not visible`).toBeVisible();
              problems.push(...(await seriousViolations(p)).map((v) => `${where}: ${v}`));
              problems.push(...(await layoutProblems(p)).map((v) => `${where}: ${v}`));
            }
          }
        }
      }
    } finally {
      for (const context of contexts) await context.close();
      await hooks.close();
    }
    expect(problems, `\n${problems.join('\n')}\n`).toEqual([]);
  });

  /** Every element Tab reaches, with whether its focus can be seen. The indicator counts if, while focused,
   * the element (or, for a visually hidden input, the chip or label that stands for it) has an outline, or
   * a box-shadow it does not have unfocused. */
  async function tabWalk(page: Page): Promise<{ what: string; visible: boolean }[]> {
    // Unfocused styles first, to tell a focus ring from a box-shadow that is always there.
    await page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      const store = new Map<Element, string>();
      for (const e of document.querySelectorAll('*')) store.set(e, getComputedStyle(e).boxShadow);
      (window as unknown as { __unfocusedShadow: Map<Element, string> }).__unfocusedShadow = store;
    });
    const seen: { what: string; visible: boolean }[] = [];
    let first: string | null = null;
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      const step = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null; // focus is in the browser's own UI, between two rounds
        const shadows = (window as unknown as { __unfocusedShadow: Map<Element, string> }).__unfocusedShadow;
        const style = getComputedStyle(el);
        const hiddenItself = Number(style.opacity) === 0 || el.classList.contains('visually-hidden');
        const standIns = [el.nextElementSibling, el.closest('label')].filter((e): e is Element => !!e);
        const candidates = hiddenItself ? standIns : [el];
        const transparent = (c: string) => c === 'transparent' || /rgba?\(.*,\s*0\)$/.test(c) || /\/ 0\)$/.test(c);
        const shows = (e: Element) => {
          const s = getComputedStyle(e);
          const rect = e.getBoundingClientRect();
          if (rect.width === 0 || rect.height === 0) return false;
          const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && !transparent(s.outlineColor);
          const ring = s.boxShadow !== 'none' && s.boxShadow !== shadows.get(e);
          return outline || ring;
        };
        const label = (el.getAttribute('aria-label') || el.textContent || (el as HTMLInputElement).name || '').trim().slice(0, 40);
        return { what: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${label}"`, visible: candidates.some(shows) };
      });
      if (!step) continue;
      if (step.what === first) break;
      first ??= step.what;
      seen.push(step);
    }
    return seen;
  }

  for (const scheme of SCHEMES) {
    test(`keyboard: Tab reaches every control of the tokens and webhooks pages, each with a visible focus indicator (${scheme})`, async ({
      page,
    }) => {
      await page.emulateMedia({ colorScheme: scheme });
      const hooks = await startReceiver();
      await setUp(page);
      await addWebhook(page, hooks.url());
      await createToken(page, 'Old key', 30);
      await rpc(page, 'tokens/revoke-all', { confirm: 'Acme' });
      await createToken(page, 'CI/CD Pipeline', 30);
      await createToken(page, 'MCP Server', 90);

      for (const [url, expected] of [
        // Row actions' names end with the token's short id: "Rotate CI/CD Pipeline (1a2b3c4d)".
        [TOKENS_URL, ['"Create Token"', '"Rotate CI/CD Pipeline (', '"Delete MCP Server (', '"History of MCP Server (', '"Revoked tokens (1)"', '#confirm-revoke-all', '"Revoke all tokens"', '"Skip to content"', '"Sign out"']],
        // The expiration is one radio group (one Tab stop); the custom number of days is there only once
        // "Custom" is chosen.
        [`${TOKENS_URL}?new=1`, ['#token-name', '#expiry-30', '"Create"', '"Cancel"']],
        [WEBHOOKS_URL, ['#field-url', '#events-tokens', '#events-members', '#events-policy', '#field-events', '"Add endpoint"', `"Remove the endpoint ${hooks.url()}`.slice(0, 41), '"Recent deliveries', '"Resend token.created delivery']],
      ] as const) {
        if (url === WEBHOOKS_URL) {
          // The tokens above were delivered in the background: wait until the log has them.
          await expect(async () => {
            await page.goto(url);
            await expect(page.getByTestId('delivery-row').first()).toBeVisible({ timeout: 300 });
          }).toPass({ timeout: 10_000 });
        } else {
          await page.goto(url);
        }
        await hydrated(page);
        const walk = await tabWalk(page);
        for (const part of expected) {
          expect(walk.some((s) => s.what.includes(part)), `${url}: Tab never reaches ${part}; it reaches ${walk.map((s) => s.what).join(', ')}`).toBe(true);
        }
        const invisible = walk.filter((s) => !s.visible).map((s) => s.what);
        expect(invisible, `${url} (${scheme}): focus can't be seen on ${invisible.join(', ')}`).toEqual([]);
      }
      await hooks.close();
    });
  }
});
