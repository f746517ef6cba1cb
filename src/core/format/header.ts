/**
 * The 8 bytes every Quiver file starts with: a 4-byte ASCII magic naming the file kind, a u16 format
 * version and u16 flags (0). Compatibility policy: a reader knows every version up to its own; a newer
 * version is refused with UNSUPPORTED (never guessed at); flags are reserved and must be zero.
 */
import { QuiverError } from '../errors.js';
import type { ByteReader, ByteWriter } from './bytes.js';

export function writeHeader(writer: ByteWriter, magic: string, version: number): void {
  for (let i = 0; i < 4; i++) writer.u8(magic.charCodeAt(i));
  writer.u16(version).u16(0);
}

export function readHeader(reader: ByteReader, magic: string, knownVersion: number, kind: string): number {
  let found = '';
  for (let i = 0; i < 4; i++) found += String.fromCharCode(reader.u8());
  if (found !== magic) {
    throw new QuiverError('CORRUPTED', `${reader.what} is not a Quiver ${kind} file (its first bytes are not "${magic}").`, { file: reader.what, offset: 0 });
  }
  const version = reader.u16();
  const flags = reader.u16();
  if (version > knownVersion) {
    throw new QuiverError('UNSUPPORTED', `${reader.what} is ${kind} format version ${version}; this Quiver reads up to version ${knownVersion}. Upgrade quiverdb to open it.`, {
      file: reader.what,
      version,
      supported: knownVersion,
    });
  }
  if (version === 0 || flags !== 0) {
    throw new QuiverError('CORRUPTED', `${reader.what} has an invalid ${kind} header (version ${version}, flags ${flags}).`, { file: reader.what, offset: 4 });
  }
  return version;
}

export function corrupted(what: string, offset: number, message: string): QuiverError {
  return new QuiverError('CORRUPTED', `${what} is damaged at byte ${offset}: ${message}. Restore it from a backup.`, { file: what, offset });
}
