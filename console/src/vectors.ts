/**
 * Vectors typed into the search playground: a JSON array of numbers, or base64 of little-endian float32
 * (what the HTTP API's { "f32": ... } form carries, and what `quiver export` and numpy's
 * `base64.b64encode(v.astype('<f4'))` produce).
 */

export class VectorInputError extends Error {}

export function parseVector(text: string): Float32Array {
  const trimmed = text.trim();
  if (trimmed === '') throw new VectorInputError('Enter a vector: a JSON array such as [0.1, 0.2, ...] or base64 float32.');
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new VectorInputError(`The vector is not valid JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new VectorInputError('The JSON vector must be an array of finite numbers.');
    }
    return Float32Array.from(parsed as number[]);
  }
  const base64 = trimmed.replace(/^\{\s*"f32"\s*:\s*"([^"]*)"\s*\}$/, '$1').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw new VectorInputError('The vector is neither a JSON array nor base64 float32.');
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  } catch {
    throw new VectorInputError('The base64 vector does not decode.');
  }
  if (bytes.length === 0 || bytes.length % 4 !== 0) throw new VectorInputError(`base64 float32 decodes to a multiple of 4 bytes; this is ${bytes.length} bytes.`);
  const view = new DataView(bytes.buffer);
  return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

export function toBase64(vector: Float32Array): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  vector.forEach((x, i) => view.setFloat32(i * 4, x, true));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** A vector as the playground shows it: JSON with 6 significant digits. */
export function formatVector(vector: Float32Array): string {
  return `[${Array.from(vector, (x) => Number(x.toPrecision(6))).join(', ')}]`;
}
