import type { Browser, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { expect, watchPage } from './fixtures';

export const PASSWORD = 'correct horse battery staple';

/** An email address no other test uses. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

/** Waits until the WASM has taken over the server-rendered page. */
export async function hydrated(page: Page): Promise<void> {
  await page.locator('body[data-hydrated]').waitFor({ state: 'attached' });
}

/** Creates an account through the signup page and lands on the task page. */
export async function signUp(page: Page, name: string, email = uniqueEmail(), javascript = true): Promise<string> {
  await page.goto('/signup');
  if (javascript) await hydrated(page);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/tasks$/);
  await expect(page.getByRole('heading', { name: 'Tasks' })).toBeVisible();
  return email;
}

/** Logs in through the login page. */
export async function logIn(page: Page, email: string, javascript = true): Promise<void> {
  if (!page.url().includes('/login')) await page.goto('/login');
  if (javascript) await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** The task list and its items. */
export function taskList(page: Page) {
  return page.getByRole('list', { name: 'Tasks' });
}

/** Fails on any serious or critical accessibility violation axe-core finds on the page. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const summary = bad.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).join('\n  ')}`);
  expect(summary, `accessibility of ${what}`).toEqual([]);
}

/**
 * A new page in a browser context of its own (its own cookies). Its errors fail the test like
 * the `page` fixture's (see fixtures.ts), and its context is closed when the test ends.
 */
export async function freshPage(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
  const context = await browser.newContext(options);
  return watchPage(await context.newPage(), { closeContext: true });
}
