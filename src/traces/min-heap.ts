/** A binary min-heap ordered by `isBefore`; ties must be broken by the caller's key. */
export class MinHeap<T> {
  private readonly items: T[] = []

  constructor(private readonly isBefore: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const {items} = this
    items.push(item)
    let index = items.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!this.isBefore(items[index] as T, items[parent] as T)) break
      ;[items[index], items[parent]] = [items[parent] as T, items[index] as T]
      index = parent
    }
  }

  pop(): T | undefined {
    const {items} = this
    const top = items[0]
    const last = items.pop()
    if (items.length === 0 || last === undefined) return top
    items[0] = last
    let index = 0
    for (;;) {
      const left = index * 2 + 1
      const right = left + 1
      let smallest = index
      if (left < items.length && this.isBefore(items[left] as T, items[smallest] as T)) smallest = left
      if (right < items.length && this.isBefore(items[right] as T, items[smallest] as T)) smallest = right
      if (smallest === index) break
      ;[items[index], items[smallest]] = [items[smallest] as T, items[index] as T]
      index = smallest
    }
    return top
  }
}
