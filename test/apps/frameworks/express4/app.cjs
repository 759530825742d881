// Express 4 (CommonJS), which does not catch rejected promises: the async route never
// answers and its rejection is unhandled (this app logs it and keeps running, as many
// Express 4 apps do). `express` here resolves to Express 4 (see node_modules/express).
const express = require('express')
const { OWN_500_PAGE, listen } = require('../shared.mjs')

process.on('unhandledRejection', (reason) => process.stderr.write(`unhandled rejection: ${reason}\n`))

const app = express()
app.use('/middleware', function checkAccess () {
  throw new SyntaxError('middleware threw in express4') // fails: middleware
})
app.get('/sync', () => {
  throw new TypeError('handler threw in express4') // fails: sync
})
app.get('/async', async () => {
  await Promise.resolve()
  throw new RangeError('handler rejected in express4') // fails: async
})
app.get('/next', (req, res, next) => {
  next(new Error('passed to next() in express4')) // fails: next
})
app.get('/handled', () => {
  throw new URIError('handled by the app in express4') // fails: handled
})
app.use('/handled', (err, req, res, next) => res.status(500).type('html').send(OWN_500_PAGE))

listen(app, 'express4')
