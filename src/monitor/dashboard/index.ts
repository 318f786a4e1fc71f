import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { AppError } from '../../core/index.js'
import { checkDashboardAccess } from '../api.js'
import { DASHBOARD_CLIENT_JS } from './client.js'
import { DASHBOARD_CSS, dashboardPage, loginPage } from './page.js'

/** Options of the `dashboardRoutes` plugin. */
export interface DashboardOptions {
  /**
   * Admin token. When a token is configured (this one or `apiToken`) every client needs it; with
   * none, the dashboard is open to local clients only (see `checkDashboardAccess`).
   */
  readonly adminToken: string | undefined
  /** The prediction API token: when set, local clients need the admin token too. */
  readonly apiToken?: string | undefined
}

/** uPlot's browser build and stylesheet, read once from node_modules (inlined: no CDN, no network). */
export function loadUplotAssets(): { js: string; css: string } {
  const require = createRequire(import.meta.url)
  let jsPath: string
  try {
    jsPath = require.resolve('uplot/dist/uPlot.iife.min.js')
  } catch (error) {
    throw new AppError(
      'SERVE_DASHBOARD_ASSETS',
      'The dashboard needs the uplot package (node_modules/uplot); reinstall Keel with its dependencies.',
      { cause: error },
    )
  }
  return {
    js: readFileSync(jsPath, 'utf8'),
    css: readFileSync(jsPath.replace(/uPlot\.iife\.min\.js$/, 'uPlot.min.css'), 'utf8'),
  }
}

let cachedPage: string | undefined

/** The dashboard HTML with uPlot, the styles and the client inlined (built once per process). */
export function dashboardHtml(): string {
  if (cachedPage === undefined) {
    const uplot = loadUplotAssets()
    cachedPage = dashboardPage({
      uplotJs: uplot.js,
      uplotCss: uplot.css,
      css: DASHBOARD_CSS,
      clientJs: DASHBOARD_CLIENT_JS,
    })
  }
  return cachedPage
}

/**
 * Fastify plugin serving the monitoring dashboard at `GET /`: one self-contained page that reads
 * the `/v1/monitor/*` JSON API. Local clients of a server without tokens need no login; all
 * others need the admin token (header, or the cookie the login form sets).
 */
export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (
  app: FastifyInstance,
  options: DashboardOptions,
) => {
  const html = dashboardHtml()
  app.get(
    '/',
    { schema: { summary: 'Monitoring dashboard (HTML)', tags: ['monitor'], produces: ['text/html'] } },
    async (request, reply) => {
      void reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        // Everything is inline; nothing may be fetched from elsewhere.
        .header(
          'content-security-policy',
          "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
        )
      try {
        checkDashboardAccess(request, options.adminToken, options.apiToken)
      } catch (error) {
        const code = (error as { code?: string }).code
        void reply.status(code === 'SERVE_ADMIN_DISABLED' ? 403 : 401)
        return loginPage(code === 'SERVE_ADMIN_DISABLED')
      }
      return html
    },
  )
}
