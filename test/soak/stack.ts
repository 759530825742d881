/**
 * The product as the soak runs it: a real redis-server, the soak app under
 * `node --import supertrace/register`, and the proxy in front, each started by
 * test/helpers/processes.ts as the tests start them. The faults stop and restart
 * Redis and the app in place (same port), so the proxy's settings stay true.
 */
import { randomBytes } from 'node:crypto'
import { DEFAULT_SUPERUSERS_KEY } from '../../core/protocol.ts'
import { repoRoot, startApp, startProxy, startRedis, INSTRUMENTED, type RunningHttp, type RunningRedis, type Teardown } from '../helpers/processes.ts'

export const SOAK_APP = `${repoRoot}test/apps/soak-app.ts`

export class SoakStack {
  readonly #teardown: Teardown
  #redis: RunningRedis
  #app: RunningHttp
  readonly proxy: RunningHttp
  /** A session in `supertrace:superusers` (the default `set` lookup): this client gets debug pages. */
  readonly superuserCookie: string
  /** A session that is not a superuser's: its 500s go through the lookup and must come back as the app's own. */
  readonly visitorCookie: string

  private constructor (teardown: Teardown, redis: RunningRedis, app: RunningHttp, proxy: RunningHttp, superuserSession: string) {
    this.#teardown = teardown
    this.#redis = redis
    this.#app = app
    this.proxy = proxy
    this.superuserCookie = `sessionid=${superuserSession}`
    this.visitorCookie = `sessionid=${randomBytes(18).toString('base64url')}`
  }

  static async start (teardown: Teardown): Promise<SoakStack> {
    const redis = await startRedis(teardown)
    const superuserSession = randomBytes(18).toString('base64url')
    await redis.client.sadd(DEFAULT_SUPERUSERS_KEY, superuserSession)
    const app = await startApp(teardown, redis, SOAK_APP, { OTEL_SERVICE_NAME: 'soak-app' })
    const proxy = await startProxy(teardown, app, redis)
    return new SoakStack(teardown, redis, app, proxy, superuserSession)
  }

  get proxyPid (): number {
    return this.proxy.child.pid ?? NaN
  }

  /** Everything the proxy has printed so far (its log lines). */
  get proxyOutput (): string {
    return this.proxy.output
  }

  async killRedis (): Promise<void> {
    this.#redis.client.disconnect()
    await this.#redis.stop('SIGKILL')
  }

  /**
   * A fresh redis-server on the same port. It starts empty (no persistence, as a cache
   * is often run), so the superuser's session is added again, as the app's login would.
   */
  async restartRedis (): Promise<void> {
    this.#redis = await startRedis(this.#teardown, this.#redis.port)
    await this.#redis.client.sadd(DEFAULT_SUPERUSERS_KEY, this.superuserCookie.slice('sessionid='.length))
  }

  pauseRedis (): void {
    this.#redis.child.kill('SIGSTOP')
  }

  resumeRedis (): void {
    this.#redis.child.kill('SIGCONT')
  }

  async killApp (): Promise<void> {
    await this.#app.stop('SIGKILL')
  }

  async restartApp (): Promise<void> {
    this.#app = await startApp(this.#teardown, this.#redis, SOAK_APP, { OTEL_SERVICE_NAME: 'soak-app' }, INSTRUMENTED, this.#app.port)
  }

  pauseApp (): void {
    this.#app.child.kill('SIGSTOP')
  }

  resumeApp (): void {
    this.#app.child.kill('SIGCONT')
  }
}
