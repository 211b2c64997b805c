// Bearer credentials: the operator token and tenant API keys. Keys are looked up by the sha256
// of the presented secret in the metadata cache (revocation is seen at once); both kinds are
// compared in constant time on their digests, so timing says nothing about a secret. The
// digests of recently presented tokens are remembered (a bounded map), so a client sending the
// same key on every request costs one map lookup instead of a sha256; what a digest grants is
// still looked up in the metadata cache on every request, so revocation stays immediate.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { hashSecret, type MetadataCache } from '@tributary/metadata';
import { type AuthFailure, type Principal } from './principal';

const KEY_PREFIX = 'trb_';
/** Bearer tokens longer than this are refused unread (keys are 47 characters). */
const TOKEN_LENGTH_MAX = 512;
/** Token digests remembered; past it the whole map is dropped and refilled. */
const DIGESTS_MAX = 10_000;

interface Digest {
  hex: string;
  bytes: Buffer;
}

/** A new API key secret: a recognisable prefix and 192 random bits. */
export function newKeySecret(): string {
  return KEY_PREFIX + randomBytes(24).toString('base64url');
}

export class Credentials {
  private readonly adminDigest: Buffer;
  private readonly digests = new Map<string, Digest>();

  constructor(
    adminToken: string,
    private readonly cache: MetadataCache,
  ) {
    this.adminDigest = createHash('sha256').update(adminToken, 'utf8').digest();
  }

  /** The principal of an Authorization header value, or why there is none. */
  resolve(header: string | undefined): Principal | AuthFailure {
    if (header === undefined || header === '') return 'missing';
    const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header);
    const token = match?.[1];
    if (token === undefined || token.length > TOKEN_LENGTH_MAX) return 'malformed';
    const { hex, bytes: digest } = this.digestOf(token);
    if (timingSafeEqual(digest, this.adminDigest)) return { kind: 'operator' };
    const key = this.cache.activeApiKeyBySecretHash(hex);
    if (key === undefined || !timingSafeEqual(Buffer.from(key.secretHash, 'hex'), digest)) {
      return 'unknown';
    }
    const tenant = this.cache.tenant(key.tenantId);
    if (tenant === undefined) return 'unknown';
    return { kind: 'tenant', tenant, key };
  }

  private digestOf(token: string): Digest {
    let digest = this.digests.get(token);
    if (digest === undefined) {
      const hex = hashSecret(token);
      digest = { hex, bytes: Buffer.from(hex, 'hex') };
      if (this.digests.size >= DIGESTS_MAX) this.digests.clear();
      this.digests.set(token, digest);
    }
    return digest;
  }
}
