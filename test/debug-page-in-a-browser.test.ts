import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { repoRoot, startStack } from './helpers/processes.ts'

// Debian's Chromium (npm test installs it). --no-sandbox: Chromium will not run as root with its sandbox on, and the
// tests run as root in CI and in containers. --disable-background-networking: no update or field-trial fetches at start-up,
// so the only requests are the page's own, which the tests list.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SKIP = existsSync(CHROMIUM) || process.env.CI !== undefined ? false : `no Chromium at ${CHROMIUM} (npm test installs it)`
const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? `${repoRoot}test-results/screenshots`
const ADMIN_SESSION = 'browser-admin-session'

interface Watched {
  readonly page: Page
  /** Every request the page made, by URL. */
  readonly requests: string[]
  readonly consoleErrors: string[]
  readonly violations: () => Promise<string[]>
}

/** A page that records its requests, console errors and CSP violations. */
async function watchedPage (context: BrowserContext): Promise<Watched> {
  const page = await context.newPage()
  const requests: string[] = []
  const consoleErrors: string[] = []
  await context.route('**/*', async (route) => {
    requests.push(route.request().url())
    await route.continue()
  })
  page.on('console', (message) => { if (message.type() === 'error' || /Content Security Policy/.test(message.text())) consoleErrors.push(message.text()) })
  page.on('pageerror', (err) => consoleErrors.push(err.message))
  await page.addInitScript(() => {
    const seen: string[] = []
    ;(window as unknown as { cspViolations: string[] }).cspViolations = seen
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`))
  })
  return { page, requests, consoleErrors, violations: () => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations) }
}

test('in a real browser a superuser\'s debug page is self-contained and works: no console error, no CSP violation, no request leaves it, folded frames open, Markdown copies, JSON saves', { skip: SKIP, timeout: 90_000 }, async (t) => {
  const { proxy, redis } = await startStack(t, { appFile: `${repoRoot}test/apps/failures-app.js`, appEnv: { SUPERTRACE_COMMIT: '3f2c1a9' }, proxyEnv: { SUPERTRACE_SOURCE_URL: 'https://github.com/acme/shop/blob/{commit}/{file}#L{line}' } })
  await redis.client.sadd('supertrace:superusers', ADMIN_SESSION)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] })
  t.after(() => browser.close())

  const anonymous = await (await browser.newContext()).newPage()
  await anonymous.goto(`${proxy.url}/after-calls`)
  assert.doesNotMatch(await anonymous.content(), /Stack|Trace/, 'a visitor gets the app\'s own 500')

  const context = await browser.newContext({ acceptDownloads: true })
  await context.addCookies([{ name: 'sessionid', value: ADMIN_SESSION, url: proxy.url }])
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: proxy.url })
  const { page, requests, consoleErrors, violations } = await watchedPage(context)
  const response = await page.goto(`${proxy.url}/after-calls?token=browser-secret`)
  assert.equal(response?.status(), 500)
  assert.equal(await page.title(), 'Error at /after-calls')
  assert.match(await page.locator('header .message').textContent() ?? '', /the upstream answer was not enough/)
  assert.ok(await page.locator('.frame.app.raised .code .l.hit').isVisible(), 'the raising app frame is open on its failing line')
  assert.ok(await page.locator('ol.waterfall li.span').count() >= 4, 'the waterfall lists the request\'s spans')
  assert.ok(await page.locator('ol.waterfall li.span.failing').count() === 1, 'one span is marked as the failing one')

  const folded = page.locator('details.group').first()
  assert.equal(await folded.getAttribute('open'), null, 'library frames start folded')
  assert.equal(await folded.locator('.frame').first().isVisible(), false)
  await folded.locator('summary').click()
  assert.ok(await folded.locator('.frame').first().isVisible(), 'a click unfolds them')

  await page.locator('button[data-copy="markdown"]').click()
  await page.locator('#copy-status', { hasText: 'on the clipboard' }).waitFor()
  const markdown = await page.evaluate(() => navigator.clipboard.readText())
  assert.match(markdown, /^## `Error` at `\/after-calls`\n/)
  assert.match(markdown, /### Stack \(app frames\)[\s\S]*failures-app\.js[\s\S]*### Spans/)

  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-save]').click()])
  const saved = JSON.parse(readFileSync(await download.path(), 'utf8')) as { requestId: string, exceptions: unknown[] }
  assert.equal(saved.requestId, response?.headers()['x-request-id'])
  assert.equal(saved.exceptions.length, 1)
  assert.doesNotMatch(JSON.stringify(saved), /browser-secret/)

  assert.deepEqual(requests, [`${proxy.url}/after-calls?token=browser-secret`], 'the page loads nothing but itself')
  assert.deepEqual(await violations(), [])
  assert.deepEqual(consoleErrors.filter((e) => !/status of 500/.test(e)), [])

  mkdirSync(SCREENSHOTS, { recursive: true })
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: width === 375 ? 812 : 900 })
      await page.emulateMedia({ colorScheme })
      await page.reload()
      await page.screenshot({ path: `${SCREENSHOTS}/debug-page-${width}-${colorScheme}.png`, fullPage: true })
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      assert.ok(overflow <= 0, `at ${width} px nothing scrolls sideways (${overflow} px)`)
    }
  }
  // The README's picture: the top of the page on a desktop, light.
  await page.setViewportSize({ width: 1280, height: 900 })
  await page.emulateMedia({ colorScheme: 'light' })
  await page.reload()
  await page.evaluate(() => window.scrollTo(0, 0))
  await page.screenshot({ path: `${SCREENSHOTS}/debug-page-top.png`, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1400 } })
  assert.deepEqual(await violations(), [])
})

test('in a real browser, markup in a message, a URL and a span runs nothing', { skip: SKIP, timeout: 60_000 }, async (t) => {
  const { proxy, redis } = await startStack(t)
  await redis.client.sadd('supertrace:superusers', ADMIN_SESSION)
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] })
  t.after(() => browser.close())
  const context = await browser.newContext()
  await context.addCookies([{ name: 'sessionid', value: ADMIN_SESSION, url: proxy.url }])
  const { page, violations } = await watchedPage(context)
  let dialogs = 0
  page.on('dialog', async (dialog) => { dialogs++; await dialog.dismiss() })

  const payload = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
  await page.goto(`${proxy.url}/echo-error?message=${encodeURIComponent(payload)}&q=${encodeURIComponent(payload)}`)
  assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined)
  assert.equal(dialogs, 0)
  assert.equal(await page.locator('img').count(), 0)
  assert.match(await page.locator('header .message').textContent() ?? '', /<img src=x onerror=/, 'the payload is shown as text')
  assert.deepEqual(await violations(), [], 'not even a blocked attempt: nothing was parsed as markup')
})
