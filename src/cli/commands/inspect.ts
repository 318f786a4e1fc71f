import { AppError } from '../../core/index.js'
import type { Command } from '../command.js'

/** Placeholder until the owning capability lands. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: '(not available yet)',
  usage: 'keel inspect',
  async run(): Promise<number> {
    throw new AppError('NOT_IMPLEMENTED', "'keel inspect' is not available in this build.")
  },
}
