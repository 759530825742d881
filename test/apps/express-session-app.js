// An Express app whose sessions are express-session's, kept in Redis by connect-redis
// (node-redis client), as its README sets them up. It knows nothing of supertrace.
// SESSION_SECRETS is a JSON array: the first signs new cookies, all of them verify.
import { RedisStore } from 'connect-redis'
import express from 'express'
import session from 'express-session'
import { createClient } from 'redis'

const client = createClient({ url: process.env.SUPERTRACE_REDIS_URL })
await client.connect()

const app = express()

// A failure before the session is read: it answers even while Redis hangs.
app.get('/broken-early', (req, res) => res.status(500).type('text').send('Sorry, the shop is down\n'))

app.use(session({
  store: new RedisStore({ client }),
  secret: JSON.parse(process.env.SESSION_SECRETS),
  resave: false,
  saveUninitialized: false,
}))

app.get('/login', (req, res) => {
  const name = String(req.query.user)
  req.session.user = { name, isAdmin: name === 'admin' }
  res.type('text').send(`logged in as ${name}\n`)
})

app.get('/whoami', (req, res) => res.type('text').send(`${req.session.user?.name ?? 'nobody'}\n`))

app.get('/logout', (req, res) => req.session.destroy(() => res.type('text').send('logged out\n')))

app.get('/orders/:id', (req, res) => {
  const order = undefined
  res.send(`order ${order.total}`)
})

app.use((err, req, res, next) => res.status(500).type('html').send('<h1>Sorry, something went wrong</h1>\n'))

app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write(`express-session app listening on ${process.env.PORT}\n`))
