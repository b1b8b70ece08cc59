/** The editor's text outlives the worker, reloads and crashes: it is kept in localStorage. */
const KEY = "polychip-studio:code";
const EXAMPLE_KEY = "polychip-studio:example";

export function loadSavedCode(): string | undefined {
  try {
    return localStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveCode(code: string): void {
  try {
    localStorage.setItem(KEY, code);
  } catch {
    /* storage full or disabled: the editor still holds the text */
  }
}

export function loadSavedExample(): string | undefined {
  try {
    return localStorage.getItem(EXAMPLE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveExample(id: string): void {
  try {
    localStorage.setItem(EXAMPLE_KEY, id);
  } catch {
    /* ignore */
  }
}

/** The user's code from before they opened a shared link, so opening one never loses it. */
const BEFORE_LINK_KEY = "polychip-studio:code-before-link";

export function loadCodeBeforeLink(): string | undefined {
  try {
    return localStorage.getItem(BEFORE_LINK_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveCodeBeforeLink(code: string | undefined): void {
  try {
    if (code === undefined) localStorage.removeItem(BEFORE_LINK_KEY);
    else localStorage.setItem(BEFORE_LINK_KEY, code);
  } catch {
    /* ignore */
  }
}
