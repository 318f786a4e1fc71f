import { AppError } from '../../core/index.js'
import type { Command } from '../command.js'

/** Placeholder until the owning capability lands. */
export const abCommand: Command = {
  name: 'ab',
  summary: '(not available yet)',
  usage: 'keel ab',
  async run(): Promise<number> {
    throw new AppError('NOT_IMPLEMENTED', "'keel ab' is not available in this build.")
  },
}
