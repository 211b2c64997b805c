// Where the CLI connects, and with which key: a flag wins over the environment, which wins
// over a profile of the config file, which wins over the default URL.
//
// The config file is $TRIBUTARY_CONFIG, else $XDG_CONFIG_HOME/tributary/config.json, else
// ~/.config/tributary/config.json:
//   {"profiles": {"default": {"url": "http://localhost:8080", "key": "..."}, "prod": {...}}}
// The profile is --profile, else $TRIBUTARY_PROFILE, else "default". Naming a profile the file
// does not have is a usage error; having no file (or no default profile) is not.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringOption, UsageError, type Values } from './options';

export const DEFAULT_URL = 'http://localhost:8080';

export interface Connection {
  url: string;
  key: string | undefined;
}

interface Profile {
  url?: string;
  key?: string;
}

export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.TRIBUTARY_CONFIG !== undefined && env.TRIBUTARY_CONFIG !== '')
    return env.TRIBUTARY_CONFIG;
  const base =
    env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== ''
      ? env.XDG_CONFIG_HOME
      : path.join(env.HOME ?? os.homedir(), '.config');
  return path.join(base, 'tributary', 'config.json');
}

export function resolveConnection(values: Values, env: NodeJS.ProcessEnv): Connection {
  const named = stringOption(values, 'profile') ?? nonEmpty(env.TRIBUTARY_PROFILE);
  const profile = readProfile(configPath(env), named ?? 'default', named !== undefined);
  return {
    url: stringOption(values, 'url') ?? nonEmpty(env.TRIBUTARY_URL) ?? profile.url ?? DEFAULT_URL,
    key: stringOption(values, 'key') ?? nonEmpty(env.TRIBUTARY_API_KEY) ?? profile.key,
  };
}

function readProfile(file: string, name: string, required: boolean): Profile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return {};
    throw new UsageError(`profile ${name}: cannot read ${file}: ${(error as Error).message}`);
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const profiles = (config as { profiles?: Record<string, unknown> } | null)?.profiles;
  const profile = profiles?.[name];
  if (profile === undefined) {
    if (required) throw new UsageError(`profile ${name} is not in ${file}`);
    return {};
  }
  if (typeof profile !== 'object' || profile === null) {
    throw new UsageError(`profile ${name} in ${file} is not an object`);
  }
  const { url, key } = profile as Record<string, unknown>;
  if (
    (url !== undefined && typeof url !== 'string') ||
    (key !== undefined && typeof key !== 'string')
  ) {
    throw new UsageError(`profile ${name} in ${file}: url and key are strings`);
  }
  return { ...(url === undefined ? {} : { url }), ...(key === undefined ? {} : { key }) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
