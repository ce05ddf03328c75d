import { type Page, expect, test } from './fixtures';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expectAccessible, freshPage, hydrated, signUp, taskList } from './helpers';

/** Makes a list with the sidebar's form and opens it; returns its id. */
async function makeList(page: Page, name: string): Promise<string> {
  const form = page.locator('form.new-list');
  await form.getByLabel('New list').fill(name);
  await form.getByRole('button', { name: 'Add' }).click();
  const lists = page.getByRole('navigation', { name: 'Lists' });
  await lists.getByRole('link', { name: new RegExp(`^${name}`) }).click();
  await expect(page).toHaveURL(/\/tasks\?list=/);
  return new URL(page.url()).searchParams.get('list') ?? '';
}

/** Opens the sharing page of the list in view, from the sidebar. */
async function openSharing(page: Page) {
  await page.getByRole('navigation', { name: 'Lists' }).getByRole('link', { name: 'Members and sharing' }).click();
  await expect(page).toHaveURL(/\/lists\/[0-9a-f-]+$/);
}

/** Invites `email` to the list as `role` with the sharing page's form (on that page). */
async function invite(page: Page, email: string, role: 'editor' | 'viewer') {
  const form = page.locator('form.invite-form');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Role').selectOption(role);
  await form.getByRole('button', { name: 'Invite' }).click();
  await expect(page.getByRole('region', { name: /^Members/ })).toContainText(email);
}

/** Accepts the invitation shown on the task page and opens the list. */
async function acceptAndOpen(page: Page, listName: string) {
  const invitations = page.getByRole('region', { name: 'Invitations' });
  await expect(invitations).toContainText(`invited you to ${listName}`);
  await invitations.getByRole('button', { name: 'Accept' }).click();
  await expect(page.getByRole('region', { name: 'Invitations' })).toHaveCount(0);
  const link = page.getByRole('navigation', { name: 'Lists' }).getByRole('link', { name: new RegExp(`^${listName}`) });
  await expect(link).toContainText('shared');
  await link.click();
  await expect(page).toHaveURL(/\/tasks\?list=/);
}

function item(page: Page, title: string) {
  return taskList(page).getByRole('listitem').filter({ has: page.getByRole('checkbox', { name: title, exact: true }) });
}

for (const javascript of [true, false]) {
  test.describe(javascript ? 'with the WASM' : 'without JavaScript', () => {
    test.use({ javaScriptEnabled: javascript });

    test('two people share a list: the viewer only reads, the editor changes it', async ({ page, browser }) => {
      const owner = page;
      await signUp(owner, 'Olive', undefined, javascript);
      const list = await makeList(owner, 'Groceries');
      const newTask = owner.getByLabel('New task');
      await newTask.fill('Milk');
      await newTask.press('Enter');
      await expect(item(owner, 'Milk')).toBeVisible();
      await expect(owner).toHaveURL(new RegExp(`list=${list}`));

      const viewer = await freshPage(browser, { javaScriptEnabled: javascript });
      const viewerEmail = await signUp(viewer, 'Vic', undefined, javascript);
      const editor = await freshPage(browser, { javaScriptEnabled: javascript });
      const editorEmail = await signUp(editor, 'Eda', undefined, javascript);
      await openSharing(owner);
      await invite(owner, viewerEmail, 'viewer');
      await invite(owner, editorEmail, 'editor');
      if (javascript) await expectAccessible(owner, 'the sharing page of a list');
      await owner.goto(`/tasks?list=${list}`);

      // The viewer sees the list and its task, and is refused a change.
      await viewer.reload();
      await acceptAndOpen(viewer, 'Groceries');
      await expect(item(viewer, 'Milk')).toBeVisible();
      await expect(viewer.getByRole('navigation', { name: 'Lists' })).toContainText('shared, viewer');
      // A viewer's board offers no changes (the server refuses them anyway: tests/lists.rs).
      if (javascript) await hydrated(viewer);
      await expect(viewer.getByText('You are a viewer of this list')).toBeVisible();
      await expect(viewer.getByLabel('New task')).toHaveCount(0);
      await expect(viewer.getByRole('checkbox', { name: 'Milk' })).toBeDisabled();
      await expect(viewer.getByRole('button', { name: 'Edit Milk' })).toHaveCount(0);
      await expect(viewer.getByRole('button', { name: 'Delete Milk' })).toHaveCount(0);
      // (axe runs as a script in the page: only where the page runs scripts.)
      if (javascript) await expectAccessible(viewer, 'a shared list as its viewer');

      // The editor renames the task; the owner sees it after a reload.
      await editor.reload();
      await acceptAndOpen(editor, 'Groceries');
      if (javascript) {
        await hydrated(editor);
        await editor.getByRole('button', { name: 'Edit Milk' }).click();
        await editor.getByLabel('Assignee').selectOption({ label: 'Eda' });
        const title = editor.getByRole('textbox', { name: 'Title' });
        await title.fill('Oat milk');
        await title.press('Enter');
      } else {
        await editor.getByRole('button', { name: 'Edit Milk' }).click();
        await editor.getByRole('textbox', { name: 'Title' }).fill('Oat milk');
        await editor.getByLabel('Assignee').selectOption({ label: 'Eda' });
        await editor.getByRole('button', { name: 'Save' }).click();
        await editor.getByRole('button', { name: 'Cancel' }).click();
      }
      await expect(item(editor, 'Oat milk')).toContainText('Assigned to @Eda');
      await owner.reload();
      await expect(item(owner, 'Oat milk')).toBeVisible();
      await expect(owner.getByRole('navigation', { name: 'Lists' }).getByRole('link', { name: /^Groceries/ })).toContainText(
        'shared',
      );
      if (javascript) await expectAccessible(owner, 'the task page with its lists');

      // The owner reads who did what, and makes the viewer an editor.
      await owner.getByRole('navigation', { name: 'Lists' }).getByRole('link', { name: 'History' }).click();
      const events = owner.getByRole('list').filter({ hasText: 'changed the title' });
      await expect(events).toContainText('Eda changed the title of “Oat milk”.');
      await expect(events).toContainText('Vic joined as viewer.');
      await expect(events).toContainText('Eda assigned “Oat milk” to Eda.');
      if (javascript) await expectAccessible(owner, 'the history of a list');
      await owner.goto(`/lists/${list}`);
      await owner.getByLabel('Role of Vic').selectOption('editor');
      await owner.locator('li.member').filter({ hasText: 'Vic' }).getByRole('button', { name: 'Change' }).click();
      await expect(owner.locator('li.member').filter({ hasText: 'Vic' }).locator('.badge')).toHaveText('editor');
    });

    test('a deleted list waits in the trash and comes back with its tasks', async ({ page }) => {
      await signUp(page, 'Tess', undefined, javascript);
      await makeList(page, 'Holiday');
      const newTask = page.getByLabel('New task');
      await newTask.fill('Book flights');
      await newTask.press('Enter');
      await expect(item(page, 'Book flights')).toBeVisible();
      await openSharing(page);
      await page.getByRole('button', { name: 'Move to the trash' }).click();
      await expect(page.getByRole('heading', { name: 'List not found' })).toBeVisible();
      await page.getByRole('link', { name: 'Trash' }).click();
      await expect(page).toHaveURL(/\/trash$/);
      if (javascript) await expectAccessible(page, 'the trash');
      await page.getByRole('button', { name: 'Restore Holiday' }).click();
      await expect(page.getByText('The trash is empty.')).toBeVisible();
      await page.goto('/tasks');
      await page.getByRole('navigation', { name: 'Lists' }).getByRole('link', { name: /^Holiday/ }).click();
      await expect(item(page, 'Book flights')).toBeVisible();
    });
  });
}

test('the list pages have no serious accessibility problems, and screenshots', async ({ page }, testInfo) => {
  await signUp(page, 'Sasha');
  const list = await makeList(page, 'Book club');
  for (const title of ['Pick the next book', 'Book a room']) {
    await page.getByLabel('New task').fill(title);
    await page.getByLabel('New task').press('Enter');
    await expect(item(page, title)).toBeVisible();
  }
  await hydrated(page);
  await page.getByRole('button', { name: 'Delete Book a room' }).click();
  await expect(item(page, 'Book a room')).toHaveCount(0);
  await openSharing(page);
  await invite(page, 'reader@example.com', 'viewer');
  await page.getByLabel('Role').selectOption('editor');

  const shots = join(testInfo.project.outputDir, 'screenshots');
  mkdirSync(shots, { recursive: true });
  const pages = [
    ['tasks-list', `/tasks?list=${list}`],
    ['sharing', `/lists/${list}`],
    ['history', `/lists/${list}/history`],
    ['trash', '/trash'],
  ];
  for (const scheme of ['light', 'dark'] as const) {
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: width < 600 ? 844 : 800 });
      await page.emulateMedia({ colorScheme: scheme });
      for (const [name, path] of pages) {
        await page.goto(path);
        await expectAccessible(page, `${path} at ${width}px (${scheme})`);
        // Nothing sticks out sideways (the sidebar's row of lists scrolls within itself).
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `${path} at ${width}px`).toBe(width);
        await page.screenshot({ path: join(shots, `${name}-${width}-${scheme}.png`), fullPage: true });
      }
    }
  }
});
