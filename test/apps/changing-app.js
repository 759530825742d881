// An Express app whose environment and source files change while it runs, as a
// deployed app's can: `node --import supertrace/register changing-app.js`.
//   POST /env?name=N&value=V  sets process.env.N to V (without a value: deletes it)
//   GET /fail                 calls fail() from the module at FAILING_MODULE, which throws
import express from 'express'
import { pathToFileURL } from 'node:url'

const { fail } = await import(pathToFileURL(process.env.FAILING_MODULE).href)
const app = express()

app.post('/env', (req, res) => {
  const name = String(req.query.name)
  if (req.query.value === undefined) delete process.env[name]
  else process.env[name] = String(req.query.value)
  res.status(204).end()
})

app.get('/fail', () => fail())

app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => console.log('listening'))
