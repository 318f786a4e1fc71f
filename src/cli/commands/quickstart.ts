import { AppError } from '../../core/index.js'
import type { Command } from '../command.js'

/** Placeholder until the owning capability lands. */
export const quickstartCommand: Command = {
  name: 'quickstart',
  summary: '(not available yet)',
  usage: 'keel quickstart',
  async run(): Promise<number> {
    throw new AppError('NOT_IMPLEMENTED', "'keel quickstart' is not available in this build.")
  },
}
