/**
 * Where the real exports of a Django app made by the real OpenTelemetry Python SDK are kept
 * (outside the repository: they are not ours to copy in): SUPERTRACE_OTLP_SAMPLES, or the
 * workspace's shared folder beside this checkout, or the machine's. Tests that read them are
 * skipped, saying why, where none is found.
 */
import { existsSync } from 'node:fs'
import { repoRoot } from './processes.ts'

const CANDIDATES = [process.env.SUPERTRACE_OTLP_SAMPLES, `${repoRoot}../shared/otlp-samples`, '/work/shared/otlp-samples']

/** The folder of the Django samples (order-fails.pb, login-post.pb, ok.pb, views.py), or undefined. */
export const DJANGO_SAMPLES: string | undefined = CANDIDATES
  .filter((dir): dir is string => dir !== undefined && dir !== '')
  .map((dir) => `${dir}/python-django`)
  .find((dir) => existsSync(`${dir}/order-fails.pb`))

/** For `test(name, { skip }, …)`: false when the samples are here, else why the test is skipped. */
export const skipWithoutDjangoSamples: false | string = DJANGO_SAMPLES === undefined ? `no Django OTLP samples in ${CANDIDATES.filter(Boolean).join(' or ')} (set SUPERTRACE_OTLP_SAMPLES)` : false
