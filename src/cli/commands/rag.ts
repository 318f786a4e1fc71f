import {
  DEFAULT_RAG_COLLECTION,
  openRagLlm,
  RagCollection,
  type RagEmbedderSpec,
  RagError,
  type RagSearchMode,
  ragAsk,
  ragEvaluate,
  readRagEvalFile,
} from '../../rag/index.js'
import { flagOpt, parseCommandArgs, runSubcommand, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { info, printJson } from '../output.js'

const USAGE = `Usage:
  keel rag ingest DIR|FILE... [--collection NAME] [--embedder lsa|openai:MODEL|onnx:PATH] [--json]
  keel rag ask "question" [--k 5] [--collection NAME] [--mode hybrid|lexical|dense] [--source-prefix P] [--json]
  keel rag eval FILE.jsonl [--collection NAME] [--json]

Ingest reads Markdown, text, HTML and PDF; unchanged files are skipped, changed ones replaced.
Nothing outside a given folder is read: symbolic links under it that point outside it are skipped
and listed ("skipped" lines; "skipped" in --json).
Ask answers with the LLM from KEEL_LLM_PROVIDER/KEEL_LLM_MODEL/KEEL_LLM_BASE_URL and the provider's
API key; without one (or when it fails) it prints an extractive answer with citations.
Collections live in $KEEL_HOME/rag (default .keel/rag).`

function parseEmbedder(value: string | undefined): RagEmbedderSpec | undefined {
  if (value === undefined) return undefined
  if (value === 'lsa') return { kind: 'lsa', dimensions: 128, seed: 42 }
  const lsa = /^lsa:(\d+)$/.exec(value)
  if (lsa?.[1] !== undefined) return { kind: 'lsa', dimensions: Number(lsa[1]), seed: 42 }
  if (value.startsWith('openai:')) {
    const base = process.env.KEEL_EMBED_BASE_URL ?? process.env.KEEL_LLM_BASE_URL
    return { kind: 'openai', model: value.slice('openai:'.length), ...(base ? { baseUrl: base } : {}) }
  }
  if (value.startsWith('onnx:')) return { kind: 'onnx', path: value.slice('onnx:'.length) }
  throw new RagError(
    'RAG_INVALID_ARGUMENT',
    `--embedder must be lsa, lsa:DIMS, openai:MODEL or onnx:PATH, got '${value}'.`,
  )
}

function parseK(raw: string | undefined): number {
  if (raw === undefined) return 5
  const k = Number(raw)
  if (!Number.isInteger(k) || k < 1 || k > 50)
    throw new RagError('RAG_INVALID_ARGUMENT', `--k must be an integer from 1 to 50, got '${raw}'.`)
  return k
}

function parseMode(raw: string | undefined): RagSearchMode {
  if (raw === undefined) return 'hybrid'
  if (raw === 'hybrid' || raw === 'lexical' || raw === 'dense') return raw
  throw new RagError('RAG_INVALID_ARGUMENT', `--mode must be hybrid, lexical or dense, got '${raw}'.`)
}

async function ingest(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { collection: { type: 'string' }, embedder: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
    { command: 'keel rag ingest', maxPositionals: Number.POSITIVE_INFINITY },
  )
  if (args.positionals.length === 0)
    throw new RagError('RAG_INVALID_ARGUMENT', `Give at least one file or folder to ingest.\n${USAGE}`)
  const json = flagOpt(args, 'json')
  const embedder = parseEmbedder(stringOpt(args, 'embedder'))
  const collection = await RagCollection.open(stringOpt(args, 'collection') ?? DEFAULT_RAG_COLLECTION, {
    create: true,
    ...(embedder === undefined ? {} : { embedder }),
  })
  try {
    const report = await collection.ingest(args.positionals, (file) => {
      if (!json)
        info(
          `${file.status.padEnd(9)} ${file.source}${file.status === 'failed' ? `: ${file.error}` : ` (${file.chunks} chunks)`}`,
        )
    })
    if (json) printJson(report)
    else {
      // What was not read (a link out of the folder) is said, not silently dropped.
      for (const s of report.skipped) info(`${'skipped'.padEnd(9)} ${s.message}`)
      const count = (s: string) => report.files.filter((f) => f.status === s).length
      const skipped = report.skipped.length > 0 ? `, ${report.skipped.length} skipped` : ''
      process.stdout.write(
        `collection '${report.collection}': ${count('added')} added, ${count('updated')} updated, ${count('unchanged')} unchanged, ${count('failed')} failed${skipped}; ` +
          `${report.chunksAdded} chunks written, ${report.chunksTotal} in total (${report.embedder}) in ${(report.elapsedMs / 1000).toFixed(1)} s\n`,
      )
    }
    return report.files.some((f) => f.status === 'failed') ? 1 : 0
  } finally {
    await collection.close()
  }
}

async function ask(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      k: { type: 'string' },
      collection: { type: 'string' },
      mode: { type: 'string' },
      'source-prefix': { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
    { command: 'keel rag ask', maxPositionals: Number.POSITIVE_INFINITY },
  )
  const question = args.positionals.join(' ').trim()
  if (question === '') throw new RagError('RAG_INVALID_ARGUMENT', `Give a question.\n${USAGE}`)
  const k = parseK(stringOpt(args, 'k'))
  const mode = parseMode(stringOpt(args, 'mode'))
  const prefix = stringOpt(args, 'source-prefix')
  const collection = await RagCollection.open(stringOpt(args, 'collection') ?? DEFAULT_RAG_COLLECTION)
  const handle = await openRagLlm()
  try {
    const result = await ragAsk(collection, question, {
      k,
      mode,
      llm: handle.llm,
      ...(prefix === undefined ? {} : { filter: { sourcePrefix: prefix } }),
    })
    const answer =
      result.llmUsed || handle.unavailableReason === undefined
        ? result
        : { ...result, fallbackReason: handle.unavailableReason }
    if (flagOpt(args, 'json')) printJson(answer)
    else {
      process.stdout.write(`${answer.answer}\n\n`)
      const list = answer.citations.length > 0 ? answer.citations : answer.sources
      process.stdout.write('Sources:\n')
      for (const c of list) {
        const heading = c.headingPath.length > 0 ? ` › ${c.headingPath.join(' › ')}` : ''
        process.stdout.write(`  [${c.n}] ${c.source}${heading} (chars ${c.start}-${c.end})\n`)
      }
      if (!answer.llmUsed)
        info(`note: extractive answer, no LLM used (${answer.fallbackReason ?? 'unknown reason'})`)
    }
    return 0
  } finally {
    await handle.close()
    await collection.close()
  }
}

function pct(x: number): string {
  return x.toFixed(3)
}

async function evaluate(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(argv, { collection: { type: 'string' }, json: { type: 'boolean' } }, USAGE, {
    command: 'keel rag eval',
    maxPositionals: 1,
  })
  const file = args.positionals[0]
  if (file === undefined)
    throw new RagError('RAG_INVALID_ARGUMENT', `Give the evaluation JSONL file.\n${USAGE}`)
  const cases = await readRagEvalFile(file)
  const collection = await RagCollection.open(stringOpt(args, 'collection') ?? DEFAULT_RAG_COLLECTION)
  try {
    const report = await ragEvaluate(collection, cases)
    if (flagOpt(args, 'json')) printJson(report)
    else {
      const header = ['mode', ...report.ks.map((k) => `recall@${k}`), 'MRR', 'nDCG@10', 'p50 ms', 'p99 ms']
      const rows = report.modes.map((m) => [
        m.mode,
        ...report.ks.map((k) => pct(m.recall[String(k)] ?? 0)),
        pct(m.mrr),
        pct(m.ndcg10),
        m.latencyP50Ms.toFixed(1),
        m.latencyP99Ms.toFixed(1),
      ])
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
      const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')
      process.stdout.write(
        `${report.questions} questions, collection '${collection.name}'\n${line(header)}\n${rows.map(line).join('\n')}\n`,
      )
    }
    return 0
  } finally {
    await collection.close()
  }
}

/** `keel rag`: ingest documents, ask questions with citations, evaluate retrieval. */
export const ragCommand: Command = {
  name: 'rag',
  summary: 'Question answering over your documents: ingest, ask (with citations), eval',
  usage: USAGE,
  async run(argv: readonly string[]): Promise<number> {
    const sub = argv[0]
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      process.stdout.write(`${USAGE}\n`)
      return sub === undefined ? 2 : 0
    }
    return runSubcommand('keel rag', argv, { ingest, ask, eval: evaluate })
  },
}
