// The WebDriver repaint: only a page driven by WebDriver keeps painting, a frame at a time.

import { expect, it } from "vitest";
import { keepPaintingUnderWebDriver } from "../src/lib/automation";

/** Runs the repaint in a window whose `navigator.webdriver` is `webdriver` for `frames` frames;
 * returns whether it started and the pixel's colour after each frame. */
function check(webdriver: boolean, frames: number, expected: { started: boolean; colours: string[] }) {
  document.body.innerHTML = "";
  const queued: FrameRequestCallback[] = [];
  const view = {
    navigator: { webdriver },
    document,
    requestAnimationFrame: (callback: FrameRequestCallback) => queued.push(callback),
  } as unknown as Window;
  const started = keepPaintingUnderWebDriver(view);
  const colours: string[] = [];
  for (let frame = 0; frame < frames; frame++) {
    queued.shift()?.(frame * 16);
    const pixel = document.querySelector<HTMLElement>('[data-testid="webdriver-repaint"]');
    if (pixel) colours.push(pixel.style.background);
  }
  expect({ started, colours }).toEqual(expected);
  document.querySelector('[data-testid="webdriver-repaint"]')?.remove();
}

it("repaints every frame under WebDriver, never otherwise", () => {
  check(false, 3, { started: false, colours: [] });
  check(true, 3, {
    started: true,
    colours: ["rgba(0, 0, 0, 0.004)", "rgba(0, 0, 0, 0)", "rgba(0, 0, 0, 0.004)"],
  });
});
