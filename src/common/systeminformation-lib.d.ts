// Types for the systeminformation modules src/common/sysinfo.ts loads one by one (the
// package types only its index module).
declare module "systeminformation/lib/cpu" { export const cpu: () => Promise<unknown>; }
declare module "systeminformation/lib/memory" { export const mem: () => Promise<unknown>; }
declare module "systeminformation/lib/filesystem" { export const fsSize: () => Promise<unknown>; }
declare module "systeminformation/lib/network" { export const networkInterfaces: () => Promise<unknown>; }
