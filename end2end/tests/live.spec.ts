import { type Page, test, expect, watchPage } from './fixtures';
import { freshPage, hydrated, logIn, signUp, taskList, uniqueEmail } from './helpers';

// Live sync: a change made in one tab, or by another member, shows on every other page of the
// list within moments, without a reload; an edit form open meanwhile keeps what is typed.
// Two tabs of one person share one stream (live.js); the member's browser has its own.

function item(page: Page, title: string) {
  return taskList(page).getByRole('listitem').filter({ has: page.getByRole('checkbox', { name: title, exact: true }) });
}

/** The sidebar's count of open tasks of the list named `name`. */
function openCount(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Lists' }).getByRole('link', { name: new RegExp(`^${name}`) }).locator('.list-open');
}

test('two tabs of one person and a member see each other\'s changes without reloading', async ({ page, browser }) => {
  await signUp(page, 'Olive');
  const made = await page.request.post('/api/lists/create', { form: { name: 'Home' } });
  expect(made.status()).toBe(200);
  const list = (await made.json()).id as string;

  const bob = await freshPage(browser);
  const bobEmail = uniqueEmail('bob');
  await signUp(bob, 'Bob', bobEmail);
  const invited = await page.request.post('/api/lists/invite', { form: { id: list, email: bobEmail, role: 'editor' } });
  expect(invited.status()).toBe(200);
  const pending = await (await bob.request.get('/api/invitations/list')).json();
  const accepted = await bob.request.post('/api/invitations/accept', { form: { id: pending.invitations[0].id } });
  expect(accepted.status()).toBe(200);

  const second = await page.context().newPage();
  for (const tab of [page, second, bob]) {
    await tab.goto(`/tasks?list=${list}`);
    await hydrated(tab);
  }
  // Olive's first tab holds the stream (it asked first) and passes what it hears to the
  // second, which is the one in view: a tab out of view loads nothing until it is back.
  await second.bringToFront();
  expect(await second.evaluate(() => document.visibilityState)).toBe('visible');

  // Made by Bob: Olive's tab in view shows it, its sidebar count too.
  await bob.getByLabel('New task').fill('Buy <milk> & bread');
  await bob.getByLabel('New task').press('Enter');
  await expect(item(second, 'Buy <milk> & bread')).toBeVisible({ timeout: 5000 });
  await expect(openCount(second, 'Home')).toContainText('1');
  // The other tab catches up when it comes back into view.
  await page.bringToFront();
  await expect(item(page, 'Buy <milk> & bread')).toBeVisible({ timeout: 5000 });

  // Completed by Olive: Bob's page follows, and the open count goes down.
  await item(page, 'Buy <milk> & bread').getByRole('checkbox').check();
  await expect(bob.getByRole('checkbox', { name: 'Buy <milk> & bread', exact: true })).toBeChecked({ timeout: 5000 });
  await expect(openCount(bob, 'Home')).toContainText('0');

  // An edit form open in Olive's tab is not overwritten by a change from elsewhere.
  await bob.getByLabel('New task').fill('Call the plumber');
  await bob.getByLabel('New task').press('Enter');
  await expect(item(page, 'Call the plumber')).toBeVisible({ timeout: 5000 });
  await page.getByRole('button', { name: 'Edit Call the plumber' }).click();
  const title = page.getByLabel('Title', { exact: true });
  await title.fill('Call the plumber today');
  const task = (await (await bob.request.get('/api/tasks/list', { params: { list_id: list, q: 'plumber' } })).json()).tasks[0];
  const changed = await bob.request.post('/api/tasks/update', { form: { id: task.id, description: 'Before noon' } });
  expect(changed.status()).toBe(200);
  await expect(page.getByText('Changed elsewhere')).toBeVisible({ timeout: 5000 });
  await expect(title).toHaveValue('Call the plumber today');
  await title.press('Enter');
  await expect(item(page, 'Call the plumber today')).toBeVisible();
  await expect(page.getByText('Changed elsewhere')).toBeHidden({ timeout: 5000 });
  // Olive's save reaches Bob.
  await expect(item(bob, 'Call the plumber today')).toBeVisible({ timeout: 5000 });
  // Deleted by Bob: gone from Olive's tab.
  await bob.getByRole('button', { name: 'Delete Call the plumber today' }).click();
  await expect(item(page, 'Call the plumber today')).toHaveCount(0, { timeout: 5000 });
  await expect(page.getByText('Reconnecting…')).toBeHidden();
  await second.close();
});

test('logging out in one tab stops the other, and the next login has its live stream', async ({ page }) => {
  const email = await signUp(page, 'Tabby');
  await hydrated(page);
  // The first tab holds the stream (its lock); the second hears through it.
  const second = watchPage(await page.context().newPage());
  await second.goto('/tasks');
  await hydrated(second);
  const held = () => second.evaluate(async () => (await navigator.locks.query()).held?.length ?? 0);
  await expect.poll(held).toBe(1);

  // Logged out in the first: the second takes the lock over, finds the session over without
  // opening a stream (no 401 in its console) and lets the lock go.
  await page.getByRole('banner').getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect.poll(held, { timeout: 10000 }).toBe(0);

  // Logged in again: the new page leads, and a change made elsewhere shows without a reload.
  await logIn(page, email);
  // (The login page's own address ends in `next=/tasks`: the heading says the page is the task page.)
  await expect(page.getByRole('heading', { name: 'Tasks' })).toBeVisible();
  await hydrated(page);
  const made = await page.request.post('/api/tasks/create', { form: { title: 'Heard live' } });
  expect(made.status()).toBe(200);
  await expect(item(page, 'Heard live')).toBeVisible({ timeout: 5000 });
});
