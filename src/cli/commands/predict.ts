import { AppError } from '../../core/index.js'
import type { Command } from '../command.js'

/** Placeholder until the owning capability lands. */
export const predictCommand: Command = {
  name: 'predict',
  summary: '(not available yet)',
  usage: 'keel predict',
  async run(): Promise<number> {
    throw new AppError('NOT_IMPLEMENTED', "'keel predict' is not available in this build.")
  },
}
