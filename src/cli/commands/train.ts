import { AppError } from '../../core/index.js'
import type { Command } from '../command.js'

/** Placeholder until the owning capability lands. */
export const trainCommand: Command = {
  name: 'train',
  summary: '(not available yet)',
  usage: 'keel train',
  async run(): Promise<number> {
    throw new AppError('NOT_IMPLEMENTED', "'keel train' is not available in this build.")
  },
}
