/**
 * A small seeded pseudo-random generator, so that every synthesized trace and every
 * simulated run is reproducible: the same seed gives the same sequence on every
 * platform and Node version (unlike Math.random, which cannot be seeded).
 *
 * Generator: xoshiro128** (Blackman and Vigna, https://prng.di.unimi.it/), 128 bits of
 * state, seeded through splitmix32 so that nearby seeds (1, 2, 3) give unrelated streams.
 * It is fast in 32-bit integer arithmetic and passes BigCrush; it is not cryptographic.
 */
export interface SeededRandom {
  /** Uniform in [0, 1), 53 bits of resolution. */
  next(): number
  /** Standard normal (mean 0, standard deviation 1), Box-Muller. */
  normal(): number
  /** exp(N(mu, sigma)): a lognormal whose median is exp(mu). */
  lognormal(mu: number, sigma: number): number
  /** Exponential with the given rate (mean 1 / rate). */
  exponential(rate: number): number
  /** Uniform integer in [min, max], both inclusive. */
  integer(min: number, max: number): number
}

/** Returns a generator for `seed` (any finite number; its integer bits are used). */
export function createRng(seed: number): SeededRandom {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`)
  const whole = Math.trunc(seed)
  // Mix both halves of a 53-bit seed so that seeds differing only above bit 32 differ.
  let mix = (whole >>> 0) ^ Math.imul(Math.floor(whole / 2 ** 32) >>> 0, 0x9e3779b1)
  const splitmix32 = (): number => {
    mix = (mix + 0x9e3779b9) | 0
    let z = mix
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let s0 = splitmix32()
  let s1 = splitmix32()
  let s2 = splitmix32()
  let s3 = splitmix32()
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1 // the all-zero state is a fixed point

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    const t = s1 << 9
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 11)
    return result
  }

  const next = (): number => {
    const high = nextUint32() >>> 5 // 27 bits
    const low = nextUint32() >>> 6 // 26 bits
    return (high * 67_108_864 + low) / 9_007_199_254_740_992
  }

  let spareNormal: number | undefined
  const normal = (): number => {
    if (spareNormal !== undefined) {
      const value = spareNormal
      spareNormal = undefined
      return value
    }
    // 1 - next() is in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - next()))
    const angle = 2 * Math.PI * next()
    spareNormal = radius * Math.sin(angle)
    return radius * Math.cos(angle)
  }

  return {
    next,
    normal,
    lognormal: (mu, sigma) => Math.exp(mu + sigma * normal()),
    exponential: (rate) => -Math.log(1 - next()) / rate,
    integer: (min, max) => min + Math.floor(next() * (max - min + 1)),
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
