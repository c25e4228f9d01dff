// Seeded pseudo-random numbers. The engine never calls Math.random(): every id,
// secret and generated value comes from one of these streams, so the same seed
// and the same requests give the same bytes.

/** cyrb128: hashes a string into four 32-bit seeds. */
function seedWords(text: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** sfc32 generator seeded from a string. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    [this.a, this.b, this.c, this.d] = seedWords(seed);
    for (let i = 0; i < 12; i++) this.next();
  }

  /** The generator's four words: saved with a world, so its streams go on where they stopped (docs/durability.md). */
  get state(): number[] {
    return [this.a, this.b, this.c, this.d];
  }

  set state(words: number[]) {
    [this.a, this.b, this.c, this.d] = words;
  }

  /** Uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return this.next() % n;
  }

  /** String of `length` characters drawn from `alphabet`; each 32-bit draw yields several characters. */
  chars(length: number, alphabet = BASE62): string {
    const size = alphabet.length;
    const perDraw = Math.floor(32 / Math.log2(size));
    // Character codes joined once: appending a character at a time builds a chain
    // of string pieces that every stored id would keep (~30 bytes a character).
    const codes: number[] = [];
    while (codes.length < length) {
      let v = this.next();
      for (let i = 0; i < perDraw && codes.length < length; i++) {
        codes.push(alphabet.charCodeAt(v % size));
        v = Math.floor(v / size);
      }
    }
    return String.fromCharCode.apply(null, codes);
  }

  digits(length: number): string {
    return this.chars(length, '0123456789');
  }

  /** Lower-case RFC 4122 version-4 UUID. */
  uuid(): string {
    const hex = this.chars(32, HEX);
    const variant = '89ab'[this.int(4)];
    return joined(hex.slice(0, 8), '-', hex.slice(8, 12), '-4', hex.slice(13, 16), '-', variant, hex.slice(17, 20), '-', hex.slice(20));
  }
}

/**
 * `parts` joined into one flat string. Concatenation (`+`, template literals)
 * makes a tree of pieces; a stored id or secret would keep that tree, about
 * three times the size of its characters.
 */
export function joined(...parts: string[]): string {
  const codes: number[] = [];
  for (const part of parts) for (let i = 0; i < part.length; i++) codes.push(part.charCodeAt(i));
  return String.fromCharCode.apply(null, codes);
}

const HEX = '0123456789abcdef';

/** Fixed-width base-62 rendering of a non-negative integer. */
export function base62(n: number, width: number): string {
  const codes: number[] = new Array(width);
  for (let i = width - 1; i >= 0; i--) {
    codes[i] = BASE62.charCodeAt(n % 62);
    n = Math.floor(n / 62);
  }
  return String.fromCharCode.apply(null, codes);
}
