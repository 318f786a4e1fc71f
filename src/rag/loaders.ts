import type { Dirent } from 'node:fs'
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises'
import { basename, extname, isAbsolute, join, relative, sep } from 'node:path'
import { parseHTML } from 'linkedom'
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

/** One file `keel rag ingest` reads: `path` names it (the source), `realPath` is what is read. */
export interface RagInputFile {
  /** The path as found under the input (a symbolic link keeps its own name). */
  readonly path: string
  /** The resolved path, free of symbolic links, checked to be inside the input folder. */
  readonly realPath: string
}

/** Something under an input folder that was not read, and why. */
export interface RagSkippedInput {
  readonly path: string
  /** `outside`: a symbolic link that resolves outside the input folder; `broken`: its target is missing; `loop`: a folder seen before. */
  readonly reason: 'outside' | 'broken' | 'loop'
  readonly message: string
}

/** The files of the inputs to read, and what was skipped. */
export interface RagInputs {
  readonly files: readonly RagInputFile[]
  readonly skipped: readonly RagSkippedInput[]
}

/** True when `path` (a real path) is `root` or inside it. */
function isInside(path: string, root: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))
}

/**
 * Expands files and folders into the files to ingest: folders recursively (skipping dot entries and
 * `node_modules`), keeping the extensions `ragDocKind` knows; a file named explicitly is kept
 * whatever its extension. Nothing outside an input folder is ever read: every symbolic link under
 * it is resolved (`fs.realpath`) and one that points outside the folder (`../secret.txt`), whose
 * target is missing, or that leads back to a folder already walked is skipped and reported. Files
 * are read through their resolved path, so a link swapped after the check is not followed.
 * @throws RagError RAG_INPUT_NOT_FOUND when an input does not exist.
 */
export async function expandRagInputs(paths: readonly string[]): Promise<RagInputs> {
  const files: RagInputFile[] = []
  const skipped: RagSkippedInput[] = []
  const missing: string[] = []
  const walk = async (dir: string, realDir: string, root: string, rootName: string, seen: Set<string>) => {
    seen.add(realDir)
    const entries: Dirent[] = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
      const path = join(dir, entry.name)
      let real = join(realDir, entry.name)
      if (entry.isSymbolicLink()) {
        try {
          real = await realpath(path)
        } catch {
          skipped.push({ path, reason: 'broken', message: `${path}: symbolic link to a missing target` })
          continue
        }
        if (!isInside(real, root)) {
          skipped.push({
            path,
            reason: 'outside',
            message: `${path}: symbolic link to ${real}, outside ${rootName}; not read`,
          })
          continue
        }
      } else if (!entry.isDirectory() && !entry.isFile()) continue
      const info = entry.isSymbolicLink() ? await stat(real) : entry
      if (info.isDirectory()) {
        if (seen.has(real)) {
          skipped.push({ path, reason: 'loop', message: `${path}: leads back to a folder already read` })
          continue
        }
        await walk(path, real, root, rootName, seen)
      } else if (info.isFile() && ragDocKind(path) !== undefined) files.push({ path, realPath: real })
    }
  }
  for (const input of paths) {
    try {
      await lstat(input)
    } catch {
      missing.push(input)
      continue
    }
    let real: string
    try {
      real = await realpath(input)
    } catch {
      missing.push(input)
      continue
    }
    // An input named on the command line is the user's choice even when it is a link; only what
    // is found under a folder is confined to that folder.
    if ((await stat(real)).isDirectory()) await walk(input, real, real, input, new Set())
    else files.push({ path: input, realPath: real })
  }
  if (missing.length > 0)
    throw new RagError(
      'RAG_INPUT_NOT_FOUND',
      `Not found: ${missing.join(', ')}. Pass existing files or folders.`,
      {
        details: { missing },
      },
    )
  return { files, skipped }
}

/**
 * Reads and parses one file into a `RagDocument`. `kind` defaults to the one of `path`'s extension
 * (pass it when reading a link's resolved path, whose name may differ).
 * @throws RagError RAG_UNSUPPORTED_FILE for unknown extensions, RAG_PARSE_FAILED for unreadable PDFs.
 */
export async function loadRagDocument(
  path: string,
  source: string = path,
  kind: RagDocKind | undefined = ragDocKind(path),
): Promise<RagDocument> {
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
  // linkedom (also what the report's charts render into) parses like a browser: entities decoded,
  // comments kept as comment nodes (skipped below), and markup inside <pre> parsed, so a <pre>
  // holding a highlighted table yields its text rather than raw tags.
  const { document } = parseHTML(html)
  const titleText = document.querySelector('title')?.textContent?.trim()
  for (const el of Array.from(document.querySelectorAll(BOILERPLATE))) el.remove()
  const body: Node =
    document.querySelector('main') ??
    document.querySelector('article') ??
    document.querySelector('body') ??
    document
  const parts: string[] = []
  let line = ''
  const flush = () => {
    const t = line.replace(/\s+/g, ' ').trim()
    if (t !== '') parts.push(t)
    line = ''
  }
  const walk = (node: Node) => {
    if (node.nodeType === node.TEXT_NODE) {
      line += node.textContent ?? ''
      return
    }
    // Elements, and the document itself for a fragment with no <body>; comments and the rest are skipped.
    const isElement = node.nodeType === node.ELEMENT_NODE
    if (!isElement && node.nodeType !== node.DOCUMENT_NODE) return
    const tag = isElement ? (node as Element).tagName : ''
    const heading = /^H([1-6])$/.exec(tag)
    if (heading?.[1] !== undefined) {
      flush()
      const t = (node.textContent ?? '').replace(/\s+/g, ' ').trim()
      if (t !== '') parts.push(`${'#'.repeat(Number(heading[1]))} ${t}`)
      return
    }
    if (tag === 'PRE') {
      flush()
      parts.push((node.textContent ?? '').trimEnd())
      return
    }
    const isBlock = BLOCKS.has(tag)
    if (isBlock) flush()
    for (const child of Array.from(node.childNodes)) walk(child)
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
