/**
 * iconv-lite as mysql2 uses it (getDecoder, getEncoder), with ASCII decoded
 * without it. mysql2 decodes the server's greeting and every utf8mb3 column
 * (those of the SHOW statements) as 'cesu8', which Node has no decoder for,
 * so every probe loaded iconv-lite and its code page tables for strings
 * that are ASCII in practice. For ASCII bytes CESU-8, UTF-8 and latin1
 * give the same string; anything else still goes to iconv-lite, loaded on
 * first need. scripts/build.js puts this in front of iconv-lite for mysql2.
 */

interface Decoder {
  write(bytes: Buffer): string;
  end(): string | undefined;
}

/** The part of iconv-lite that mysql2 (lib/parsers/string.js) uses. */
export interface IconvLite {
  getDecoder(encoding: string, options?: unknown): Decoder;
  getEncoder(encoding: string, options?: unknown): { write(text: string): Buffer; end(): Buffer | undefined };
}

function isAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] ?? 0) > 0x7f) return false;
  return true;
}

/** iconv-lite (`load` gives it, called on first need) with ASCII 'cesu8' decoded here. */
export function asciiFirst(load: () => IconvLite): IconvLite {
  // Stateless, like mysql2's use of a cached decoder: one write() of a whole value, then end().
  const cesu8: Decoder = {
    write(bytes) {
      if (isAscii(bytes)) return bytes.toString('latin1');
      const real = load().getDecoder('cesu8');
      const text = real.write(bytes);
      const rest = real.end();
      return rest ? text + rest : text;
    },
    end: () => undefined,
  };
  return {
    getDecoder: (encoding, options) => (encoding === 'cesu8' && options === undefined ? cesu8 : load().getDecoder(encoding, options)),
    getEncoder: (encoding, options) => load().getEncoder(encoding, options),
  };
}
