// An ordinary Express app with a login and some routes that fail. It knows nothing
// of supertrace: run it as `node --import supertrace/register server.js`.
//
// Step 3 of supertrace's setup ("tell Redis who the superusers are") is done here by
// the login route, as an app of yours might do it: an admin's session ID is added to
// the Redis set `supertrace:superusers`.
import express from 'express'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

// HOST: 0.0.0.0 in a container (deploy/docker-compose.yml); loopback otherwise.
const port = Number(process.env.PORT ?? 3000)
const redis = new Redis(process.env.SUPERTRACE_REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true })
const sessions = new Map() // session ID -> user name
const admins = new Set(['admin'])

const app = express()

app.use((req, res, next) => {
  const sid = /(?:^|;\s*)sessionid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
  req.user = sid === undefined ? undefined : sessions.get(sid)
  next()
})

app.get('/', (req, res) => {
  res.type('html').send(`<!doctype html><title>Example shop</title>
<h1>Example shop</h1>
<p>${req.user === undefined ? 'Not logged in.' : `Logged in as ${req.user}.`}
<a href="/login?user=admin">Log in as admin (a superuser)</a> · <a href="/login?user=alice">Log in as alice</a> · <a href="/logout">Log out</a></p>
<ul>
<li><a href="/hello">/hello</a>: a page that works</li>
<li><a href="/orders/42">/orders/42</a>: throws a TypeError</li>
<li><a href="/checkout">/checkout</a>: an async handler that rejects</li>
<li><a href="/report">/report</a>: passes an error to next()</li>
<li><a href="/maintenance">/maintenance</a>: answers 500 without throwing</li>
</ul>`)
})

app.get('/login', async (req, res) => {
  const user = String(req.query.user ?? 'alice')
  const sid = randomBytes(18).toString('base64url')
  sessions.set(sid, user)
  if (admins.has(user)) await redis.sadd('supertrace:superusers', sid)
  res.cookie('sessionid', sid, { httpOnly: true, sameSite: 'lax' }).redirect('/')
})

app.get('/logout', (req, res) => res.clearCookie('sessionid').redirect('/'))

app.get('/hello', (req, res) => res.send('hello\n'))

app.get('/large', (req, res) => res.type('text').send('x'.repeat(64 * 1024)))

app.get('/stream', (req, res) => {
  res.type('text').write('first\n')
  setTimeout(() => res.end('second\n'), Number(req.query.delay ?? 300))
})

app.get('/orders/:id', (req, res) => {
  const order = findOrder(req.params.id)
  res.send(`order ${order.total.toFixed(2)}`)
})

app.get('/checkout', async (req, res) => {
  await new Promise((resolve) => setTimeout(resolve, 5))
  await chargeCard(req.user)
  res.send('paid')
})

app.get('/report', (req, res, next) => {
  next(new RangeError('report period is out of range'))
})

app.get('/maintenance', (req, res) => {
  res.status(500).type('text').send('down for maintenance\n')
})

app.get('/echo-error', (req, res) => {
  throw new Error(String(req.query.message ?? ''))
})

// The app's own 500 page: what every visitor who is not a superuser sees.
app.use((err, req, res, next) => {
  res.status(500).type('html').send('<!doctype html><title>Error</title><h1>Sorry, something went wrong.</h1>\n')
})

function findOrder (id) {
  const orders = { 7: { total: 12.5 } }
  return orders[id] // undefined for most IDs: the caller's .total throws
}

async function chargeCard (user) {
  throw new Error(`card declined for ${user ?? 'a guest'}`)
}

app.listen(port, process.env.HOST ?? '127.0.0.1', () => {
  process.stdout.write(`example app listening on http://127.0.0.1:${port}\n`)
})
