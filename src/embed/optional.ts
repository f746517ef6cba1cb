/**
 * Loads an optional package at run time. The specifier goes through a variable so that bundlers (the
 * browser build of the core) do not follow it, and a missing package becomes EMBEDDING_PROVIDER_MISSING
 * with the command that installs it instead of a resolver stack trace.
 */
import { QuiverError } from '../core/errors.js';

export async function importOptional<T>(specifier: string, install: string, provider: string): Promise<T> {
  const load = (name: string): Promise<unknown> => import(name);
  try {
    return (await load(specifier)) as T;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new QuiverError('EMBEDDING_PROVIDER_MISSING', `The ${provider} embedding provider needs the package ${specifier}: ${install}`, { package: specifier, install }, { cause: error });
    }
    throw error;
  }
}
