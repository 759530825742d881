// A CommonJS Express app traced by its own OpenTelemetry set-up (tracing.mjs).
const express = require('express')

const app = express()
app.get('/ok', (req, res) => res.send('ok'))
app.get('/fail', () => {
  throw new TypeError('thrown in an app with its own OpenTelemetry SDK') // fails: fail
})
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('own-sdk listening\n'))
