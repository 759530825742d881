// An Express app that fails in every way the debug page must show: run it as
// `node --import supertrace/register failures-app.js`. Each route's comment says how it fails.
import { trace } from '@opentelemetry/api'
import express from 'express'
import { Redis } from 'ioredis'

const port = Number(process.env.PORT ?? 3000)
const redis = new Redis(process.env.SUPERTRACE_REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true })
const app = express()
app.use(express.json())

// A synchronous throw, two app frames deep.
app.get('/sync/:id', (req, res) => {
  const order = findOrder(req.params.id)
  res.send(order.total.toFixed(2))
})

function findOrder (id) {
  const orders = { 1: { total: 10 } }
  return orders[id].lines // the throwing line: orders[id] is undefined
}

// An async handler whose promise rejects after an await.
app.get('/async', async (req, res) => {
  await new Promise((resolve) => setImmediate(resolve))
  await chargeCard(req.query.amount)
  res.send('charged')
})

async function chargeCard (amount) {
  await null
  throw new RangeError(`cannot charge ${amount}`)
}

// An error handed to next() without being thrown.
app.get('/next', (req, res, next) => {
  next(new Error('report generation failed'))
})

// A cause chain three deep.
app.get('/cause', () => {
  try {
    try {
      JSON.parse('{not json')
    } catch (parseError) {
      throw new Error('config is unreadable', { cause: parseError })
    }
  } catch (configError) {
    throw new Error('could not start checkout', { cause: configError })
  }
})

// An AggregateError with two members.
app.get('/aggregate', () => {
  throw new AggregateError([new Error('inventory is down'), new TypeError('pricing returned nothing')], 'every backend failed')
})

// A thrown string.
app.get('/thrown-string', () => {
  throw 'out of stock' // eslint-disable-line no-throw-literal
})

// A Redis command and an outgoing HTTP call (fetch), then a failure: the trace has children.
app.get('/after-calls', async (req, res) => {
  await redis.set('failures-app:visits', '1')
  const upstream = await fetch(`http://127.0.0.1:${port}/ok?token=${req.query.token ?? ''}`)
  await upstream.text()
  throw new Error('the upstream answer was not enough')
})

app.get('/ok', (req, res) => res.send('ok'))

// Secrets everywhere: headers, cookies, query, body, environment, a local variable and a span attribute.
app.post('/secrets', (req, res) => {
  const signingSecret = process.env.SIGNING_SECRET
  const cartSize = req.body.items.length
  const attributeSecret = ['ATTR', 'SECRET777'].join('')
  trace.getActiveSpan()?.setAttribute('app.credential', attributeSecret)
  trace.getActiveSpan()?.setAttribute('app.cart_size', cartSize)
  throw new Error(`checkout failed for a cart of ${cartSize} (${typeof signingSecret})`)
})

// A 500 that repeats names only the operator knows are secret (SUPERTRACE_REDACT): a response header and a JSON body field.
app.post('/transfer', (req, res) => {
  res.status(500).set('x-tenant-ref', req.get('x-tenant-ref')).json({ error: 'the transfer was refused', account_number: req.body.account_number, amount: req.body.amount })
})

// A huge failure: a long message, a deep recursion, many spans.
app.get('/huge', async () => {
  for (let i = 0; i < 300; i++) await redis.get(`failures-app:huge:${i}`)
  const recurse = (n) => n === 0 ? (() => { throw new Error('x'.repeat(100_000)) })() : recurse(n - 1)
  recurse(200)
})

app.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`))
