// Runs the CLI from source (no build): `npx tsx scripts/keel-dev.ts <command> ...`. Tests spawn this.
import { main } from '../src/cli/main.js'

process.exitCode = await main(process.argv.slice(2))
