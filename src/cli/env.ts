import type { Command, Option } from 'commander';
import { ConfigError } from '../errors.js';

const envPrefix = 'IRSA_ISSUER_';

/** `--s3-endpoint` -> `IRSA_ISSUER_S3_ENDPOINT`; `--no-register` -> `IRSA_ISSUER_NO_REGISTER`. */
function envNameOf(option: Option): string | undefined {
  if (option.long === undefined) return undefined;
  return `${envPrefix}${option.long.replace(/^--/, '').replaceAll('-', '_').toUpperCase()}`;
}

function parseBoolean(name: string, raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(value)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(raw)} is not a boolean; use true or false.`);
}

/** Appends "(env: NAME)" to every option's help, so --help documents both spellings. */
export function documentEnvironment(command: Command): void {
  for (const option of command.options) {
    const name = envNameOf(option);
    if (name !== undefined && !option.description.includes('(env:')) option.description += ` (env: ${name})`;
  }
}

/**
 * Fills every option the command line left unset from its IRSA_ISSUER_* variable: the flag wins.
 * Commander's own .env() treats IRSA_ISSUER_DRY_RUN=false as "set", so booleans are parsed here,
 * strictly; repeatable options take a comma-separated list.
 */
export function applyEnvironment(command: Command, env: NodeJS.ProcessEnv): void {
  for (const option of command.options) {
    const name = envNameOf(option);
    if (name === undefined) continue;
    const raw = env[name];
    if (raw === undefined) continue;
    const attribute = option.attributeName();
    const source = command.getOptionValueSource(attribute);
    if (source === 'cli') continue;
    let value: unknown;
    if (option.negate) value = !parseBoolean(name, raw);
    else if (option.isBoolean()) value = parseBoolean(name, raw);
    else if (Array.isArray(option.defaultValue))
      value = raw
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    else value = raw;
    if (option.argChoices && typeof value === 'string' && !option.argChoices.includes(value)) {
      throw new ConfigError(`${name}=${JSON.stringify(raw)} is not one of ${option.argChoices.join(', ')}.`);
    }
    command.setOptionValueWithSource(attribute, value, 'env');
  }
}

/** Edit distance, for did-you-mean: the few names involved make the quadratic table cheap. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * A misspelt variable must not be silently ignored: IRSA_ISSUER_DRYRUN=true once did a real write.
 * Every IRSA_ISSUER_* variable must name an option of some command; a variable of another command
 * (IRSA_ISSUER_SCHEDULE while running sync) is left alone, so one environment can serve several.
 */
export function checkVariableNames(commands: readonly Command[], env: NodeJS.ProcessEnv): void {
  const known = new Set(
    commands.flatMap((command) => command.options.map(envNameOf)).filter((name) => name !== undefined),
  );
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(envPrefix) || known.has(name)) continue;
    const closest = [...known].sort((a, b) => distance(name, a) - distance(name, b))[0];
    const hint = closest !== undefined && distance(name, closest) <= 3 ? ` Did you mean ${closest}?` : '';
    throw new ConfigError(
      `${name} is set, but no option of any command reads it.${hint} Unset it, or see --help for the variables each ` +
        `option reads.`,
    );
  }
}
