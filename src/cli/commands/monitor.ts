import { AppError } from '../../core/index.js'
import type { Command } from '../command.js'

/** Placeholder until the owning capability lands. */
export const monitorCommand: Command = {
  name: 'monitor',
  summary: '(not available yet)',
  usage: 'keel monitor',
  async run(): Promise<number> {
    throw new AppError('NOT_IMPLEMENTED', "'keel monitor' is not available in this build.")
  },
}
