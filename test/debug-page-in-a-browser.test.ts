import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import { chromium } from 'playwright-core'
import { startStack } from './helpers/processes.ts'

// Debian's Chromium (.ci/run installs it); flags from the machine notes: no sandbox as root, no background networking.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

test('in a real browser, a superuser who logs in sees the debug page, and an anonymous visitor the app\'s own 500', { skip: existsSync(CHROMIUM) || process.env.CI !== undefined ? false : `no Chromium at ${CHROMIUM} (CI installs it)`, timeout: 60_000 }, async (t) => {
  const { proxy } = await startStack(t)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] })
  t.after(() => browser.close())

  const anonymous = await browser.newPage()
  await anonymous.goto(`${proxy.url}/orders/42`)
  assert.equal(await anonymous.locator('h1').textContent(), 'Sorry, something went wrong.')

  const admin = await (await browser.newContext()).newPage()
  const cspViolations: string[] = []
  admin.on('console', (message) => { if (/Content Security Policy/.test(message.text())) cspViolations.push(message.text()) })
  await admin.goto(proxy.url)
  await admin.click('text=Log in as admin')
  await admin.goto(`${proxy.url}/orders/42`)
  assert.equal(await admin.title(), 'TypeError at /orders/42')
  assert.match(await admin.locator('#summary .exception-value').textContent() ?? '', /Cannot read properties of undefined/)
  assert.ok(await admin.locator('.frame.app').first().isVisible(), 'the app\'s own frame is shown')
  assert.ok(await admin.locator('table.spans tr.span').count() >= 2, 'the trace lists the request\'s spans')
  await admin.screenshot({ path: `${process.env.SCREENSHOT_DIR ?? '/tmp'}/supertrace-debug-page.png`, fullPage: true })

  // A message built to run script if it were rendered as HTML.
  await admin.goto(`${proxy.url}/echo-error?message=${encodeURIComponent('<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>')}`)
  assert.equal(await admin.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined)
  assert.match(await admin.locator('h3').first().textContent() ?? '', /<img src=x onerror=/, 'the payload is shown as text')
  assert.deepEqual(cspViolations, [], 'the page\'s own style passes its CSP')
})
