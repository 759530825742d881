// The app side of the bench: an ordinary Express app, run bare, with the plain
// OpenTelemetry NodeSDK (bench/apps/otel-plain.ts) or with supertrace/register.
//   /hello  200, 6 bytes        /fail  throws, so Express answers 500
import express from 'express'

const app = express()
app.get('/hello', (req, res) => res.send('hello\n'))
app.get('/fail', () => {
  const order = undefined
  return order.total // TypeError, as a real bug would throw
})
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'))
