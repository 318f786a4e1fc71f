import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import {
  chiSquareTest,
  jensenShannonDistance,
  ksTwoSample,
  twoProportionZTest,
  wassersteinDistance,
} from './stats.js'

interface Fixtures {
  ks: { a: number[]; b: number[]; statistic: number; pvalue: number; exact: boolean }[]
  wasserstein: { a: number[]; b: number[]; value: number }[]
  chi2: { ref: number[]; cur: number[]; statistic: number; pvalue: number; dof: number }[]
  js: { p: number[]; q: number[]; value: number }[]
  ztest: { x1: number; n1: number; x2: number; n2: number; statistic: number; pvalue: number }[]
}

const fixtures = JSON.parse(
  readFileSync(new URL('../../test/fixtures/monitor/scipy.json', import.meta.url), 'utf8'),
) as Fixtures

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs scipy ${expected}`,
  )
}

test('KS statistic and p-value agree with scipy.stats.ks_2samp', () => {
  for (const [i, c] of fixtures.ks.entries()) {
    const r = ksTwoSample(c.a, c.b)
    close(r.statistic, c.statistic, 1e-12, `ks[${i}] statistic`)
    if (c.exact) close(r.pValue, c.pvalue, 1e-9, `ks[${i}] exact p`)
    else close(r.pValue, c.pvalue, 2e-3, `ks[${i}] asymptotic p`)
  }
})

test('Wasserstein distance agrees with scipy', () => {
  for (const [i, c] of fixtures.wasserstein.entries())
    close(wassersteinDistance(c.a, c.b), c.value, 1e-12, `w[${i}]`)
})

test('chi-square homogeneity test agrees with scipy.stats.chi2_contingency', () => {
  for (const [i, c] of fixtures.chi2.entries()) {
    const r = chiSquareTest(c.ref, c.cur)
    assert.equal(r.dof, c.dof)
    close(r.statistic, c.statistic, 1e-10, `chi2[${i}] statistic`)
    close(r.pValue, c.pvalue, 1e-10, `chi2[${i}] p`)
  }
})

test('Jensen-Shannon distance agrees with scipy', () => {
  for (const [i, c] of fixtures.js.entries())
    close(jensenShannonDistance(c.p, c.q), c.value, 1e-12, `js[${i}]`)
})

test('two-proportion z-test agrees with the normal formula in scipy', () => {
  for (const [i, c] of fixtures.ztest.entries()) {
    const r = twoProportionZTest(c.x1, c.n1, c.x2, c.n2)
    close(r.statistic, c.statistic, 1e-12, `z[${i}]`)
    close(r.pValue, c.pvalue, 1e-10, `z p[${i}]`)
  }
})
