import { AppError } from '../../core/index.js'
import type { Command } from '../command.js'

/** Placeholder until the owning capability lands. */
export const ragCommand: Command = {
  name: 'rag',
  summary: '(not available yet)',
  usage: 'keel rag',
  async run(): Promise<number> {
    throw new AppError('NOT_IMPLEMENTED', "'keel rag' is not available in this build.")
  },
}
