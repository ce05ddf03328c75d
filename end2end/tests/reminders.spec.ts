import { expect, test } from './fixtures';
import { expectAccessible, freshPage, hydrated, signUp, taskList } from './helpers';

/**
 * A date and time (`YYYY-MM-DD`, `HH:MM`) one or two minutes from now in a zone: the next whole
 * minute at least 15 s away, so that the reminder is still ahead when the task is saved.
 */
function soonIn(timeZone: string): { date: string; time: string } {
  const at = new Date(Date.now() + 75_000);
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { date: `${part('year')}-${part('month')}-${part('day')}`, time: `${part('hour')}:${part('minute')}` };
}

test('a reminder arrives on time: in the header, on /notifications and on the desktop', async ({ browser }) => {
  test.setTimeout(150_000);
  const zone = 'Asia/Kolkata'; // half an hour off UTC: a reminder read in UTC would be late or early
  const page = await freshPage(browser, { timezoneId: zone });
  // The page's desktop notifications, recorded instead of shown.
  await page.addInitScript(() => {
    const shown: { title: string; body: string }[] = [];
    (window as unknown as { shownNotifications: typeof shown }).shownNotifications = shown;
    class Recorded {
      static permission = 'granted';
      static requestPermission() {
        return Promise.resolve('granted');
      }
      onclick: (() => void) | null = null;
      constructor(title: string, options: { body: string }) {
        shown.push({ title, body: options.body });
      }
    }
    (window as unknown as { Notification: unknown }).Notification = Recorded;
  });
  await signUp(page, 'Rita');
  await hydrated(page);

  const title = '<img src=x onerror=alert(1)> Call mum & dad';
  const { date, time } = soonIn(zone);
  const form = page.locator('form.new-task');
  await form.getByText('More options').click();
  await form.getByLabel('Reminders').fill(`${date} ${time}`);
  await page.getByLabel('New task').fill(title);
  await page.getByLabel('New task').press('Enter');
  const row = taskList(page).getByRole('listitem').filter({ hasText: 'Call mum' });
  await expect(row.getByText('1 reminder')).toBeAttached();
  await row.getByRole('button', { name: /Edit/ }).click();
  const editing = taskList(page).getByLabel('Reminders');
  await expect(editing).toHaveValue(`${date}T${time}`);
  await editing.press('Escape');

  await page.goto('/notifications');
  await expect(page.getByText('No notifications yet.')).toBeVisible();
  await expect(page.locator('#desktop-notifications-state')).toHaveText('On for this browser.');
  await expectAccessible(page, 'the notifications page, empty');

  // The reminder fires at its minute; the server sends it within a second or two.
  await expect
    .poll(
      () => page.evaluate(async () => (await (await fetch('/api/notifications/list')).json()).unread as number),
      { timeout: 120_000, intervals: [2_000] },
    )
    .toBe(1);
  // The page's script shows it on the desktop when it looks (every 30 s, or on coming back).
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { shownNotifications: unknown[] }).shownNotifications))
    .toEqual([{ title: `Reminder: ${title}`, body: `on ${date} at ${time}.` }]);
  await expect(page.getByRole('link', { name: /^Notifications\s*1 unread$/ })).toBeVisible();

  await page.reload();
  const item = page.locator('.notification-items li');
  await expect(item).toHaveCount(1);
  await expect(item.locator('strong')).toHaveText(title);
  await expectAccessible(page, 'the notifications page');
  await page.getByRole('button', { name: `Mark read: ${title}` }).click();
  await expect(page.getByRole('button', { name: /Mark read/ })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Notifications', exact: true })).toBeVisible();
});

test("without JavaScript, reminders are set in the task form and a list's reminders chosen", async ({ browser }) => {
  const page = await freshPage(browser, { javaScriptEnabled: false });
  await signUp(page, 'Plain', undefined, false);
  const form = page.locator('form.new-task');
  await form.getByText('More options').click();
  await form.getByLabel('Due date').fill('2031-05-04');
  await form.getByLabel('Reminders').fill('1d, 15m');
  await page.getByLabel('New task').fill('Dentist');
  await page.getByLabel('New task').press('Enter');
  await expect(taskList(page).getByText('2 reminders')).toBeAttached();

  // A refused reminder says why, and adds nothing.
  await form.getByText('More options').click();
  await form.getByLabel('Reminders').fill('soon');
  await page.getByLabel('New task').fill('Never');
  await page.getByLabel('New task').press('Enter');
  await expect(page.getByRole('alert')).toContainText('Reminders are offsets before the due time');
  await expect(taskList(page).getByRole('listitem')).toHaveCount(1);

  await page.getByLabel('New list').fill('Family');
  await page.getByLabel('New list').press('Enter');
  await page.getByRole('link', { name: /^Family/ }).click();
  await page.getByRole('link', { name: 'Members and sharing' }).click();
  const choice = page.getByLabel('Remind me of tasks nobody is assigned to');
  await expect(choice).toBeChecked();
  await choice.uncheck();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByLabel('Remind me of tasks nobody is assigned to')).not.toBeChecked();
});
