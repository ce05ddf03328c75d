import { expect, test } from './fixtures';
import { expectAccessible, freshPage, hydrated, signUp, taskList } from './helpers';

/** Today's date (YYYY-MM-DD) in a zone, as the person there reads their calendar. */
function todayIn(timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

test("an account starts in the browser's time zone, and today is that zone's", async ({ browser }) => {
  // The zone furthest ahead of UTC: its today is rarely the server's.
  const zone = 'Pacific/Kiritimati';
  const page = await freshPage(browser, { timezoneId: zone });
  await signUp(page, 'Kiri');
  await hydrated(page);

  const today = todayIn(zone);
  const form = page.locator('form.new-task');
  await form.getByText('More options').click();
  await form.getByLabel('Due date').fill(today);
  await form.getByLabel('Due time').fill('23:30');
  await page.getByLabel('New task').fill('Late call');
  await page.getByLabel('New task').press('Enter');
  const due = taskList(page).locator('time.due');
  await expect(due).toHaveText('Due today at 23:30');
  await expect(due).toHaveAttribute('datetime', `${today}T23:30`);

  await page.goto('/account');
  await expect(page.getByLabel('Time zone')).toHaveValue(zone);
  await expectAccessible(page, 'the account page');

  // Choosing another zone: the page comes back with it.
  await page.getByLabel('Time zone').selectOption('Europe/Berlin');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page).toHaveURL(/\/account\??$/);
  await expect(page.getByLabel('Time zone')).toHaveValue('Europe/Berlin');
});

test('without JavaScript an account starts in UTC and the due time still works', async ({ browser }) => {
  const page = await freshPage(browser, { javaScriptEnabled: false, timezoneId: 'America/Los_Angeles' });
  await signUp(page, 'Plain', undefined, false);
  const form = page.locator('form.new-task');
  await form.getByText('More options').click();
  await form.getByLabel('Due date').fill('2031-05-04');
  await form.getByLabel('Due time').fill('08:15');
  await page.getByLabel('New task').fill('Early train');
  await page.getByLabel('New task').press('Enter');
  await expect(taskList(page).locator('time.due')).toHaveText('Due 4 May 2031 at 08:15');
  await page.goto('/account');
  await expect(page.getByLabel('Time zone')).toHaveValue('UTC');
});

test('a recurring task moves to its next date when completed, and can be skipped', async ({ page }) => {
  await signUp(page, 'Rex');
  await hydrated(page);
  const form = page.locator('form.new-task');
  await form.getByText('More options').click();
  await form.getByLabel('Due date').fill('2031-01-06'); // a Monday
  await form.getByLabel('Repeat').selectOption({ label: 'Every week' });
  await page.getByLabel('New task').fill('Bins out');
  await page.getByLabel('New task').press('Enter');
  const row = taskList(page).getByRole('listitem').filter({ hasText: 'Bins out' });
  await expect(row.getByText('every week')).toBeVisible();
  await expect(row.locator('time.due')).toHaveAttribute('datetime', '2031-01-06');

  // Completing records the date and moves the task on a week.
  await page.getByRole('checkbox', { name: 'Bins out' }).click();
  await expect(taskList(page).getByRole('listitem')).toHaveCount(2);
  await page.goto('/tasks?status=active');
  await hydrated(page);
  await expect(row.locator('time.due')).toHaveAttribute('datetime', '2031-01-13');
  await row.getByRole('button', { name: 'Skip this date of Bins out' }).click();
  await expect(row.locator('time.due')).toHaveAttribute('datetime', '2031-01-20');
  await page.goto('/tasks?status=completed');
  await expect(taskList(page).getByRole('listitem')).toHaveCount(1);
  await expect(taskList(page).locator('time.due')).toHaveAttribute('datetime', '2031-01-06');
});
