// Where the API key lives while the console is open: this tab's sessionStorage (gone when the
// tab closes, never shared with other tabs, never sent anywhere but the Authorization header),
// or memory alone when the browser refuses storage.
const STORAGE_NAME = 'tributary.console.apiKey';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_NAME);
  } catch {
    return null;
  }
}

export function storeKey(key: string): void {
  try {
    sessionStorage.setItem(STORAGE_NAME, key);
  } catch {
    // Storage refused (a private mode, a policy): the key stays in memory for this page only.
  }
}

export function forgetKey(): void {
  try {
    sessionStorage.removeItem(STORAGE_NAME);
  } catch {
    // nothing stored
  }
}
