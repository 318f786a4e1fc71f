import { readFile } from 'node:fs/promises'
import { basename, extname } from 'node:path'
import { type HTMLElement, type Node, parse as parseHtml } from 'node-html-parser'
import { sha256 } from '../core/index.js'
import { RagError } from './errors.js'
import type { RagDocKind, RagDocument, RagSection } from './types.js'

const EXTENSIONS: Readonly<Record<string, RagDocKind>> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.mdx': 'markdown',
  '.txt': 'text',
  '.text': 'text',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
}

/** The document kind of a path by extension, or undefined when `keel rag ingest` does not read it. */
export function ragDocKind(path: string): RagDocKind | undefined {
  return EXTENSIONS[extname(path).toLowerCase()]
}

/**
 * Reads and parses one file into a `RagDocument`.
 * @throws RagError RAG_UNSUPPORTED_FILE for unknown extensions, RAG_PARSE_FAILED for unreadable PDFs.
 */
export async function loadRagDocument(path: string, source: string = path): Promise<RagDocument> {
  const kind = ragDocKind(path)
  if (kind === undefined)
    throw new RagError(
      'RAG_UNSUPPORTED_FILE',
      `Cannot ingest ${path}: supported extensions are ${Object.keys(EXTENSIONS).join(', ')}.`,
    )
  const bytes = await readFile(path)
  return parseRagDocument(bytes, kind, source)
}

/** Parses bytes of a known kind (exposed so tests and servers can ingest without a file). */
export async function parseRagDocument(
  bytes: Uint8Array,
  kind: RagDocKind,
  source: string,
): Promise<RagDocument> {
  const hash = sha256(bytes)
  const fallbackTitle = basename(source)
    .replace(/\.[^.]+$/, '')
    .replace(/[-_]+/g, ' ')
  switch (kind) {
    case 'markdown': {
      const text = Buffer.from(bytes).toString('utf8')
      const { sections, title } = markdownSections(text)
      return { source, kind, hash, text, sections, title: title ?? fallbackTitle }
    }
    case 'text': {
      const text = Buffer.from(bytes).toString('utf8')
      const firstLine = text.split('\n', 1)[0]?.trim() ?? ''
      const title = firstLine !== '' && firstLine.length <= 100 ? firstLine : fallbackTitle
      return { source, kind, hash, text, title, sections: [{ headingPath: [], start: 0, end: text.length }] }
    }
    case 'html': {
      const { text, title } = htmlToText(Buffer.from(bytes).toString('utf8'))
      const parsed = markdownSections(text)
      return {
        source,
        kind,
        hash,
        text,
        sections: parsed.sections,
        title: title ?? parsed.title ?? fallbackTitle,
      }
    }
    case 'pdf':
      return pdfDocument(bytes, source, hash, fallbackTitle)
  }
}

/**
 * Splits Markdown into sections at ATX headings (`#` … `######`), ignoring lines inside fenced
 * code blocks. Returns the first H1 (or front-matter `title:`) as the title.
 * @internal
 */
export function markdownSections(text: string): { sections: RagSection[]; title: string | undefined } {
  const sections: RagSection[] = []
  const stack: { level: number; text: string }[] = []
  let title: string | undefined
  let fence: string | undefined
  let sectionStart = 0
  let offset = 0
  let currentPath: string[] = []
  const frontMatter = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text)
  if (frontMatter !== null) {
    const t = /^title:\s*["']?(.+?)["']?\s*$/m.exec(frontMatter[1] ?? '')
    if (t?.[1] !== undefined) title = t[1]
    offset = frontMatter[0].length
    sectionStart = offset
  }
  const lines = text.slice(offset).split('\n')
  for (const line of lines) {
    const lineStart = offset
    offset += line.length + 1
    const fenceMatch = /^\s{0,3}(```+|~~~+)/.exec(line)
    if (fenceMatch?.[1] !== undefined) {
      if (fence === undefined) fence = fenceMatch[1].slice(0, 3)
      else if (fenceMatch[1].startsWith(fence)) fence = undefined
      continue
    }
    if (fence !== undefined) continue
    const heading = /^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line)
    if (heading?.[1] === undefined || heading[2] === undefined) continue
    if (lineStart > sectionStart && hasBody(text.slice(sectionStart, lineStart)))
      sections.push({ headingPath: currentPath, start: sectionStart, end: lineStart })
    const level = heading[1].length
    const headingText = heading[2].replace(/[*_`]/g, '').trim()
    if (level === 1 && title === undefined) title = headingText
    while (stack.length > 0 && (stack[stack.length - 1]?.level ?? 0) >= level) stack.pop()
    stack.push({ level, text: headingText })
    currentPath = stack.map((h) => h.text)
    sectionStart = lineStart
  }
  const end = Math.min(offset, text.length)
  if (end > sectionStart && hasBody(text.slice(sectionStart, end)))
    sections.push({ headingPath: currentPath, start: sectionStart, end })
  // A document that is nothing but headings still gets one section, so it stays findable.
  if (sections.length === 0 && text.trim() !== '')
    sections.push({ headingPath: [], start: 0, end: text.length })
  return { sections, title }
}

/** Whether a section has text besides its heading line (a bare heading makes a useless chunk). */
function hasBody(section: string): boolean {
  return section.replace(/^\s{0,3}#{1,6}\s+.*$/m, '').trim() !== ''
}

// Page furniture that is not content: navigation, site headers/footers, scripts, forms.
const BOILERPLATE =
  'script, style, noscript, template, nav, footer, header, aside, form, iframe, svg, button, ' +
  '[role=navigation], [role=banner], [role=contentinfo], [aria-hidden=true], .nav, .navbar, .footer, .sidebar, .cookie, .breadcrumb'
const BLOCKS = new Set([
  'P',
  'DIV',
  'SECTION',
  'ARTICLE',
  'MAIN',
  'LI',
  'UL',
  'OL',
  'PRE',
  'BLOCKQUOTE',
  'TABLE',
  'TR',
  'TD',
  'TH',
  'DL',
  'DT',
  'DD',
  'BR',
  'HR',
  'FIGURE',
  'FIGCAPTION',
])

/**
 * Extracts readable text from HTML: boilerplate elements dropped, headings rewritten as Markdown
 * `#` lines (so the same sectioning applies), blocks separated by blank lines.
 * @internal
 */
export function htmlToText(html: string): { text: string; title: string | undefined } {
  const root = parseHtml(html, { comment: false })
  const titleText = root.querySelector('title')?.text.trim()
  for (const el of root.querySelectorAll(BOILERPLATE)) el.remove()
  const body =
    root.querySelector('main') ?? root.querySelector('article') ?? root.querySelector('body') ?? root
  const parts: string[] = []
  let line = ''
  const flush = () => {
    const t = line.replace(/\s+/g, ' ').trim()
    if (t !== '') parts.push(t)
    line = ''
  }
  const walk = (node: Node) => {
    if (node.nodeType === 3) {
      line += node.text
      return
    }
    if (node.nodeType !== 1) return
    const el = node as HTMLElement
    const tag = el.tagName ?? ''
    const heading = /^H([1-6])$/.exec(tag)
    if (heading?.[1] !== undefined) {
      flush()
      const t = el.text.replace(/\s+/g, ' ').trim()
      if (t !== '') parts.push(`${'#'.repeat(Number(heading[1]))} ${t}`)
      return
    }
    if (tag === 'PRE') {
      flush()
      parts.push(el.text.trimEnd())
      return
    }
    const isBlock = BLOCKS.has(tag)
    if (isBlock) flush()
    for (const child of el.childNodes) walk(child)
    if (isBlock) flush()
    else if (tag === 'TD' || tag === 'TH') line += ' '
  }
  walk(body)
  flush()
  const h1 = /^# (.+)$/m.exec(parts.join('\n'))?.[1]
  return {
    text: `${parts.join('\n\n')}\n`,
    title: titleText !== undefined && titleText !== '' ? titleText : h1,
  }
}

async function pdfDocument(
  bytes: Uint8Array,
  source: string,
  hash: string,
  fallbackTitle: string,
): Promise<RagDocument> {
  let pages: string[]
  let metaTitle: string | undefined
  try {
    const { extractText, getDocumentProxy, getMeta } = await import('unpdf')
    const pdf = await getDocumentProxy(new Uint8Array(bytes))
    const extracted = await extractText(pdf, { mergePages: false })
    pages = extracted.text
    const meta = await getMeta(pdf).catch(() => undefined)
    const info = meta?.info as Record<string, unknown> | undefined
    if (typeof info?.Title === 'string' && info.Title.trim() !== '') metaTitle = info.Title.trim()
  } catch (error) {
    throw new RagError(
      'RAG_PARSE_FAILED',
      `Cannot read the text layer of PDF ${source}: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
  const sections: RagSection[] = []
  let text = ''
  pages.forEach((pageText, i) => {
    const clean = pageText.replace(/[ \t]+\n/g, '\n').trim()
    if (clean === '') return
    const start = text.length
    text += `${clean}\n\n`
    sections.push({ headingPath: [`Page ${i + 1}`], start, end: text.length })
  })
  if (sections.length === 0)
    throw new RagError(
      'RAG_PARSE_FAILED',
      `PDF ${source} has no text layer (scanned images?). Run OCR first, e.g. ocrmypdf, then ingest the result.`,
    )
  const firstLine = text.split('\n', 1)[0]?.trim() ?? ''
  const title = metaTitle ?? (firstLine !== '' && firstLine.length <= 100 ? firstLine : fallbackTitle)
  return { source, kind: 'pdf', hash, text, sections, title }
}
