import { AppError } from '../../core/index.js'
import type { Command } from '../command.js'

/** Placeholder until the owning capability lands. */
export const validateCommand: Command = {
  name: 'validate',
  summary: '(not available yet)',
  usage: 'keel validate',
  async run(): Promise<number> {
    throw new AppError('NOT_IMPLEMENTED', "'keel validate' is not available in this build.")
  },
}
