import { AppError } from '../../core/index.js'
import type { Command } from '../command.js'

/** Placeholder until the owning capability lands. */
export const modelsCommand: Command = {
  name: 'models',
  summary: '(not available yet)',
  usage: 'keel models',
  async run(): Promise<number> {
    throw new AppError('NOT_IMPLEMENTED', "'keel models' is not available in this build.")
  },
}
