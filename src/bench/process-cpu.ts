import {readFileSync} from 'node:fs'

/** CPU seconds (user + system) a process has used, from /proc (Linux), or null. */
export function processCpuS(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return null
  }
}
