import type { Page } from 'playwright-core';
import { logIn, startDashboardRig, type DashboardRig } from './dashboard-harness';

jest.setTimeout(60_000);

/** What of an element lies outside the window or outside a scrolling parent that clips it. */
interface Clipped {
  text: string;
  left: number;
  right: number;
  /** How far the element's scrolling ancestors hide content sideways (0 when none). */
  hiddenByScroller: number;
}

let rig: DashboardRig;
let page: Page;
let projectId = '';

beforeAll(async () => {
  rig = await startDashboardRig();
  projectId = (await rig.server.admin.createProject('support-desk')).project.id;
  const context = await rig.newContext({ viewport: { width: 390, height: 844 } });
  page = await context.newPage();
  await logIn(page);
  await page.locator('.user').waitFor({ state: 'attached' });
});

afterAll(async () => {
  await rig?.close();
});

/** Every visible control of the top bar and the section navigation, and where it lies. */
function shellControls(p: Page): Promise<Clipped[]> {
  return p.evaluate(() => {
    type Box = { left: number; right: number; width: number; height: number };
    type El = {
      textContent: string | null;
      getAttribute(name: string): string | null;
      getBoundingClientRect(): Box;
      parentElement: (El & { scrollWidth: number; clientWidth: number }) | null;
    };
    const w = globalThis as unknown as {
      innerWidth: number;
      document: { querySelectorAll(selector: string): El[] };
      getComputedStyle(el: unknown): { overflowX: string };
    };
    return [...w.document.querySelectorAll('.topbar > *, .sections a')]
      .filter((el) => el.getBoundingClientRect().width > 0)
      .map((el) => {
        const box = el.getBoundingClientRect();
        let hidden = 0;
        for (let parent = el.parentElement; parent; parent = parent.parentElement) {
          if (w.getComputedStyle(parent).overflowX !== 'visible')
            hidden = Math.max(hidden, parent.scrollWidth - parent.clientWidth);
        }
        return {
          text: (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 30),
          left: Math.round(box.left),
          right: Math.round(w.innerWidth - box.right),
          hiddenByScroller: hidden,
        };
      });
  });
}

describe('at phone width (390 px)', () => {
  test('every tab of the navigation and every control of the top bar is whole on screen', async () => {
    await page.goto(`/#/projects/${projectId}/settings`);
    await page.locator('a[data-section="settings"][aria-current="page"]').waitFor();
    const controls = await shellControls(page);
    expect(controls.map((c) => c.text)).toEqual(
      expect.arrayContaining(['Live feed', 'Analytics', 'Audit log', 'Agents', 'Settings', 'Time zone']),
    );
    const cut = controls.filter((c) => c.left < 0 || c.right < 0 || c.hiddenByScroller > 0);
    expect(cut).toEqual([]);
  });
});
