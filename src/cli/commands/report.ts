import { AppError } from '../../core/index.js'
import type { Command } from '../command.js'

/** Placeholder until the owning capability lands. */
export const reportCommand: Command = {
  name: 'report',
  summary: '(not available yet)',
  usage: 'keel report',
  async run(): Promise<number> {
    throw new AppError('NOT_IMPLEMENTED', "'keel report' is not available in this build.")
  },
}
