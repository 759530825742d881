// What every framework test app shares: its own 500 page and how it says it is ready.
export const OWN_500_PAGE = '<h1>Our own 500 page</h1>'

/** Listens on PORT and prints "<name> listening", which the tests wait for. */
export function listen (app, name) {
  return app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write(`${name} listening\n`))
}
