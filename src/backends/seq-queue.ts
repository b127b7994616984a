import type {Sequence} from './sequence.js'

/** A FIFO of sequences with O(1) push, shift and unshift (preempted sequences go to the front). */
export class SeqQueue {
  private items: (Sequence | undefined)[] = new Array(16)
  private head = 0
  private length_ = 0

  get length(): number {
    return this.length_
  }

  peek(): Sequence | undefined {
    return this.length_ === 0 ? undefined : this.items[this.head]
  }

  push(seq: Sequence): void {
    if (this.length_ === this.items.length) this.grow()
    this.items[(this.head + this.length_) & (this.items.length - 1)] = seq
    this.length_++
  }

  unshift(seq: Sequence): void {
    if (this.length_ === this.items.length) this.grow()
    this.head = (this.head - 1) & (this.items.length - 1)
    this.items[this.head] = seq
    this.length_++
  }

  shift(): Sequence | undefined {
    if (this.length_ === 0) return undefined
    const seq = this.items[this.head]
    this.items[this.head] = undefined
    this.head = (this.head + 1) & (this.items.length - 1)
    this.length_--
    return seq
  }

  private grow(): void {
    const old = this.items
    const next: (Sequence | undefined)[] = new Array(old.length * 2)
    for (let i = 0; i < this.length_; i++) next[i] = old[(this.head + i) & (old.length - 1)]
    this.items = next
    this.head = 0
  }
}
