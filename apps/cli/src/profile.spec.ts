import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from './options';
import { configPath, DEFAULT_URL, resolveConnection } from './profile';

describe('resolveConnection', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-profile-'));
    env = { XDG_CONFIG_HOME: dir };
    fs.mkdirSync(path.join(dir, 'tributary'));
    fs.writeFileSync(
      path.join(dir, 'tributary', 'config.json'),
      JSON.stringify({
        profiles: {
          default: { url: 'http://default:1', key: 'default-key' },
          prod: { url: 'http://prod:1', key: 'prod-key' },
        },
      }),
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the default profile, or the one named by --profile or TRIBUTARY_PROFILE', () => {
    expect(configPath(env)).toBe(path.join(dir, 'tributary', 'config.json'));
    expect(resolveConnection({}, env)).toEqual({ url: 'http://default:1', key: 'default-key' });
    expect(resolveConnection({ profile: 'prod' }, env)).toEqual({
      url: 'http://prod:1',
      key: 'prod-key',
    });
    expect(resolveConnection({}, { ...env, TRIBUTARY_PROFILE: 'prod' }).url).toBe('http://prod:1');
  });

  it('puts flags over the environment over the profile', () => {
    const withEnv = { ...env, TRIBUTARY_URL: 'http://env:1', TRIBUTARY_API_KEY: 'env-key' };
    expect(resolveConnection({}, withEnv)).toEqual({ url: 'http://env:1', key: 'env-key' });
    expect(resolveConnection({ url: 'http://flag:1', key: 'flag-key' }, withEnv)).toEqual({
      url: 'http://flag:1',
      key: 'flag-key',
    });
  });

  it('needs no file, but refuses a profile it does not have', () => {
    const empty = { XDG_CONFIG_HOME: path.join(dir, 'nothing-here') };
    expect(resolveConnection({}, empty)).toEqual({ url: DEFAULT_URL, key: undefined });
    expect(() => resolveConnection({ profile: 'staging' }, env)).toThrow(UsageError);
    expect(() => resolveConnection({ profile: 'prod' }, empty)).toThrow(UsageError);
  });
});
