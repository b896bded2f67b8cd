/**
 * A tiny PNG reader for screenshots (node:zlib, no dependency): 8-bit truecolour (RGB or RGBA),
 * not interlaced, every filter type. Enough for what headless Chromium writes; anything else
 * throws rather than guess.
 */
import { inflateSync } from 'node:zlib'

/** A decoded image. */
export interface Png {
  width: number
  height: number
  /** The pixel at (x, y) as `#rrggbb` (alpha ignored). */
  rgb(x: number, y: number): string
  /** How many pixels have each colour, `#rrggbb` → count. */
  histogram(): Map<string, number>
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
}

/** Decodes `data` (a whole PNG file). */
export function decodePng(data: Buffer): Png {
  if (!data.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG')
  let width = 0
  let height = 0
  let channels = 0
  const idat: Buffer[] = []
  for (let at = 8; at < data.length; ) {
    const length = data.readUInt32BE(at)
    const type = data.toString('latin1', at + 4, at + 8)
    const body = data.subarray(at + 8, at + 8 + length)
    if (type === 'IHDR') {
      width = body.readUInt32BE(0)
      height = body.readUInt32BE(4)
      const [depth, colour, , , interlace] = [body[8], body[9], body[10], body[11], body[12]]
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) {
        throw new Error(`unsupported PNG: depth ${depth}, colour type ${colour}, interlace ${interlace}`)
      }
      channels = colour === 2 ? 3 : 4
    } else if (type === 'IDAT') {
      idat.push(body)
    } else if (type === 'IEND') {
      break
    }
    at += 12 + length
  }
  if (channels === 0) throw new Error('PNG without IHDR')
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * channels
  if (raw.length !== height * (stride + 1))
    throw new Error(`PNG data is ${raw.length} bytes, not ${height * (stride + 1)}`)
  const pixels = Buffer.alloc(height * stride)
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1))
    const out = y * stride
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? (pixels[out + i - channels] ?? 0) : 0
      const b = y > 0 ? (pixels[out - stride + i] ?? 0) : 0
      const c = y > 0 && i >= channels ? (pixels[out - stride + i - channels] ?? 0) : 0
      const x = line[i] ?? 0
      let v: number
      switch (filter) {
        case 0:
          v = x
          break
        case 1:
          v = x + a
          break
        case 2:
          v = x + b
          break
        case 3:
          v = x + ((a + b) >> 1)
          break
        case 4:
          v = x + paeth(a, b, c)
          break
        default:
          throw new Error(`unknown PNG filter ${filter} on row ${y}`)
      }
      pixels[out + i] = v & 0xff
    }
  }
  const hex = (n: number) => n.toString(16).padStart(2, '0')
  const rgb = (x: number, y: number) => {
    const i = (y * width + x) * channels
    return `#${hex(pixels[i] ?? 0)}${hex(pixels[i + 1] ?? 0)}${hex(pixels[i + 2] ?? 0)}`
  }
  return {
    width,
    height,
    rgb,
    histogram: () => {
      const counts = new Map<string, number>()
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const c = rgb(x, y)
          counts.set(c, (counts.get(c) ?? 0) + 1)
        }
      }
      return counts
    },
  }
}
