/**
 * usearch 2.26's binding reads typed arrays from the start of their ArrayBuffer (it ignores byteOffset),
 * so views must be copied before they are passed to it.
 */
export function whole(a: Float32Array): Float32Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice();
}
