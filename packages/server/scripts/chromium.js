'use strict';
/**
 * Starts the system's Chromium (Debian's `chromium` package) headless through
 * playwright-core: the browser tests and the screenshot script share these settings. No
 * browser is downloaded; set CHROMIUM_PATH when Chromium lives elsewhere.
 *
 * @example
 * ```js
 * const browser = await launchChromium();
 * const page = await (await browser.newContext()).newPage();
 * ```
 */
const { chromium } = require('playwright-core');

/** @returns {Promise<import('playwright-core').Browser>} */
function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    // Every context playwright opens is a fresh, throwaway profile; these flags keep the
    // browser from reaching for the network or updates on a machine without internet.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

module.exports = { launchChromium };
