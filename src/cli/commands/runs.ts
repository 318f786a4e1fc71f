import { AppError } from '../../core/index.js'
import type { Command } from '../command.js'

/** Placeholder until the owning capability lands. */
export const runsCommand: Command = {
  name: 'runs',
  summary: '(not available yet)',
  usage: 'keel runs',
  async run(): Promise<number> {
    throw new AppError('NOT_IMPLEMENTED', "'keel runs' is not available in this build.")
  },
}
