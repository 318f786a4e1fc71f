// Child-process entry of the start-up tests (not a test itself): `keel serve` over an in-memory
// source serving `churn` (alias `production`), run and reported as bin/keel.js runs the CLI (the
// exit code set, never process.exit). Arguments are the command's.
import { makeServeCommand } from '../../src/cli/commands/serve.js'
import { reportError } from '../../src/cli/output.js'
import { createMemoryModelSource } from '../../src/serve/index.js'
import { fakeModel } from '../helpers/serve-fixtures.js'

const source = createMemoryModelSource([fakeModel()])
source.setAlias('churn', 'production', 1)
process.exitCode = await makeServeCommand(async () => source)
  .run(process.argv.slice(2))
  .catch(reportError)
