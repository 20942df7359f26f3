// Under WebDriver only: keeps the page painting, so that a screenshot never waits.
//
// The app runs WebKitGTK without GPU compositing (`src-tauri/src/memory.rs`). In that mode
// WebKitWebDriver answers a screenshot only after the page's next paint, which a still page never
// makes, so any WebDriver client's screenshot would hang. While the page is driven by WebDriver
// (`navigator.webdriver`, set by WebKit for automation sessions), a transparent 1-pixel element
// changes its invisible colour every frame. An operator's session never runs it.

/** Starts the repaint in `view` when WebDriver drives it; returns whether it did. */
export function keepPaintingUnderWebDriver(view: Window = window): boolean {
  if (!view.navigator.webdriver) return false;
  const pixel = view.document.createElement("div");
  pixel.setAttribute("aria-hidden", "true");
  pixel.dataset.testid = "webdriver-repaint";
  pixel.style.cssText = "position: fixed; left: 0; top: 0; width: 1px; height: 1px; pointer-events: none";
  view.document.documentElement.append(pixel);
  let frame = 0;
  const paint = () => {
    pixel.style.background = frame++ % 2 ? "rgba(0, 0, 0, 0)" : "rgba(0, 0, 0, 0.004)";
    view.requestAnimationFrame(paint);
  };
  view.requestAnimationFrame(paint);
  return true;
}
