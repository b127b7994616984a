import {loadCatalog, type Catalog, type LinkSpec} from '../catalogs/load-catalog.js'
import {TracebenchError} from '../common/errors.js'

export interface KvTransferOptions {
  /** Transfers sharing the link at the same time; each gets an equal share of its bandwidth. */
  concurrent?: number
  /** Catalog to resolve a link name in (default: the built-in catalog). */
  catalog?: Catalog
}

/**
 * Time in ms to move `bytes` of KV cache over `link` (a catalog name or entry):
 *   bytes / (bandwidth x efficiency / concurrent) + per-transfer latency + per-request setup
 *   + descriptors x per-descriptor time, with descriptors = ceil(bytes / descriptor bytes).
 * `efficiency` is the achieved fraction of line rate. With the measured EFA figures of
 * hardware.md §11.3 (trn3-server-to-cs3: 0.71 of 100 GB/s, 3.75 µs per 93.6 KB descriptor,
 * 25 µs, 1 ms) a 96k-token Llama-70B prompt (31.6 GB) takes about 1.71 s.
 */
export function kvTransferTime(bytes: number, link: LinkSpec | string, options: KvTransferOptions = {}): number {
  const spec = typeof link === 'string' ? (options.catalog ?? loadCatalog()).link(link) : link
  const concurrent = options.concurrent ?? 1
  if (!(concurrent >= 1)) throw new TracebenchError(`concurrent transfers must be at least 1, got ${concurrent}`)
  if (!(bytes >= 0)) throw new TracebenchError(`KV transfer size must be a non-negative number of bytes, got ${bytes}`)
  if (bytes === 0) return 0
  return (bytes * concurrent * 1000) / effectiveBandwidthBytesPerS(spec) + fixedTransferUs(spec, bytes) / 1000
}

/** Per-transfer latency, setup and descriptor time of moving `bytes` over a link, µs (no bandwidth term). */
export function fixedTransferUs(link: LinkSpec, bytes: number): number {
  return link.latencyUs.value + link.setupMs.value * 1000 + countDescriptors(bytes, link.descriptorBytes?.value ?? 0) * (link.descriptorUs?.value ?? 0)
}

/** Descriptors a transfer of `bytes` is posted as (0 when the link does not model descriptors). */
export function countDescriptors(bytes: number, descriptorBytes: number): number {
  return descriptorBytes > 0 && bytes > 0 ? Math.ceil(bytes / descriptorBytes) : 0
}

export function effectiveBandwidthBytesPerS(link: LinkSpec): number {
  return link.bandwidthBytesPerS.value * link.efficiency.value
}

/**
 * A sender link followed by a receiver link (e.g. a Trainium server's EFA into a CS-3's
 * Ethernet I/O): the slower line rate and efficiency bound the path, latencies and setups add up
 * (setup is paid once).
 */
export function combineLinks(name: string, sender: LinkSpec, receiver: LinkSpec): LinkSpec {
  const slower = effectiveBandwidthBytesPerS(sender) <= effectiveBandwidthBytesPerS(receiver) ? sender : receiver
  return {
    name,
    file: sender.file,
    displayName: `${sender.displayName} → ${receiver.displayName}`,
    kind: 'path',
    source: `combined: ${sender.name} then ${receiver.name}`,
    bandwidthBytesPerS: slower.bandwidthBytesPerS,
    efficiency: slower.efficiency,
    latencyUs: {value: sender.latencyUs.value + receiver.latencyUs.value, source: `sum of ${sender.name} and ${receiver.name} latencies`, tag: 'D'},
    setupMs: {value: Math.max(sender.setupMs.value, receiver.setupMs.value), source: `one setup per request (max of ${sender.name}, ${receiver.name})`, tag: 'D'},
    // The sender posts the descriptors.
    ...(sender.descriptorUs === undefined ? {} : {descriptorUs: sender.descriptorUs, descriptorBytes: sender.descriptorBytes}),
  }
}
