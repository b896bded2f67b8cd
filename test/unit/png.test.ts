/**
 * The screenshot checks (test/e2e/pages.test.ts) read PNGs with test/support/png.ts;
 * this proves that reader on images whose pixels are known, one row per PNG filter type.
 */
import { deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { decodePng } from '../support/png.js'

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(body.length, 0)
  head.write(type, 4, 'latin1')
  return Buffer.concat([head, body, Buffer.alloc(4)]) // the reader does not check CRCs
}

/** An 8-bit RGB PNG of `rows` (each a list of [r, g, b]), row y filtered with `filters[y]`. */
function encode(rows: number[][][], filters: number[], colourType = 2): Buffer {
  const width = rows[0]?.length ?? 0
  const bytes = rows.map((row) => row.flat())
  const paeth = (a: number, b: number, c: number) => {
    const p = a + b - c
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)]
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c
  }
  const filtered = bytes.map((line, y) => {
    const f = filters[y] ?? 0
    const prior = bytes[y - 1]
    const out = line.map((x, i) => {
      const a = i >= 3 ? (line[i - 3] ?? 0) : 0
      const b = prior ? (prior[i] ?? 0) : 0
      const c = prior && i >= 3 ? (prior[i - 3] ?? 0) : 0
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][f] ?? 0
      return (x - predictor) & 0xff
    })
    return Buffer.from([f, ...out])
  })
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(rows.length, 4)
  ihdr[8] = 8
  ihdr[9] = colourType
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(filtered))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

describe('test support: the PNG reader the screenshot checks use', () => {
  it('decodes every filter type (None, Sub, Up, Average, Paeth) to the exact pixels', () => {
    const rows = [
      [
        [243, 244, 246],
        [255, 255, 255],
        [26, 127, 55],
      ],
      [
        [13, 17, 23],
        [200, 10, 250],
        [1, 2, 3],
      ],
      [
        [255, 0, 0],
        [0, 255, 0],
        [0, 0, 255],
      ],
      [
        [128, 128, 128],
        [127, 129, 130],
        [250, 251, 252],
      ],
      [
        [9, 99, 199],
        [31, 35, 40],
        [230, 237, 243],
      ],
    ]
    const png = decodePng(encode(rows, [0, 1, 2, 3, 4]))
    expect([png.width, png.height]).toEqual([3, 5])
    expect(png.rgb(0, 0)).toBe('#f3f4f6')
    expect(png.rgb(1, 1)).toBe('#c80afa')
    expect(png.rgb(2, 2)).toBe('#0000ff')
    expect(png.rgb(1, 3)).toBe('#7f8182')
    expect(png.rgb(2, 4)).toBe('#e6edf3')
    expect(png.histogram().size).toBe(15)
  })

  it('refuses what it cannot read (a palette image) instead of guessing', () => {
    expect(() => decodePng(encode([[[0, 0, 0]]], [0], 3))).toThrow(
      'unsupported PNG: depth 8, colour type 3, interlace 0',
    )
  })
})
