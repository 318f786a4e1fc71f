import { AppError } from '../../core/index.js'
import type { Command } from '../command.js'

/** Placeholder until the owning capability lands. */
export const serveCommand: Command = {
  name: 'serve',
  summary: '(not available yet)',
  usage: 'keel serve',
  async run(): Promise<number> {
    throw new AppError('NOT_IMPLEMENTED', "'keel serve' is not available in this build.")
  },
}
