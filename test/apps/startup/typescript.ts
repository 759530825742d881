// A TypeScript app, run by Node's type stripping or by tsx: frames must name this file and line.
import express, { type Request, type Response } from 'express'

interface Order { readonly id: string, readonly total: number }

const orders = new Map<string, Order>()
const app = express()
app.get('/boom', (req: Request, res: Response) => {
  const order: Order | undefined = orders.get(String(req.query.id))
  if (order === undefined) throw new TypeError('thrown in a TypeScript app') // fails: boom
  res.json(order)
})
app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('typescript listening\n'))
