/** The byte reader and writer live in core/lib (index, filter and text codecs use them too). */
export { ByteReader, ByteWriter } from '../lib/bytes.js';
