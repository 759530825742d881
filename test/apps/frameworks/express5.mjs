// Express 5 (ES module): one route per way a handler fails. `// fails: <kind>` marks
// the line each failure is thrown from; the framework matrix test reads it.
import express from 'express'
import { OWN_500_PAGE, listen } from './shared.mjs'

const app = express()
app.use('/middleware', function checkAccess () {
  throw new SyntaxError('middleware threw in express5') // fails: middleware
})
app.get('/sync', () => {
  throw new TypeError('handler threw in express5') // fails: sync
})
app.get('/async', async () => {
  await Promise.resolve()
  throw new RangeError('handler rejected in express5') // fails: async
})
app.get('/next', (req, res, next) => {
  next(new Error('passed to next() in express5')) // fails: next
})
app.get('/handled', () => {
  throw new URIError('handled by the app in express5') // fails: handled
})
// The app's own error handler for /handled: its own 500 page, not Express's.
app.use('/handled', (err, req, res, next) => res.status(500).type('html').send(OWN_500_PAGE))

listen(app, 'express5')
