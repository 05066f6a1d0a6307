// Secret values this process has seen at run time that are not in the configuration (the
// output of a fence device's passwd_script, for one), kept in memory only, so that a support
// report can blank them wherever they appear. Bounded; never written anywhere.

const KEPT_MAX = 256;
const values = new Set<string>();

export function rememberSecret(value: string | undefined): void {
  if (!value || value.length < 4) return;
  if (values.size >= KEPT_MAX) values.delete(values.values().next().value!);
  values.add(value);
}

export function rememberedSecrets(): string[] {
  return [...values];
}
