// Adds lockfile entries for the other platforms' builds of native packages.
//
// Why: the npm registry this project's machines reach carries only the Linux builds of
// platform packages (@rollup/rollup-darwin-arm64 & co. answer 404), so `npm install` here
// writes a package-lock.json without them, and `npm ci` then refuses it ("Missing: … from lock
// file") because their parents list them as optionalDependencies. Each missing one gets an
// entry with its version and the os/cpu its name says; npm skips it on any other platform and
// resolves it by version on a machine that needs it.
//
// Usage (after any `npm install` that changed package-lock.json): node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs'

const file = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(file, 'utf8'))
const pkgs = lock.packages

const OS = ['android', 'darwin', 'freebsd', 'linux', 'win32', 'openharmony', 'netbsd', 'openbsd', 'sunos', 'aix', 'wasi', 'cygwin']
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 'riscv64', 's390x', 'loong64', 'mips64el', 'wasm32', 'universal']

function platformOf(name) {
  const parts = name.split('/').pop().split('-')
  const os = OS.find((o) => parts.includes(o)) ?? (parts.includes('win32') ? 'win32' : undefined)
  let cpu = CPU.find((c) => parts.includes(c)) ?? (parts.includes('armv7') || parts.includes('gnueabihf') ? 'arm' : undefined)
  if (parts.includes('wasm32')) return { cpu: ['wasm32'] }
  if (cpu === 'universal') cpu = undefined
  if (!os && !cpu) return null
  const out = {}
  if (os) out.os = [os]
  if (cpu) out.cpu = [cpu]
  if (parts.includes('musl')) out.libc = ['musl']
  else if (parts.includes('gnu') || parts.includes('gnueabihf')) out.libc = ['glibc']
  return out
}

/** node_modules folders searched for a dependency of the package at `path`, nearest first. */
function lookupDirs(path) {
  const dirs = []
  let cur = path
  for (;;) {
    dirs.push(cur ? `${cur}/node_modules/` : 'node_modules/')
    if (!cur) return dirs
    cur = cur.slice(0, cur.lastIndexOf('node_modules/')).replace(/\/$/, '')
  }
}

function resolve(path, dep) {
  for (const dir of lookupDirs(path)) if (pkgs[dir + dep]) return dir
  return null
}

let added = 0
for (const [path, entry] of Object.entries({ ...pkgs })) {
  const optional = Object.entries(entry.optionalDependencies ?? {})
  // Where this parent's installed platform builds sit (the Linux one, found by npm's lookup):
  // the missing siblings go next to it.
  let home = null
  for (const [dep, version] of optional) {
    const dir = resolve(path, dep)
    if (dir && pkgs[dir + dep].version === version) home = dir
  }
  for (const [dep, version] of optional) {
    const dir = resolve(path, dep)
    if (dir && (pkgs[dir + dep].version === version || !/^\d+\.\d+\.\d+/.test(version))) continue
    const platform = platformOf(dep)
    if (!platform || !/^\d+\.\d+\.\d+$/.test(version)) continue
    // Next to the siblings, unless another version already sits there: then under the parent.
    let target = (home ?? `${path}/node_modules/`) + dep
    if (pkgs[target]) target = `${path}/node_modules/${dep}`
    if (pkgs[target]) continue
    pkgs[target] = { version, optional: true, ...platform, ...(entry.dev ? { dev: true } : {}) }
    added++
  }
}

// Keep the file's key order stable (npm sorts packages by path).
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en'))))
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n')
console.log(`complete-lockfile: added ${added} entries for other platforms`)
