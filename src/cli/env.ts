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
    else if (Array.isArray(option.defaultValue)) value = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
    else value = raw;
    if (option.argChoices && typeof value === 'string' && !option.argChoices.includes(value)) {
      throw new ConfigError(`${name}=${JSON.stringify(raw)} is not one of ${option.argChoices.join(', ')}.`);
    }
    command.setOptionValueWithSource(attribute, value, 'env');
  }
}
