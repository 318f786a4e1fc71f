// Worker-thread entry of the prediction log's SQLite sink (see log-sink.ts): commits each batch it is
// sent in one transaction and answers in order, so the server's event loop never waits on SQLite.
import { parentPort, workerData } from 'node:worker_threads'
import { openSqliteAppender } from '../store/index.js'
import type { LogWriterData, LogWriterReply, LogWriterRequest } from './log-sink.js'

const port = parentPort
if (port === null) throw new Error('log-writer-thread must run as a worker thread')
const data = workerData as LogWriterData
const appender = openSqliteAppender(data.url, data.table, data.columns)

port.on('message', (request: LogWriterRequest) => {
  switch (request.kind) {
    case 'write': {
      let reply: LogWriterReply
      try {
        appender.append(request.values)
        reply = { kind: 'done', id: request.id }
      } catch (error) {
        // The SQLite result code (SQLITE_FULL, SQLITE_READONLY, ...) tells the log whether to retry.
        const code = (error as { code?: unknown }).code
        reply = {
          kind: 'error',
          id: request.id,
          message: (error as Error).message,
          ...(typeof code === 'string' ? { code } : {}),
        }
      }
      port.postMessage(reply)
      break
    }
    case 'close': {
      appender.close()
      port.postMessage({ kind: 'closed' } satisfies LogWriterReply)
      break
    }
    default: {
      const never: never = request
      throw new Error(`unknown log writer request ${JSON.stringify(never)}`)
    }
  }
})
