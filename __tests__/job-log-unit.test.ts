import { describe, expect, it } from '@jest/globals'
import { Buffer } from 'node:buffer'
import { JobLog, type LogStream } from '../src/packer/log.js'
import { ByteLineSplitter, parseEventLine, renderEvent, uiTextStart } from '../src/packer/machine-readable.js'

/** A stream that takes `capacity` bytes, then is full until drained by the test. */
class Pipe implements LogStream {
  readonly written: Buffer[] = []
  private drainListener?: () => void
  private errorListener?: (error: Error) => void
  constructor(private readonly capacity = Infinity) {}
  write(bytes: Uint8Array, done: () => void): boolean {
    this.written.push(Buffer.from(bytes))
    queueMicrotask(done)
    return this.text().length < this.capacity
  }
  once(_event: 'drain', listener: () => void): void {
    this.drainListener = listener
  }
  on(_event: 'error', listener: (error: Error) => void): void {
    this.errorListener = listener
  }
  drain(): void {
    this.drainListener?.()
  }
  fail(): void {
    this.errorListener?.(new Error('EPIPE'))
  }
  text(): string {
    return Buffer.concat(this.written).toString('utf8')
  }
}

const lines = [
  '1795222615,,ui,say,==> amazon-ebs: Creating AMI\\n',
  '1795222615,,ui,message,    amazon-ebs: Setting up curl (7.81)%!(PACKER_COMMA) 12 files — done',
  '1795222615,,ui,say,\\n==> Builds finished. The artifacts of successful builds are:',
  '1795222615,,ui,message,    amazon-ebs: a\\n::set-output name=x::y\\r\\n\\n',
  '1795222615,,ui,say,crlf line\r'
]

describe('the job log, written from bytes', () => {
  it('shows ui say and message lines exactly as renderEvent does from strings', () => {
    const pipe = new Pipe()
    const log = new JobLog(pipe)
    const expected: string[] = []
    for (const line of lines) {
      const bytes = Buffer.from(line)
      const start = uiTextStart(bytes, 0, bytes.length)
      expect(start).toBeGreaterThan(0)
      log.packerText(bytes, start, bytes.length)
      expected.push(renderEvent(parseEventLine(line)!)!.text)
    }
    log.flush()
    expect(pipe.text()).toBe(expected.map((text) => text + '\n').join(''))
  })

  it('leaves every other line to the event parser', () => {
    for (const line of ['1,,ui,error,boom', '1,amazon-ebs,artifact,0,id,x', '1,,version,1.6.6', 'panic: oops', ',,ui,say,x']) {
      const bytes = Buffer.from(line)
      expect(uiTextStart(bytes, 0, bytes.length)).toBe(-1)
    }
  })

  it('says when the stream is full, and again when it has room', async () => {
    const pipe = new Pipe(10)
    const log = new JobLog(pipe)
    log.line('more than ten bytes')
    const full = log.flush()
    expect(full).toBeInstanceOf(Promise)
    expect(log.flush()).toBe(full)
    pipe.drain()
    await full
    expect(log.flush()).toBeUndefined()
  })

  it('writes lines longer than a batch whole', () => {
    const pipe = new Pipe()
    const log = new JobLog(pipe, 16)
    log.line('x'.repeat(100))
    log.line('y')
    log.flush()
    expect(pipe.text()).toBe('x'.repeat(100) + '\ny\n')
  })

  it('stops waiting and drops the output once the stream has failed', async () => {
    const pipe = new Pipe(1)
    const log = new JobLog(pipe)
    log.line('first')
    const full = log.flush()
    pipe.fail()
    await full
    log.line('dropped')
    expect(log.flush()).toBeUndefined()
    expect(pipe.text()).toBe('first\n')
  })
})

describe('ByteLineSplitter', () => {
  it('joins lines cut across chunks, multi-byte characters included', () => {
    const found: string[] = []
    const splitter = new ByteLineSplitter()
    const bytes = Buffer.from('first line\nsecond — line\nthird')
    for (let i = 0; i < bytes.length; i += 3) {
      splitter.push(bytes.subarray(i, i + 3), (b, s, e) => found.push(b.toString('utf8', s, e)))
    }
    splitter.end((b, s, e) => found.push(b.toString('utf8', s, e)))
    expect(found).toEqual(['first line', 'second — line', 'third'])
  })

  /** The lines of `text` fed `size` bytes at a time, as text, with how many bytes each lost. */
  function split(text: string, size: number, maxBytes: number): Array<[string, number]> {
    const found: Array<[string, number]> = []
    const onLine = (b: Buffer, s: number, e: number, dropped: number): number => found.push([b.toString('utf8', s, e), dropped])
    const splitter = new ByteLineSplitter(maxBytes)
    const bytes = Buffer.from(text)
    for (let i = 0; i < bytes.length; i += size) splitter.push(bytes.subarray(i, i + size), onLine)
    splitter.end(onLine)
    return found
  }

  it('keeps only the start of a line longer than it takes, and counts the rest, however it arrives', () => {
    const text = `short\n${'x'.repeat(50)}\nafter\n${'y'.repeat(30)}`
    const expected = [['short', 0], ['x'.repeat(16), 34], ['after', 0], ['y'.repeat(16), 14]]
    for (const size of [1, 3, 7, 16, 17, 1000]) expect(split(text, size, 16)).toEqual(expected)
  })

  it('cuts a line before a character it cannot keep whole', () => {
    // 'é' is two bytes, '€' three: the 16th byte is inside one.
    for (const size of [1, 5, 1000]) {
      expect(split(`${'a'.repeat(15)}é and more\n`, size, 16)).toEqual([['a'.repeat(15), 11]])
      expect(split(`${'a'.repeat(14)}€ and more\nnext`, size, 16)).toEqual([['a'.repeat(14), 12], ['next', 0]])
      expect(split(`${'a'.repeat(13)}€ and more\n`, size, 16)).toEqual([['a'.repeat(13) + '€', 9]])
    }
  })
})
